//! `consents`: what a beneficiary agreed to, for whom, until when.

use crate::model::ConsentChannel;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub beneficiary_id: Uuid,
    pub purpose: String,
    pub recipient: String,
    pub given_on: NaiveDate,
    pub channel: ConsentChannel,
    pub expires_on: NaiveDate,
    pub withdrawn_on: Option<NaiveDate>,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
