//! Coding journal entries to partner agreements. An entry fits an agreement when
//! `app.agreement_candidates` (migration 0004) lists it: the function runs as the
//! caller, so an agreement the association may not read never fits. When one does
//! not fit, a second look says why, so that the front desk can fix the entry.

use crate::model::RequestKind;
use crate::repo;
use crate::{Journal, WRITERS};
use chrono::NaiveDate;
use db::Scoped;
use kernel::{Ctx, Error};
use sea_orm::{FromQueryResult, Value};
use std::collections::HashMap;
use uuid::Uuid;

const PARTNER_VISITS: &str = "partner_visits";
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

impl<'a> Entry<'a> {
    /// A partner request of a visit at `site` on `day`.
    pub(crate) fn request(
        tenant: Uuid,
        site: Uuid,
        day: NaiveDate,
        theme: &'a str,
        partner: Option<Uuid>,
    ) -> Self {
        Entry {
            tenant,
            site,
            day,
            service: PARTNER_VISITS,
            theme,
            partner,
        }
    }
}

/// The Paris calendar day of an instant: the day agreements and rollups count in.
pub(crate) async fn paris_day(
    tx: &Scoped,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<NaiveDate, Error> {
    repo::scalar(
        tx,
        "select ($1::timestamptz at time zone 'Europe/Paris')::date as day",
        vec![at.into()],
        "day",
    )
    .await?
    .ok_or_else(|| Error::internal_msg("no row"))
}

/// The partner of an agreement the caller may read.
pub(crate) async fn agreement_partner(
    tx: &Scoped,
    agreement: Uuid,
    field: &str,
) -> Result<Uuid, Error> {
    repo::scalar(
        tx,
        "select partner_id from agreements where id = $1",
        vec![agreement.into()],
        "partner_id",
    )
    .await?
    .ok_or_else(|| Error::validation(field, "unknown agreement"))
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
    repo::scalar(
        tx,
        "select exists (select 1 from app.agreement_candidates($1, $2, $3, $4, $5, $6) c(id) where c.id = $7) as fits",
        e.values(agreement),
        "fits",
    )
    .await?
    .ok_or_else(|| Error::internal_msg("no row"))
}

impl Entry<'_> {
    /// The entry and the agreement as parameters $1 to $7.
    fn values(&self, agreement: Uuid) -> Vec<Value> {
        vec![
            self.tenant.into(),
            self.site.into(),
            self.day.into(),
            self.service.into(),
            self.theme.into(),
            self.partner.into(),
            agreement.into(),
        ]
    }
}

/// Which of `app.agreement_candidates`' conditions an entry meets, one by one.
#[derive(FromQueryResult)]
struct Conditions {
    status: String,
    same_partner: bool,
    in_period: bool,
    covers_service: bool,
    covers_theme: bool,
    covers_site: bool,
}

/// The first condition of `app.agreement_candidates` the entry fails, in words.
async fn why_not(tx: &Scoped, e: &Entry<'_>, agreement: Uuid) -> Result<String, Error> {
    let found: Option<Conditions> = repo::row(
        tx,
        "select a.status, ($6::uuid is null or a.partner_id = $6) as same_partner, \
           $3 between a.starts_on and a.ends_on as in_period, \
           $4 = any (a.services) as covers_service, \
           $5 = any (case when $4 = 'workshops' then a.workshop_themes else a.themes end) as covers_theme, \
           exists (select 1 from agreement_sites s where s.agreement_id = a.id and s.tenant_id = $1 and s.site_id = $2) \
             as covers_site \
         from agreements a where a.id = $7",
        e.values(agreement),
    )
    .await?;
    let Some(c) = found else {
        return Ok("unknown agreement".into());
    };
    Ok(if c.status == "draft" {
        "the agreement is still a draft".into()
    } else if c.status == "suspended" {
        "the agreement is suspended".into()
    } else if !c.same_partner {
        "the agreement is with another partner".into()
    } else if !c.covers_site {
        "the agreement does not cover this site".into()
    } else if !c.in_period {
        "outside the agreement's period".into()
    } else if !c.covers_service {
        if e.service == WORKSHOPS {
            "the agreement does not cover workshops".into()
        } else {
            "the agreement does not cover partner visits".into()
        }
    } else if !c.covers_theme {
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
        let rows: Vec<Proposal> = repo::rows(
            &tx,
            "select r.id, (array_agg(c.id))[1] as agreement_id from visit_requests r \
             join visits v on v.tenant_id = r.tenant_id and v.id = r.visit_id \
             cross join lateral app.agreement_candidates(r.tenant_id, v.site_id, \
               (v.occurred_at at time zone 'Europe/Paris')::date, 'partner_visits', r.theme, r.partner_id) c(id) \
             where r.tenant_id = $1 and r.id = any($2) and r.kind = $3 and r.agreement_id is null \
               and v.status = 'recorded' \
             group by r.id having count(*) = 1",
            vec![
                scope.tenant_id.0.into(),
                request_ids.to_vec().into(),
                RequestKind::Partner.into(),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(pairs(rows))
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
        let rows: Vec<Proposal> = repo::rows(
            &tx,
            "select w.id, (array_agg(c.id))[1] as agreement_id from workshops w \
             cross join lateral app.agreement_candidates(w.tenant_id, w.site_id, w.held_on, 'workshops', \
               w.theme, w.funding_partner_id) c(id) \
             where w.tenant_id = $1 and w.id = any($2) and w.agreement_id is null and w.status = 'held' \
             group by w.id having count(*) = 1",
            vec![scope.tenant_id.0.into(), workshop_ids.to_vec().into()],
        )
        .await?;
        tx.commit().await?;
        Ok(pairs(rows))
    }
}

/// The one agreement an entry fits.
#[derive(FromQueryResult)]
struct Proposal {
    id: Uuid,
    agreement_id: Uuid,
}

fn pairs(rows: Vec<Proposal>) -> HashMap<Uuid, Uuid> {
    rows.into_iter().map(|p| (p.id, p.agreement_id)).collect()
}
