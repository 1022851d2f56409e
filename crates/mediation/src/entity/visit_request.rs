//! `visit_requests`: what a visit was about, one row per request.

use crate::model::{Outcome, RequestKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub visit_id: Uuid,
    pub position: i16,
    pub theme: String,
    pub kind: RequestKind,
    pub partner_id: Option<Uuid>,
    pub outcome: Outcome,
    pub mediation_act: bool,
    pub referred_to: Option<String>,
    pub agreement_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
