use crate::model::SanctionKind;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_sanctions", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub kind: SanctionKind,
    pub site_id: Option<Uuid>,
    pub reason: String,
    pub decided_on: Date,
    pub ends_on: Option<Date>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
