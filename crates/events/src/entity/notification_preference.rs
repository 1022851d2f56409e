use sea_orm::entity::prelude::*;

db::entity! { "notification_preferences", key { user_id: Uuid }
    pub reminders: bool,
    pub updated_at: DateTimeWithTimeZone,
}
