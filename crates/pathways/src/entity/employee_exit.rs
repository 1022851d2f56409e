use crate::model::{EmployerSector, ExitOutcome, ExitReason};
use sea_orm::entity::prelude::*;

db::entity! { "employee_exits", key { tenant_id: Uuid, id: Uuid }
    pub employee_id: Uuid,
    pub exit_on: Date,
    pub reason: ExitReason,
    pub outcome: ExitOutcome,
    pub employer_sector: Option<EmployerSector>,
    pub employer_partner_id: Option<Uuid>,
    pub followed_up_on: Option<Date>,
    pub followup_outcome: Option<ExitOutcome>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
