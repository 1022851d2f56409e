//! Coding journal entries to partner agreements. An entry fits an agreement when
//! `app.agreement_candidates` (migration 0004) lists it: the function runs as the
//! caller, so an agreement the association may not read never fits. When one does
//! not fit, a second look says why, so that the front desk can fix the entry.

use crate::model::RequestKind;
use crate::repo::{map_err, stmt};
use crate::{Journal, WRITERS};
use chrono::NaiveDate;
use db::Scoped;
use kernel::{Ctx, Error};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) const PARTNER_VISITS: &str = "partner_visits";
pub(crate) const WORKSHOPS: &str = "workshops";

/// What an entry offers an agreement: where, when, which service and theme, and for
/// which partner (none: any partner).
pub(crate) struct Entry<'a> {
    pub tenant: Uuid,
    pub site: Uuid,
    pub day: NaiveDate,
    pub service: &'static str,
    pub theme: &'a str,
    pub partner: Option<Uuid>,
}

/// The Paris calendar day of an instant: the day agreements and rollups count in.
pub(crate) async fn paris_day(
    tx: &Scoped,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<NaiveDate, Error> {
    tx.query_one_raw(stmt(
        "select ($1::timestamptz at time zone 'Europe/Paris')::date",
        vec![at.into()],
    ))
    .await
    .map_err(map_err)?
    .ok_or_else(|| Error::internal_msg("no row"))?
    .try_get_by_index(0)
    .map_err(map_err)
}

/// The partner of an agreement the caller may read.
pub(crate) async fn agreement_partner(
    tx: &Scoped,
    agreement: Uuid,
    field: &str,
) -> Result<Uuid, Error> {
    tx.query_one_raw(stmt(
        "select partner_id from agreements where id = $1",
        vec![agreement.into()],
    ))
    .await
    .map_err(map_err)?
    .ok_or_else(|| Error::validation(field, "unknown agreement"))?
    .try_get_by_index(0)
    .map_err(map_err)
}

/// VALIDATION on `field` unless `agreement` is one of the entry's candidates.
pub(crate) async fn check(
    tx: &Scoped,
    e: &Entry<'_>,
    agreement: Uuid,
    field: &str,
) -> Result<(), Error> {
    if fits(tx, e, agreement).await? {
        return Ok(());
    }
    Err(Error::validation(field, why_not(tx, e, agreement).await?))
}

/// Whether `agreement` is one of the entry's candidates.
pub(crate) async fn fits(tx: &Scoped, e: &Entry<'_>, agreement: Uuid) -> Result<bool, Error> {
    tx
        .query_one_raw(stmt(
            "select exists (select 1 from app.agreement_candidates($1, $2, $3, $4, $5, $6) c(id) where c.id = $7)",
            vec![
                e.tenant.into(),
                e.site.into(),
                e.day.into(),
                e.service.into(),
                e.theme.into(),
                e.partner.into(),
                agreement.into(),
            ],
        ))
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::internal_msg("no row"))?
        .try_get_by_index(0)
        .map_err(map_err)
}

/// The first condition of `app.agreement_candidates` the entry fails, in words.
async fn why_not(tx: &Scoped, e: &Entry<'_>, agreement: Uuid) -> Result<String, Error> {
    let row = tx
        .query_one_raw(stmt(
            "select a.status, ($6::uuid is null or a.partner_id = $6), $3 between a.starts_on and a.ends_on, \
               $4 = any (a.services), \
               $5 = any (case when $4 = 'workshops' then a.workshop_themes else a.themes end), \
               exists (select 1 from agreement_sites s where s.agreement_id = a.id and s.tenant_id = $1 and s.site_id = $2) \
             from agreements a where a.id = $7",
            vec![
                e.tenant.into(),
                e.site.into(),
                e.day.into(),
                e.service.into(),
                e.theme.into(),
                e.partner.into(),
                agreement.into(),
            ],
        ))
        .await
        .map_err(map_err)?;
    let Some(r) = row else {
        return Ok("unknown agreement".into());
    };
    let status: String = r.try_get_by_index(0).map_err(map_err)?;
    let flag = |i: usize| r.try_get_by_index::<bool>(i).map_err(map_err);
    Ok(if status == "draft" {
        "the agreement is still a draft".into()
    } else if status == "suspended" {
        "the agreement is suspended".into()
    } else if !flag(1)? {
        "the agreement is with another partner".into()
    } else if !flag(5)? {
        "the agreement does not cover this site".into()
    } else if !flag(2)? {
        "outside the agreement's period".into()
    } else if !flag(3)? {
        if e.service == WORKSHOPS {
            "the agreement does not cover workshops".into()
        } else {
            "the agreement does not cover partner visits".into()
        }
    } else if !flag(4)? {
        "the agreement does not cover this theme".into()
    } else {
        "the entry does not fit the agreement".into()
    })
}

impl Journal {
    /// For each request given that is a partner request of a recorded visit and not
    /// yet coded: the agreement it fits, when exactly one does.
    pub async fn proposed_for_requests(
        &self,
        ctx: &Ctx,
        request_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Uuid>, Error> {
        let Ok(scope) = ctx.require_tenant_role(WRITERS) else {
            return Ok(HashMap::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                "select r.id, (array_agg(c.id))[1] from visit_requests r \
                 join visits v on v.tenant_id = r.tenant_id and v.id = r.visit_id \
                 cross join lateral app.agreement_candidates(r.tenant_id, v.site_id, \
                   (v.occurred_at at time zone 'Europe/Paris')::date, 'partner_visits', r.theme, r.partner_id) c(id) \
                 where r.tenant_id = $1 and r.id = any($2) and r.kind = $3 and r.agreement_id is null \
                   and v.status = 'recorded' \
                 group by r.id having count(*) = 1",
                vec![
                    scope.tenant_id.0.into(),
                    request_ids.to_vec().into(),
                    RequestKind::Partner.as_str().into(),
                ],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        pairs(&rows)
    }

    /// For each workshop given that is held and not yet coded: the agreement it fits
    /// (for its funding partner, or any partner without one), when exactly one does.
    pub async fn proposed_for_workshops(
        &self,
        ctx: &Ctx,
        workshop_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Uuid>, Error> {
        let Some(scope) = ctx.tenant() else {
            return Ok(HashMap::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                "select w.id, (array_agg(c.id))[1] from workshops w \
                 cross join lateral app.agreement_candidates(w.tenant_id, w.site_id, w.held_on, 'workshops', \
                   w.theme, w.funding_partner_id) c(id) \
                 where w.tenant_id = $1 and w.id = any($2) and w.agreement_id is null and w.status = 'held' \
                 group by w.id having count(*) = 1",
                vec![scope.tenant_id.0.into(), workshop_ids.to_vec().into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        pairs(&rows)
    }
}

fn pairs(rows: &[sea_orm::QueryResult]) -> Result<HashMap<Uuid, Uuid>, Error> {
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get_by_index(0).map_err(map_err)?,
                r.try_get_by_index(1).map_err(map_err)?,
            ))
        })
        .collect()
}
