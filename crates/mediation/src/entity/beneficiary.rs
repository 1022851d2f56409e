//! `beneficiaries`: a pseudonymous follow-up record.

use crate::model::{AgeBand, Sex};
use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "beneficiaries", key { tenant_id: Uuid, id: Uuid }
    /// Null once anonymised (erasure or retention).
    pub pseudonym: Option<String>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    /// 1 when created; each rectification adds one.
    pub revision: i32,
    pub updated_at: Option<DateTime<FixedOffset>>,
    pub anonymised_at: Option<DateTime<FixedOffset>>,
}
