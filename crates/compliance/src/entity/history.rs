use crate::model::SubjectKind;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_history", key { tenant_id: Uuid, id: Uuid }
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub action: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub previous: Json,
    pub reason: Option<String>,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTimeWithTimeZone,
}
