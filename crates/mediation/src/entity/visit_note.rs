//! `visit_notes`: sensitive free text on a visit, for the association's writers.

use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "visit_notes", key { tenant_id: Uuid, id: Uuid }
    pub visit_id: Uuid,
    pub body: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
}
