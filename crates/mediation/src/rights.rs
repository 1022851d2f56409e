//! Residents' rights over their pseudonymous follow-up record, and its retention:
//!
//! - access: everything the platform holds about a beneficiary, as JSON and as a
//!   readable French HTML document, for the director or a coordinator;
//! - rectification: the identity fields (age band, sex, neighbourhood) corrected, the
//!   previous values kept in `beneficiary_revisions`;
//! - erasure: the beneficiary anonymised by `app.anonymise_beneficiaries` (migration
//!   0015): identifying fields emptied, links replaced by the visits' anonymous
//!   statistics fields, notes, consents, named attendance and corrections deleted,
//!   linked outreach contact data erased. Rollups never held a beneficiary: they stay;
//! - retention, run by the server: beneficiaries with no contact for two years are
//!   anonymised the same way, and notes older than their retention are deleted.

use crate::model::*;
use crate::repo::{self, map_err, stmt};
use crate::{Journal, LEADS, WRITERS};
use chrono::{DateTime, Utc};
use kernel::{Ctx, Error};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::Value;
use uuid::Uuid;

/// What an erasure or a retention run removed: counts, never data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Erased {
    pub beneficiaries: u64,
    /// Visits unlinked, keeping their anonymous statistics fields.
    pub visits: u64,
    pub visit_revisions: u64,
    pub notes: u64,
    pub consents: u64,
    /// Named attendance rows removed (workshops keep their headcount).
    pub attendance: u64,
    /// Rectifications removed.
    pub corrections: u64,
    pub outreach_cases: u64,
    pub outreach_attempt_notes: u64,
}

impl Erased {
    fn add(&mut self, o: &Erased) {
        self.beneficiaries += o.beneficiaries;
        self.visits += o.visits;
        self.visit_revisions += o.visit_revisions;
        self.notes += o.notes;
        self.consents += o.consents;
        self.attendance += o.attendance;
        self.corrections += o.corrections;
        self.outreach_cases += o.outreach_cases;
        self.outreach_attempt_notes += o.outreach_attempt_notes;
    }
}

/// How long the journal keeps personal data (README, "Personal data").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// A beneficiary with no contact (visit, workshop, consent given, creation) for
    /// this many days is anonymised.
    pub beneficiary_days: u32,
    /// Visit notes older than this many days are deleted.
    pub note_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            beneficiary_days: 730,
            note_days: 730,
        }
    }
}

/// One beneficiary anonymised by a retention run (for the access log: ids only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anonymised {
    pub tenant_id: Uuid,
    pub beneficiary_id: Uuid,
}

/// What one retention run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionRun {
    /// False when another replica held the run's lock: this one did nothing.
    pub ran: bool,
    pub erased: Erased,
    /// Notes deleted for their age (beyond those of anonymised beneficiaries).
    pub old_notes: u64,
    pub anonymised: Vec<Anonymised>,
}

/// A correction of a beneficiary's identity fields.
#[derive(Clone, Debug)]
pub struct Rectification {
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub reason: String,
}

/// One earlier state of a beneficiary's identity fields.
#[derive(Clone, Debug, FromQueryResult)]
pub struct BeneficiaryRevision {
    pub id: Uuid,
    pub beneficiary_id: Uuid,
    pub revision: i32,
    pub previous: Value,
    pub reason: String,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<chrono::FixedOffset>,
}

/// The access export: everything held about one beneficiary.
#[derive(Clone, Debug)]
pub struct BeneficiaryFile {
    pub beneficiary_id: Uuid,
    pub json: Value,
    pub html: String,
}

/// The key under which replicas take turns running the retention (an advisory lock).
const RETENTION_LOCK: i64 = 0x7061_7373_7269_7631; // "passriv1"

fn trimmed(n: Option<String>) -> Result<Option<String>, Error> {
    let n = n.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if n.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return Err(Error::validation("neighbourhood", "at most 100 characters"));
    }
    Ok(n)
}

async fn anonymise(tx: &db::Scoped, pairs: &[(Uuid, Uuid)]) -> Result<Erased, Error> {
    if pairs.is_empty() {
        return Ok(Erased::default());
    }
    let tenants: Vec<Uuid> = pairs.iter().map(|p| p.0).collect();
    let ids: Vec<Uuid> = pairs.iter().map(|p| p.1).collect();
    let counts: Option<Value> = repo::scalar(
        tx,
        "select app.anonymise_beneficiaries($1::uuid[], $2::uuid[]) as counts",
        vec![tenants.into(), ids.into()],
        "counts",
    )
    .await?;
    serde_json::from_value(counts.unwrap_or(Value::Null)).map_err(Error::internal)
}

impl Journal {
    /// Corrects a beneficiary's identity fields (every writer), keeping the previous
    /// values with the reason. Fields left out are cleared: the correction states
    /// the whole identity.
    pub async fn rectify_beneficiary(
        &self,
        ctx: &Ctx,
        beneficiary: Uuid,
        r: Rectification,
    ) -> Result<Beneficiary, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let user = ctx.require_user()?;
        let reason = r.reason.trim().to_owned();
        if !(3..=500).contains(&reason.chars().count()) {
            return Err(Error::validation("reason", "between 3 and 500 characters"));
        }
        let neighbourhood = trimmed(r.neighbourhood)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let before: Beneficiary = repo::row(
            &tx,
            "select * from beneficiaries where tenant_id = $1 and id = $2 and anonymised_at is null for update",
            vec![tenant.into(), beneficiary.into()],
        )
        .await?
        .ok_or(Error::NotFound)?;
        let previous = serde_json::json!({
            "ageBand": before.age_band.map(|a| a.as_str()),
            "sex": before.sex.map(|s| s.as_str()),
            "neighbourhood": before.neighbourhood,
        });
        tx.execute_raw(stmt(
            "insert into beneficiary_revisions (tenant_id, id, beneficiary_id, revision, previous, reason, changed_by) \
             values ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                tenant.into(),
                Uuid::now_v7().into(),
                beneficiary.into(),
                before.revision.into(),
                previous.into(),
                reason.into(),
                user.0.into(),
            ],
        ))
        .await
        .map_err(map_err)?;
        let after: Beneficiary = repo::row(
            &tx,
            "update beneficiaries set age_band = $3, sex = $4, neighbourhood = $5, revision = revision + 1, \
             updated_at = now() where tenant_id = $1 and id = $2 returning *",
            vec![
                tenant.into(),
                beneficiary.into(),
                r.age_band.into(),
                r.sex.into(),
                neighbourhood.into(),
            ],
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    /// The corrections of a beneficiary's identity, oldest first.
    pub async fn revisions_of(
        &self,
        ctx: &Ctx,
        beneficiary: Uuid,
    ) -> Result<Vec<BeneficiaryRevision>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::rows(
            &tx,
            "select id, beneficiary_id, revision, previous, reason, changed_by, changed_at \
             from beneficiary_revisions where tenant_id = $1 and beneficiary_id = $2 order by revision",
            vec![scope.tenant_id.0.into(), beneficiary.into()],
        )
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Erases a beneficiary at their request (the director or a coordinator):
    /// anonymised as described in this module. NOT_FOUND when there is none (or it
    /// is already anonymised).
    pub async fn erase_beneficiary(&self, ctx: &Ctx, beneficiary: Uuid) -> Result<Erased, Error> {
        let scope = ctx.require_tenant_role(LEADS)?;
        let tx = self.db.scoped(ctx).await?;
        let erased = anonymise(&tx, &[(scope.tenant_id.0, beneficiary)]).await?;
        if erased.beneficiaries == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        tracing::info!(
            beneficiaries = erased.beneficiaries,
            visits = erased.visits,
            notes = erased.notes,
            consents = erased.consents,
            "beneficiary erased"
        );
        Ok(erased)
    }

    /// Links an outreach case of the association to the beneficiary the person
    /// became (every writer), so that access and erasure reach it.
    pub async fn link_outreach_case(
        &self,
        ctx: &Ctx,
        case: Uuid,
        beneficiary: Uuid,
    ) -> Result<(), Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let known: Option<bool> = repo::scalar(
            &tx,
            "select exists (select 1 from beneficiaries where tenant_id = $1 and id = $2 and anonymised_at is null) as known",
            vec![tenant.into(), beneficiary.into()],
            "known",
        )
        .await?;
        if known != Some(true) {
            return Err(Error::validation("beneficiaryId", "unknown beneficiary"));
        }
        let n = tx
            .execute_raw(stmt(
                "update outreach_cases set beneficiary_id = $3, updated_at = now() \
                 where tenant_id = $1 and id = $2 and purged_at is null",
                vec![tenant.into(), case.into(), beneficiary.into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Everything the platform holds about a beneficiary (the director or a
    /// coordinator): identity and its corrections, consents, visits with their
    /// requests and notes, workshop attendance, linked outreach cases with their
    /// attempts. As JSON and as an HTML document in French.
    pub async fn export_beneficiary(
        &self,
        ctx: &Ctx,
        beneficiary: Uuid,
    ) -> Result<BeneficiaryFile, Error> {
        let scope = ctx.require_tenant_role(LEADS)?;
        let tx = self.db.scoped(ctx).await?;
        let json: Option<Value> = repo::scalar(
            &tx,
            EXPORT,
            vec![scope.tenant_id.0.into(), beneficiary.into()],
            "file",
        )
        .await?;
        tx.commit().await?;
        let json = json.ok_or(Error::NotFound)?;
        let html = crate::export_html::render(&json);
        Ok(BeneficiaryFile {
            beneficiary_id: beneficiary,
            json,
            html,
        })
    }

    /// The retention, as of `now` (the server passes the clock; tests move it):
    /// beneficiaries whose last contact is older than `r.beneficiary_days` are
    /// anonymised like an erasure, notes older than `r.note_days` deleted. Across
    /// associations, as the platform, in one transaction. One replica at a time (an
    /// advisory lock; the others skip), and idempotent anyway.
    pub async fn apply_retention(
        &self,
        now: DateTime<Utc>,
        r: Retention,
    ) -> Result<RetentionRun, Error> {
        let ctx = Ctx::system("journal retention: anonymising beneficiaries, deleting old notes");
        let tx = self.db.scoped(&ctx).await?;
        let locked: Option<bool> = repo::scalar(
            &tx,
            "select pg_try_advisory_xact_lock($1) as locked",
            vec![RETENTION_LOCK.into()],
            "locked",
        )
        .await?;
        if locked != Some(true) {
            tx.commit().await?;
            return Ok(RetentionRun::default());
        }
        let contact_before = now - chrono::Duration::days(i64::from(r.beneficiary_days));
        #[derive(FromQueryResult)]
        struct Due {
            tenant_id: Uuid,
            id: Uuid,
        }
        let due: Vec<Due> = repo::rows(
            &tx,
            "select b.tenant_id, b.id from beneficiaries b \
             where b.anonymised_at is null and b.created_at < $1 \
               and not exists (select 1 from visits v where v.tenant_id = b.tenant_id and v.beneficiary_id = b.id \
                               and v.occurred_at >= $1) \
               and not exists (select 1 from workshop_attendees a join workshops w \
                                 on w.tenant_id = a.tenant_id and w.id = a.workshop_id \
                               where a.tenant_id = b.tenant_id and a.beneficiary_id = b.id \
                                 and w.held_on >= ($1 at time zone 'Europe/Paris')::date) \
               and not exists (select 1 from consents c where c.tenant_id = b.tenant_id and c.beneficiary_id = b.id \
                               and c.given_on >= ($1 at time zone 'Europe/Paris')::date) \
               and not exists (select 1 from beneficiary_revisions x where x.tenant_id = b.tenant_id \
                               and x.beneficiary_id = b.id and x.changed_at >= $1) \
             order by b.tenant_id, b.id",
            vec![contact_before.into()],
        )
        .await?;
        let mut erased = Erased::default();
        let mut anonymised = Vec::with_capacity(due.len());
        for chunk in due.chunks(500) {
            let pairs: Vec<(Uuid, Uuid)> = chunk.iter().map(|d| (d.tenant_id, d.id)).collect();
            erased.add(&anonymise(&tx, &pairs).await?);
            anonymised.extend(pairs.iter().map(|&(tenant_id, beneficiary_id)| Anonymised {
                tenant_id,
                beneficiary_id,
            }));
        }
        let notes_before = now - chrono::Duration::days(i64::from(r.note_days));
        let old_notes = tx
            .execute_raw(stmt(
                "delete from visit_notes where created_at < $1",
                vec![notes_before.into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        tx.commit().await?;
        // Counts only: nothing that names anyone.
        tracing::info!(
            beneficiaries = erased.beneficiaries,
            visits = erased.visits,
            notes = erased.notes + old_notes,
            consents = erased.consents,
            outreach_cases = erased.outreach_cases,
            "journal retention"
        );
        Ok(RetentionRun {
            ran: true,
            erased,
            old_notes,
            anonymised,
        })
    }
}

/// The whole file of one beneficiary, as one JSON document built by the database.
const EXPORT: &str = "select jsonb_build_object(
  'generatedAt', now(),
  'association', (select name from tenants where id = b.tenant_id),
  'beneficiary', jsonb_build_object('id', b.id, 'pseudonym', b.pseudonym, 'ageBand', b.age_band, 'sex', b.sex,
      'neighbourhood', b.neighbourhood, 'createdAt', b.created_at, 'updatedAt', b.updated_at,
      'revision', b.revision),
  'corrections', coalesce((select jsonb_agg(jsonb_build_object('revision', r.revision, 'previous', r.previous,
      'reason', r.reason, 'changedAt', r.changed_at) order by r.revision)
    from beneficiary_revisions r where r.tenant_id = b.tenant_id and r.beneficiary_id = b.id), '[]'),
  'consents', coalesce((select jsonb_agg(jsonb_build_object('id', c.id, 'purpose', c.purpose,
      'recipient', coalesce(p.name, c.recipient), 'recipientPartnerId', c.recipient_partner_id,
      'givenOn', c.given_on, 'channel', c.channel, 'expiresOn', c.expires_on, 'withdrawnOn', c.withdrawn_on)
      order by c.given_on, c.id)
    from consents c left join partner_organisations p on p.id = c.recipient_partner_id
    where c.tenant_id = b.tenant_id and c.beneficiary_id = b.id), '[]'),
  'visits', coalesce((select jsonb_agg(jsonb_build_object('id', v.id, 'occurredAt', v.occurred_at,
      'site', s.name, 'channel', v.channel, 'durationMinutes', v.duration_minutes, 'language', v.language,
      'ageBand', v.age_band, 'sex', v.sex, 'neighbourhood', v.neighbourhood, 'status', v.status,
      'requests', coalesce((select jsonb_agg(jsonb_build_object('theme', t.label_fr, 'kind', q.kind,
            'partner', po.name, 'outcome', q.outcome, 'mediationAct', q.mediation_act, 'referredTo', q.referred_to)
            order by q.position)
          from visit_requests q join request_themes t on t.code = q.theme
          left join partner_organisations po on po.id = q.partner_id
          where q.tenant_id = v.tenant_id and q.visit_id = v.id), '[]'),
      'notes', coalesce((select jsonb_agg(jsonb_build_object('writtenAt', n.created_at, 'body', n.body)
            order by n.created_at)
          from visit_notes n where n.tenant_id = v.tenant_id and n.visit_id = v.id), '[]'))
      order by v.occurred_at)
    from visits v join sites s on s.tenant_id = v.tenant_id and s.id = v.site_id
    where v.tenant_id = b.tenant_id and v.beneficiary_id = b.id), '[]'),
  'workshops', coalesce((select jsonb_agg(jsonb_build_object('id', w.id, 'title', w.title, 'heldOn', w.held_on,
      'theme', wt.label_fr, 'site', s.name, 'status', w.status) order by w.held_on)
    from workshop_attendees a join workshops w on w.tenant_id = a.tenant_id and w.id = a.workshop_id
    join workshop_themes wt on wt.code = w.theme
    join sites s on s.tenant_id = w.tenant_id and s.id = w.site_id
    where a.tenant_id = b.tenant_id and a.beneficiary_id = b.id), '[]'),
  'outreachCases', coalesce((select jsonb_agg(jsonb_build_object('id', k.id, 'campaign', oc.title,
      'partner', po.name, 'customerRef', k.customer_ref, 'fullName', k.full_name, 'phone', k.phone,
      'email', k.email, 'address', k.address, 'postalCode', k.postal_code, 'status', k.status,
      'outcome', k.outcome, 'consentToReport', k.consent_to_report, 'reportDetails', k.report_details,
      'attempts', coalesce((select jsonb_agg(jsonb_build_object('attemptedAt', at.attempted_at,
            'channel', at.channel, 'result', at.result, 'note', at.note) order by at.attempted_at)
          from outreach_attempts at where at.tenant_id = k.tenant_id and at.case_id = k.id), '[]'))
      order by k.submitted_at)
    from outreach_cases k join outreach_campaigns oc on oc.tenant_id = k.tenant_id and oc.id = k.campaign_id
    join partner_organisations po on po.id = k.partner_id
    where k.tenant_id = b.tenant_id and k.beneficiary_id = b.id), '[]')
) as file
from beneficiaries b where b.tenant_id = $1 and b.id = $2 and b.anonymised_at is null";
