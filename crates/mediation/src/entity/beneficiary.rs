//! `beneficiaries`: a pseudonymous follow-up record.

use crate::model::{AgeBand, Sex};
use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "beneficiaries", key { tenant_id: Uuid, id: Uuid }
    pub pseudonym: String,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
}
