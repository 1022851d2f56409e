//! Agreements (conventions) between a partner firm and the union (a national
//! framework) or one association (a local agreement): their terms, amendments with
//! history, status workflow, covered sites, yearly targets, funding and payments;
//! the partner's contacts; the activity coded to them and the agreement report.
//!
//! Who writes: the union admin any agreement; an association's director its local
//! agreements, acting in that association. Who reads: the union every agreement;
//! an association its local agreements and the national ones covering one of its
//! sites (never which other associations those cover, nor their money); a partner
//! its own (scope agreements:read for API clients). Row-level security enforces the
//! same underneath.

mod contacts;
pub mod listing;
pub mod model;
mod periods;
pub mod readback;
mod repo;
pub mod report;
pub mod rules;

pub use model::*;

use crate::Partners;
use crate::entity::{
    agreement, agreement_payment, agreement_revision, agreement_site, agreement_target,
};
use chrono::NaiveDate;
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest, PartnerScope, TenantRole, UnionRole};
use repo::{Reader, map_err, stmt};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, UpdateMany,
};
use std::collections::HashMap;
use uuid::Uuid;

/// FORBIDDEN unless `ctx` may write an agreement of association `tenant` (None: a
/// national framework, the union admin's alone).
fn may_write(ctx: &Ctx, tenant: Option<Uuid>) -> Result<(), Error> {
    if ctx.union_role() == Some(UnionRole::Admin) {
        return Ok(());
    }
    let Some(t) = tenant else {
        return Err(Error::Forbidden(
            "national frameworks are managed by the union's administrators",
        ));
    };
    match ctx.tenant() {
        Some(s) if s.tenant_id.0 == t && s.role == TenantRole::Director => Ok(()),
        _ => Err(Error::Forbidden(
            "a local agreement is managed by the union's administrators or the association's director",
        )),
    }
}

async fn load(tx: &Scoped, ctx: &Ctx, id: Uuid, lock: bool) -> Result<Agreement, Error> {
    let mut select = agreement::Entity::find_by_id(id);
    if lock {
        select = select.lock_exclusive();
    }
    let m = select
        .one(&**tx)
        .await
        .map_err(map_err)?
        .ok_or(Error::NotFound)?;
    repo::agreement(ctx, m)
}

/// An update of one agreement that makes a new revision of it, and the agreement after.
async fn revise(
    tx: &Scoped,
    ctx: &Ctx,
    id: Uuid,
    update: UpdateMany<agreement::Entity>,
) -> Result<Agreement, Error> {
    use agreement::Column;
    let update = update
        .col_expr(Column::Revision, Expr::col(Column::Revision).add(1))
        .col_expr(Column::UpdatedAt, Expr::current_timestamp())
        .filter(Column::Id.eq(id));
    repo::agreement(ctx, crate::update_one(tx, update, map_err).await?)
}

/// The agreement, locked, when the caller may write it: FORBIDDEN when the caller
/// only reads it (a locking read would hide it, the update policy applying).
async fn load_for_write(tx: &Scoped, ctx: &Ctx, id: Uuid) -> Result<Agreement, Error> {
    let a = load(tx, ctx, id, false).await?;
    may_write(ctx, a.tenant_id)?;
    load(tx, ctx, id, true).await
}

/// Covered sites, targets and payments of `ids`, as row-level security shows them.
async fn details(tx: &Scoped, ids: &[Uuid]) -> Result<Vec<(Uuid, Details)>, Error> {
    use agreement_site::Column as S;
    let mut out: HashMap<Uuid, Details> = HashMap::new();
    let sites = agreement_site::Entity::find()
        .filter(S::AgreementId.eq_any(ids.iter().copied()))
        .order_by_asc(S::AgreementId)
        .order_by_asc(S::TenantId)
        .order_by_asc(S::SiteId)
        .all(&**tx)
        .await
        .map_err(map_err)?;
    for s in sites {
        out.entry(s.agreement_id)
            .or_default()
            .sites
            .push(CoveredSite {
                tenant_id: s.tenant_id,
                site_id: s.site_id,
            });
    }
    let targets = agreement_target::Entity::find()
        .filter(agreement_target::Column::AgreementId.eq_any(ids.iter().copied()))
        .all(&**tx)
        .await
        .map_err(map_err)?;
    for t in targets {
        out.entry(t.agreement_id).or_default().targets.push(Target {
            indicator: t.indicator,
            annual_target: t.annual_target,
        });
    }
    use agreement_payment::Column as P;
    let payments = agreement_payment::Entity::find()
        .filter(P::AgreementId.eq_any(ids.iter().copied()))
        .order_by_asc(P::OnDate)
        .order_by_asc(P::Id)
        .all(&**tx)
        .await
        .map_err(map_err)?;
    for p in payments {
        out.entry(p.agreement_id)
            .or_default()
            .payments
            .push(p.into());
    }
    Ok(ids
        .iter()
        .map(|id| {
            let mut d = out.remove(id).unwrap_or_default();
            d.targets.sort_by_key(|t| t.indicator);
            (*id, d)
        })
        .collect())
}

/// A site asked to be covered, and whether the agreement may cover it.
#[derive(FromQueryResult)]
struct SiteFit {
    id: Uuid,
    fits: bool,
}

/// The first code of `codes` missing from `table`, with its position.
async fn unknown_code(tx: &Scoped, table: &str, codes: &[String]) -> Result<Option<usize>, Error> {
    if codes.is_empty() {
        return Ok(None);
    }
    let r = tx
        .query_one_raw(stmt(
            &format!(
                "select array_agg(t) as unknown from unnest($1::text[]) t \
                 where not exists (select 1 from {table} where code = t)"
            ),
            vec![codes.to_vec().into()],
        ))
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::internal_msg("no row"))?;
    let bad: Option<Vec<String>> = r.try_get("", "unknown").map_err(map_err)?;
    Ok(bad
        .and_then(|b| b.into_iter().next())
        .and_then(|b| codes.iter().position(|c| *c == b)))
}

/// Checks the terms against the catalogues and writes the covered sites (the ones
/// not covered yet) and, when `replace_targets`, the targets.
async fn write_terms(
    tx: &Scoped,
    a: &Agreement,
    t: &Terms,
    replace_sites: bool,
    replace_targets: bool,
) -> Result<(), Error> {
    if let Some(i) = unknown_code(tx, "request_themes", &t.themes).await? {
        return Err(Error::validation(
            format!("themes[{i}]"),
            "not a theme of the network's catalogue",
        ));
    }
    if let Some(i) = unknown_code(tx, "workshop_themes", &t.workshop_themes).await? {
        return Err(Error::validation(
            format!("workshopThemes[{i}]"),
            "not a workshop theme of the catalogue",
        ));
    }
    if replace_sites {
        // Sites are read as the caller: a director reads only the association's
        // own, so another association's site is as unknown as a missing one.
        let found: HashMap<Uuid, bool> = SiteFit::find_by_statement(stmt(
            "select id, ($2::uuid is null or tenant_id = $2) as fits from sites where id = any($1)",
            vec![t.site_ids.clone().into(), a.tenant_id.into()],
        ))
        .all(&**tx)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|s| (s.id, s.fits))
        .collect();
        for (i, s) in t.site_ids.iter().enumerate() {
            match found.get(s) {
                None => return Err(Error::validation(format!("siteIds[{i}]"), "unknown site")),
                Some(false) => {
                    return Err(Error::validation(
                        format!("siteIds[{i}]"),
                        "a local agreement covers only its own association's sites",
                    ));
                }
                Some(true) => {}
            }
        }
        tx.execute_raw(stmt(
            "delete from agreement_sites where agreement_id = $1 and not (site_id = any($2))",
            vec![a.id.into(), t.site_ids.clone().into()],
        ))
        .await
        .map_err(map_err)?;
        tx.execute_raw(stmt(
            "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) \
             select $1, $2, s.tenant_id, s.id from sites s where s.id = any($3) on conflict do nothing",
            vec![a.id.into(), a.partner_id.into(), t.site_ids.clone().into()],
        ))
        .await
        .map_err(map_err)?;
    }
    if replace_targets {
        agreement_target::Entity::delete_many()
            .filter(agreement_target::Column::AgreementId.eq(a.id))
            .exec(&**tx)
            .await
            .map_err(map_err)?;
        tx.execute_raw(stmt(
            "insert into agreement_targets (agreement_id, partner_id, indicator, annual_target) \
             select $1, $2, u.indicator, u.target from unnest($3::text[], $4::int[]) as u(indicator, target)",
            vec![
                a.id.into(),
                a.partner_id.into(),
                t.targets
                    .iter()
                    .map(|x| x.indicator.as_str().to_owned())
                    .collect::<Vec<_>>()
                    .into(),
                t.targets
                    .iter()
                    .map(|x| x.annual_target)
                    .collect::<Vec<_>>()
                    .into(),
            ],
        ))
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// Keeps the state an amendment or a status change replaces.
async fn keep_history(
    tx: &Scoped,
    ctx: &Ctx,
    a: &Agreement,
    action: RevisionAction,
    reason: &str,
) -> Result<(), Error> {
    let d = details(tx, &[a.id])
        .await?
        .into_iter()
        .next()
        .map(|(_, d)| d)
        .unwrap_or_default();
    // Writers read the whole agreement: its funding is always shown to them.
    let funding = a.funding_cents.unwrap_or_default();
    agreement_revision::Entity::insert(agreement_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        agreement_id: Set(a.id),
        partner_id: Set(a.partner_id),
        tenant_id: Set(a.tenant_id),
        revision: Set(a.revision),
        action: Set(action),
        previous: Set(repo::snapshot(a, funding, &d)),
        reason: Set(reason.to_owned()),
        changed_by: Set(ctx.user_id().map(|u| u.0)),
        ..Default::default()
    })
    .exec_without_returning(&**tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

impl Partners {
    /// Creates an agreement, as a draft. A national framework (no association): the
    /// union admin; a local one: the union admin, or the association's director.
    pub async fn create_agreement(&self, ctx: &Ctx, new: NewAgreement) -> Result<Agreement, Error> {
        may_write(ctx, new.tenant_id)?;
        let reference = rules::check_reference(&new.reference)?;
        let terms = rules::check_terms(new.terms)?;
        let tx = self.db.scoped(ctx).await?;
        let partner = tx
            .query_one_raw(stmt(
                "select 1 from partner_organisations where id = $1",
                vec![new.partner_id.into()],
            ))
            .await
            .map_err(map_err)?;
        if partner.is_none() {
            return Err(Error::validation("partnerId", "unknown partner"));
        }
        if let Some(t) = new.tenant_id {
            let found = tx
                .query_one_raw(stmt("select 1 from tenants where id = $1", vec![t.into()]))
                .await
                .map_err(map_err)?;
            if found.is_none() {
                return Err(Error::validation("tenantId", "unknown association"));
            }
        }
        let m = agreement::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(new.partner_id),
            tenant_id: Set(new.tenant_id),
            reference: Set(reference),
            created_by: Set(ctx.user_id().map(|u| u.0)),
            ..repo::terms(&terms)
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        let a = repo::agreement(ctx, m)?;
        write_terms(&tx, &a, &terms, true, true).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Amends an agreement's terms (not its parties nor its reference). The previous
    /// state, covered sites and targets included, is kept in its history. Activity
    /// already coded to it stays coded: it was delivered under the previous terms.
    pub async fn amend_agreement(
        &self,
        ctx: &Ctx,
        id: Uuid,
        amendment: Amendment,
        reason: &str,
    ) -> Result<Agreement, Error> {
        let reason = rules::check_reason(reason)?;
        if amendment.is_empty() {
            return Err(Error::validation("input", "nothing to amend"));
        }
        let tx = self.db.scoped(ctx).await?;
        let old = load_for_write(&tx, ctx, id).await?;
        if old.status == AgreementStatus::Ended {
            return Err(Error::conflict("an ended agreement cannot be amended"));
        }
        let current = details(&tx, &[id])
            .await?
            .into_iter()
            .next()
            .map(|(_, d)| d)
            .unwrap_or_default();
        let (replace_sites, replace_targets) =
            (amendment.site_ids.is_some(), amendment.targets.is_some());
        let terms = rules::check_terms(amendment.apply(Terms {
            title: old.title.clone(),
            starts_on: old.starts_on,
            ends_on: old.ends_on,
            services: old.services.clone(),
            themes: old.themes.clone(),
            workshop_themes: old.workshop_themes.clone(),
            site_ids: current.sites.iter().map(|s| s.site_id).collect(),
            targets: current.targets.clone(),
            funding_cents: old.funding_cents.unwrap_or_default(),
            reporting_frequency: old.reporting_frequency,
        }))?;
        keep_history(&tx, ctx, &old, RevisionAction::Amended, &reason).await?;
        let update = agreement::Entity::update_many().set(repo::terms(&terms));
        let a = revise(&tx, ctx, id, update).await?;
        write_terms(&tx, &a, &terms, replace_sites, replace_targets).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Moves an agreement along its workflow: draft -> active <-> suspended, active
    /// or suspended -> ended, which is final. Only active and ended agreements take
    /// coded activity. The reason goes into the history.
    pub async fn set_agreement_status(
        &self,
        ctx: &Ctx,
        id: Uuid,
        status: AgreementStatus,
        reason: &str,
    ) -> Result<Agreement, Error> {
        let reason = rules::check_reason(reason)?;
        let tx = self.db.scoped(ctx).await?;
        let old = load_for_write(&tx, ctx, id).await?;
        if old.status == status {
            return Err(Error::conflict(format!(
                "the agreement is already {}",
                status.as_str()
            )));
        }
        if !old.status.may_become(status) {
            return Err(Error::conflict(if old.status == AgreementStatus::Ended {
                "an ended agreement is final".to_owned()
            } else {
                format!(
                    "an agreement cannot go from {} to {}",
                    old.status.as_str(),
                    status.as_str()
                )
            }));
        }
        keep_history(&tx, ctx, &old, RevisionAction::Status, &reason).await?;
        let update = agreement::Entity::update_many()
            .col_expr(agreement::Column::Status, Expr::value(status));
        let a = revise(&tx, ctx, id, update).await?;
        let data = serde_json::json!({
            "agreement": kernel::gid::encode("Agreement", a.id),
            "status": a.status.as_str(),
            "previousStatus": old.status.as_str(),
        });
        let event = events::Event::new(events::EventType::AgreementStatusChanged, a.id, data)
            .tenant(a.tenant_id)
            .partner(Some(a.partner_id));
        events::emit(&tx, event).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Records a scheduled instalment or a payment received.
    pub async fn record_agreement_payment(
        &self,
        ctx: &Ctx,
        id: Uuid,
        p: NewPayment,
    ) -> Result<(Agreement, Payment), Error> {
        let p = rules::check_payment(p, kernel::time::today())?;
        let tx = self.db.scoped(ctx).await?;
        let a = load(&tx, ctx, id, false).await?;
        may_write(ctx, a.tenant_id)?;
        let payment = agreement_payment::ActiveModel {
            id: Set(Uuid::now_v7()),
            agreement_id: Set(a.id),
            partner_id: Set(a.partner_id),
            kind: Set(p.kind),
            on_date: Set(p.on_date),
            amount_cents: Set(p.amount_cents),
            label: Set(p.label),
            created_by: Set(ctx.user_id().map(|u| u.0)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok((a, payment.into()))
    }

    /// The agreements the caller reads, newest first.
    pub async fn list_agreements(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        f: AgreementFilter,
    ) -> Result<Page<Agreement>, Error> {
        let reader = Reader::of(ctx, PartnerScope::AgreementsRead)?;
        let own = match reader {
            Reader::Partner(p) => Some(p.0),
            _ => None,
        };
        use agreement::Column;
        let select = agreement::Entity::find()
            .apply_if(f.status, |q, s| q.filter(Column::Status.eq(s)))
            .apply_if(f.partner_id, |q, p| q.filter(Column::PartnerId.eq(p)))
            .apply_if(own, |q, p| q.filter(Column::PartnerId.eq(p)))
            .apply_if(page.after, |q, after| q.filter(Column::Id.lt(after)))
            .order_by_desc(Column::Id);
        self.select_page(ctx, select, &page, map_err, |m| repo::agreement(ctx, m))
            .await
    }

    /// Agreements by id (DataLoader): those the caller reads, silently.
    pub async fn agreements_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Agreement>, Error> {
        if Reader::of(ctx, PartnerScope::AgreementsRead).is_err() {
            return Ok(Vec::new());
        }
        let select =
            agreement::Entity::find().filter(agreement::Column::Id.eq_any(ids.iter().copied()));
        repo::agreements(ctx, self.db.select_all(ctx, select, map_err).await?)
    }

    /// Covered sites, targets and payments of several agreements (DataLoader). An
    /// association sees its own covered sites only, and the payments of its local
    /// agreements only.
    pub async fn agreement_details(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Details)>, Error> {
        if Reader::of(ctx, PartnerScope::AgreementsRead).is_err() {
            return Ok(Vec::new());
        }
        let tx = self.db.scoped(ctx).await?;
        let out = details(&tx, ids).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Previous states, oldest first. An association reading a national framework
    /// sees its own sites in them, and no money.
    pub async fn agreement_history(&self, ctx: &Ctx, id: Uuid) -> Result<Vec<Revision>, Error> {
        Reader::of(ctx, PartnerScope::AgreementsRead)?;
        let tx = self.db.scoped(ctx).await?;
        let a = load(&tx, ctx, id, false).await?;
        use agreement_revision::Column;
        let rows = agreement_revision::Entity::find()
            .filter(Column::AgreementId.eq(id))
            .order_by_asc(Column::Revision)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let redact = a.is_national() && repo::association_only(ctx, a.partner_id);
        Ok(rows
            .into_iter()
            .map(|r| Revision {
                revision: r.revision,
                action: r.action.as_str().to_owned(),
                previous: if redact {
                    repo::redact(r.previous, ctx.tenant().map(|t| t.tenant_id.0))
                } else {
                    r.previous
                },
                reason: r.reason,
                changed_at: r.changed_at,
            })
            .collect())
    }

    /// The agreements an entry of the active association would fit (the front desk
    /// asks before recording): `partner` None means any partner.
    pub async fn agreement_candidates(
        &self,
        ctx: &Ctx,
        site: Uuid,
        day: NaiveDate,
        service: Service,
        theme: &str,
        partner: Option<Uuid>,
    ) -> Result<Vec<Agreement>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        let rows = agreement::Model::find_by_statement(stmt(
            "select * from agreements where id in \
             (select c from app.agreement_candidates($1, $2, $3, $4, $5, $6) c) order by id",
            vec![
                scope.tenant_id.0.into(),
                site.into(),
                day.into(),
                service.as_str().into(),
                theme.trim().into(),
                partner.into(),
            ],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        repo::agreements(ctx, rows)
    }
}
