//! `beneficiary_revisions`: a beneficiary's identity fields before each correction.

use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "beneficiary_revisions", key { tenant_id: Uuid, id: Uuid }
    pub beneficiary_id: Uuid,
    pub revision: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub previous: serde_json::Value,
    pub reason: String,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<FixedOffset>,
}
