//! `survey_answers`: one answer on the four-point scale.

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! { "survey_answers", key { tenant_id: Uuid, id: Uuid }
    pub campaign_id: Uuid,
    pub score: i16,
    pub answered_on: NaiveDate,
    pub client_key: String,
    pub client_fingerprint: Option<String>,
}
