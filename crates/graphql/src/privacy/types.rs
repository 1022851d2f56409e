//! The access log's entries as readers see them: ids as global ids, codes as enums.

use crate::node::{RowObject, encode_id};
use async_graphql::{ID, Object};
use chrono::{DateTime, FixedOffset};
use privacy::entity::access_log;
use uuid::Uuid;

mirror_enum!(
/// What an entry records.
AccessLogEntryKind => "privacy::EntryKind" {
    /// A mutation, whatever its outcome.
    Mutation,
    /// A read of personal data (an object of a personal type).
    Read,
    /// A union admin's written reason for reading an association's log.
    Reason,
});
mirror_enum!(
/// Who acted.
AccessLogActorKind => "privacy::ActorKind" { User, Client, System });

/// One entry of an access log (a chain: an association's, or the union's). Ids and
/// codes only, never the personal data itself.
pub struct AccessLogEntry(pub access_log::Model);

impl RowObject for AccessLogEntry {
    type Row = access_log::Model;
    const NAME: &'static str = "AccessLogEntry";
    fn wrap(row: Self::Row) -> Self {
        Self(row)
    }
    /// The entry's number, as the connection's cursor carries it.
    fn key(row: &Self::Row) -> Uuid {
        privacy::cursor_of_seq(row.seq)
    }
    fn row(&self) -> &Self::Row {
        &self.0
    }
}

#[Object]
impl AccessLogEntry {
    /// The entry's number in its chain, from 1.
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    async fn at(&self) -> DateTime<FixedOffset> {
        self.0.at
    }
    async fn kind(&self) -> AccessLogEntryKind {
        self.0.kind.into()
    }
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fr()
    }
    /// The mutation, or the field that read the object.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The GraphQL type of the object concerned, when there is one.
    async fn object_type(&self) -> Option<&str> {
        self.0.object_type.as_deref()
    }
    /// The object's global id.
    async fn object_id(&self) -> Option<ID> {
        match (&self.0.object_type, self.0.object_id) {
            (Some(t), Some(id)) => Some(encode_id(t, id)),
            _ => None,
        }
    }
    async fn actor_kind(&self) -> AccessLogActorKind {
        self.0.actor_kind.into()
    }
    /// The person who acted (global id of a User).
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(|u| encode_id("User", u))
    }
    /// The partner's API client that acted (global id of a PartnerApiClient).
    async fn api_client_id(&self) -> Option<ID> {
        self.0.client_id.map(|u| encode_id("PartnerApiClient", u))
    }
    /// The request's id, as the server's logs and traces carry it.
    async fn request_id(&self) -> Option<String> {
        self.0.request_id.map(|u| u.to_string())
    }
    /// `ok`, or the error code the caller got.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// A union admin's written reason (reason entries only).
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// The association whose log was read on that reason.
    async fn target_tenant_id(&self) -> Option<ID> {
        self.0.target_tenant_id.map(|u| encode_id("Tenant", u))
    }
    /// SHA-256 of the entry before it in the chain (hex).
    async fn prev_hash(&self) -> String {
        self.0
            .prev_hash
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
    /// SHA-256 of the previous hash and this entry (hex): `passerelle audit verify`
    /// recomputes it.
    async fn hash(&self) -> String {
        privacy::hash_hex(&self.0)
    }
}
