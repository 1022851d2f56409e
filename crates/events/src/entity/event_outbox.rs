use crate::EventType;
use sea_orm::entity::prelude::*;

db::entity! { "event_outbox", key { id: Uuid }
    pub event_type: EventType,
    pub tenant_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub subject_id: Uuid,
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub occurred_at: DateTimeWithTimeZone,
    pub dispatched_at: Option<DateTimeWithTimeZone>,
    pub dedupe_key: Option<String>,
}
