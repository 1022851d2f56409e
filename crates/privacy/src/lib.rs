//! Data protection: the tamper-evident access log (every mutation and every read of
//! personal data, hash-chained per association, one chain for everyone else), and the
//! one declaration of which GraphQL object types hold personal data.
//!
//! The gateway writes the log (`graphql::privacy`): it knows which field ran and what
//! it returned. This crate holds what the entries are, how they are appended (one
//! statement on the log's own connections, outside any domain transaction), read by
//! the director and the union admin, verified and purged. No web, no GraphQL here.

pub mod entity;
mod error;
mod log;
pub mod register;
mod retention;
mod verify;

pub use error::PrivacyError;
pub use log::{AccessLog, LogQuery, MAX_CSV_ENTRIES, WriterOptions, cursor_of_seq, hash_hex};
pub use retention::RETENTION_OPERATION;
pub use verify::{Broken, Report};

use kernel::{Ctx, Scope};
use serde::Serialize;
use uuid::Uuid;

/// A GraphQL object type that holds personal data: every read of one is logged
/// before the data leaves the server.
#[derive(Clone, Copy, Debug)]
pub struct PersonalType {
    /// The GraphQL type's name.
    pub name: &'static str,
    /// What it holds, for people reading this list.
    pub holds: &'static str,
}

/// Every GraphQL object type holding personal data. Adding a type here is the whole
/// change: the gateway's loader, connection helper and the resolvers that build such
/// objects log their reads, and the SDL test (tests/e2e/access_log.rs) then requires a
/// logged read for every field of that type.
pub const PERSONAL_TYPES: &[PersonalType] = &[
    PersonalType {
        name: "Beneficiary",
        holds: "a pseudonymous resident followed over several visits (pseudonym, age band, sex, neighbourhood)",
    },
    PersonalType {
        name: "Consent",
        holds: "a resident's consent: purpose, recipient, dates, channel",
    },
    PersonalType {
        name: "VisitNote",
        holds: "free text written about a visit",
    },
    PersonalType {
        name: "OutreachCase",
        holds: "a partner's customer to reach: name, phone, e-mail, address",
    },
    PersonalType {
        name: "OutreachAttempt",
        holds: "an attempt to reach a resident, with the mediator's note",
    },
    PersonalType {
        name: "BeneficiaryRevision",
        holds: "a beneficiary's identity fields before a correction, with its reason",
    },
    PersonalType {
        name: "BeneficiaryExport",
        holds: "everything held about a beneficiary (right of access), as JSON and HTML",
    },
    PersonalType {
        name: "ReportedRequest",
        holds: "a request reported back to a partner under the resident's consent: day, outcome, pseudonym",
    },
    PersonalType {
        name: "Employee",
        holds: "an employee's HR record: name, account, birth year, sex, prescriber and referent",
    },
    PersonalType {
        name: "EmploymentContract",
        holds: "an employee's contract: kind, dates, hours, job title, end reason",
    },
    PersonalType {
        name: "Subsidy",
        holds: "the public aid behind an employee's contract",
    },
    PersonalType {
        name: "TrainingEntry",
        holds: "an employee's training or professional-project time",
    },
    PersonalType {
        name: "Absence",
        holds: "an employee's declared absence (dates only)",
    },
    PersonalType {
        name: "Qualification",
        holds: "a qualification an employee obtained",
    },
    PersonalType {
        name: "EmployeeExit",
        holds: "an employee's exit, its outcome and the six-month follow-up",
    },
];

/// Personal data served outside GraphQL, each read logged like the types above:
/// (operation in the log, object type).
pub const PERSONAL_DOWNLOADS: &[(&str, &str)] = &[
    // GET /compliance/evidence/<id>: a file that may name people.
    ("downloadEvidence", "EvidenceDocument"),
];

/// Whether the GraphQL type `name` holds personal data (usable in constants).
pub const fn is_personal(name: &str) -> bool {
    let mut i = 0;
    while i < PERSONAL_TYPES.len() {
        if same(PERSONAL_TYPES[i].name, name) {
            return true;
        }
        i += 1;
    }
    false
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The union's own chain (and that of every actor who is not an association's staff).
pub const UNION_CHAIN: Uuid = Uuid::nil();

kernel::code_enum!(stored
    /// What an entry records.
    EntryKind {
        Mutation = "mutation" / "modification",
        Read = "read" / "lecture de données personnelles",
        /// A union admin's written reason to read another association's chain.
        Reason = "reason" / "motif de consultation",
    }
);

kernel::code_enum!(stored
    /// Who acted.
    ActorKind {
        User = "user" / "personne",
        Client = "client" / "client d'API",
        System = "system" / "plateforme",
    }
);

/// The outcome of an entry that succeeded.
pub const OK: &str = "ok";

/// One entry to append: ids and codes, never the personal data itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Entry {
    #[serde(rename = "tenant_id")]
    pub chain: Uuid,
    pub kind: &'static str,
    pub operation: String,
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    pub actor_kind: &'static str,
    pub user_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    /// `ok` or the error code.
    pub outcome: String,
    pub reason: Option<String>,
    pub target_tenant_id: Option<Uuid>,
}

/// The chain an actor's entries go to: an association's staff write to their
/// association's; the union's staff, partners' people and API clients, people with
/// no identity in force and the platform to the union's.
pub fn chain_of(ctx: &Ctx) -> Uuid {
    ctx.tenant().map_or(UNION_CHAIN, |t| t.tenant_id.0)
}

impl Entry {
    fn new(ctx: &Ctx, kind: EntryKind, operation: &str) -> Self {
        let (actor_kind, user_id, client_id) = match ctx.scope() {
            Scope::User { user_id, .. } => (ActorKind::User, Some(user_id.0), None),
            Scope::Client { client_id, .. } => (ActorKind::Client, None, Some(client_id.0)),
            Scope::System { .. } => (ActorKind::System, None, None),
        };
        Self {
            chain: chain_of(ctx),
            kind: kind.as_str(),
            operation: operation.to_owned(),
            object_type: None,
            object_id: None,
            actor_kind: actor_kind.as_str(),
            user_id,
            client_id,
            request_id: Some(ctx.request_id().0),
            outcome: OK.to_owned(),
            reason: None,
            target_tenant_id: None,
        }
    }

    /// A mutation that ran (or was refused: `outcome` is then the error code), on the
    /// object it names when there is one.
    pub fn mutation(
        ctx: &Ctx,
        operation: &str,
        object: Option<(String, Uuid)>,
        outcome: &str,
    ) -> Self {
        let mut e = Self::new(ctx, EntryKind::Mutation, operation);
        if let Some((t, id)) = object {
            e.object_type = Some(t);
            e.object_id = Some(id);
        }
        e.outcome = outcome.to_owned();
        e
    }

    /// A read of one object of a personal type, by the field `operation`.
    pub fn read(ctx: &Ctx, operation: &str, object_type: &str, id: Uuid) -> Self {
        let mut e = Self::new(ctx, EntryKind::Read, operation);
        e.object_type = Some(object_type.to_owned());
        e.object_id = Some(id);
        e
    }

    /// A union admin's reason for reading the chain of association `target`.
    fn reason(ctx: &Ctx, target: Uuid, reason: String) -> Self {
        let mut e = Self::new(ctx, EntryKind::Reason, "accessLog");
        e.reason = Some(reason);
        e.target_tenant_id = Some(target);
        e.object_type = Some("Tenant".to_owned());
        e.object_id = Some(target);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_personal_and_others_are_not() {
        assert!(is_personal("Beneficiary"));
        assert!(is_personal("OutreachCase"));
        assert!(!is_personal("Visit"));
        assert!(!is_personal("Beneficiar"));
        assert!(!is_personal(""));
    }
}
