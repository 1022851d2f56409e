//! Events: the outbox every domain writes in the transaction of its change
//! (`emit`), the delivery worker `serve` runs (`Worker`), partners' signed webhooks
//! (`Events`: endpoints, deliveries, replay) and e-mails to people (`Mailer`).
//!
//! Why an outbox rather than sending from the mutation: the event row commits or
//! rolls back with the change, so nothing is sent for a change that rolled back and
//! nothing is lost for one that committed; the worker then delivers at least once,
//! with the event id as the receivers' de-duplication key.

pub mod email;
pub mod entity;
pub mod outbound;
pub mod preferences;
mod reminders;
pub mod signing;
pub mod webhooks;
pub mod worker;

pub use email::{Mailer, MailerConfig};
pub use outbound::Outbound;
pub use webhooks::{Delivery, Endpoint, EndpointWithSecret, NewEndpoint, UpdateEndpoint};
pub use worker::{Worker, WorkerConfig};

use db::{Db, Scoped};
use kernel::{Error, code_enum};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

code_enum!(
    /// What happened. The code is the `type` of the webhook payload.
    stored EventType {
        OutreachCaseOutcomeRecorded = "outreach.case.outcome_recorded" / "Issue d'un dossier de médiation sortante enregistrée",
        OutreachCampaignClosed = "outreach.campaign.closed" / "Campagne de médiation sortante clôturée",
        AgreementStatusChanged = "agreement.status_changed" / "Statut d'une convention modifié",
        AgreementReportingPeriodClosed = "agreement.reporting_period.closed" / "Période de bilan d'une convention close",
        InvitationCreated = "invitation.created" / "Invitation créée",
        // The network's own events (compliance, HR pathways): e-mails to the people
        // concerned, never a partner's webhook (they carry no partner).
        CorrectiveActionOverdue = "compliance.action.overdue" / "Action corrective en retard",
        FranchiseContractToRenew = "compliance.contract.to_renew" / "Contrat de franchise à renouveler",
        AuditPhaseChanged = "compliance.audit.phase_changed" / "Changement de phase d'un contrôle",
        SubsidyToRenew = "pathways.subsidy.to_renew" / "Aide au poste à renouveler",
    }
);

code_enum!(
    /// Where one webhook delivery stands.
    stored DeliveryStatus {
        Pending = "pending" / "En cours",
        Delivered = "delivered" / "Livrée",
        Failed = "failed" / "Échouée",
    }
);

code_enum!(
    /// Where one e-mail stands (skipped: not sent on purpose, reminders turned off or
    /// no SMTP server in development).
    stored EmailStatus {
        Pending = "pending" / "En attente",
        Sent = "sent" / "Envoyé",
        Failed = "failed" / "Échoué",
        Skipped = "skipped" / "Non envoyé",
    }
);

impl EventType {
    /// Whether a partner's webhook may receive it: the network's own events (franchise
    /// compliance, HR pathways) never leave for a partner.
    pub fn for_partners(self) -> bool {
        !matches!(
            self,
            EventType::CorrectiveActionOverdue
                | EventType::FranchiseContractToRenew
                | EventType::AuditPhaseChanged
                | EventType::SubsidyToRenew
        )
    }
}

/// One domain event, as a domain writes it.
#[derive(Clone, Debug)]
pub struct Event {
    pub event_type: EventType,
    /// The row the event is about.
    pub subject_id: Uuid,
    /// The association concerned, if any.
    pub tenant_id: Option<Uuid>,
    /// The partner whose webhooks may receive it, if any.
    pub partner_id: Option<Uuid>,
    /// The payload's `data`: global ids and codes only, never personal data (the
    /// receiver reads details through the API with its own scopes).
    pub data: Value,
    /// Set for events written by a periodic job: a second write is a no-op.
    pub dedupe_key: Option<String>,
}

impl Event {
    pub fn new(event_type: EventType, subject_id: Uuid, data: Value) -> Self {
        Self {
            event_type,
            subject_id,
            tenant_id: None,
            partner_id: None,
            data,
            dedupe_key: None,
        }
    }

    pub fn tenant(mut self, tenant_id: Option<Uuid>) -> Self {
        self.tenant_id = tenant_id;
        self
    }

    pub fn partner(mut self, partner_id: Option<Uuid>) -> Self {
        self.partner_id = partner_id;
        self
    }

    pub fn dedupe(mut self, key: String) -> Self {
        self.dedupe_key = Some(key);
        self
    }
}

/// The payload every receiver gets: the event's id (also `webhook-id`), type, time
/// and data. Small on purpose.
pub fn payload(
    id: Uuid,
    event_type: EventType,
    at: chrono::DateTime<chrono::Utc>,
    data: &Value,
) -> Value {
    json!({
        "id": id.to_string(),
        "type": event_type.as_str(),
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
}

/// Writes `event` to the outbox inside `tx`, the transaction of the change that
/// causes it: it commits or rolls back with the change. No RETURNING: the writer
/// may insert an event it may not read (only the worker reads the outbox). The
/// event's id; None when an event with the same de-duplication key exists.
pub async fn emit(tx: &Scoped, event: Event) -> Result<Option<Uuid>, Error> {
    let id = Uuid::now_v7();
    let body = payload(id, event.event_type, chrono::Utc::now(), &event.data);
    // ON CONFLICT needs the select policy, which only the worker (system) has: a
    // de-duplicated event is written by a system job, any other by the actor.
    let sql = if event.dedupe_key.is_some() {
        "insert into event_outbox (id, event_type, tenant_id, partner_id, subject_id, payload, dedupe_key) \
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (dedupe_key) do nothing"
    } else {
        "insert into event_outbox (id, event_type, tenant_id, partner_id, subject_id, payload, dedupe_key) \
         values ($1, $2, $3, $4, $5, $6, $7)"
    };
    let done = tx
        .execute_raw(db::stmt(
            sql,
            vec![
                id.into(),
                event.event_type.as_str().into(),
                event.tenant_id.into(),
                event.partner_id.into(),
                event.subject_id.into(),
                body.into(),
                event.dedupe_key.into(),
            ],
        ))
        .await
        .map_err(|e| Error::from(db::DbError::from(e)))?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// The partner-facing service: webhook endpoints and their deliveries, and each
/// person's reminder choice.
#[derive(Clone)]
pub struct Events {
    db: Db,
    outbound: Outbound,
}

impl Events {
    pub fn new(db: Db, outbound: Outbound) -> Self {
        Self { db, outbound }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Maps the database's errors for this crate's tables.
pub(crate) fn map_err(e: sea_orm::DbErr) -> Error {
    match db::DbError::from(e) {
        db::DbError::Constraint(c) => match c.as_str() {
            "webhook_endpoints_url_format" => {
                Error::validation("url", "adresse http(s) de 2 000 caractères au plus")
            }
            "webhook_endpoints_event_types_check" => {
                Error::validation("eventTypes", "entre 1 et 10 types d'événements")
            }
            _ => Error::from(db::DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}
