use sea_orm::entity::prelude::*;

db::entity! { "access_log_heads", key { tenant_id: Uuid }
    pub last_seq: i64,
    pub last_hash: Vec<u8>,
    pub updated_at: DateTimeWithTimeZone,
}
