//! `visit_revisions`: a visit's state before each correction.

use crate::model::RevisionAction;
use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "visit_revisions", key { tenant_id: Uuid, id: Uuid }
    pub visit_id: Uuid,
    pub revision: i32,
    pub action: RevisionAction,
    #[sea_orm(column_type = "JsonBinary")]
    pub previous: serde_json::Value,
    pub reason: Option<String>,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<FixedOffset>,
}
