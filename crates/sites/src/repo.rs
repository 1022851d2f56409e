//! SQL for sites. Every statement filters on tenant_id explicitly where the actor
//! has a tenant, on top of row-level security.

use crate::entity::{site, site_closure, site_label, site_opening_hour};
use crate::model::{Closure, Label, NewSite, OpeningSlot, Site, SiteKind};
use db::{DbError, Scoped};
use kernel::{Error, PageRequest};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use uuid::Uuid;

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

pub(crate) async fn get(tx: &Scoped, tenant: Uuid, id: Uuid) -> Result<Option<Site>, Error> {
    site::Entity::find_by_id((tenant, id))
        .one(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn insert(tx: &Scoped, tenant: Uuid, n: &NewSite) -> Result<Site, Error> {
    let opened_on = n
        .opened_on
        .ok_or_else(|| Error::validation("openedOn", "required"))?;
    // Timestamps and the closing date take the table's defaults; the department is
    // generated from the postcode.
    site::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        name: Set(n.name.clone()),
        kind: Set(n.kind.unwrap_or(SiteKind::Site)),
        parent_site_id: Set(n.parent_site_id),
        host_place: Set(n.host_place.clone()),
        street: Set(n.street.clone()),
        postcode: Set(n.postcode.clone()),
        city: Set(n.city.clone()),
        insee_code: Set(n.insee_code.clone()),
        latitude: Set(n.coordinates.map(|c| c.0)),
        longitude: Set(n.coordinates.map(|c| c.1)),
        qpv_code: Set(n.qpv_code.clone()),
        opened_on: Set(opened_on),
        services: Set(n.services.clone()),
        ..Default::default()
    }
    .insert(&**tx)
    .await
    .map_err(map_err)
}

/// Writes every editable field of `s` (kind, parent and creation stay as they are).
pub(crate) async fn update(tx: &Scoped, tenant: Uuid, s: &Site) -> Result<Site, Error> {
    let fields = site::ActiveModel {
        name: Set(s.name.clone()),
        host_place: Set(s.host_place.clone()),
        street: Set(s.street.clone()),
        postcode: Set(s.postcode.clone()),
        city: Set(s.city.clone()),
        insee_code: Set(s.insee_code.clone()),
        latitude: Set(s.latitude),
        longitude: Set(s.longitude),
        qpv_code: Set(s.qpv_code.clone()),
        opened_on: Set(s.opened_on),
        closed_on: Set(s.closed_on),
        services: Set(s.services.clone()),
        ..Default::default()
    };
    let update = site::Entity::update_many()
        .set(fields)
        .col_expr(site::Column::UpdatedAt, Expr::current_timestamp())
        .filter(site::Column::TenantId.eq(tenant))
        .filter(site::Column::Id.eq(s.id));
    db::update_one(tx, update, map_err).await
}

/// One association's sites (`tenant`) or every association's, by id.
pub(crate) async fn list(
    tx: &Scoped,
    tenant: Option<Uuid>,
    page: PageRequest,
    include_closed: bool,
) -> Result<Vec<Site>, Error> {
    let open = Condition::any()
        .add(site::Column::ClosedOn.is_null())
        .add(site::Column::ClosedOn.into_expr().gte(Expr::current_date()));
    site::Entity::find()
        .apply_if(tenant, |q, t| q.filter(site::Column::TenantId.eq(t)))
        .apply_if(page.after, |q, after| q.filter(site::Column::Id.gt(after)))
        .apply_if((!include_closed).then_some(open), QueryFilter::filter)
        .order_by_asc(site::Column::Id)
        .limit(page.fetch())
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn by_ids(
    tx: &Scoped,
    tenant: Option<Uuid>,
    ids: &[Uuid],
) -> Result<Vec<Site>, Error> {
    site::Entity::find()
        .filter(site::Column::Id.eq_any(ids.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(site::Column::TenantId.eq(t)))
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn replace_hours(
    tx: &Scoped,
    tenant: Uuid,
    site_id: Uuid,
    slots: &[OpeningSlot],
) -> Result<(), Error> {
    site_opening_hour::Entity::delete_many()
        .filter(site_opening_hour::Column::TenantId.eq(tenant))
        .filter(site_opening_hour::Column::SiteId.eq(site_id))
        .exec(&**tx)
        .await
        .map_err(map_err)?;
    for s in slots {
        site_opening_hour::Entity::insert(site_opening_hour::ActiveModel {
            tenant_id: Set(tenant),
            id: Set(Uuid::now_v7()),
            site_id: Set(site_id),
            weekday: Set(s.weekday),
            opens: Set(s.opens),
            closes: Set(s.closes),
            every_n_weeks: Set(s.every_n_weeks),
            week_of_month: Set(s.week_of_month),
        })
        .exec_without_returning(&**tx)
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
    site_closure::Entity::insert(site_closure::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(id),
        site_id: Set(site_id),
        starts_on: Set(c.starts_on),
        ends_on: Set(c.ends_on),
        reason: Set(c.reason.clone()),
    })
    .exec_without_returning(&**tx)
    .await
    .map_err(map_err)?;
    Ok(Closure { id, site_id, ..c })
}

/// The site the closure belonged to, or None when there was no such closure.
pub(crate) async fn delete_closure(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Uuid>, Error> {
    site_closure::Entity::delete_by_id((tenant, id))
        .exec_with_returning(&**tx)
        .await
        .map(|m| m.map(|m| m.site_id))
        .map_err(map_err)
}

pub(crate) async fn insert_label(
    tx: &Scoped,
    tenant: Uuid,
    site_id: Uuid,
    l: Label,
) -> Result<Label, Error> {
    let id = Uuid::now_v7();
    site_label::Entity::insert(site_label::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(id),
        site_id: Set(site_id),
        label: Set(l.kind),
        granted_on: Set(l.granted_on),
        expires_on: Set(l.expires_on),
    })
    .exec_without_returning(&**tx)
    .await
    .map_err(map_err)?;
    Ok(Label { id, site_id, ..l })
}

type Details = (Uuid, Vec<OpeningSlot>, Vec<Closure>, Vec<Label>);

/// Hours, closures and labels for many sites: three queries, whatever the count.
pub(crate) async fn details(tx: &Scoped, ids: &[Uuid]) -> Result<Vec<Details>, Error> {
    let hours = site_opening_hour::Entity::find()
        .filter(site_opening_hour::Column::SiteId.eq_any(ids.iter().copied()))
        .order_by_asc(site_opening_hour::Column::Weekday)
        .order_by_asc(site_opening_hour::Column::Opens)
        .all(&**tx)
        .await
        .map_err(map_err)?;
    let closures = site_closure::Entity::find()
        .filter(site_closure::Column::SiteId.eq_any(ids.iter().copied()))
        .order_by_asc(site_closure::Column::StartsOn)
        .all(&**tx)
        .await
        .map_err(map_err)?;
    let labels = site_label::Entity::find()
        .filter(site_label::Column::SiteId.eq_any(ids.iter().copied()))
        .order_by_asc(site_label::Column::GrantedOn)
        .all(&**tx)
        .await
        .map_err(map_err)?;
    let hours = per_site(ids, hours, |h| h.site_id);
    let closures = per_site(ids, closures, |c| c.site_id);
    let labels = per_site(ids, labels, |l| l.site_id);
    Ok(ids
        .iter()
        .zip(hours)
        .zip(closures)
        .zip(labels)
        .map(|(((id, h), c), l)| (*id, h, c, l))
        .collect())
}

/// `rows` shared out to the sites of `ids`, in the order of `ids` (rows keep theirs).
fn per_site<M, T: From<M>>(ids: &[Uuid], rows: Vec<M>, site_of: fn(&M) -> Uuid) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = ids.iter().map(|_| Vec::new()).collect();
    for r in rows {
        let sid = site_of(&r);
        if let Some(i) = ids.iter().position(|x| *x == sid) {
            out[i].push(T::from(r));
        }
    }
    out
}
