use super::types::{Site, SiteKind, SiteLabelKind};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::node::{id_arg, opt_arg};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{NaiveDate, NaiveTime};
use kernel::Error;
use uuid::Uuid;

#[derive(InputObject)]
pub struct CoordinatesInput {
    latitude: f64,
    longitude: f64,
}

#[derive(InputObject)]
pub struct CreateSiteInput {
    name: String,
    #[graphql(default_with = "SiteKind::Site")]
    kind: SiteKind,
    /// Required for a permanence: the site it belongs to.
    parent_site_id: Option<ID>,
    /// Required for a permanence: where it is held.
    host_place: Option<String>,
    street: Option<String>,
    postcode: String,
    city: String,
    insee_code: Option<String>,
    coordinates: Option<CoordinatesInput>,
    qpv_code: Option<String>,
    opened_on: NaiveDate,
    /// Service codes (see Site.services).
    #[graphql(default)]
    services: Vec<String>,
}

#[derive(InputObject)]
pub struct UpdateSiteInput {
    site_id: ID,
    name: Option<String>,
    host_place: MaybeUndefined<String>,
    street: MaybeUndefined<String>,
    postcode: Option<String>,
    city: Option<String>,
    insee_code: MaybeUndefined<String>,
    coordinates: MaybeUndefined<CoordinatesInput>,
    qpv_code: MaybeUndefined<String>,
    opened_on: Option<NaiveDate>,
    /// Set to close the site for good; null to reopen it.
    closed_on: MaybeUndefined<NaiveDate>,
    services: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct OpeningSlotInput {
    weekday: i32,
    opens: NaiveTime,
    closes: NaiveTime,
    #[graphql(default = 1)]
    every_n_weeks: i32,
    week_of_month: Option<i32>,
}

#[derive(InputObject)]
pub struct SetSiteOpeningHoursInput {
    site_id: ID,
    /// The whole weekly schedule; replaces the previous one.
    slots: Vec<OpeningSlotInput>,
}

#[derive(InputObject)]
pub struct AddSiteClosureInput {
    site_id: ID,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    reason: String,
}

#[derive(InputObject)]
pub struct RemoveSiteClosureInput {
    closure_id: ID,
}

#[derive(InputObject)]
pub struct AddSiteLabelInput {
    site_id: ID,
    kind: SiteLabelKind,
    granted_on: NaiveDate,
    expires_on: Option<NaiveDate>,
}

payloads! {
    SitePayload { site: Site }
}

/// An optional field of a patch: absent keeps, null clears, a value sets.
fn maybe<T, U>(m: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(f(v))),
    }
}

fn small(field: &str, v: i32) -> Result<i16, Error> {
    i16::try_from(v).map_err(|_| Error::validation(field, "out of range"))
}

fn slot(i: usize, s: OpeningSlotInput) -> Result<::sites::OpeningSlot, Error> {
    Ok(::sites::OpeningSlot {
        weekday: small(&format!("slots[{i}].weekday"), s.weekday)?,
        opens: s.opens,
        closes: s.closes,
        every_n_weeks: small(&format!("slots[{i}].everyNWeeks"), s.every_n_weeks)?,
        week_of_month: s
            .week_of_month
            .map(|w| small(&format!("slots[{i}].weekOfMonth"), w))
            .transpose()?,
    })
}

/// The site as it is after a change made through another table (closures, labels).
async fn reload(c: &Context<'_>, id: Uuid) -> Result<SitePayload> {
    let s = services(c)?
        .sites
        .by_ids(ctx(c)?, &[id])
        .await
        .gql()?
        .pop()
        .ok_or_else(|| to_gql(Error::NotFound))?;
    Ok(SitePayload { site: Site(s) })
}

#[derive(Default)]
pub struct SitesMutation;

#[Object]
impl SitesMutation {
    /// Opens a site, permanence or mobile unit (directors, coordinators).
    async fn create_site(&self, c: &Context<'_>, input: CreateSiteInput) -> Result<SitePayload> {
        let ctx = ctx(c)?;
        let new = ::sites::NewSite {
            name: input.name,
            kind: Some(input.kind.into()),
            parent_site_id: opt_arg("parentSiteId", input.parent_site_id.as_ref(), "Site")?,
            host_place: input.host_place,
            street: input.street,
            postcode: input.postcode,
            city: input.city,
            insee_code: input.insee_code,
            coordinates: input.coordinates.map(|c| (c.latitude, c.longitude)),
            qpv_code: input.qpv_code,
            opened_on: Some(input.opened_on),
            services: input.services,
        };
        let s = services(c)?.sites.create(ctx, new).await.gql()?;
        Ok(SitePayload { site: Site(s) })
    }

    /// Changes a site's details; `closedOn` closes it for good (directors, coordinators).
    async fn update_site(&self, c: &Context<'_>, input: UpdateSiteInput) -> Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = id_arg("siteId", &input.site_id, "Site")?;
        let patch = ::sites::SitePatch {
            name: input.name,
            host_place: maybe(input.host_place, |v| v),
            street: maybe(input.street, |v| v),
            postcode: input.postcode,
            city: input.city,
            insee_code: maybe(input.insee_code, |v| v),
            coordinates: maybe(input.coordinates, |c| (c.latitude, c.longitude)),
            qpv_code: maybe(input.qpv_code, |v| v),
            opened_on: input.opened_on,
            closed_on: maybe(input.closed_on, |v| v),
            services: input.services,
        };
        let s = services(c)?.sites.update(ctx, id, patch).await.gql()?;
        Ok(SitePayload { site: Site(s) })
    }

    /// Replaces a site's weekly opening hours (directors, coordinators).
    async fn set_site_opening_hours(
        &self,
        c: &Context<'_>,
        input: SetSiteOpeningHoursInput,
    ) -> Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = id_arg("siteId", &input.site_id, "Site")?;
        let slots = input
            .slots
            .into_iter()
            .enumerate()
            .map(|(i, s)| slot(i, s))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        let s = services(c)?.sites.set_hours(ctx, id, slots).await.gql()?;
        Ok(SitePayload { site: Site(s) })
    }

    /// Records an exceptional closure (directors, coordinators).
    async fn add_site_closure(
        &self,
        c: &Context<'_>,
        input: AddSiteClosureInput,
    ) -> Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = id_arg("siteId", &input.site_id, "Site")?;
        let closure = ::sites::Closure {
            id: Uuid::nil(),
            site_id: id,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            reason: input.reason,
        };
        services(c)?
            .sites
            .add_closure(ctx, id, closure)
            .await
            .gql()?;
        reload(c, id).await
    }

    /// Withdraws a closure recorded by mistake (directors, coordinators).
    async fn remove_site_closure(
        &self,
        c: &Context<'_>,
        input: RemoveSiteClosureInput,
    ) -> Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = id_arg("closureId", &input.closure_id, "SiteClosure")?;
        let site = services(c)?.sites.remove_closure(ctx, id).await.gql()?;
        reload(c, site).await
    }

    /// Records a label granted to a site (directors, coordinators).
    async fn add_site_label(
        &self,
        c: &Context<'_>,
        input: AddSiteLabelInput,
    ) -> Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = id_arg("siteId", &input.site_id, "Site")?;
        let label = ::sites::Label {
            id: Uuid::nil(),
            site_id: id,
            kind: input.kind.into(),
            granted_on: input.granted_on,
            expires_on: input.expires_on,
        };
        services(c)?.sites.add_label(ctx, id, label).await.gql()?;
        reload(c, id).await
    }
}
