//! `request_daily`: requests per site, Paris day, channel, theme, kind and partner
//! (nil: none).

use crate::model::{Channel, RequestKind};
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_daily")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub site_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: NaiveDate,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: Channel,
    #[sea_orm(primary_key, auto_increment = false)]
    pub theme: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: RequestKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_key: Uuid,
    pub requests: i32,
    pub mediation_acts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
