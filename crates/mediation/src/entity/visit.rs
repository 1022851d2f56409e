//! `visits`: one person received, phoned, visited at home or helped remotely.

use crate::model::{AgeBand, Channel, Sex, VisitStatus};
use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub site_id: Uuid,
    pub mediator_id: Uuid,
    pub occurred_at: DateTime<FixedOffset>,
    pub channel: Channel,
    pub duration_minutes: i32,
    pub language: Option<String>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub beneficiary_id: Option<Uuid>,
    pub client_key: String,
    pub status: VisitStatus,
    pub revision: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub voided_at: Option<DateTime<FixedOffset>>,
    pub client_fingerprint: Option<String>,
    pub during_closure: bool,
    pub outside_hours: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
