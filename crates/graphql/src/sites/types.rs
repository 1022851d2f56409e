//! The objects and enums of sites.

use crate::loaders::{load, load_of};
use crate::node::{RowObject, encode_id};
use crate::tenancy::types::Tenant;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};

mirror_enum!(SiteKind => "::sites::SiteKind" {
    /// A reception point (point d'accueil).
    Site,
    /// A recurring slot held at a host place, attached to a site.
    Permanence,
    /// A mobile unit.
    Mobile,
});
mirror_enum!(SiteLabelKind => "::sites::LabelKind" {
    FranceServices, Msap, PointConseilBudget1, PointConseilBudget2, AidantsConnect, ConseillerNumerique,
    /// The PIMMS brand suspended by a union sanction (set by `recordSanction`, not here).
    PimmsSuspended,
});

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

row_objects! {
    /// A site of an association.
    pub struct Site(pub ::sites::Site);
}

#[Object]
impl Site {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> SiteKind {
        self.0.kind.into()
    }
    /// For a permanence: the site it belongs to.
    async fn parent_site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.parent_site_id).await
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
    async fn opening_hours(&self, c: &Context<'_>) -> Result<Vec<OpeningSlot>> {
        let (hours, _, _) = load_of(c, |l| &l.sites.details, self.0.id).await?;
        Ok(hours
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
    async fn closures(&self, c: &Context<'_>) -> Result<Vec<SiteClosure>> {
        let (_, closures, _) = load_of(c, |l| &l.sites.details, self.0.id).await?;
        Ok(closures
            .into_iter()
            .map(|c| SiteClosure {
                id: encode_id("SiteClosure", c.id),
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                reason: c.reason,
            })
            .collect())
    }
    async fn labels(&self, c: &Context<'_>) -> Result<Vec<SiteLabel>> {
        let today = kernel::time::today();
        let (_, _, labels) = load_of(c, |l| &l.sites.details, self.0.id).await?;
        Ok(labels
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
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<FixedOffset> {
        self.0.updated_at
    }
}
