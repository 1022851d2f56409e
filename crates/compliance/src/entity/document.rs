use crate::model::{OwnerKind, Review};
use sea_orm::entity::prelude::*;

db::entity! { "compliance_documents", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub owner_kind: OwnerKind,
    pub owner_id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub review: Review,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeWithTimeZone>,
    pub uploaded_by: Option<Uuid>,
    pub uploaded_at: DateTimeWithTimeZone,
}
