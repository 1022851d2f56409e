//! `workshops`: collective sessions (animations collectives).

use crate::model::WorkshopStatus;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workshops")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub site_id: Uuid,
    pub theme: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub facilitator_id: Uuid,
    pub funding_partner_id: Option<Uuid>,
    pub attendees: i32,
    pub client_key: String,
    pub status: WorkshopStatus,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub agreement_id: Option<Uuid>,
    pub client_fingerprint: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
