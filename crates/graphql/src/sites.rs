//! Sites: reception points, permanences, mobile units; hours, closures, labels.

use crate::connection::{connection, page_request};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::loaders::loaders;
use crate::node::{decode_id, encode_id};
use crate::tenancy::Tenant;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use kernel::Error;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SiteKind {
    /// A reception point (point d'accueil).
    Site,
    /// A recurring slot held at a host place, attached to a site.
    Permanence,
    /// A mobile unit.
    Mobile,
}

impl From<::sites::SiteKind> for SiteKind {
    fn from(k: ::sites::SiteKind) -> Self {
        match k {
            ::sites::SiteKind::Site => SiteKind::Site,
            ::sites::SiteKind::Permanence => SiteKind::Permanence,
            ::sites::SiteKind::Mobile => SiteKind::Mobile,
        }
    }
}

impl From<SiteKind> for ::sites::SiteKind {
    fn from(k: SiteKind) -> Self {
        match k {
            SiteKind::Site => ::sites::SiteKind::Site,
            SiteKind::Permanence => ::sites::SiteKind::Permanence,
            SiteKind::Mobile => ::sites::SiteKind::Mobile,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "::sites::LabelKind")]
pub enum SiteLabelKind {
    FranceServices,
    Msap,
    PointConseilBudget1,
    PointConseilBudget2,
    AidantsConnect,
    ConseillerNumerique,
}

#[derive(SimpleObject)]
pub struct Address {
    street: Option<String>,
    postcode: String,
    city: String,
    /// INSEE commune code.
    insee_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct Coordinates {
    latitude: f64,
    longitude: f64,
}

#[derive(SimpleObject)]
pub struct SiteService {
    code: String,
    /// French label.
    label: String,
}

#[derive(SimpleObject)]
pub struct OpeningSlot {
    /// 1 = Monday ... 7 = Sunday.
    weekday: i32,
    opens: NaiveTime,
    closes: NaiveTime,
    /// 1 = every week, 2 = every other week...
    every_n_weeks: i32,
    /// Only that week of the month (1..4, 5 = the last).
    week_of_month: Option<i32>,
}

#[derive(SimpleObject)]
pub struct SiteClosure {
    id: ID,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    reason: String,
}

#[derive(SimpleObject)]
pub struct SiteLabel {
    id: ID,
    kind: SiteLabelKind,
    /// French label.
    label: String,
    granted_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    /// Granted and not expired today.
    current: bool,
}

/// A site of an association.
pub struct Site(pub ::sites::Site);

#[Object]
impl Site {
    pub async fn id(&self) -> ID {
        encode_id("Site", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> SiteKind {
        self.0.kind.into()
    }
    /// For a permanence: the site it belongs to.
    async fn parent_site(&self, c: &Context<'_>) -> async_graphql::Result<Option<Site>> {
        match self.0.parent_site_id {
            Some(p) => Ok(loaders(c)?.site.load_one(p).await?.map(Site)),
            None => Ok(None),
        }
    }
    /// For a permanence: where it is held.
    async fn host_place(&self) -> Option<&str> {
        self.0.host_place.as_deref()
    }
    async fn address(&self) -> Address {
        Address {
            street: self.0.street.clone(),
            postcode: self.0.postcode.clone(),
            city: self.0.city.clone(),
            insee_code: self.0.insee_code.clone(),
        }
    }
    async fn coordinates(&self) -> Option<Coordinates> {
        Some(Coordinates {
            latitude: self.0.latitude?,
            longitude: self.0.longitude?,
        })
    }
    /// Priority neighbourhood (QPV) code, when the site is in one.
    async fn qpv_code(&self) -> Option<&str> {
        self.0.qpv_code.as_deref()
    }
    async fn opened_on(&self) -> NaiveDate {
        self.0.opened_on
    }
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.0.closed_on
    }
    /// Open today: opened, not closed for good.
    async fn is_open(&self) -> bool {
        let today = kernel::time::today();
        self.0.opened_on <= today && self.0.closed_on.is_none_or(|c| c >= today)
    }
    async fn services(&self) -> Vec<SiteService> {
        self.0
            .services
            .iter()
            .map(|code| SiteService {
                code: code.clone(),
                label: ::sites::SERVICES
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, l)| (*l).to_owned())
                    .unwrap_or_default(),
            })
            .collect()
    }
    async fn opening_hours(&self, c: &Context<'_>) -> async_graphql::Result<Vec<OpeningSlot>> {
        let d = loaders(c)?
            .site_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(d.0
            .into_iter()
            .map(|s| OpeningSlot {
                weekday: s.weekday.into(),
                opens: s.opens,
                closes: s.closes,
                every_n_weeks: s.every_n_weeks.into(),
                week_of_month: s.week_of_month.map(Into::into),
            })
            .collect())
    }
    /// Exceptional closures (holidays, works...), oldest first.
    async fn closures(&self, c: &Context<'_>) -> async_graphql::Result<Vec<SiteClosure>> {
        let d = loaders(c)?
            .site_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(d.1.into_iter().map(closure).collect())
    }
    async fn labels(&self, c: &Context<'_>) -> async_graphql::Result<Vec<SiteLabel>> {
        let today = kernel::time::today();
        let d = loaders(c)?
            .site_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(d.2
            .into_iter()
            .map(|l| SiteLabel {
                id: encode_id("SiteLabel", l.id),
                kind: l.kind.into(),
                label: l.kind.label_fr().to_owned(),
                granted_on: l.granted_on,
                expires_on: l.expires_on,
                current: l.granted_on <= today && l.expires_on.is_none_or(|e| e >= today),
            })
            .collect())
    }
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        Ok(loaders(c)?
            .tenant
            .load_one(self.0.tenant_id)
            .await?
            .map(Tenant))
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<FixedOffset> {
        self.0.updated_at
    }
}

fn closure(c: ::sites::Closure) -> SiteClosure {
    SiteClosure {
        id: encode_id("SiteClosure", c.id),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        reason: c.reason,
    }
}

#[derive(Default)]
pub struct SitesQuery;

#[Object]
impl SitesQuery {
    /// The active association's sites, permanences and mobile units.
    async fn sites(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_closed: bool,
    ) -> async_graphql::Result<Connection<String, Site>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .sites
            .list(ctx, page, include_closed)
            .await
            .gql()?;
        Ok(connection(p, |s| s.id, Site))
    }

    /// Every association's sites: the network map (union staff).
    async fn network_sites(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        tenant_id: Option<ID>,
        #[graphql(default = false)] include_closed: bool,
    ) -> async_graphql::Result<Connection<String, Site>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let tenant = tenant_id
            .map(|t| decode_id("tenantId", &t, "Tenant"))
            .transpose()
            .gql()?;
        let p = services(c)?
            .sites
            .list_network(ctx, page, tenant, include_closed)
            .await
            .gql()?;
        Ok(connection(p, |s| s.id, Site))
    }
}

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

#[derive(SimpleObject)]
pub struct SitePayload {
    site: Site,
}

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

async fn reload(c: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<SitePayload> {
    let ctx = ctx(c)?;
    let s = services(c)?
        .sites
        .by_ids(ctx, &[id])
        .await
        .gql()?
        .into_iter()
        .next()
        .ok_or_else(|| to_gql(Error::NotFound))?;
    Ok(SitePayload { site: Site(s) })
}

#[derive(Default)]
pub struct SitesMutation;

#[Object]
impl SitesMutation {
    /// Opens a site, permanence or mobile unit (directors, coordinators).
    async fn create_site(
        &self,
        c: &Context<'_>,
        input: CreateSiteInput,
    ) -> async_graphql::Result<SitePayload> {
        let ctx = ctx(c)?;
        let parent = input
            .parent_site_id
            .map(|p| decode_id("parentSiteId", &p, "Site"))
            .transpose()
            .gql()?;
        let s = services(c)?
            .sites
            .create(
                ctx,
                ::sites::NewSite {
                    name: input.name,
                    kind: Some(input.kind.into()),
                    parent_site_id: parent,
                    host_place: input.host_place,
                    street: input.street,
                    postcode: input.postcode,
                    city: input.city,
                    insee_code: input.insee_code,
                    coordinates: input.coordinates.map(|c| (c.latitude, c.longitude)),
                    qpv_code: input.qpv_code,
                    opened_on: Some(input.opened_on),
                    services: input.services,
                },
            )
            .await
            .gql()?;
        Ok(SitePayload { site: Site(s) })
    }

    /// Changes a site's details; `closedOn` closes it for good (directors, coordinators).
    async fn update_site(
        &self,
        c: &Context<'_>,
        input: UpdateSiteInput,
    ) -> async_graphql::Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = decode_id("siteId", &input.site_id, "Site").gql()?;
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
    ) -> async_graphql::Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = decode_id("siteId", &input.site_id, "Site").gql()?;
        let mut slots = Vec::with_capacity(input.slots.len());
        for (i, s) in input.slots.into_iter().enumerate() {
            slots.push(::sites::OpeningSlot {
                weekday: small(&format!("slots[{i}].weekday"), s.weekday).gql()?,
                opens: s.opens,
                closes: s.closes,
                every_n_weeks: small(&format!("slots[{i}].everyNWeeks"), s.every_n_weeks).gql()?,
                week_of_month: s
                    .week_of_month
                    .map(|w| small(&format!("slots[{i}].weekOfMonth"), w))
                    .transpose()
                    .gql()?,
            });
        }
        let s = services(c)?.sites.set_hours(ctx, id, slots).await.gql()?;
        Ok(SitePayload { site: Site(s) })
    }

    /// Records an exceptional closure (directors, coordinators).
    async fn add_site_closure(
        &self,
        c: &Context<'_>,
        input: AddSiteClosureInput,
    ) -> async_graphql::Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = decode_id("siteId", &input.site_id, "Site").gql()?;
        services(c)?
            .sites
            .add_closure(
                ctx,
                id,
                ::sites::Closure {
                    id: uuid::Uuid::nil(),
                    site_id: id,
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                    reason: input.reason,
                },
            )
            .await
            .gql()?;
        reload(c, id).await
    }

    /// Withdraws a closure recorded by mistake (directors, coordinators).
    async fn remove_site_closure(
        &self,
        c: &Context<'_>,
        input: RemoveSiteClosureInput,
    ) -> async_graphql::Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = decode_id("closureId", &input.closure_id, "SiteClosure").gql()?;
        let site = services(c)?.sites.remove_closure(ctx, id).await.gql()?;
        reload(c, site).await
    }

    /// Records a label granted to a site (directors, coordinators).
    async fn add_site_label(
        &self,
        c: &Context<'_>,
        input: AddSiteLabelInput,
    ) -> async_graphql::Result<SitePayload> {
        let ctx = ctx(c)?;
        let id = decode_id("siteId", &input.site_id, "Site").gql()?;
        services(c)?
            .sites
            .add_label(
                ctx,
                id,
                ::sites::Label {
                    id: uuid::Uuid::nil(),
                    site_id: id,
                    kind: input.kind.into(),
                    granted_on: input.granted_on,
                    expires_on: input.expires_on,
                },
            )
            .await
            .gql()?;
        reload(c, id).await
    }
}
