use crate::{ActorKind, EntryKind};
use sea_orm::entity::prelude::*;

db::entity! { "access_log", key { tenant_id: Uuid, seq: i64 }
    pub at: DateTimeWithTimeZone,
    pub kind: EntryKind,
    pub operation: String,
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    pub actor_kind: ActorKind,
    pub user_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub outcome: String,
    pub reason: Option<String>,
    pub target_tenant_id: Option<Uuid>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}
