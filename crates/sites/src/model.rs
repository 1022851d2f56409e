use crate::entity::{site_closure, site_label, site_opening_hour};
use chrono::{NaiveDate, NaiveTime};
use kernel::code_enum;
use uuid::Uuid;

code_enum!(
    /// A reception point (`Site`, point d'accueil); a recurring slot held elsewhere
    /// and attached to a site (`Permanence`); a mobile unit: bus, van (`Mobile`).
    stored SiteKind {
        Site = "site" / "Point d'accueil",
        Permanence = "permanence" / "Permanence",
        Mobile = "mobile" / "Unité mobile",
    }
);

/// Services a site may offer (codes; labels are French in the gateway).
pub const SERVICES: &[(&str, &str)] = &[
    (
        "partner_visits",
        "Accueil partenaires (énergie, eau, transport, poste...)",
    ),
    (
        "general_visits",
        "Accueil généraliste (CAF, CPAM, logement, emploi...)",
    ),
    ("digital_access", "Accès libre à internet"),
    ("digital_help", "Accompagnement aux démarches en ligne"),
    ("budget_advice", "Conseil budgétaire (Point Conseil Budget)"),
    ("outreach", "Médiation sortante"),
    ("workshops", "Animations collectives"),
    (
        "letters_and_forms",
        "Aide à la rédaction de courriers et formulaires",
    ),
    ("ticket_sales", "Vente de titres de transport"),
    ("stamp_sales", "Vente de timbres"),
    ("interpreting", "Interprétariat"),
];

/// A site is its row: every column of `sites`, the department (generated from the
/// postcode) included.
pub use crate::entity::site::Model as Site;

#[derive(Clone, Debug, Default)]
pub struct NewSite {
    pub name: String,
    pub kind: Option<SiteKind>,
    pub parent_site_id: Option<Uuid>,
    pub host_place: Option<String>,
    pub street: Option<String>,
    pub postcode: String,
    pub city: String,
    pub insee_code: Option<String>,
    pub coordinates: Option<(f64, f64)>,
    pub qpv_code: Option<String>,
    pub opened_on: Option<NaiveDate>,
    pub services: Vec<String>,
}

/// `None`: unchanged. `Some(None)`: cleared (nullable fields only).
#[derive(Clone, Debug, Default)]
pub struct SitePatch {
    pub name: Option<String>,
    pub host_place: Option<Option<String>>,
    pub street: Option<Option<String>>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub insee_code: Option<Option<String>>,
    pub coordinates: Option<Option<(f64, f64)>>,
    pub qpv_code: Option<Option<String>>,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<Option<NaiveDate>>,
    pub services: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpeningSlot {
    /// 1 = Monday ... 7 = Sunday.
    pub weekday: i16,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    /// 1 = every week, 2 = every other week...
    pub every_n_weeks: i16,
    /// Only that week of the month (1..4, 5 = last).
    pub week_of_month: Option<i16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closure {
    pub id: Uuid,
    pub site_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

code_enum!(
    stored LabelKind {
        FranceServices = "france_services" / "France Services",
        Msap = "msap" / "Maison de Services Au Public",
        PointConseilBudget1 = "point_conseil_budget_1" / "Point Conseil Budget (niveau 1)",
        PointConseilBudget2 = "point_conseil_budget_2" / "Point Conseil Budget (niveau 2)",
        AidantsConnect = "aidants_connect" / "Aidants Connect",
        ConseillerNumerique = "conseiller_numerique" / "Conseiller numérique",
        PimmsSuspended = "pimms_suspended" / "Marque PIMMS suspendue (sanction)",
    }
);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub id: Uuid,
    pub site_id: Uuid,
    pub kind: LabelKind,
    pub granted_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

impl From<site_opening_hour::Model> for OpeningSlot {
    fn from(m: site_opening_hour::Model) -> Self {
        OpeningSlot {
            weekday: m.weekday,
            opens: m.opens,
            closes: m.closes,
            every_n_weeks: m.every_n_weeks,
            week_of_month: m.week_of_month,
        }
    }
}

impl From<site_closure::Model> for Closure {
    fn from(m: site_closure::Model) -> Self {
        Closure {
            id: m.id,
            site_id: m.site_id,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            reason: m.reason,
        }
    }
}

impl From<site_label::Model> for Label {
    fn from(m: site_label::Model) -> Self {
        Label {
            id: m.id,
            site_id: m.site_id,
            kind: m.label,
            granted_on: m.granted_on,
            expires_on: m.expires_on,
        }
    }
}
