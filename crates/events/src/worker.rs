//! The delivery worker `serve` runs: it fans each new event out to the deliveries it
//! needs (the partner's subscribed endpoints, the people to write to), then sends
//! what is due. Several replicas run it on one database: every claim is
//! `FOR UPDATE SKIP LOCKED`, and a claimed delivery is leased (its next attempt moved
//! past the call's timeout) before the transaction ends, so no two replicas send the
//! same delivery at once, and one that dies mid-call is retried after the lease.
//! Delivery is at least once: a receiver de-duplicates on the event id (`webhook-id`).

use crate::email::{Email, Mailer, Sent, compose};
use crate::entity::event_outbox;
use crate::outbound::{Outbound, REFUSED_ADDRESS, Refused};
use crate::{EventType, signing};
use chrono::{DateTime, FixedOffset, Utc};
use db::Db;
use kernel::{Ctx, Error};
use rand::Rng;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::time::Duration;
use uuid::Uuid;

/// Retries stop this long after the event (or a replay).
pub const RETRY_HOURS: i64 = 24;
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);
/// How long a claimed delivery is held before another replica may take it.
const LEASE_SECS: i32 = 60;
/// Events, deliveries or e-mails taken per round.
const BATCH: u64 = 50;

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The pause between rounds when there was nothing to do.
    pub poll: Duration,
    /// The first retry's delay; each next one doubles, up to 6 h, with jitter.
    pub retry_base: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    db: Db,
    outbound: Outbound,
    mailer: Mailer,
    config: WorkerConfig,
}

fn system() -> Ctx {
    Ctx::system("event delivery")
}

fn orm(e: sea_orm::DbErr) -> Error {
    Error::from(db::DbError::from(e))
}

/// The delay before attempt `attempts + 1`, after `attempts` failures: exponential,
/// capped, with "equal jitter" (half fixed, half random) so receivers coming back
/// after an outage are not hit by every sender at the same instant.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let full = base.saturating_mul(2u32.saturating_pow(exp)).min(MAX_DELAY);
    let half = full / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
    half + Duration::from_millis(jitter)
}

/// The resolver refused the address (production: internal ranges).
pub fn is_refusal(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<Refused>().is_some() {
            return true;
        }
        source = s.source();
    }
    false
}

/// A claimed delivery with what sending it needs.
#[derive(FromQueryResult)]
struct Due {
    partner_id: Uuid,
    id: Uuid,
    event_id: Uuid,
    attempts: i32,
    retry_until: DateTime<FixedOffset>,
    payload: serde_json::Value,
    url: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<DateTime<FixedOffset>>,
    usable: bool,
}

/// A claimed e-mail with its event.
#[derive(FromQueryResult)]
struct DueEmail {
    id: Uuid,
    user_id: Option<Uuid>,
    attempts: i32,
    event_type: EventType,
    subject_id: Uuid,
    tenant_id: Option<Uuid>,
    partner_id: Option<Uuid>,
    payload: serde_json::Value,
    occurred_at: DateTime<FixedOffset>,
}

#[derive(FromQueryResult)]
struct Recipient {
    email: String,
    /// The inviting association's or partner's name; for a reminder, the partner's.
    org: Option<String>,
    role: Option<String>,
    /// False when the person turned reminders off.
    reminders: bool,
    /// Why a reminder reaches this person: `association`, `partner` or `union`.
    audience: Option<String>,
    /// The association concerned, for a partner's people.
    tenant_name: Option<String>,
    /// The agreement's reference or the campaign's title.
    label: Option<String>,
}

#[derive(FromQueryResult)]
struct PersonId {
    user_id: Uuid,
}

enum Outcome {
    Delivered(u16),
    Failed(Option<u16>, &'static str),
}

impl Worker {
    pub fn new(db: Db, outbound: Outbound, mailer: Mailer, config: WorkerConfig) -> Self {
        Self {
            db,
            outbound,
            mailer,
            config,
        }
    }

    /// Runs until dropped: a round, then a pause when it found nothing to do.
    pub async fn run(self) {
        loop {
            match self.round().await {
                Ok(0) => tokio::time::sleep(self.config.poll).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "event delivery round failed");
                    tokio::time::sleep(self.config.poll).await;
                }
            }
        }
    }

    /// One round: fan out new events, send due webhooks and e-mails. How much it did.
    pub async fn round(&self) -> Result<usize, Error> {
        let fanned = self.dispatch().await?;
        let hooks = self.deliver_due().await?;
        let mails = self.send_due_emails().await?;
        Ok(fanned + hooks + mails)
    }

    /// New events to their deliveries, in one transaction: an event is marked
    /// dispatched with its deliveries, or not at all.
    async fn dispatch(&self) -> Result<usize, Error> {
        let tx = self.db.scoped(&system()).await?;
        let events = event_outbox::Entity::find()
            .filter(event_outbox::Column::DispatchedAt.is_null())
            .order_by_asc(event_outbox::Column::OccurredAt)
            .order_by_asc(event_outbox::Column::Id)
            .limit(BATCH)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&*tx)
            .await
            .map_err(orm)?;
        for e in &events {
            if let Some(partner) = e.partner_id {
                self.fan_out_webhooks(&tx, e, partner).await?;
            }
            for user in self.people_to_write_to(&tx, e).await? {
                tx.execute_raw(db::stmt(
                    "insert into email_messages (id, event_id, user_id) values ($1, $2, $3) \
                     on conflict on constraint email_messages_event_key do nothing",
                    vec![Uuid::now_v7().into(), e.id.into(), user.into()],
                ))
                .await
                .map_err(orm)?;
            }
        }
        if !events.is_empty() {
            let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
            event_outbox::Entity::update_many()
                .col_expr(
                    event_outbox::Column::DispatchedAt,
                    Expr::current_timestamp(),
                )
                .filter(event_outbox::Column::Id.is_in(ids))
                .exec(&*tx)
                .await
                .map_err(orm)?;
        }
        tx.commit().await?;
        Ok(events.len())
    }

    async fn fan_out_webhooks(
        &self,
        tx: &db::Scoped,
        e: &event_outbox::Model,
        partner: Uuid,
    ) -> Result<(), Error> {
        #[derive(FromQueryResult)]
        struct Target {
            id: Uuid,
        }
        let targets = Target::find_by_statement(db::stmt(
            "select id from webhook_endpoints where partner_id = $1 and active and disabled_at is null \
             and $2 = any(event_types)",
            vec![partner.into(), e.event_type.as_str().into()],
        ))
        .all(&**tx)
        .await
        .map_err(orm)?;
        let until = e.occurred_at + chrono::Duration::hours(RETRY_HOURS);
        for t in targets {
            tx.execute_raw(db::stmt(
                "insert into webhook_deliveries (partner_id, id, endpoint_id, event_id, event_type, retry_until) \
                 values ($1, $2, $3, $4, $5, $6) on conflict (endpoint_id, event_id) do nothing",
                vec![
                    partner.into(),
                    Uuid::now_v7().into(),
                    t.id.into(),
                    e.id.into(),
                    e.event_type.as_str().into(),
                    until.into(),
                ],
            ))
            .await
            .map_err(orm)?;
        }
        Ok(())
    }

    /// Who gets an e-mail for an event: the invitee (`None`: read from the invitation
    /// when sending), or the people a reminder concerns (each may turn reminders off):
    /// for a report available, the association's directors and coordinators (a local
    /// agreement) or the union's admins (a national one), and the partner's people; for
    /// an agreement's status changed or an outreach campaign closed, the partner's
    /// people (the change is the association's or the union's, made by one of them).
    /// Not an outcome recorded: one per case, the partner's webhooks carry them.
    async fn people_to_write_to(
        &self,
        tx: &db::Scoped,
        e: &event_outbox::Model,
    ) -> Result<Vec<Option<Uuid>>, Error> {
        let (sql, values): (&str, Vec<sea_orm::Value>) = match e.event_type {
            EventType::InvitationCreated => return Ok(vec![None]),
            EventType::AgreementReportingPeriodClosed => (
                "select user_id from memberships where $1::uuid is not null and tenant_id = $1 \
                   and status = 'active' and role in ('director', 'coordinator') \
                 union select user_id from union_staff where $1::uuid is null and role = 'admin' \
                 union select user_id from partner_users where partner_id = $2 \
                 order by user_id",
                vec![e.tenant_id.into(), e.partner_id.into()],
            ),
            EventType::AgreementStatusChanged | EventType::OutreachCampaignClosed => (
                "select user_id from partner_users where partner_id = $1 order by user_id",
                vec![e.partner_id.into()],
            ),
            EventType::OutreachCaseOutcomeRecorded => return Ok(vec![]),
            // The network's own events: see `reminders`.
            EventType::CorrectiveActionOverdue
            | EventType::FranchiseContractToRenew
            | EventType::AuditPhaseChanged
            | EventType::SubsidyToRenew => {
                return Ok(crate::reminders::recipients(tx, e)
                    .await?
                    .into_iter()
                    .map(Some)
                    .collect());
            }
        };
        let people = PersonId::find_by_statement(db::stmt(sql, values))
            .all(&**tx)
            .await
            .map_err(orm)?;
        Ok(people.into_iter().map(|p| Some(p.user_id)).collect())
    }

    /// Claims due deliveries (leased), sends them, records each result.
    async fn deliver_due(&self) -> Result<usize, Error> {
        let tx = self.db.scoped(&system()).await?;
        let due = Due::find_by_statement(db::stmt(
            "with claimed as ( \
               update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => $2) \
               where (d.partner_id, d.id) in ( \
                 select partner_id, id from webhook_deliveries \
                 where status = 'pending' and next_attempt_at <= now() \
                 order by next_attempt_at limit $1 for update skip locked) \
               returning d.partner_id, d.id, d.endpoint_id, d.event_id, d.attempts, d.retry_until) \
             select c.partner_id, c.id, c.event_id, c.attempts, c.retry_until, e.payload, w.url, w.secret, \
               w.previous_secret, w.previous_secret_expires_at, (w.active and w.disabled_at is null) as usable \
             from claimed c \
             join event_outbox e on e.id = c.event_id \
             join webhook_endpoints w on w.partner_id = c.partner_id and w.id = c.endpoint_id",
            vec![(BATCH as i64).into(), f64::from(LEASE_SECS).into()],
        ))
        .all(&*tx)
        .await
        .map_err(orm)?;
        tx.commit().await?;
        let n = due.len();
        // Sent one after the other: each call is bounded (10 s), and several replicas
        // share the load.
        for d in due {
            let outcome = if d.usable {
                self.send_webhook(&d).await
            } else {
                Outcome::Failed(None, "adresse désactivée")
            };
            self.record(&d, outcome).await?;
        }
        Ok(n)
    }

    async fn send_webhook(&self, d: &Due) -> Outcome {
        let body = d.payload.to_string();
        let msg_id = d.event_id.to_string();
        let ts = Utc::now().timestamp();
        let mut secrets = vec![d.secret.as_str()];
        if let (Some(prev), Some(until)) = (&d.previous_secret, d.previous_secret_expires_at)
            && until > Utc::now()
        {
            secrets.push(prev.as_str());
        }
        let signature = signing::header(&secrets, &msg_id, ts, &body);
        let sent = self
            .outbound
            .client()
            .post(&d.url)
            .header("content-type", "application/json")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Outcome::Delivered(r.status().as_u16()),
            Ok(r) => Outcome::Failed(Some(r.status().as_u16()), "réponse autre que 2xx"),
            Err(e) if is_refusal(&e) => Outcome::Failed(None, REFUSED_ADDRESS),
            Err(e) if e.is_timeout() => Outcome::Failed(None, "pas de réponse en 10 s"),
            Err(e) if e.is_connect() => Outcome::Failed(None, "connexion impossible"),
            Err(_) => Outcome::Failed(None, "échec de l'envoi"),
        }
    }

    async fn record(&self, d: &Due, outcome: Outcome) -> Result<(), Error> {
        // Ids and codes only: which replica sent what, for operators (and the test
        // that runs two `serve` processes on one database).
        match &outcome {
            Outcome::Delivered(code) => tracing::debug!(
                delivery = %d.id, event = %d.event_id, code = *code, "webhook delivered"
            ),
            Outcome::Failed(code, why) => tracing::debug!(
                delivery = %d.id, event = %d.event_id, code = *code, reason = *why, "webhook attempt failed"
            ),
        }
        let tx = self.db.scoped(&system()).await?;
        match outcome {
            Outcome::Delivered(code) => {
                tx.execute_raw(db::stmt(
                    "update webhook_deliveries set status = 'delivered', attempts = attempts + 1, \
                     last_attempt_at = now(), last_response_code = $3, last_error = null, delivered_at = now() \
                     where partner_id = $1 and id = $2",
                    vec![d.partner_id.into(), d.id.into(), i32::from(code).into()],
                ))
                .await
                .map_err(orm)?;
                tx.execute_raw(db::stmt(
                    "update webhook_endpoints set consecutive_failures = 0, failing_since = null \
                     where partner_id = $1 and id = (select endpoint_id from webhook_deliveries where partner_id = $1 and id = $2)",
                    vec![d.partner_id.into(), d.id.into()],
                ))
                .await
                .map_err(orm)?;
            }
            Outcome::Failed(code, why) => {
                let attempts = d.attempts + 1;
                let next = Utc::now()
                    + chrono::Duration::from_std(backoff(self.config.retry_base, attempts))
                        .unwrap_or(chrono::Duration::hours(6));
                let give_up = next > d.retry_until;
                tx.execute_raw(db::stmt(
                    "update webhook_deliveries set status = $3, attempts = attempts + 1, last_attempt_at = now(), \
                     next_attempt_at = $4, last_response_code = $5, last_error = $6 \
                     where partner_id = $1 and id = $2",
                    vec![
                        d.partner_id.into(),
                        d.id.into(),
                        (if give_up { "failed" } else { "pending" }).into(),
                        next.into(),
                        code.map(i32::from).into(),
                        why.into(),
                    ],
                ))
                .await
                .map_err(orm)?;
                // A run of failures: counted; an endpoint still failing when a delivery
                // gives up, having failed for the whole retry window, is disabled (its
                // other pending deliveries then fail at their next turn).
                tx.execute_raw(db::stmt(
                    "update webhook_endpoints w set consecutive_failures = consecutive_failures + 1, \
                       failing_since = coalesce(failing_since, now()), \
                       disabled_at = case when $3 and coalesce(failing_since, now()) <= now() - make_interval(hours => $4) \
                                          and disabled_at is null then now() else disabled_at end \
                     where partner_id = $1 and id = (select endpoint_id from webhook_deliveries where partner_id = $1 and id = $2)",
                    vec![
                        d.partner_id.into(),
                        d.id.into(),
                        give_up.into(),
                        (RETRY_HOURS as i32).into(),
                    ],
                ))
                .await
                .map_err(orm)?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims due e-mails (leased), sends them, records each result.
    async fn send_due_emails(&self) -> Result<usize, Error> {
        let tx = self.db.scoped(&system()).await?;
        let due = DueEmail::find_by_statement(db::stmt(
            "with claimed as ( \
               update email_messages m set next_attempt_at = now() + make_interval(secs => $2) \
               where m.id in ( \
                 select id from email_messages where status = 'pending' and next_attempt_at <= now() \
                 order by next_attempt_at limit $1 for update skip locked) \
               returning m.id, m.event_id, m.user_id, m.attempts) \
             select c.id, c.user_id, c.attempts, e.event_type, e.subject_id, e.tenant_id, e.partner_id, e.payload, e.occurred_at \
             from claimed c join event_outbox e on e.id = c.event_id",
            vec![(BATCH as i64).into(), f64::from(LEASE_SECS * 5).into()],
        ))
        .all(&*tx)
        .await
        .map_err(orm)?;
        tx.commit().await?;
        let n = due.len();
        for m in due {
            let result = match self.compose(&m).await? {
                None => Err("destinataire introuvable"),
                Some(Err(skipped)) => Ok(Err(skipped)),
                Some(Ok(email)) => self.mailer.send(email).await.map(Ok),
            };
            let (status, error, retry): (&str, Option<&str>, bool) = match result {
                Ok(Ok(Sent::Sent)) => ("sent", None, false),
                Ok(Ok(Sent::Logged)) => ("skipped", Some("aucun serveur SMTP configuré"), false),
                Ok(Err(skipped)) => ("skipped", Some(skipped), false),
                Err(why) => ("pending", Some(why), true),
            };
            let attempts = m.attempts + 1;
            let next = Utc::now()
                + chrono::Duration::from_std(backoff(self.config.retry_base, attempts))
                    .unwrap_or(chrono::Duration::hours(6));
            let status = if retry && next > m.occurred_at + chrono::Duration::hours(RETRY_HOURS) {
                "failed"
            } else {
                status
            };
            let tx = self.db.scoped(&system()).await?;
            tx.execute_raw(db::stmt(
                "update email_messages set status = $2, attempts = attempts + 1, last_error = $3, \
                 next_attempt_at = $4, sent_at = case when $2 = 'sent' then now() end where id = $1",
                vec![m.id.into(), status.into(), error.into(), next.into()],
            ))
            .await
            .map_err(orm)?;
            tx.commit().await?;
        }
        Ok(n)
    }

    /// The message for one e-mail row: None when its recipient is gone, `Err` with a
    /// reason when it is not to be sent (reminders turned off).
    async fn compose(&self, m: &DueEmail) -> Result<Option<Result<Email, &'static str>>, Error> {
        let tx = self.db.scoped(&system()).await?;
        let kind = m.payload["data"]["kind"].as_str().unwrap_or_default();
        let (sql, values): (&str, Vec<sea_orm::Value>) = match (m.event_type, m.user_id) {
            // A reminder: why it reaches the person (their role in the association
            // concerned first, then the partner, then the union) decides what it says.
            (_, Some(user)) => (
                "select u.email, \
                   case when ms.user_id is not null then 'association' when pu.user_id is not null then 'partner' \
                        when us.user_id is not null then 'union' else 'association' end as audience, \
                   p.name as org, t.name as tenant_name, null::text as role, \
                   case when $4 then (select a.reference from agreements a where a.id = $5) \
                        when $6 then (select c.title from outreach_campaigns c where c.id = $5) end as label, \
                   coalesce((select np.reminders from notification_preferences np where np.user_id = u.id), true) as reminders \
                 from users u \
                 left join tenants t on t.id = $2 \
                 left join partner_organisations p on p.id = $3 \
                 left join memberships ms on ms.tenant_id = $2 and ms.user_id = u.id and ms.status = 'active' \
                   and ms.role in ('director', 'coordinator') \
                 left join partner_users pu on pu.partner_id = $3 and pu.user_id = u.id \
                 left join union_staff us on us.user_id = u.id \
                 where u.id = $1",
                vec![
                    user.into(),
                    m.tenant_id.into(),
                    m.partner_id.into(),
                    matches!(
                        m.event_type,
                        EventType::AgreementStatusChanged
                            | EventType::AgreementReportingPeriodClosed
                    )
                    .into(),
                    m.subject_id.into(),
                    (m.event_type == EventType::OutreachCampaignClosed).into(),
                ],
            ),
            (EventType::InvitationCreated, None) => (
                match kind {
                    "association" => {
                        "select i.email, t.name as org, i.role::text as role, true as reminders, \
                           null::text as audience, null::text as tenant_name, null::text as label \
                         from invitations i join tenants t on t.id = i.tenant_id where i.id = $1"
                    }
                    "partner" => {
                        "select i.email, p.name as org, null::text as role, true as reminders, \
                           null::text as audience, null::text as tenant_name, null::text as label \
                         from partner_invitations i join partner_organisations p on p.id = i.partner_id \
                         where i.id = $1"
                    }
                    _ => {
                        "select email, null::text as org, role::text as role, true as reminders, \
                           null::text as audience, null::text as tenant_name, null::text as label \
                         from union_invitations where id = $1"
                    }
                },
                vec![m.subject_id.into()],
            ),
            (_, None) => return Ok(None),
        };
        let r = Recipient::find_by_statement(db::stmt(sql, values))
            .one(&*tx)
            .await
            .map_err(orm)?;
        tx.commit().await?;
        let Some(r) = r else {
            return Ok(None);
        };
        if m.user_id.is_some() && !r.reminders {
            return Ok(Some(Err("rappels désactivés par la personne")));
        }
        Ok(Some(Ok(message(m, kind, r))))
    }
}

/// The French text of each e-mail.
fn message(m: &DueEmail, kind: &str, r: Recipient) -> Email {
    let org = r.org.clone().unwrap_or_default();
    match m.event_type {
        EventType::InvitationCreated => {
            let (subject, what) = match kind {
                "association" => (
                    format!("Invitation à rejoindre {org} sur Passerelle"),
                    format!(
                        "Vous êtes invité·e à rejoindre l'association {org} sur Passerelle{}.",
                        role_fr(r.role.as_deref())
                    ),
                ),
                "partner" => (
                    format!("Invitation à accéder à Passerelle pour {org}"),
                    format!(
                        "Vous êtes invité·e à accéder à Passerelle pour le compte de {org}, partenaire du réseau PIMMS."
                    ),
                ),
                _ => (
                    "Invitation à rejoindre l'Union nationale des PIMMS sur Passerelle".to_owned(),
                    format!(
                        "Vous êtes invité·e à rejoindre l'équipe de l'Union nationale des PIMMS sur Passerelle{}.",
                        role_fr(r.role.as_deref())
                    ),
                ),
            };
            compose(
                "invitation",
                r.email,
                subject,
                &[
                    what,
                    // Only an association's invitations expire (after 14 days).
                    if kind == "association" {
                        "Pour accepter, connectez-vous à Passerelle avec cette adresse e-mail : l'invitation est valable 14 jours.".to_owned()
                    } else {
                        "Pour accepter, connectez-vous à Passerelle avec cette adresse e-mail."
                            .to_owned()
                    },
                    "Si vous ne vous attendiez pas à ce message, vous pouvez l'ignorer.".to_owned(),
                ],
            )
        }
        // The network's own events: the association concerned is `tenant_name`.
        t if !t.for_partners() => {
            let org = r.tenant_name.clone().unwrap_or_default();
            crate::reminders::message(t, &m.payload, r.email, &org)
        }
        _ => {
            let (subject, paragraphs) = reminder(m.event_type, &m.payload["data"], &r);
            compose("reminder", r.email, subject, &paragraphs)
        }
    }
}

/// A reminder's subject and paragraphs: what happened, then why this person gets it
/// and how to stop.
fn reminder(
    event_type: EventType,
    data: &serde_json::Value,
    r: &Recipient,
) -> (String, Vec<String>) {
    let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
    let label = r.label.clone().unwrap_or_default();
    let partner = r.org.clone().unwrap_or_default();
    let with_association = r
        .tenant_name
        .as_deref()
        .map(|t| format!(" avec {t}"))
        .unwrap_or_else(|| " (convention nationale)".to_owned());
    let (subject, what) = match event_type {
        EventType::AgreementStatusChanged => (
            format!(
                "Convention {label} : {}",
                agreement_status_fr(&text("status"))
            ),
            format!(
                "La convention {label}{with_association} est passée du statut « {} » au statut « {} ». Le détail est consultable dans Passerelle.",
                agreement_status_fr(&text("previousStatus")),
                agreement_status_fr(&text("status")),
            ),
        ),
        EventType::OutreachCampaignClosed => (
            format!("Campagne de médiation sortante close : {label}"),
            format!(
                "La campagne de médiation sortante « {label} »{with_association} est close : ses résultats sont consultables dans Passerelle."
            ),
        ),
        _ => (
            format!("Bilan disponible : convention {label}"),
            format!(
                "La période de bilan de la convention {label}{with_association}, du {} au {}, est close : son bilan est disponible dans Passerelle.",
                date_fr(&text("periodStart")),
                date_fr(&text("periodEnd")),
            ),
        ),
    };
    let who = match r.audience.as_deref() {
        Some("partner") => {
            format!("en tant que personne de {partner}, partenaire de la convention")
        }
        Some("union") => {
            "en tant qu'administrateur ou administratrice de l'Union nationale des PIMMS".to_owned()
        }
        _ => format!(
            "en tant que direction ou coordination de l'association{}",
            r.tenant_name
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default()
        ),
    };
    (
        subject,
        vec![
            what,
            format!(
                "Vous recevez ce rappel {who}. Vous pouvez désactiver les rappels dans Passerelle (préférences de notification)."
            ),
        ],
    )
}

fn agreement_status_fr(code: &str) -> &'static str {
    match code {
        "draft" => "projet",
        "active" => "en vigueur",
        "suspended" => "suspendue",
        "ended" => "terminée",
        _ => "inconnu",
    }
}

/// `2026-11-30` as `30/11/2026`.
fn date_fr(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| iso.to_owned())
}

fn role_fr(role: Option<&str>) -> String {
    let label = match role {
        Some("director") => "directeur ou directrice",
        Some("coordinator") => "coordinateur ou coordinatrice",
        Some("mediator") => "médiateur ou médiatrice",
        Some("viewer") => "membre du conseil d'administration (lecture seule)",
        Some("admin") => "administrateur ou administratrice",
        Some("auditor") => "auditeur ou auditrice",
        Some("analyst") => "analyste",
        _ => return String::new(),
    };
    // "en tant qu'auditeur", "en tant que médiateur".
    if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!(", en tant qu'{label}")
    } else {
        format!(", en tant que {label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let base = Duration::from_secs(30);
        for attempts in 1..30 {
            let full = base
                .saturating_mul(2u32.saturating_pow((attempts - 1).min(20) as u32))
                .min(MAX_DELAY);
            for _ in 0..20 {
                let d = backoff(base, attempts);
                assert!(
                    d >= full / 2 && d <= full + Duration::from_millis(1),
                    "{attempts}: {d:?}"
                );
            }
        }
        assert!(backoff(base, 40) <= MAX_DELAY + Duration::from_millis(1));
    }

    fn recipient(audience: &str, tenant: Option<&str>) -> Recipient {
        Recipient {
            email: "a@b.example".into(),
            org: Some("EDF Lyon".into()),
            role: None,
            reminders: true,
            audience: Some(audience.into()),
            tenant_name: tenant.map(str::to_owned),
            label: Some("CONV-42".into()),
        }
    }

    #[test]
    fn reminders_say_what_happened_and_why_each_person_gets_it() {
        let data = serde_json::json!({"status": "suspended", "previousStatus": "active"});
        let (subject, p) = reminder(
            EventType::AgreementStatusChanged,
            &data,
            &recipient("partner", Some("PIMMS Lyon")),
        );
        assert_eq!(subject, "Convention CONV-42 : suspendue");
        assert!(p[0].contains("La convention CONV-42 avec PIMMS Lyon est passée du statut « en vigueur » au statut « suspendue »"), "{p:?}");
        assert!(
            p[1].contains("en tant que personne de EDF Lyon, partenaire de la convention"),
            "{p:?}"
        );

        let data = serde_json::json!({"periodStart": "2026-11-01", "periodEnd": "2026-11-30"});
        let (subject, p) = reminder(
            EventType::AgreementReportingPeriodClosed,
            &data,
            &recipient("union", None),
        );
        assert_eq!(subject, "Bilan disponible : convention CONV-42");
        assert!(
            p[0].contains("CONV-42 (convention nationale), du 01/11/2026 au 30/11/2026, est close"),
            "{p:?}"
        );
        assert!(p[1].contains("Union nationale des PIMMS"), "{p:?}");
        let (_, p) = reminder(
            EventType::AgreementReportingPeriodClosed,
            &data,
            &recipient("association", Some("PIMMS Lyon")),
        );
        assert!(
            p[1].contains("direction ou coordination de l'association PIMMS Lyon"),
            "{p:?}"
        );

        let (subject, p) = reminder(
            EventType::OutreachCampaignClosed,
            &serde_json::json!({}),
            &recipient("partner", Some("PIMMS Lyon")),
        );
        assert_eq!(subject, "Campagne de médiation sortante close : CONV-42");
        assert!(p[0].contains("avec PIMMS Lyon est close"), "{p:?}");
    }
}
