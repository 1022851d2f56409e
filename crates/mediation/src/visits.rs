//! Recording, amending and voiding visits; reading the journal.

use crate::entity::{request_theme, visit, visit_note, visit_request, workshop_theme};
use crate::model::*;
use crate::repo::{self, Keyed, map_err, snapshot, stmt};
use crate::{Journal, LEADS, WRITERS, coding, rollup, rules};
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest, TenantScope};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationDef, Value,
};
use uuid::Uuid;

/// What `record_visit` did: `replayed` is true when the client key had already been
/// recorded with the same input (a double submit), and the original visit is
/// returned unchanged, with the warnings it was recorded with.
pub struct Recorded {
    pub visit: Visit,
    pub replayed: bool,
    pub warnings: Vec<Warning>,
}

/// What `amend_visit` did: the visit as amended, and what deserves a second look
/// (closure, opening hours, codings removed because they no longer fit).
pub struct Amended {
    pub visit: Visit,
    pub warnings: Vec<Warning>,
}

/// SQL for the fingerprint of the canonical input text in parameter `$n`.
pub(crate) fn fingerprint_sql(n: usize) -> String {
    format!("encode(sha256(convert_to(${n}::text, 'UTF8')), 'hex')")
}

/// The normalised input of `recordVisit`, as canonical text: the same request gives
/// the same text, whatever the order of the JSON fields the client sent.
fn visit_fingerprint(v: &VisitInput, note: Option<&str>) -> String {
    serde_json::json!([
        v.site_id,
        v.mediator_id,
        v.occurred_at.to_rfc3339(),
        v.channel.as_str(),
        v.duration_minutes,
        v.language,
        v.age_band.map(AgeBand::as_str),
        v.sex.map(Sex::as_str),
        v.neighbourhood,
        v.beneficiary_id,
        note,
        v.requests
            .iter()
            .map(|r| serde_json::json!([
                r.theme,
                r.kind.as_str(),
                r.partner_id,
                r.outcome.as_str(),
                r.mediation_act,
                r.referred_to,
                r.agreement_id,
            ]))
            .collect::<Vec<_>>(),
    ])
    .to_string()
}

/// A visit as parameters $1 to $14 of the statements that write one: its key, its
/// details, and its flags (during a closure, outside opening hours).
fn visit_values(
    (tenant, id): (Uuid, Uuid),
    v: &VisitInput,
    mediator: Uuid,
    (during_closure, outside_hours): (bool, bool),
) -> Vec<Value> {
    vec![
        tenant.into(),
        id.into(),
        v.site_id.into(),
        mediator.into(),
        v.occurred_at.into(),
        v.channel.into(),
        v.duration_minutes.into(),
        v.language.clone().into(),
        v.age_band.into(),
        v.sex.into(),
        v.neighbourhood.clone().into(),
        v.beneficiary_id.into(),
        during_closure.into(),
        outside_hours.into(),
    ]
}

fn key_reused() -> Error {
    Error::conflict_on(
        "clientKey",
        "cette clé a déjà servi pour une saisie différente : rien n'a été enregistré",
    )
}

#[derive(Clone, Debug, Default)]
pub struct VisitFilter {
    pub site_id: Option<Uuid>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub include_voided: bool,
    /// Visits with a request of this theme.
    pub theme: Option<String>,
    /// Visits with a request for this partner.
    pub partner_id: Option<Uuid>,
}

/// `exists (select 1 from visit_requests r where r.tenant_id = visits.tenant_id and
/// r.visit_id = visits.id and r.<column> = $n)`: the visit has a request with this
/// value (a bound parameter).
fn with_request(
    column: visit_request::Column,
    value: impl Into<sea_orm::Value>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let r = visit_request::Entity;
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(r)
            .and_where(
                Expr::col((r, visit_request::Column::TenantId))
                    .equals((visit::Entity, visit::Column::TenantId)),
            )
            .and_where(
                Expr::col((r, visit_request::Column::VisitId))
                    .equals((visit::Entity, visit::Column::Id)),
            )
            .and_where(Expr::col((r, column)).eq(value.into()))
            .to_owned(),
    )
}

pub(crate) async fn caller_membership(
    tx: &Scoped,
    scope: TenantScope,
    user: Uuid,
) -> Result<Uuid, Error> {
    repo::scalar(
        tx,
        "select id from memberships where tenant_id = $1 and user_id = $2 and status = 'active'",
        vec![scope.tenant_id.0.into(), user.into()],
        "id",
    )
    .await?
    .ok_or(Error::Forbidden("no active membership"))
}

/// What `check_refs` finds, under its statement's aliases.
#[derive(FromQueryResult)]
struct Refs {
    /// None: no such site in the association.
    site_open: Option<bool>,
    mediator_active: bool,
    beneficiary_known: bool,
    unknown_partners: Option<Vec<Uuid>>,
    unknown_themes: Option<Vec<String>>,
    during_closure: bool,
    outside_hours: bool,
}

/// The site must be the association's and open on that day; the mediator an active
/// member; the beneficiary the association's. Another association's ids are as
/// unknown as missing ones.
///
/// Returns whether the visit falls in a closure of the site, and whether it is an
/// on-site visit outside the site's opening hours (`app.visit_flags`): accepted, the
/// front desk knows best, but flagged.
async fn check_refs(
    tx: &Scoped,
    tenant: Uuid,
    v: &VisitInput,
    mediator: Uuid,
) -> Result<(bool, bool), Error> {
    let refs: Refs = repo::row(
        tx,
        "select \
           (select opened_on <= ($3::timestamptz at time zone 'Europe/Paris')::date \
                   and (closed_on is null or closed_on >= ($3::timestamptz at time zone 'Europe/Paris')::date) \
              from sites where tenant_id = $1 and id = $2) as site_open, \
           exists (select 1 from memberships where tenant_id = $1 and id = $4 and status = 'active') as mediator_active, \
           ($5::uuid is null or exists (select 1 from beneficiaries where tenant_id = $1 and id = $5)) as beneficiary_known, \
           (select array_agg(p) from unnest($6::uuid[]) p where not exists (select 1 from partner_organisations where id = p)) \
             as unknown_partners, \
           (select array_agg(t) from unnest($7::text[]) t where not exists (select 1 from request_themes where code = t)) \
             as unknown_themes, \
           f.during_closure, f.outside_hours \
         from app.visit_flags($1, $2, $3, $8) f",
        vec![
            tenant.into(),
            v.site_id.into(),
            v.occurred_at.into(),
            mediator.into(),
            v.beneficiary_id.into(),
            v.requests.iter().filter_map(|r| r.partner_id).collect::<Vec<_>>().into(),
            v.requests.iter().map(|r| r.theme.clone()).collect::<Vec<_>>().into(),
            v.channel.into(),
        ],
    )
    .await?
    .ok_or_else(|| Error::internal_msg("no row"))?;
    match refs.site_open {
        None => return Err(Error::validation("siteId", "unknown site")),
        Some(false) => {
            return Err(Error::validation(
                "siteId",
                "the site was not open on that day",
            ));
        }
        Some(true) => {}
    }
    if !refs.mediator_active {
        return Err(Error::validation(
            "mediatorId",
            "not an active member of the association",
        ));
    }
    if !refs.beneficiary_known {
        return Err(Error::validation("beneficiaryId", "unknown beneficiary"));
    }
    if let Some(p) = refs.unknown_partners.and_then(|v| v.first().copied()) {
        let i = v
            .requests
            .iter()
            .position(|r| r.partner_id == Some(p))
            .unwrap_or(0);
        return Err(Error::validation(
            format!("requests[{i}].partnerId"),
            "unknown partner",
        ));
    }
    if let Some(t) = refs.unknown_themes.and_then(|v| v.into_iter().next()) {
        let i = v.requests.iter().position(|r| r.theme == t).unwrap_or(0);
        return Err(Error::validation(
            format!("requests[{i}].theme"),
            "not a theme of the network's catalogue",
        ));
    }
    Ok((refs.during_closure, refs.outside_hours))
}

/// Each request coded to an agreement must fit it (site, Paris day, theme, partner).
async fn check_codes(tx: &Scoped, tenant: Uuid, v: &VisitInput) -> Result<(), Error> {
    if v.requests.iter().all(|r| r.agreement_id.is_none()) {
        return Ok(());
    }
    let day = coding::paris_day(tx, v.occurred_at).await?;
    for (i, r) in v.requests.iter().enumerate() {
        if let Some(a) = r.agreement_id {
            let entry = coding::Entry::request(tenant, v.site_id, day, &r.theme, r.partner_id);
            coding::check(tx, &entry, a, &format!("requests[{i}].agreementId")).await?;
        }
    }
    Ok(())
}

async fn insert_requests(
    tx: &Scoped,
    tenant: Uuid,
    visit_id: Uuid,
    reqs: &[NewRequest],
) -> Result<Vec<Request>, Error> {
    let ids: Vec<Uuid> = reqs.iter().map(|_| Uuid::now_v7()).collect();
    let mut out: Vec<Request> = repo::rows(
        tx,
        "insert into visit_requests (tenant_id, id, visit_id, position, theme, kind, partner_id, outcome, mediation_act, referred_to, agreement_id) \
         select $1, u.id, $2, u.pos, u.theme, u.kind, nullif(u.partner, '00000000-0000-0000-0000-000000000000'::uuid), \
           u.outcome, u.act, nullif(u.referred, ''), nullif(u.agreement, '00000000-0000-0000-0000-000000000000'::uuid) \
         from unnest($3::uuid[], $4::int2[], $5::text[], $6::text[], $7::uuid[], $8::text[], $9::bool[], $10::text[], $11::uuid[]) \
           as u(id, pos, theme, kind, partner, outcome, act, referred, agreement) \
         returning *",
        vec![
            tenant.into(),
            visit_id.into(),
            ids.into(),
            (0..reqs.len() as i16).collect::<Vec<i16>>().into(),
            reqs.iter().map(|r| r.theme.clone()).collect::<Vec<_>>().into(),
            reqs.iter().map(|r| r.kind).collect::<Vec<_>>().into(),
            // Arrays cannot hold nulls here: nil and empty mean none.
            reqs.iter().map(|r| r.partner_id.unwrap_or(Uuid::nil())).collect::<Vec<Uuid>>().into(),
            reqs.iter().map(|r| r.outcome).collect::<Vec<_>>().into(),
            reqs.iter().map(|r| r.mediation_act.unwrap_or(false)).collect::<Vec<_>>().into(),
            reqs.iter().map(|r| r.referred_to.clone().unwrap_or_default()).collect::<Vec<String>>().into(),
            reqs.iter().map(|r| r.agreement_id.unwrap_or(Uuid::nil())).collect::<Vec<Uuid>>().into(),
        ],
    )
    .await?;
    out.sort_by_key(|r| r.position);
    Ok(out)
}

async fn load_requests(
    tx: &Scoped,
    tenant: Uuid,
    visit_ids: &[Uuid],
) -> Result<Vec<Request>, Error> {
    use visit_request::Column as C;
    visit_request::Entity::find()
        .filter(C::TenantId.eq(tenant))
        .filter(C::VisitId.eq_any(visit_ids.iter().copied()))
        .order_by_asc(C::VisitId)
        .order_by_asc(C::Position)
        .all(&**tx)
        .await
        .map_err(map_err)
}

/// The visit recorded under this key, if any, and whether it was recorded from the
/// same input (`fingerprint`). Visits recorded before fingerprints were kept count
/// as the same input: nothing tells otherwise.
async fn by_client_key(
    tx: &Scoped,
    tenant: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Option<(Visit, bool)>, Error> {
    let found: Option<Keyed<visit::Model>> = repo::row(
        tx,
        &format!(
            "select *, coalesce(client_fingerprint = {}, true) as same_input from visits \
             where tenant_id = $1 and client_key = $2",
            fingerprint_sql(3)
        ),
        vec![tenant.into(), key.into(), fingerprint.into()],
    )
    .await?;
    Ok(found.map(|k| (k.row.into(), k.same_input)))
}

fn replay(found: (Visit, bool)) -> Result<Recorded, Error> {
    let (v, same) = found;
    if !same {
        return Err(key_reused());
    }
    Ok(Recorded {
        warnings: v.warnings(),
        visit: v,
        replayed: true,
    })
}

impl Journal {
    /// Records a visit with its requests in one transaction, idempotent under the
    /// client's key: a double submit returns the first recording; the same key with
    /// another input is a CONFLICT and records nothing.
    pub async fn record_visit(
        &self,
        ctx: &Ctx,
        client_key: &str,
        input: VisitInput,
        note: Option<String>,
    ) -> Result<Recorded, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let user = ctx.require_user()?;
        let key = rules::check_client_key(client_key)?;
        let input = rules::check_visit(input, chrono::Utc::now())?;
        let note = match note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
            Some(n) if n.chars().count() > 4000 => {
                return Err(Error::validation("note", "at most 4000 characters"));
            }
            other => other,
        };
        let tenant = scope.tenant_id.0;
        let fingerprint = visit_fingerprint(&input, note.as_deref());
        let tx = self.db.scoped(ctx).await?;
        // The replay check comes first: a double submit must not fail on validation
        // that depends on time (a site closed since, say).
        if let Some(found) = by_client_key(&tx, tenant, &key, &fingerprint).await? {
            let r = replay(found)?;
            tx.commit().await?;
            return Ok(r);
        }
        let mediator = match input.mediator_id {
            Some(m) => m,
            None => caller_membership(&tx, scope, user.0).await?,
        };
        let (during_closure, outside_hours) = check_refs(&tx, tenant, &input, mediator).await?;
        check_codes(&tx, tenant, &input).await?;
        let mut values = visit_values(
            (tenant, Uuid::now_v7()),
            &input,
            mediator,
            (during_closure, outside_hours),
        );
        values.extend([
            key.clone().into(),
            user.0.into(),
            fingerprint.clone().into(),
        ]);
        let row: Option<visit::Model> = repo::row(
            &tx,
            &format!(
                "insert into visits (tenant_id, id, site_id, mediator_id, occurred_at, channel, duration_minutes, language, \
                 age_band, sex, neighbourhood, beneficiary_id, during_closure, outside_hours, \
                 client_key, created_by, client_fingerprint) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, {}) \
                 on conflict (tenant_id, client_key) do nothing returning *",
                fingerprint_sql(17)
            ),
            values,
        )
        .await?;
        let Some(row) = row else {
            // Raced with the same key and the other transaction won. Under READ
            // COMMITTED this next statement already sees its committed visit.
            let found = by_client_key(&tx, tenant, &key, &fingerprint)
                .await?
                .ok_or_else(|| Error::internal_msg("client key vanished"))?;
            let r = replay(found)?;
            tx.commit().await?;
            return Ok(r);
        };
        let v = Visit::from(row);
        let reqs = insert_requests(&tx, tenant, v.id, &input.requests).await?;
        if let Some(body) = note {
            tx.execute_raw(stmt(
                "insert into visit_notes (tenant_id, id, visit_id, body, created_by) values ($1, $2, $3, $4, $5)",
                vec![tenant.into(), Uuid::now_v7().into(), v.id.into(), body.into(), user.0.into()],
            ))
            .await
            .map_err(map_err)?;
        }
        rollup::visit(&tx, &v, &reqs, 1).await?;
        tx.commit().await?;
        Ok(Recorded {
            warnings: v.warnings(),
            visit: v,
            replayed: false,
        })
    }

    /// Replaces a visit's details and requests. The previous state is kept in the
    /// visit's history; dashboard totals and the agreements' activity follow in the
    /// same transaction. A request given without an agreement (`keep_coding`) keeps
    /// the coding of the request at its position while that agreement still covers
    /// it; one that no longer does is removed, with a warning (the request then shows
    /// its proposal, if exactly one agreement fits).
    pub async fn amend_visit(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: VisitInput,
        reason: Option<String>,
    ) -> Result<Amended, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let user = ctx.require_user()?;
        let input = rules::check_visit(input, chrono::Utc::now())?;
        let tenant = scope.tenant_id.0;
        let (tx, old) = self
            .open_correction(ctx, (scope, user.0), id, "a voided visit cannot be amended")
            .await?;
        let mediator = input.mediator_id.unwrap_or(old.mediator_id);
        let (during_closure, outside_hours) = check_refs(&tx, tenant, &input, mediator).await?;
        check_codes(&tx, tenant, &input).await?;
        let old_reqs = load_requests(&tx, tenant, &[id]).await?;
        let mut input = input;
        let removed = keep_codings(&tx, tenant, &mut input, &old_reqs).await?;
        history(
            &tx,
            tenant,
            &old,
            &old_reqs,
            RevisionAction::Amended,
            reason,
            user.0,
        )
        .await?;
        rollup::visit(&tx, &old, &old_reqs, -1).await?;
        let v = repo::updated::<visit::Model, Visit>(
            &tx,
            "update visits set site_id = $3, mediator_id = $4, occurred_at = $5, channel = $6, duration_minutes = $7, \
             language = $8, age_band = $9, sex = $10, neighbourhood = $11, beneficiary_id = $12, \
             during_closure = $13, outside_hours = $14, \
             revision = revision + 1, updated_at = now() where tenant_id = $1 and id = $2 returning *",
            visit_values((tenant, id), &input, mediator, (during_closure, outside_hours)),
        )
        .await?;
        tx.execute_raw(stmt(
            "delete from visit_requests where tenant_id = $1 and visit_id = $2",
            vec![tenant.into(), id.into()],
        ))
        .await
        .map_err(map_err)?;
        let reqs = insert_requests(&tx, tenant, id, &input.requests).await?;
        rollup::visit(&tx, &v, &reqs, 1).await?;
        tx.commit().await?;
        let mut warnings = v.warnings();
        warnings.extend(removed.into_iter().map(|i| Warning {
            code: WarningCode::AgreementCodingRemoved,
            message: format!(
                "La demande n°{} n'est plus couverte par la convention à laquelle elle était rattachée : \
                 rattachement retiré.",
                i + 1
            ),
            field: Some(format!("requests[{i}].agreementId")),
        }));
        Ok(Amended { visit: v, warnings })
    }

    /// Voids a visit recorded by mistake: kept, marked voided, out of every total.
    pub async fn void_visit(&self, ctx: &Ctx, id: Uuid, reason: String) -> Result<Visit, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let user = ctx.require_user()?;
        let reason = reason.trim().to_owned();
        if reason.chars().count() < 3 || reason.chars().count() > 500 {
            return Err(Error::validation("reason", "between 3 and 500 characters"));
        }
        let tenant = scope.tenant_id.0;
        let (tx, old) = self
            .open_correction(ctx, (scope, user.0), id, "the visit is already voided")
            .await?;
        let reqs = load_requests(&tx, tenant, &[id]).await?;
        history(
            &tx,
            tenant,
            &old,
            &reqs,
            RevisionAction::Voided,
            Some(reason),
            user.0,
        )
        .await?;
        rollup::visit(&tx, &old, &reqs, -1).await?;
        let voided = mark_voided(&tx, tenant, id).await?;
        tx.commit().await?;
        Ok(voided)
    }

    /// Codes requests of a recorded visit to agreements, or uncodes them (any writer:
    /// coding classifies the entry, it does not correct it). The agreements' monthly
    /// activity follows in the same transaction.
    pub async fn code_requests(
        &self,
        ctx: &Ctx,
        id: Uuid,
        codings: Vec<RequestCoding>,
    ) -> Result<Visit, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let v = load_for_update(&tx, (tenant, id), None, "a voided visit cannot be coded").await?;
        let reqs = load_requests(&tx, tenant, &[id]).await?;
        let kinds: Vec<(i16, RequestKind)> = reqs.iter().map(|r| (r.position, r.kind)).collect();
        rules::check_codings(&codings, &kinds)?;
        let day = coding::paris_day(&tx, v.occurred_at.to_utc()).await?;
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for (i, c) in codings.iter().enumerate() {
            // check_codings found every position among the requests: this cannot miss.
            let Some(r) = reqs.iter().find(|r| r.position == c.position) else {
                return Err(Error::validation(
                    format!("requests[{i}].position"),
                    "the visit has no request at this position",
                ));
            };
            if r.agreement_id == c.agreement_id {
                continue;
            }
            if let Some(a) = c.agreement_id {
                let entry = coding::Entry::request(tenant, v.site_id, day, &r.theme, r.partner_id);
                coding::check(&tx, &entry, a, &format!("requests[{i}].agreementId")).await?;
            }
            before.push(r.clone());
            after.push(Request {
                agreement_id: c.agreement_id,
                ..r.clone()
            });
        }
        if !after.is_empty() {
            tx.execute_raw(stmt(
                "update visit_requests r set agreement_id = nullif(u.agreement, '00000000-0000-0000-0000-000000000000'::uuid) \
                 from unnest($3::uuid[], $4::uuid[]) as u(id, agreement) where r.tenant_id = $1 and r.visit_id = $2 and r.id = u.id",
                vec![
                    tenant.into(),
                    id.into(),
                    after.iter().map(|r| r.id).collect::<Vec<_>>().into(),
                    after
                        .iter()
                        .map(|r| r.agreement_id.unwrap_or(Uuid::nil()))
                        .collect::<Vec<_>>()
                        .into(),
                ],
            ))
            .await
            .map_err(map_err)?;
            rollup::agreement_requests(&tx, &v, &before, -1).await?;
            rollup::agreement_requests(&tx, &v, &after, 1).await?;
        }
        tx.commit().await?;
        Ok(v)
    }

    /// Opens the transaction of a correction, with the visit locked in it, when the
    /// `corrector` may correct it and it is not voided (`if_voided` says why).
    async fn open_correction(
        &self,
        ctx: &Ctx,
        corrector: (TenantScope, Uuid),
        id: Uuid,
        if_voided: &'static str,
    ) -> Result<(Scoped, Visit), Error> {
        let tx = self.db.scoped(ctx).await?;
        let tenant = corrector.0.tenant_id.0;
        let v = load_for_update(&tx, (tenant, id), Some(corrector), if_voided).await?;
        Ok((tx, v))
    }

    /// The association's journal, newest first (viewers read dashboards only).
    pub async fn list_visits(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        f: VisitFilter,
    ) -> Result<Page<Visit>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        use visit::Column as C;
        // Only the filters given are written: an optional one (`$2 is null or ...`)
        // would keep PostgreSQL's generic plan off the indexes.
        let rows = visit::Entity::find()
            .filter(C::TenantId.eq(scope.tenant_id.0))
            .apply_if(f.site_id, |q, s| q.filter(C::SiteId.eq(s)))
            .apply_if(f.from, |q, from| q.filter(C::OccurredAt.gte(from)))
            .apply_if(f.to, |q, to| q.filter(C::OccurredAt.lt(to)))
            .apply_if(
                (!f.include_voided).then_some(VisitStatus::Recorded),
                |q, s| q.filter(C::Status.eq(s)),
            )
            // A visit matches when one of its requests has the theme, and one (the
            // same or another) is for the partner.
            .apply_if(f.theme, |q, t| {
                q.filter(with_request(visit_request::Column::Theme, t))
            })
            .apply_if(f.partner_id, |q, p| {
                q.filter(with_request(visit_request::Column::PartnerId, p))
            })
            .apply_if(page.after, |q, after| q.filter(C::Id.lt(after)))
            .order_by_desc(C::Id)
            .limit(page.fetch())
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows: Vec<Visit> = rows.into_iter().map(Visit::from).collect();
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn visits_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Visit>, Error> {
        let Ok(scope) = ctx.require_tenant_role(WRITERS) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        // The visits with their requests in one statement: a visit is most often
        // read with them (one round trip less, bench/README.md "Round two"). The
        // requests wait in the operation's read unit for `requests_of`.
        let with_requests: RelationDef = visit_request::Entity::belongs_to(visit::Entity)
            .from((
                visit_request::Column::TenantId,
                visit_request::Column::VisitId,
            ))
            .to((visit::Column::TenantId, visit::Column::Id))
            .into();
        let rows = visit::Entity::find()
            .select_also(visit_request::Entity)
            .join(JoinType::LeftJoin, with_requests.rev())
            .filter(visit::Column::TenantId.eq(scope.tenant_id.0))
            .filter(visit::Column::Id.eq_any(ids.iter().copied()))
            .order_by_asc(visit::Column::Id)
            .order_by_asc(visit_request::Column::Position)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let mut visits: Vec<Visit> = Vec::new();
        let mut requests: Vec<Request> = Vec::new();
        for (v, r) in rows {
            if visits.last().map(|last| last.id) != Some(v.id) {
                if let Some(last) = visits.last() {
                    db::ReadUnit::stash(ctx, last.id, std::mem::take(&mut requests));
                }
                visits.push(Visit::from(v));
            }
            requests.extend(r);
        }
        if let Some(last) = visits.last() {
            db::ReadUnit::stash(ctx, last.id, requests);
        }
        Ok(visits)
    }

    pub async fn requests_of(&self, ctx: &Ctx, visit_ids: &[Uuid]) -> Result<Vec<Request>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in visit_ids {
            match db::ReadUnit::take_stashed::<Vec<Request>>(ctx, *id) {
                Some(rows) => found.extend(rows),
                None => missing.push(*id),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let tx = self.db.scoped(ctx).await?;
        found.extend(load_requests(&tx, scope.tenant_id.0, &missing).await?);
        tx.commit().await?;
        Ok(found)
    }

    /// Sensitive notes: the association's writers only.
    pub async fn notes_of(&self, ctx: &Ctx, visit_id: Uuid) -> Result<Vec<Note>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let notes = visit_note::Entity::find()
            .filter(visit_note::Column::TenantId.eq(scope.tenant_id.0))
            .filter(visit_note::Column::VisitId.eq(visit_id))
            .order_by_asc(visit_note::Column::Id)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(notes)
    }

    pub async fn history_of(&self, ctx: &Ctx, visit_id: Uuid) -> Result<Vec<Revision>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let revisions = repo::rows(
            &tx,
            "select r.revision, r.action, r.previous, r.reason, r.changed_by, r.changed_at, \
               (select m.id from memberships m where m.tenant_id = r.tenant_id and m.user_id = r.changed_by) \
                 as changed_by_membership \
             from visit_revisions r where r.tenant_id = $1 and r.visit_id = $2 order by r.revision",
            vec![scope.tenant_id.0.into(), visit_id.into()],
        )
        .await?;
        tx.commit().await?;
        Ok(revisions)
    }

    /// The network's request themes.
    pub async fn themes(&self, ctx: &Ctx, workshops: bool) -> Result<Vec<Theme>, Error> {
        ctx.require_user()?;
        let tx = self.db.scoped(ctx).await?;
        let themes = if workshops {
            workshop_theme::Entity::find()
                .order_by_asc(workshop_theme::Column::Position)
                .into_model::<Theme>()
                .all(&*tx)
                .await
        } else {
            request_theme::Entity::find()
                .order_by_asc(request_theme::Column::Position)
                .into_model::<Theme>()
                .all(&*tx)
                .await
        }
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(themes)
    }
}

/// Amendment: each partner request given without an agreement takes the coding of
/// the request that stood at its position, if that agreement still covers it.
/// Returns the positions whose coding was dropped because it no longer fits.
async fn keep_codings(
    tx: &Scoped,
    tenant: Uuid,
    input: &mut VisitInput,
    old: &[Request],
) -> Result<Vec<usize>, Error> {
    let mut removed = Vec::new();
    if old.iter().all(|r| r.agreement_id.is_none()) {
        return Ok(removed);
    }
    let day = coding::paris_day(tx, input.occurred_at).await?;
    for (i, r) in input.requests.iter_mut().enumerate() {
        if !r.keep_coding || r.agreement_id.is_some() {
            continue;
        }
        let Some(previous) = old
            .iter()
            .find(|o| usize::try_from(o.position).ok() == Some(i))
            .and_then(|o| o.agreement_id)
        else {
            continue;
        };
        let fits = r.kind == RequestKind::Partner
            && coding::fits(
                tx,
                &coding::Entry::request(tenant, input.site_id, day, &r.theme, r.partner_id),
                previous,
            )
            .await?;
        if fits {
            r.agreement_id = Some(previous);
        } else {
            removed.push(i);
        }
    }
    Ok(removed)
}

/// Marks the visit voided (kept, out of every total), as a new revision.
async fn mark_voided(tx: &Scoped, tenant: Uuid, id: Uuid) -> Result<Visit, Error> {
    repo::updated::<visit::Model, _>(
        tx,
        "update visits set status = $3, voided_at = now(), revision = revision + 1, updated_at = now() \
         where tenant_id = $1 and id = $2 returning *",
        vec![tenant.into(), id.into(), VisitStatus::Voided.into()],
    )
    .await
}

/// The visit, locked until the end of the transaction. With a `corrector`, only
/// one who may correct it gets it; a voided one is a CONFLICT (`if_voided` says why).
async fn load_for_update(
    tx: &Scoped,
    (tenant, id): (Uuid, Uuid),
    corrector: Option<(TenantScope, Uuid)>,
    if_voided: &'static str,
) -> Result<Visit, Error> {
    let v: Visit = repo::locked::<visit::Entity, _>(tx, (tenant, id)).await?;
    if let Some((scope, user)) = corrector {
        may_correct(scope, user, &v)?;
    }
    if v.voided {
        return Err(Error::conflict(if_voided));
    }
    Ok(v)
}

/// The author may correct their own entry; coordinators and directors anyone's.
fn may_correct(scope: TenantScope, user: Uuid, v: &Visit) -> Result<(), Error> {
    if LEADS.contains(&scope.role) || v.created_by == Some(user) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only the author, a coordinator or the director may correct this visit",
        ))
    }
}

async fn history(
    tx: &Scoped,
    tenant: Uuid,
    v: &Visit,
    reqs: &[Request],
    action: RevisionAction,
    reason: Option<String>,
    user: Uuid,
) -> Result<(), Error> {
    tx.execute_raw(stmt(
        "insert into visit_revisions (tenant_id, id, visit_id, revision, action, previous, reason, changed_by) \
         values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
        vec![
            tenant.into(),
            Uuid::now_v7().into(),
            v.id.into(),
            v.revision.into(),
            action.into(),
            snapshot(v, reqs).to_string().into(),
            reason.into(),
            user.into(),
        ],
    ))
    .await
    .map_err(map_err)?;
    Ok(())
}
