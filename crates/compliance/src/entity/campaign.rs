use crate::model::CampaignStatus;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_campaigns", derive(Eq), key { id: Uuid }
    pub title: String,
    pub catalogue_version_id: Uuid,
    pub period_starts_on: Date,
    pub period_ends_on: Date,
    pub self_assessment_due_on: Date,
    pub visits_from: Date,
    pub visits_until: Date,
    pub contradictory_days: i16,
    pub closes_on: Date,
    pub sample_percent: Option<i16>,
    pub status: CampaignStatus,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub closed_at: Option<DateTimeWithTimeZone>,
}
