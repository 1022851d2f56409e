use crate::agreements::RevisionAction;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agreement_revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub partner_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub revision: i32,
    pub action: RevisionAction,
    #[sea_orm(column_type = "JsonBinary")]
    pub previous: Json,
    pub reason: String,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
