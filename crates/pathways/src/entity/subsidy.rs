use crate::model::{Funder, Programme};
use sea_orm::entity::prelude::*;

db::entity! { "subsidies", key { tenant_id: Uuid, id: Uuid }
    pub contract_id: Uuid,
    pub programme: Programme,
    pub funder: Funder,
    /// None once the employee's record is anonymised.
    pub agreement_reference: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub amount_cents: Option<i64>,
    pub rate_percent: Option<f64>,
    pub renewal_deadline: Option<Date>,
    pub created_at: DateTimeWithTimeZone,
}
