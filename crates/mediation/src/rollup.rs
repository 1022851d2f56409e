//! Rollup maintenance. Every journal write adds (+1) or withdraws (-1) its
//! contribution to the daily rollups inside the same transaction, so dashboard totals
//! are exact at every commit. A negative count would violate a check constraint:
//! a withdrawal that was never added fails loudly instead of skewing a dashboard.

use crate::model::{Request, Visit};
use db::Scoped;
use kernel::Error;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::BTreeMap;
use uuid::Uuid;

pub(crate) const PARIS_DAY: &str = "($3::timestamptz at time zone 'Europe/Paris')::date";

fn err(e: sea_orm::DbErr) -> Error {
    Error::from(db::DbError::from(e))
}

pub(crate) async fn visit(
    tx: &Scoped,
    v: &Visit,
    requests: &[Request],
    sign: i32,
) -> Result<(), Error> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "insert into visit_daily (tenant_id, site_id, day, channel, visits, minutes) \
             values ($1, $2, {PARIS_DAY}, $4, $5, $6) \
             on conflict (tenant_id, site_id, day, channel) do update \
             set visits = visit_daily.visits + excluded.visits, minutes = visit_daily.minutes + excluded.minutes"
        ),
        [
            v.tenant_id.into(),
            v.site_id.into(),
            v.occurred_at.into(),
            v.channel.as_str().into(),
            sign.into(),
            (i64::from(v.duration_minutes) * i64::from(sign)).into(),
        ],
    ))
    .await
    .map_err(err)?;
    // One row per distinct (theme, kind, partner): an upsert may touch a row only once.
    let mut groups: BTreeMap<(String, &str, Uuid), (i32, i32)> = BTreeMap::new();
    for r in requests {
        let e = groups
            .entry((
                r.theme.clone(),
                r.kind.as_str(),
                r.partner_id.unwrap_or(Uuid::nil()),
            ))
            .or_default();
        e.0 += sign;
        e.1 += if r.mediation_act { sign } else { 0 };
    }
    if groups.is_empty() {
        return Ok(());
    }
    let (mut themes, mut kinds, mut partners, mut reqs, mut acts) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ((theme, kind, partner), (n, a)) in groups {
        themes.push(theme);
        kinds.push(kind.to_owned());
        partners.push(partner);
        reqs.push(n);
        acts.push(a);
    }
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "insert into request_daily (tenant_id, site_id, day, channel, theme, kind, partner_key, requests, mediation_acts) \
             select $1, $2, {PARIS_DAY}, $4, u.theme, u.kind, u.partner, u.n, u.a \
             from unnest($5::text[], $6::text[], $7::uuid[], $8::int[], $9::int[]) as u(theme, kind, partner, n, a) \
             on conflict (tenant_id, site_id, day, channel, theme, kind, partner_key) do update \
             set requests = request_daily.requests + excluded.requests, \
                 mediation_acts = request_daily.mediation_acts + excluded.mediation_acts"
        ),
        [
            v.tenant_id.into(),
            v.site_id.into(),
            v.occurred_at.into(),
            v.channel.as_str().into(),
            themes.into(),
            kinds.into(),
            partners.into(),
            reqs.into(),
            acts.into(),
        ],
    ))
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) async fn workshop(
    tx: &Scoped,
    tenant: Uuid,
    site: Uuid,
    day: chrono::NaiveDate,
    theme: &str,
    attendees: i32,
    sign: i32,
) -> Result<(), Error> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "insert into workshop_daily (tenant_id, site_id, day, theme, workshops, attendees) values ($1, $2, $3, $4, $5, $6) \
         on conflict (tenant_id, site_id, day, theme) do update \
         set workshops = workshop_daily.workshops + excluded.workshops, attendees = workshop_daily.attendees + excluded.attendees",
        [tenant.into(), site.into(), day.into(), theme.into(), sign.into(), (attendees * sign).into()],
    ))
    .await
    .map_err(err)?;
    Ok(())
}
