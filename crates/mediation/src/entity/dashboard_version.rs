//! `dashboard_versions`: bumped by every write of an association's rollups; cached
//! dashboard views are keyed by it (migration 0009).

use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "dashboard_versions", key { tenant_id: Uuid }
    pub version: i64,
    pub changed_at: DateTime<FixedOffset>,
}
