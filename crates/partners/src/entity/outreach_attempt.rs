use crate::outreach::{AttemptChannel, AttemptResult};
use sea_orm::entity::prelude::*;

db::entity! { "outreach_attempts", key { tenant_id: Uuid, id: Uuid }
    pub case_id: Uuid,
    pub channel: AttemptChannel,
    pub attempted_at: DateTimeWithTimeZone,
    pub result: AttemptResult,
    pub note: Option<String>,
    pub mediator_id: Uuid,
    pub created_at: DateTimeWithTimeZone,
}
