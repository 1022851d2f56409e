use sea_orm::entity::prelude::*;

db::entity! {
    "partner_access_tokens",
    key {
        /// SHA-256 of the token: the token itself is never stored.
        token_hash: Vec<u8>,
    }
    pub client_id: Uuid,
    /// `PartnerScope` codes.
    pub scopes: Vec<String>,
    pub issued_at: DateTimeWithTimeZone,
    pub expires_at: DateTimeWithTimeZone,
}
