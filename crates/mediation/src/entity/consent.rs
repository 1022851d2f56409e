//! `consents`: what a beneficiary agreed to, for whom, until when.

use crate::model::ConsentChannel;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::entity::prelude::*;

db::entity! { "consents", key { tenant_id: Uuid, id: Uuid }
    pub beneficiary_id: Uuid,
    pub purpose: String,
    /// The free text of consents recorded before recipients were partners
    /// (migration 0015); null for the others.
    pub recipient: Option<String>,
    /// The partner organisation the consent names; none: the association only.
    pub recipient_partner_id: Option<Uuid>,
    pub given_on: NaiveDate,
    pub channel: ConsentChannel,
    pub expires_on: NaiveDate,
    pub withdrawn_on: Option<NaiveDate>,
    pub created_at: DateTime<FixedOffset>,
}
