use crate::EmailStatus;
use sea_orm::entity::prelude::*;

db::entity! { "email_messages", key { id: Uuid }
    pub event_id: Uuid,
    pub user_id: Option<Uuid>,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeWithTimeZone,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
}
