//! Row mapping, constraint mapping and the reader's view for outreach.

use super::*;
use crate::entity::{outreach_attempt, outreach_campaign, outreach_case};
use db::{DbError, Scoped};
use kernel::{Ctx, Error, PartnerScope, TenantScope};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

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

    /// What scopes rows to this reader, given a table's association and partner columns.
    pub(crate) fn scope<C: ColumnTrait>(self, tenant_col: C, partner_col: C) -> SimpleExpr {
        match self {
            Reader::Staff { tenant, .. } => tenant_col.eq(tenant),
            Reader::Partner(p) => partner_col.eq(p),
        }
    }

    fn worker(self) -> bool {
        matches!(self, Reader::Staff { worker: true, .. })
    }
}

impl From<outreach_campaign::Model> for Campaign {
    fn from(m: outreach_campaign::Model) -> Self {
        Campaign {
            id: m.id,
            tenant_id: m.tenant_id,
            agreement_id: m.agreement_id,
            partner_id: m.partner_id,
            title: m.title,
            purpose: m.purpose,
            legal_basis: m.legal_basis,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            max_attempts: m.max_attempts,
            retention_days: m.retention_days,
            status: m.status,
            closed_at: m.closed_at,
            purged_at: m.purged_at,
            created_at: m.created_at,
        }
    }
}

/// A case row, cut to what `reader` may see.
pub(crate) fn case(m: outreach_case::Model, reader: Reader) -> Case {
    let worker = reader.worker();
    let partner = matches!(reader, Reader::Partner(_));
    Case {
        id: m.id,
        tenant_id: m.tenant_id,
        campaign_id: m.campaign_id,
        partner_id: m.partner_id,
        // The partner's own reference, so that it can match outcomes to customers.
        customer_ref: m.customer_ref.filter(|_| worker || partner),
        contact: worker.then_some(Contact {
            full_name: m.full_name,
            phone: m.phone,
            email: m.email,
            address: m.address,
            postal_code: m.postal_code,
        }),
        status: m.status,
        outcome: m.outcome,
        consent_to_report: m.consent_to_report,
        report_details: m
            .report_details
            .filter(|_| worker || (partner && m.consent_to_report)),
        attempts: m.attempts,
        submitted_at: m.submitted_at,
        updated_at: m.updated_at,
        closed_at: m.closed_at,
        purged_at: m.purged_at,
    }
}

/// Case rows, each cut to what `reader` may see.
pub(crate) fn cases_for(rows: Vec<outreach_case::Model>, reader: Reader) -> Vec<Case> {
    rows.into_iter().map(|m| case(m, reader)).collect()
}

/// An attempt row; its note only for those who work cases.
pub(crate) fn attempt(m: outreach_attempt::Model, worker: bool) -> Attempt {
    Attempt {
        id: m.id,
        case_id: m.case_id,
        channel: m.channel,
        attempted_at: m.attempted_at,
        result: m.result,
        note: m.note.filter(|_| worker),
        mediator_id: m.mediator_id,
        created_at: m.created_at,
    }
}

impl crate::Partners {
    /// For `node` and loaders: the rows among `ids` the caller may see, with the
    /// reader they are to be cut for; None for whoever reads no outreach. `cols`: the
    /// table's association, partner and id columns.
    pub(crate) async fn visible_by_ids<E: EntityTrait>(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
        [tenant, partner, id]: [E::Column; 3],
    ) -> Result<Option<(Reader, Vec<E::Model>)>, Error> {
        let Ok(reader) = Reader::of(ctx) else {
            return Ok(None);
        };
        let select = E::find()
            .filter(reader.scope(tenant, partner))
            .filter(id.eq_any(ids.iter().copied()));
        Ok(Some((
            reader,
            self.db.select_all(ctx, select, map_err).await?,
        )))
    }
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
    .try_get("", "id")
    .map_err(map_err)
}
