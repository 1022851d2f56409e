use crate::{DeliveryStatus, EventType};
use sea_orm::entity::prelude::*;

db::entity! { "webhook_deliveries", key { partner_id: Uuid, id: Uuid }
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeWithTimeZone,
    pub retry_until: DateTimeWithTimeZone,
    pub last_attempt_at: Option<DateTimeWithTimeZone>,
    pub last_response_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
}
