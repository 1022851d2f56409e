use crate::agreements::RevisionAction;
use sea_orm::entity::prelude::*;

db::entity! { "agreement_revisions", key { id: Uuid }
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
