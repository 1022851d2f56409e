use crate::agreements::PaymentKind;
use sea_orm::entity::prelude::*;

db::entity! { "agreement_payments", key { id: Uuid }
    pub agreement_id: Uuid,
    pub partner_id: Uuid,
    pub kind: PaymentKind,
    pub on_date: Date,
    pub amount_cents: i64,
    pub label: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
