//! Workshops (animations collectives): theme, site, date, duration, facilitator,
//! funding partner, attendance; named attendees only with their consent; coding to
//! the partner agreement that funds them.

use crate::entity::workshop;
use crate::model::*;
use crate::repo::{self, Keyed, map_err, stmt};
use crate::{Journal, LEADS, WRITERS, coding, rollup, rules};
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest, TenantRole};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

/// Checks that a workshop (at `site` on `day`, on `theme`, funded by `funding`)
/// fits `agreement`, and returns the funding partner it must have: the agreement's
/// partner, which a different funding partner contradicts.
async fn check_code(
    tx: &Scoped,
    tenant: Uuid,
    (site, day, theme, funding): (Uuid, chrono::NaiveDate, &str, Option<Uuid>),
    agreement: Uuid,
) -> Result<Uuid, Error> {
    let partner = coding::agreement_partner(tx, agreement, "agreementId").await?;
    if funding.is_some_and(|p| p != partner) {
        return Err(Error::validation(
            "agreementId",
            "the agreement is with another partner than the workshop's funding partner",
        ));
    }
    let entry = coding::Entry {
        tenant,
        site,
        day,
        service: coding::WORKSHOPS,
        theme,
        partner: Some(partner),
    };
    coding::check(tx, &entry, agreement, "agreementId").await?;
    Ok(partner)
}

/// Marks the workshop voided: kept, out of every total.
async fn mark_voided(tx: &Scoped, tenant: Uuid, id: Uuid) -> Result<Workshop, Error> {
    repo::updated::<workshop::Model, _>(
        tx,
        "update workshops set status = $3, updated_at = now() where tenant_id = $1 and id = $2 returning *",
        vec![tenant.into(), id.into(), WorkshopStatus::Voided.into()],
    )
    .await
}

/// The normalised input of `recordWorkshop`, as canonical text.
fn workshop_fingerprint(w: &WorkshopInput) -> String {
    serde_json::json!([
        w.site_id,
        w.theme,
        w.title,
        w.held_on,
        w.duration_minutes,
        w.facilitator_id,
        w.funding_partner_id,
        w.attendees,
        w.named_attendees,
        w.agreement_id,
    ])
    .to_string()
}

/// The workshop recorded under this key, if any: a CONFLICT when it was recorded
/// from another input (workshops recorded before fingerprints were kept replay).
async fn by_client_key(
    tx: &Scoped,
    tenant: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Option<Workshop>, Error> {
    let found: Option<Keyed<workshop::Model>> = repo::row(
        tx,
        &format!(
            "select *, coalesce(client_fingerprint = {}, true) as same_input from workshops \
             where tenant_id = $1 and client_key = $2",
            crate::visits::fingerprint_sql(3)
        ),
        vec![tenant.into(), key.into(), fingerprint.into()],
    )
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    if !found.same_input {
        return Err(Error::conflict_on(
            "clientKey",
            "cette clé a déjà servi pour un atelier différent : rien n'a été enregistré",
        ));
    }
    Ok(Some(found.row.into()))
}

/// The held workshop, locked until the end of the transaction; a voided one is a
/// CONFLICT (`if_voided` says why).
async fn load_held(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
    if_voided: &'static str,
) -> Result<Workshop, Error> {
    let w: Workshop = repo::locked::<workshop::Entity, _>(tx, (tenant, id)).await?;
    if w.voided {
        return Err(Error::conflict(if_voided));
    }
    Ok(w)
}

impl Journal {
    /// Records a workshop, idempotent under the client's key: the same key with
    /// another input is a CONFLICT and records nothing.
    pub async fn record_workshop(
        &self,
        ctx: &Ctx,
        client_key: &str,
        input: WorkshopInput,
    ) -> Result<(Workshop, bool), Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let user = ctx.require_user()?;
        let key = rules::check_client_key(client_key)?;
        let w = rules::check_workshop(input, kernel::time::today())?;
        let tenant = scope.tenant_id.0;
        let fingerprint = workshop_fingerprint(&w);
        let tx = self.db.scoped(ctx).await?;
        if let Some(found) = by_client_key(&tx, tenant, &key, &fingerprint).await? {
            tx.commit().await?;
            return Ok((found, true));
        }
        let facilitator = match w.facilitator_id {
            Some(f) => f,
            None => crate::visits::caller_membership(&tx, scope, user.0).await?,
        };
        let site_ok = tx
            .query_one_raw(stmt(
                "select 1 from sites where tenant_id = $1 and id = $2 and opened_on <= $3 and (closed_on is null or closed_on >= $3)",
                vec![tenant.into(), w.site_id.into(), w.held_on.into()],
            ))
            .await
            .map_err(map_err)?;
        if site_ok.is_none() {
            return Err(Error::validation(
                "siteId",
                "unknown site, or not open on that day",
            ));
        }
        self.require_consent(&tx, tenant, &w.named_attendees, w.held_on)
            .await?;
        let funding_partner = match w.agreement_id {
            Some(a) => {
                let on = (w.site_id, w.held_on, w.theme.as_str(), w.funding_partner_id);
                Some(check_code(&tx, tenant, on, a).await?)
            }
            None => w.funding_partner_id,
        };
        let r: Option<workshop::Model> = repo::row(
            &tx,
            &format!(
                "insert into workshops (tenant_id, id, site_id, theme, title, held_on, duration_minutes, facilitator_id, \
                 funding_partner_id, attendees, client_key, created_by, agreement_id, client_fingerprint) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, {}) \
                 on conflict (tenant_id, client_key) do nothing returning *",
                crate::visits::fingerprint_sql(14)
            ),
            vec![
                tenant.into(),
                Uuid::now_v7().into(),
                w.site_id.into(),
                w.theme.clone().into(),
                w.title.clone().into(),
                w.held_on.into(),
                w.duration_minutes.into(),
                facilitator.into(),
                funding_partner.into(),
                w.attendees.into(),
                key.clone().into(),
                user.0.into(),
                w.agreement_id.into(),
                fingerprint.clone().into(),
            ],
        )
        .await?;
        let Some(r) = r else {
            // Raced with the same key and the other transaction won: READ COMMITTED
            // lets the next statement see its workshop.
            let found = by_client_key(&tx, tenant, &key, &fingerprint)
                .await?
                .ok_or_else(|| Error::internal_msg("client key vanished"))?;
            tx.commit().await?;
            return Ok((found, true));
        };
        let ws = Workshop::from(r);
        for b in &w.named_attendees {
            tx.execute_raw(stmt(
                "insert into workshop_attendees (tenant_id, id, workshop_id, beneficiary_id) values ($1, $2, $3, $4) on conflict do nothing",
                vec![tenant.into(), Uuid::now_v7().into(), ws.id.into(), (*b).into()],
            ))
            .await
            .map_err(map_err)?;
        }
        rollup::workshop(&tx, tenant, &ws, 1).await?;
        tx.commit().await?;
        Ok((ws, false))
    }

    /// Voids a workshop recorded by mistake (coordinators, directors).
    pub async fn void_workshop(&self, ctx: &Ctx, id: Uuid) -> Result<Workshop, Error> {
        let (tx, tenant, w) = self
            .open_held(ctx, LEADS, id, "the workshop is already voided")
            .await?;
        rollup::workshop(&tx, tenant, &w, -1).await?;
        let voided = mark_voided(&tx, tenant, id).await?;
        tx.commit().await?;
        Ok(voided)
    }

    /// Codes a held workshop to an agreement, or uncodes it with `None` (any writer).
    /// Coding sets the funding partner when the workshop has none.
    pub async fn code_workshop(
        &self,
        ctx: &Ctx,
        id: Uuid,
        agreement: Option<Uuid>,
    ) -> Result<Workshop, Error> {
        let (tx, tenant, old) = self
            .open_held(ctx, WRITERS, id, "a voided workshop cannot be coded")
            .await?;
        if old.agreement_id == agreement {
            tx.commit().await?;
            return Ok(old);
        }
        let funding = match agreement {
            Some(a) => {
                let on = (
                    old.site_id,
                    old.held_on,
                    old.theme.as_str(),
                    old.funding_partner_id,
                );
                Some(check_code(&tx, tenant, on, a).await?)
            }
            None => old.funding_partner_id,
        };
        let new = repo::updated::<workshop::Model, Workshop>(
            &tx,
            "update workshops set agreement_id = $3, funding_partner_id = $4, updated_at = now() \
             where tenant_id = $1 and id = $2 returning *",
            vec![tenant.into(), id.into(), agreement.into(), funding.into()],
        )
        .await?;
        rollup::agreement_workshop(&tx, tenant, &old, -1).await?;
        rollup::agreement_workshop(&tx, tenant, &new, 1).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// Opens a change of a held workshop (by one of `roles`): the transaction, the
    /// association, and the workshop locked in it.
    async fn open_held(
        &self,
        ctx: &Ctx,
        roles: &[TenantRole],
        id: Uuid,
        if_voided: &'static str,
    ) -> Result<(Scoped, Uuid, Workshop), Error> {
        let scope = ctx.require_tenant_role(roles)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let w = load_held(&tx, tenant, id, if_voided).await?;
        Ok((tx, tenant, w))
    }

    pub async fn list_workshops(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Workshop>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        use workshop::Column as C;
        let rows = workshop::Entity::find()
            .filter(C::TenantId.eq(scope.tenant_id.0))
            .apply_if(page.after, |q, after| q.filter(C::Id.lt(after)))
            .order_by_desc(C::Id)
            .limit(page.fetch())
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows = rows.into_iter().map(Workshop::from).collect();
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn workshops_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Workshop>, Error> {
        let Some(scope) = ctx.tenant() else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = workshop::Entity::find()
            .filter(workshop::Column::TenantId.eq(scope.tenant_id.0))
            .filter(workshop::Column::Id.eq_any(ids.iter().copied()))
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(rows.into_iter().map(Workshop::from).collect())
    }
}
