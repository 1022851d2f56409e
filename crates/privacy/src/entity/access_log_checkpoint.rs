use sea_orm::entity::prelude::*;

db::entity! { "access_log_checkpoints", key { tenant_id: Uuid, seq: i64 }
    pub hash: Vec<u8>,
    pub purged_at: DateTimeWithTimeZone,
    pub entries: i64,
}
