use crate::clients::ClientStatus;
use sea_orm::entity::prelude::*;

db::entity! { "partner_api_clients", key { id: Uuid }
    pub partner_id: Uuid,
    pub client_id: String,
    pub name: String,
    /// argon2id PHC string.
    pub secret_hash: Option<String>,
    pub external_issuer: Option<String>,
    pub external_subject: Option<String>,
    /// `PartnerScope` codes.
    pub scopes: Vec<String>,
    pub status: ClientStatus,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub rotated_at: Option<DateTimeWithTimeZone>,
    pub revoked_at: Option<DateTimeWithTimeZone>,
}
