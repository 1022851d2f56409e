//! Rollup maintenance. Every journal write adds (+1) or withdraws (-1) its
//! contribution to the daily rollups inside the same transaction, so dashboard totals
//! are exact at every commit. A negative count would violate a check constraint:
//! a withdrawal that was never added fails loudly instead of skewing a dashboard.

use crate::model::{Request, Visit, Workshop};
use db::Scoped;
use kernel::Error;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

pub(crate) const PARIS_DAY: &str = "($3::timestamptz at time zone 'Europe/Paris')::date";

fn err(e: sea_orm::DbErr) -> Error {
    Error::from(db::DbError::from(e))
}

/// Runs one rollup statement: how many rows it touched.
async fn run(
    tx: &Scoped,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, Error> {
    Ok(tx
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(err)?
        .rows_affected())
}

/// A withdrawal must find the row it withdraws from; anything else means the rollups
/// and the journal disagree, which must stop the write rather than skew totals.
fn expect_rows(done: u64, wanted: u64, what: &str) -> Result<(), Error> {
    if done == wanted {
        Ok(())
    } else {
        Err(Error::internal_msg(format!(
            "{what} rollup out of step with the journal"
        )))
    }
}

/// A visit's contribution: the daily rollups and, for requests coded to an
/// agreement, the agreement's monthly activity.
pub(crate) async fn visit(
    tx: &Scoped,
    v: &Visit,
    requests: &[Request],
    sign: i32,
) -> Result<(), Error> {
    agreement_requests(tx, v, requests, sign).await?;
    if sign < 0 {
        return withdraw_visit(tx, v, requests).await;
    }
    run(
        tx,
        format!(
            "insert into visit_daily (tenant_id, site_id, day, channel, visits, minutes, during_closure, outside_hours) \
             values ($1, $2, {PARIS_DAY}, $4, $5, $6, $7, $8) \
             on conflict (tenant_id, site_id, day, channel) do update \
             set visits = visit_daily.visits + excluded.visits, minutes = visit_daily.minutes + excluded.minutes, \
                 during_closure = visit_daily.during_closure + excluded.during_closure, \
                 outside_hours = visit_daily.outside_hours + excluded.outside_hours"
        ),
        [
            v.tenant_id.into(),
            v.site_id.into(),
            v.occurred_at.into(),
            v.channel.into(),
            sign.into(),
            (i64::from(v.duration_minutes) * i64::from(sign)).into(),
            (i32::from(v.during_closure) * sign).into(),
            (i32::from(v.outside_hours) * sign).into(),
        ],
    )
    .await?;
    let (groups, values) = request_groups(v, requests, sign);
    if groups == 0 {
        return Ok(());
    }
    run(
        tx,
        format!(
            "insert into request_daily (tenant_id, site_id, day, channel, theme, kind, partner_key, requests, mediation_acts) \
             select $1, $2, {PARIS_DAY}, $4, u.theme, u.kind, u.partner, u.n, u.a \
             from unnest($5::text[], $6::text[], $7::uuid[], $8::int[], $9::int[]) as u(theme, kind, partner, n, a) \
             on conflict (tenant_id, site_id, day, channel, theme, kind, partner_key) do update \
             set requests = request_daily.requests + excluded.requests, \
                 mediation_acts = request_daily.mediation_acts + excluded.mediation_acts"
        ),
        values,
    )
    .await?;
    Ok(())
}

/// A visit's requests, one group per distinct (theme, kind, partner) since an upsert
/// or an update may touch a row only once, as the parameters of the request
/// rollup's statements ($1 to $9), each count times `sign`; and how many groups.
fn request_groups(v: &Visit, requests: &[Request], sign: i32) -> (u64, Vec<Value>) {
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
    let n = groups.len() as u64;
    let (mut themes, mut kinds, mut partners, mut reqs, mut acts) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ((theme, kind, partner), (c, a)) in groups {
        themes.push(theme);
        kinds.push(kind.to_owned());
        partners.push(partner);
        reqs.push(c);
        acts.push(a);
    }
    let values = vec![
        v.tenant_id.into(),
        v.site_id.into(),
        v.occurred_at.into(),
        v.channel.into(),
        themes.into(),
        kinds.into(),
        partners.into(),
        reqs.into(),
        acts.into(),
    ];
    (n, values)
}

/// PostgreSQL checks an upsert's proposed row before it finds the conflict, so a
/// negative contribution cannot go through INSERT ... ON CONFLICT: withdrawals are
/// plain updates of rows that must exist.
async fn withdraw_visit(tx: &Scoped, v: &Visit, requests: &[Request]) -> Result<(), Error> {
    let done = run(
        tx,
        format!(
            "update visit_daily set visits = visits - 1, minutes = minutes - $5, \
                   during_closure = during_closure - $6, outside_hours = outside_hours - $7 \
                 where tenant_id = $1 and site_id = $2 and day = {PARIS_DAY} and channel = $4"
        ),
        [
            v.tenant_id.into(),
            v.site_id.into(),
            v.occurred_at.into(),
            v.channel.into(),
            i64::from(v.duration_minutes).into(),
            i32::from(v.during_closure).into(),
            i32::from(v.outside_hours).into(),
        ],
    )
    .await?;
    expect_rows(done, 1, "visit")?;
    // The counts withdrawn, as positive numbers: the update subtracts them.
    let (n, values) = request_groups(v, requests, 1);
    if n == 0 {
        return Ok(());
    }
    let done = run(
        tx,
        format!(
            "update request_daily r set requests = r.requests - u.n, mediation_acts = r.mediation_acts - u.a \
             from unnest($5::text[], $6::text[], $7::uuid[], $8::int[], $9::int[]) as u(theme, kind, partner, n, a) \
             where r.tenant_id = $1 and r.site_id = $2 and r.day = {PARIS_DAY} and r.channel = $4 \
               and r.theme = u.theme and r.kind = u.kind and r.partner_key = u.partner"
        ),
        values,
    )
    .await?;
    expect_rows(done, n, "request")
}

/// A workshop's contribution: the daily rollup and, when it is coded to an
/// agreement, the agreement's monthly activity.
pub(crate) async fn workshop(
    tx: &Scoped,
    tenant: Uuid,
    w: &Workshop,
    sign: i32,
) -> Result<(), Error> {
    let (site, day, theme) = (w.site_id.into(), w.held_on.into(), w.theme.clone().into());
    if sign < 0 {
        let done = run(
            tx,
            "update workshop_daily set workshops = workshops - 1, attendees = attendees - $5 \
             where tenant_id = $1 and site_id = $2 and day = $3 and theme = $4",
            [tenant.into(), site, day, theme, w.attendees.into()],
        )
        .await?;
        expect_rows(done, 1, "workshop")?;
    } else {
        run(
            tx,
            "insert into workshop_daily (tenant_id, site_id, day, theme, workshops, attendees) \
             values ($1, $2, $3, $4, $5, $6) \
             on conflict (tenant_id, site_id, day, theme) do update \
             set workshops = workshop_daily.workshops + excluded.workshops, \
                 attendees = workshop_daily.attendees + excluded.attendees",
            [
                tenant.into(),
                site,
                day,
                theme,
                sign.into(),
                (w.attendees * sign).into(),
            ],
        )
        .await?;
    }
    agreement_workshop(tx, tenant, w, sign).await
}

/// Paris calendar month (its first day) of the timestamptz in `$3`.
const PARIS_MONTH: &str =
    "date_trunc('month', ($3::timestamptz at time zone 'Europe/Paris'))::date";

/// The coded requests' contribution to `agreement_activity_monthly`, per agreement
/// and theme. Coding (`code_requests`) calls it with only the requests it changes.
pub(crate) async fn agreement_requests(
    tx: &Scoped,
    v: &Visit,
    requests: &[Request],
    sign: i32,
) -> Result<(), Error> {
    let mut groups: BTreeMap<(Uuid, String), (i32, i32)> = BTreeMap::new();
    for r in requests {
        if let Some(a) = r.agreement_id {
            let e = groups.entry((a, r.theme.clone())).or_default();
            e.0 += 1;
            e.1 += i32::from(r.mediation_act);
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let n = groups.len() as u64;
    let (mut agreements, mut themes, mut counts, mut acts) = (vec![], vec![], vec![], vec![]);
    for ((a, theme), (c, m)) in groups {
        agreements.push(a);
        themes.push(theme);
        counts.push(c);
        acts.push(m);
    }
    let values = [
        v.tenant_id.into(),
        v.site_id.into(),
        v.occurred_at.into(),
        agreements.into(),
        themes.into(),
        counts.into(),
        acts.into(),
    ];
    let sql = if sign < 0 {
        format!(
            "update agreement_activity_monthly m set count = m.count - u.n, mediation_acts = m.mediation_acts - u.a \
             from unnest($4::uuid[], $5::text[], $6::int[], $7::int[]) as u(agreement, theme, n, a) \
             where m.agreement_id = u.agreement and m.tenant_id = $1 and m.site_id = $2 and m.month = {PARIS_MONTH} \
               and m.activity = 'request' and m.theme = u.theme"
        )
    } else {
        // The partner comes from the agreement: the caller reads it, since coding
        // checked the agreement through app.agreement_candidates as the caller.
        format!(
            "insert into agreement_activity_monthly (agreement_id, partner_id, tenant_id, site_id, month, activity, theme, count, mediation_acts) \
             select u.agreement, a.partner_id, $1, $2, {PARIS_MONTH}, 'request', u.theme, u.n, u.a \
             from unnest($4::uuid[], $5::text[], $6::int[], $7::int[]) as u(agreement, theme, n, a) \
             join agreements a on a.id = u.agreement \
             on conflict (agreement_id, tenant_id, site_id, month, activity, theme) do update \
             set count = agreement_activity_monthly.count + excluded.count, \
                 mediation_acts = agreement_activity_monthly.mediation_acts + excluded.mediation_acts"
        )
    };
    let done = run(tx, sql, values).await?;
    expect_rows(done, n, "agreement activity")
}

/// A coded workshop's contribution to its agreement's monthly activity.
pub(crate) async fn agreement_workshop(
    tx: &Scoped,
    tenant: Uuid,
    w: &Workshop,
    sign: i32,
) -> Result<(), Error> {
    let Some(agreement) = w.agreement_id else {
        return Ok(());
    };
    let values = [
        tenant.into(),
        w.site_id.into(),
        w.held_on.into(),
        agreement.into(),
        w.theme.clone().into(),
        w.attendees.into(),
    ];
    let sql = if sign < 0 {
        "update agreement_activity_monthly set count = count - 1, attendees = attendees - $6 \
         where agreement_id = $4 and tenant_id = $1 and site_id = $2 and month = date_trunc('month', $3::date)::date \
           and activity = 'workshop' and theme = $5"
    } else {
        "insert into agreement_activity_monthly (agreement_id, partner_id, tenant_id, site_id, month, activity, theme, count, attendees) \
         select $4, a.partner_id, $1, $2, date_trunc('month', $3::date)::date, 'workshop', $5, 1, $6 \
         from agreements a where a.id = $4 \
         on conflict (agreement_id, tenant_id, site_id, month, activity, theme) do update \
         set count = agreement_activity_monthly.count + 1, attendees = agreement_activity_monthly.attendees + excluded.attendees"
    };
    let done = run(tx, sql, values).await?;
    expect_rows(done, 1, "agreement activity")
}
