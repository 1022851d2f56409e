//! SQL for sites. Every statement filters on tenant_id explicitly where the actor
//! has a tenant, on top of row-level security.

use crate::model::{Closure, Label, LabelKind, NewSite, OpeningSlot, Site, SiteKind};
use db::{DbError, Scoped};
use kernel::{Error, PageRequest};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use uuid::Uuid;

const COLUMNS: &str = "id, tenant_id, name, kind, parent_site_id, host_place, street, postcode, city, \
    insee_code, latitude, longitude, qpv_code, opened_on, closed_on, services, created_at, updated_at";

fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "sites_tenant_name_key" => {
                Error::conflict("name: another site of the association has this name")
            }
            "site_labels_site_label_key" => {
                Error::conflict("this label is already recorded with this date")
            }
            "sites_parent_fkey" => Error::validation("parentSiteId", "unknown site"),
            "sites_dates" => Error::validation("closedOn", "before the opening date"),
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

fn site(r: &QueryResult) -> Result<Site, Error> {
    let kind: String = r.try_get_by_index(3).map_err(map_err)?;
    Ok(Site {
        id: r.try_get_by_index(0).map_err(map_err)?,
        tenant_id: r.try_get_by_index(1).map_err(map_err)?,
        name: r.try_get_by_index(2).map_err(map_err)?,
        kind: SiteKind::parse(&kind).ok_or_else(|| Error::internal_msg("unknown site kind"))?,
        parent_site_id: r.try_get_by_index(4).map_err(map_err)?,
        host_place: r.try_get_by_index(5).map_err(map_err)?,
        street: r.try_get_by_index(6).map_err(map_err)?,
        postcode: r.try_get_by_index(7).map_err(map_err)?,
        city: r.try_get_by_index(8).map_err(map_err)?,
        insee_code: r.try_get_by_index(9).map_err(map_err)?,
        latitude: r.try_get_by_index(10).map_err(map_err)?,
        longitude: r.try_get_by_index(11).map_err(map_err)?,
        qpv_code: r.try_get_by_index(12).map_err(map_err)?,
        opened_on: r.try_get_by_index(13).map_err(map_err)?,
        closed_on: r.try_get_by_index(14).map_err(map_err)?,
        services: r.try_get_by_index(15).map_err(map_err)?,
        created_at: r.try_get_by_index(16).map_err(map_err)?,
        updated_at: r.try_get_by_index(17).map_err(map_err)?,
    })
}

pub(crate) async fn get(tx: &Scoped, tenant: Uuid, id: Uuid) -> Result<Option<Site>, Error> {
    let r = tx
        .query_one_raw(stmt(
            &format!("select {COLUMNS} from sites where tenant_id = $1 and id = $2"),
            vec![tenant.into(), id.into()],
        ))
        .await
        .map_err(map_err)?;
    r.as_ref().map(site).transpose()
}

pub(crate) async fn insert(tx: &Scoped, tenant: Uuid, n: &NewSite) -> Result<Site, Error> {
    let kind = n.kind.unwrap_or(SiteKind::Site);
    let r = tx
        .query_one_raw(stmt(
            &format!(
                "insert into sites (tenant_id, id, name, kind, parent_site_id, host_place, street, postcode, city, \
                 insee_code, latitude, longitude, qpv_code, opened_on, services) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning {COLUMNS}"
            ),
            vec![
                tenant.into(),
                Uuid::now_v7().into(),
                n.name.clone().into(),
                kind.as_str().into(),
                n.parent_site_id.into(),
                n.host_place.clone().into(),
                n.street.clone().into(),
                n.postcode.clone().into(),
                n.city.clone().into(),
                n.insee_code.clone().into(),
                n.coordinates.map(|c| c.0).into(),
                n.coordinates.map(|c| c.1).into(),
                n.qpv_code.clone().into(),
                n.opened_on.into(),
                n.services.clone().into(),
            ],
        ))
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::internal_msg("insert returned no row"))?;
    site(&r)
}

pub(crate) async fn update(tx: &Scoped, tenant: Uuid, s: &Site) -> Result<Site, Error> {
    let r = tx
        .query_one_raw(stmt(
            &format!(
                "update sites set name = $3, host_place = $4, street = $5, postcode = $6, city = $7, insee_code = $8, \
                 latitude = $9, longitude = $10, qpv_code = $11, opened_on = $12, closed_on = $13, services = $14, \
                 updated_at = now() where tenant_id = $1 and id = $2 returning {COLUMNS}"
            ),
            vec![
                tenant.into(),
                s.id.into(),
                s.name.clone().into(),
                s.host_place.clone().into(),
                s.street.clone().into(),
                s.postcode.clone().into(),
                s.city.clone().into(),
                s.insee_code.clone().into(),
                s.latitude.into(),
                s.longitude.into(),
                s.qpv_code.clone().into(),
                s.opened_on.into(),
                s.closed_on.into(),
                s.services.clone().into(),
            ],
        ))
        .await
        .map_err(map_err)?
        .ok_or(Error::NotFound)?;
    site(&r)
}

pub(crate) async fn list(
    tx: &Scoped,
    tenant: Option<Uuid>,
    page: PageRequest,
    include_closed: bool,
) -> Result<Vec<Site>, Error> {
    let rows = tx
        .query_all_raw(stmt(
            &format!(
                "select {COLUMNS} from sites \
                 where ($1::uuid is null or tenant_id = $1) and ($2::uuid is null or id > $2) \
                   and ($3 or closed_on is null or closed_on >= current_date) \
                 order by id limit $4"
            ),
            vec![
                tenant.into(),
                page.after.into(),
                include_closed.into(),
                (page.fetch() as i64).into(),
            ],
        ))
        .await
        .map_err(map_err)?;
    rows.iter().map(site).collect()
}

pub(crate) async fn by_ids(
    tx: &Scoped,
    tenant: Option<Uuid>,
    ids: &[Uuid],
) -> Result<Vec<Site>, Error> {
    let rows = tx
        .query_all_raw(stmt(
            &format!("select {COLUMNS} from sites where id = any($1) and ($2::uuid is null or tenant_id = $2)"),
            vec![ids.to_vec().into(), tenant.into()],
        ))
        .await
        .map_err(map_err)?;
    rows.iter().map(site).collect()
}

pub(crate) async fn replace_hours(
    tx: &Scoped,
    tenant: Uuid,
    site_id: Uuid,
    slots: &[OpeningSlot],
) -> Result<(), Error> {
    tx.execute_raw(stmt(
        "delete from site_opening_hours where tenant_id = $1 and site_id = $2",
        vec![tenant.into(), site_id.into()],
    ))
    .await
    .map_err(map_err)?;
    for s in slots {
        tx.execute_raw(stmt(
            "insert into site_opening_hours (tenant_id, id, site_id, weekday, opens, closes, every_n_weeks, week_of_month) \
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                tenant.into(),
                Uuid::now_v7().into(),
                site_id.into(),
                s.weekday.into(),
                s.opens.into(),
                s.closes.into(),
                s.every_n_weeks.into(),
                s.week_of_month.into(),
            ],
        ))
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

pub(crate) async fn insert_closure(
    tx: &Scoped,
    tenant: Uuid,
    site_id: Uuid,
    c: Closure,
) -> Result<Closure, Error> {
    let id = Uuid::now_v7();
    tx.execute_raw(stmt(
        "insert into site_closures (tenant_id, id, site_id, starts_on, ends_on, reason) values ($1, $2, $3, $4, $5, $6)",
        vec![tenant.into(), id.into(), site_id.into(), c.starts_on.into(), c.ends_on.into(), c.reason.clone().into()],
    ))
    .await
    .map_err(map_err)?;
    Ok(Closure { id, site_id, ..c })
}

pub(crate) async fn delete_closure(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Uuid>, Error> {
    let r = tx
        .query_one_raw(stmt(
            "delete from site_closures where tenant_id = $1 and id = $2 returning site_id",
            vec![tenant.into(), id.into()],
        ))
        .await
        .map_err(map_err)?;
    r.map(|r| r.try_get_by_index::<Uuid>(0))
        .transpose()
        .map_err(map_err)
}

pub(crate) async fn insert_label(
    tx: &Scoped,
    tenant: Uuid,
    site_id: Uuid,
    l: Label,
) -> Result<Label, Error> {
    let id = Uuid::now_v7();
    tx.execute_raw(stmt(
        "insert into site_labels (tenant_id, id, site_id, label, granted_on, expires_on) values ($1, $2, $3, $4, $5, $6)",
        vec![tenant.into(), id.into(), site_id.into(), l.kind.as_str().into(), l.granted_on.into(), l.expires_on.into()],
    ))
    .await
    .map_err(map_err)?;
    Ok(Label { id, site_id, ..l })
}

type Details = (Uuid, Vec<OpeningSlot>, Vec<Closure>, Vec<Label>);

/// Hours, closures and labels for many sites: three queries, whatever the count.
pub(crate) async fn details(tx: &Scoped, ids: &[Uuid]) -> Result<Vec<Details>, Error> {
    let mut out: Vec<Details> = ids
        .iter()
        .map(|id| (*id, Vec::new(), Vec::new(), Vec::new()))
        .collect();
    let idx = |id: Uuid| ids.iter().position(|x| *x == id);
    let hours = tx
        .query_all_raw(stmt(
            "select site_id, weekday, opens, closes, every_n_weeks, week_of_month from site_opening_hours \
             where site_id = any($1) order by weekday, opens",
            vec![ids.to_vec().into()],
        ))
        .await
        .map_err(map_err)?;
    for r in hours {
        let sid: Uuid = r.try_get_by_index(0).map_err(map_err)?;
        if let Some(i) = idx(sid) {
            out[i].1.push(OpeningSlot {
                weekday: r.try_get_by_index(1).map_err(map_err)?,
                opens: r.try_get_by_index(2).map_err(map_err)?,
                closes: r.try_get_by_index(3).map_err(map_err)?,
                every_n_weeks: r.try_get_by_index(4).map_err(map_err)?,
                week_of_month: r.try_get_by_index(5).map_err(map_err)?,
            });
        }
    }
    let closures = tx
        .query_all_raw(stmt(
            "select site_id, id, starts_on, ends_on, reason from site_closures where site_id = any($1) order by starts_on",
            vec![ids.to_vec().into()],
        ))
        .await
        .map_err(map_err)?;
    for r in closures {
        let sid: Uuid = r.try_get_by_index(0).map_err(map_err)?;
        if let Some(i) = idx(sid) {
            out[i].2.push(Closure {
                site_id: sid,
                id: r.try_get_by_index(1).map_err(map_err)?,
                starts_on: r.try_get_by_index(2).map_err(map_err)?,
                ends_on: r.try_get_by_index(3).map_err(map_err)?,
                reason: r.try_get_by_index(4).map_err(map_err)?,
            });
        }
    }
    let labels = tx
        .query_all_raw(stmt(
            "select site_id, id, label, granted_on, expires_on from site_labels where site_id = any($1) order by granted_on",
            vec![ids.to_vec().into()],
        ))
        .await
        .map_err(map_err)?;
    for r in labels {
        let sid: Uuid = r.try_get_by_index(0).map_err(map_err)?;
        let kind: String = r.try_get_by_index(2).map_err(map_err)?;
        if let Some(i) = idx(sid) {
            out[i].3.push(Label {
                site_id: sid,
                id: r.try_get_by_index(1).map_err(map_err)?,
                kind: LabelKind::parse(&kind)
                    .ok_or_else(|| Error::internal_msg("unknown label"))?,
                granted_on: r.try_get_by_index(3).map_err(map_err)?,
                expires_on: r.try_get_by_index(4).map_err(map_err)?,
            });
        }
    }
    Ok(out)
}
