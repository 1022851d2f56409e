//! Row mapping, constraint mapping and the reader's view for outreach.

use super::*;
use db::{DbError, Scoped};
use kernel::{Ctx, Error, PartnerScope, TenantScope};
use sea_orm::{ConnectionTrait, QueryResult};

pub(crate) use db::stmt;

/// Constraint names to client errors. The rules check inputs first, so most of these
/// only fire on a race; unknown ones are bugs: INTERNAL.
pub(crate) fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "outreach_campaigns_agreement_fkey" => {
                Error::validation("agreementId", "unknown agreement")
            }
            "outreach_campaigns_title_length" => {
                Error::validation("title", "between 2 and 200 characters")
            }
            "outreach_campaigns_dates" => Error::validation("endsOn", "before the start"),
            "outreach_campaigns_max_attempts" => {
                Error::validation("maxAttempts", "between 1 and 10")
            }
            "outreach_campaigns_retention" => {
                Error::validation("retentionDays", "between 0 and 1095 days")
            }
            // Two submissions of the same customer at once: the second one loses.
            "outreach_cases_customer_ref_key" => {
                Error::conflict("customerRef: already in the campaign")
            }
            "outreach_attempts_mediator_fkey" => Error::Forbidden("no active membership"),
            "outreach_attempts_note_length" => {
                Error::validation("note", format!("at most {} characters", rules::MAX_NOTE))
            }
            "outreach_cases_report_check" => Error::validation(
                "reportDetails",
                "only with the resident's consent, at most 1000 characters",
            ),
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

pub(crate) fn parse<T>(s: &str, f: fn(&str) -> Option<T>) -> Result<T, Error> {
    f(s).ok_or_else(|| Error::internal_msg(format!("unexpected code {s:?} in outreach")))
}

/// Who is reading, and so what of a case they see.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reader {
    /// The association's staff; `worker` unless read-only (viewer).
    Staff { tenant: Uuid, worker: bool },
    /// The commissioning partner (its people, or an API client with outreach:read).
    Partner(Uuid),
}

impl Reader {
    /// Staff of the active association first (a person may be both), then a partner.
    /// The union, and anyone else, reads no outreach at all.
    pub(crate) fn of(ctx: &Ctx) -> Result<Self, Error> {
        if let Some(TenantScope { tenant_id, role }) = ctx.tenant() {
            return Ok(Reader::Staff {
                tenant: tenant_id.0,
                worker: WORKERS.contains(&role),
            });
        }
        if ctx.partner_id().is_some() {
            return Ok(Reader::Partner(
                ctx.require_partner(PartnerScope::OutreachRead)?.0,
            ));
        }
        Err(Error::Forbidden(
            "reserved to the association's staff and the commissioning partner",
        ))
    }

    /// The column that scopes rows to this reader (aliased tables: prefix it) and its value.
    pub(crate) fn scope(self) -> (&'static str, Uuid) {
        match self {
            Reader::Staff { tenant, .. } => ("tenant_id", tenant),
            Reader::Partner(p) => ("partner_id", p),
        }
    }

    fn worker(self) -> bool {
        matches!(self, Reader::Staff { worker: true, .. })
    }
}

pub(crate) const CAMPAIGN_COLUMNS: &str = "c.tenant_id, c.id, c.agreement_id, c.partner_id, c.title, c.purpose, c.legal_basis, \
    c.starts_on, c.ends_on, c.max_attempts, c.retention_days, c.status, c.closed_at, c.purged_at, c.created_at";

pub(crate) fn campaign(r: &QueryResult) -> Result<Campaign, Error> {
    let purpose: String = r.try_get_by_index(5).map_err(map_err)?;
    let basis: String = r.try_get_by_index(6).map_err(map_err)?;
    let status: String = r.try_get_by_index(11).map_err(map_err)?;
    Ok(Campaign {
        tenant_id: r.try_get_by_index(0).map_err(map_err)?,
        id: r.try_get_by_index(1).map_err(map_err)?,
        agreement_id: r.try_get_by_index(2).map_err(map_err)?,
        partner_id: r.try_get_by_index(3).map_err(map_err)?,
        title: r.try_get_by_index(4).map_err(map_err)?,
        purpose: parse(&purpose, Purpose::parse)?,
        legal_basis: parse(&basis, LegalBasis::parse)?,
        starts_on: r.try_get_by_index(7).map_err(map_err)?,
        ends_on: r.try_get_by_index(8).map_err(map_err)?,
        max_attempts: r.try_get_by_index(9).map_err(map_err)?,
        retention_days: r.try_get_by_index(10).map_err(map_err)?,
        status: parse(&status, CampaignStatus::parse)?,
        closed_at: r.try_get_by_index(12).map_err(map_err)?,
        purged_at: r.try_get_by_index(13).map_err(map_err)?,
        created_at: r.try_get_by_index(14).map_err(map_err)?,
    })
}

pub(crate) const CASE_COLUMNS: &str = "k.tenant_id, k.id, k.campaign_id, k.partner_id, k.customer_ref, k.full_name, k.phone, \
    k.email, k.address, k.postal_code, k.status, k.outcome, k.consent_to_report, k.report_details, k.attempts, \
    k.submitted_at, k.updated_at, k.closed_at, k.purged_at";

/// A case row, cut to what `reader` may see.
pub(crate) fn case(r: &QueryResult, reader: Reader) -> Result<Case, Error> {
    let status: String = r.try_get_by_index(10).map_err(map_err)?;
    let outcome: Option<String> = r.try_get_by_index(11).map_err(map_err)?;
    let consent: bool = r.try_get_by_index(12).map_err(map_err)?;
    let worker = reader.worker();
    let partner = matches!(reader, Reader::Partner(_));
    let contact = if worker {
        Some(Contact {
            full_name: r.try_get_by_index(5).map_err(map_err)?,
            phone: r.try_get_by_index(6).map_err(map_err)?,
            email: r.try_get_by_index(7).map_err(map_err)?,
            address: r.try_get_by_index(8).map_err(map_err)?,
            postal_code: r.try_get_by_index(9).map_err(map_err)?,
        })
    } else {
        None
    };
    Ok(Case {
        tenant_id: r.try_get_by_index(0).map_err(map_err)?,
        id: r.try_get_by_index(1).map_err(map_err)?,
        campaign_id: r.try_get_by_index(2).map_err(map_err)?,
        partner_id: r.try_get_by_index(3).map_err(map_err)?,
        // The partner's own reference, so that it can match outcomes to customers.
        customer_ref: if worker || partner {
            r.try_get_by_index(4).map_err(map_err)?
        } else {
            None
        },
        contact,
        status: parse(&status, CaseStatus::parse)?,
        outcome: outcome
            .as_deref()
            .map(|o| parse(o, Outcome::parse))
            .transpose()?,
        consent_to_report: consent,
        report_details: if worker || (partner && consent) {
            r.try_get_by_index(13).map_err(map_err)?
        } else {
            None
        },
        attempts: r.try_get_by_index(14).map_err(map_err)?,
        submitted_at: r.try_get_by_index(15).map_err(map_err)?,
        updated_at: r.try_get_by_index(16).map_err(map_err)?,
        closed_at: r.try_get_by_index(17).map_err(map_err)?,
        purged_at: r.try_get_by_index(18).map_err(map_err)?,
    })
}

pub(crate) const ATTEMPT_COLUMNS: &str =
    "a.id, a.case_id, a.channel, a.attempted_at, a.result, a.note, a.mediator_id, a.created_at";

pub(crate) fn attempt(r: &QueryResult, worker: bool) -> Result<Attempt, Error> {
    let channel: String = r.try_get_by_index(2).map_err(map_err)?;
    let result: String = r.try_get_by_index(4).map_err(map_err)?;
    Ok(Attempt {
        id: r.try_get_by_index(0).map_err(map_err)?,
        case_id: r.try_get_by_index(1).map_err(map_err)?,
        channel: parse(&channel, AttemptChannel::parse)?,
        attempted_at: r.try_get_by_index(3).map_err(map_err)?,
        result: parse(&result, AttemptResult::parse)?,
        note: if worker {
            r.try_get_by_index(5).map_err(map_err)?
        } else {
            None
        },
        mediator_id: r.try_get_by_index(6).map_err(map_err)?,
        created_at: r.try_get_by_index(7).map_err(map_err)?,
    })
}

/// The caller's membership in the active association: who made an attempt.
pub(crate) async fn caller_membership(tx: &Scoped, ctx: &Ctx, tenant: Uuid) -> Result<Uuid, Error> {
    let user = ctx.require_user()?;
    tx.query_one_raw(stmt(
        "select id from memberships where tenant_id = $1 and user_id = $2 and status = 'active'",
        vec![tenant.into(), user.0.into()],
    ))
    .await
    .map_err(map_err)?
    .ok_or(Error::Forbidden("no active membership"))?
    .try_get_by_index(0)
    .map_err(map_err)
}
