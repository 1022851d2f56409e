use crate::outreach::{CampaignStatus, LegalBasis, Purpose};
use sea_orm::entity::prelude::*;

db::entity! { "outreach_campaigns", key { tenant_id: Uuid, id: Uuid }
    pub agreement_id: Uuid,
    pub partner_id: Uuid,
    pub title: String,
    pub purpose: Purpose,
    pub legal_basis: LegalBasis,
    pub starts_on: Date,
    pub ends_on: Date,
    pub max_attempts: i16,
    pub retention_days: i32,
    pub status: CampaignStatus,
    pub closed_at: Option<DateTimeWithTimeZone>,
    pub purged_at: Option<DateTimeWithTimeZone>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
