//! Workshops (animations collectives): theme, site, date, duration, facilitator,
//! funding partner, attendance; named attendees only with their consent; coding to
//! the partner agreement that funds them.

use crate::model::*;
use crate::repo::{map_err, stmt};
use crate::{Journal, LEADS, WRITERS, coding, rollup, rules};
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

const COLUMNS: &str = "id, site_id, theme, title, held_on, duration_minutes, facilitator_id, funding_partner_id, attendees, status, created_at, agreement_id";

fn row(r: &QueryResult) -> Result<Workshop, Error> {
    let status: String = r.try_get_by_index(9).map_err(map_err)?;
    Ok(Workshop {
        id: r.try_get_by_index(0).map_err(map_err)?,
        site_id: r.try_get_by_index(1).map_err(map_err)?,
        theme: r.try_get_by_index(2).map_err(map_err)?,
        title: r.try_get_by_index(3).map_err(map_err)?,
        held_on: r.try_get_by_index(4).map_err(map_err)?,
        duration_minutes: r.try_get_by_index(5).map_err(map_err)?,
        facilitator_id: r.try_get_by_index(6).map_err(map_err)?,
        funding_partner_id: r.try_get_by_index(7).map_err(map_err)?,
        attendees: r.try_get_by_index(8).map_err(map_err)?,
        voided: status == "voided",
        created_at: r.try_get_by_index(10).map_err(map_err)?,
        agreement_id: r.try_get_by_index(11).map_err(map_err)?,
    })
}

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
    let Some(r) = tx
        .query_one_raw(stmt(
            &format!(
                "select {COLUMNS}, coalesce(client_fingerprint = {}, true) from workshops \
                 where tenant_id = $1 and client_key = $2",
                crate::visits::fingerprint_sql(3)
            ),
            vec![tenant.into(), key.into(), fingerprint.into()],
        ))
        .await
        .map_err(map_err)?
    else {
        return Ok(None);
    };
    if !r.try_get_by_index::<bool>(12).map_err(map_err)? {
        return Err(Error::conflict_on(
            "clientKey",
            "cette clé a déjà servi pour un atelier différent : rien n'a été enregistré",
        ));
    }
    row(&r).map(Some)
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
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "insert into workshops (tenant_id, id, site_id, theme, title, held_on, duration_minutes, facilitator_id, \
                     funding_partner_id, attendees, client_key, created_by, agreement_id, client_fingerprint) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, {}) \
                     on conflict (tenant_id, client_key) do nothing returning {COLUMNS}",
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
            ))
            .await
            .map_err(map_err)?;
        let Some(r) = r else {
            // Raced with the same key and the other transaction won: READ COMMITTED
            // lets the next statement see its workshop.
            let found = by_client_key(&tx, tenant, &key, &fingerprint)
                .await?
                .ok_or_else(|| Error::internal_msg("client key vanished"))?;
            tx.commit().await?;
            return Ok((found, true));
        };
        let ws = row(&r)?;
        for b in &w.named_attendees {
            tx.execute_raw(stmt(
                "insert into workshop_attendees (tenant_id, id, workshop_id, beneficiary_id) values ($1, $2, $3, $4) on conflict do nothing",
                vec![tenant.into(), Uuid::now_v7().into(), ws.id.into(), (*b).into()],
            ))
            .await
            .map_err(map_err)?;
        }
        rollup::workshop(
            &tx,
            tenant,
            ws.site_id,
            ws.held_on,
            &ws.theme,
            ws.attendees,
            1,
        )
        .await?;
        rollup::agreement_workshop(&tx, tenant, &ws, 1).await?;
        tx.commit().await?;
        Ok((ws, false))
    }

    /// Voids a workshop recorded by mistake (coordinators, directors).
    pub async fn void_workshop(&self, ctx: &Ctx, id: Uuid) -> Result<Workshop, Error> {
        let scope = ctx.require_tenant_role(LEADS)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "select {COLUMNS} from workshops where tenant_id = $1 and id = $2 for update"
                ),
                vec![tenant.into(), id.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let w = row(&r)?;
        if w.voided {
            return Err(Error::conflict("the workshop is already voided"));
        }
        rollup::workshop(&tx, tenant, w.site_id, w.held_on, &w.theme, w.attendees, -1).await?;
        rollup::agreement_workshop(&tx, tenant, &w, -1).await?;
        let r = tx
            .query_one_raw(stmt(
                &format!("update workshops set status = 'voided', updated_at = now() where tenant_id = $1 and id = $2 returning {COLUMNS}"),
                vec![tenant.into(), id.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        row(&r)
    }

    /// Codes a held workshop to an agreement, or uncodes it with `None` (any writer).
    /// Coding sets the funding partner when the workshop has none.
    pub async fn code_workshop(
        &self,
        ctx: &Ctx,
        id: Uuid,
        agreement: Option<Uuid>,
    ) -> Result<Workshop, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "select {COLUMNS} from workshops where tenant_id = $1 and id = $2 for update"
                ),
                vec![tenant.into(), id.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let old = row(&r)?;
        if old.voided {
            return Err(Error::conflict("a voided workshop cannot be coded"));
        }
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
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "update workshops set agreement_id = $3, funding_partner_id = $4, updated_at = now() \
                     where tenant_id = $1 and id = $2 returning {COLUMNS}"
                ),
                vec![tenant.into(), id.into(), agreement.into(), funding.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let new = row(&r)?;
        rollup::agreement_workshop(&tx, tenant, &old, -1).await?;
        rollup::agreement_workshop(&tx, tenant, &new, 1).await?;
        tx.commit().await?;
        Ok(new)
    }

    pub async fn list_workshops(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Workshop>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!("select {COLUMNS} from workshops where tenant_id = $1 and ($2::uuid is null or id < $2) order by id desc limit $3"),
                vec![scope.tenant_id.0.into(), page.after.into(), (page.fetch() as i64).into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn workshops_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Workshop>, Error> {
        let Some(scope) = ctx.tenant() else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!("select {COLUMNS} from workshops where tenant_id = $1 and id = any($2)"),
                vec![scope.tenant_id.0.into(), ids.to_vec().into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(row).collect()
    }
}
