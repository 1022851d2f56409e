use sea_orm::entity::prelude::*;

db::entity! { "webhook_endpoints", key { partner_id: Uuid, id: Uuid }
    pub url: String,
    /// `EventType` codes.
    pub event_types: Vec<String>,
    pub active: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeWithTimeZone>,
    pub consecutive_failures: i32,
    pub failing_since: Option<DateTimeWithTimeZone>,
    pub disabled_at: Option<DateTimeWithTimeZone>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
