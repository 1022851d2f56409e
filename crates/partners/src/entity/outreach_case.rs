use crate::outreach::{CaseStatus, Outcome};
use sea_orm::entity::prelude::*;

db::entity! { "outreach_cases", key { tenant_id: Uuid, id: Uuid }
    pub campaign_id: Uuid,
    pub partner_id: Uuid,
    pub customer_ref: Option<String>,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub status: CaseStatus,
    pub outcome: Option<Outcome>,
    pub consent_to_report: bool,
    pub report_details: Option<String>,
    pub attempts: i32,
    pub submitted_by_user: Option<Uuid>,
    pub submitted_by_client: Option<Uuid>,
    pub submitted_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub closed_at: Option<DateTimeWithTimeZone>,
    pub purged_at: Option<DateTimeWithTimeZone>,
    /// The beneficiary the person reached became (migration 0015): access exports
    /// and erasure reach the case through it.
    pub beneficiary_id: Option<Uuid>,
}
