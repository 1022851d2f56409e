use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteKind {
    /// A reception point (point d'accueil).
    Site,
    /// A recurring slot held elsewhere (permanence), attached to a site.
    Permanence,
    /// A mobile unit (bus, van).
    Mobile,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Site => "site",
            SiteKind::Permanence => "permanence",
            SiteKind::Mobile => "mobile",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [SiteKind::Site, SiteKind::Permanence, SiteKind::Mobile]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

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

#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub kind: SiteKind,
    pub parent_site_id: Option<Uuid>,
    pub host_place: Option<String>,
    pub street: Option<String>,
    pub postcode: String,
    pub city: String,
    pub insee_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub qpv_code: Option<String>,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub services: Vec<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelKind {
    FranceServices,
    Msap,
    PointConseilBudget1,
    PointConseilBudget2,
    AidantsConnect,
    ConseillerNumerique,
}

impl LabelKind {
    pub const ALL: [LabelKind; 6] = [
        LabelKind::FranceServices,
        LabelKind::Msap,
        LabelKind::PointConseilBudget1,
        LabelKind::PointConseilBudget2,
        LabelKind::AidantsConnect,
        LabelKind::ConseillerNumerique,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::FranceServices => "france_services",
            LabelKind::Msap => "msap",
            LabelKind::PointConseilBudget1 => "point_conseil_budget_1",
            LabelKind::PointConseilBudget2 => "point_conseil_budget_2",
            LabelKind::AidantsConnect => "aidants_connect",
            LabelKind::ConseillerNumerique => "conseiller_numerique",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
    pub fn label_fr(self) -> &'static str {
        match self {
            LabelKind::FranceServices => "France Services",
            LabelKind::Msap => "Maison de Services Au Public",
            LabelKind::PointConseilBudget1 => "Point Conseil Budget (niveau 1)",
            LabelKind::PointConseilBudget2 => "Point Conseil Budget (niveau 2)",
            LabelKind::AidantsConnect => "Aidants Connect",
            LabelKind::ConseillerNumerique => "Conseiller numérique",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub id: Uuid,
    pub site_id: Uuid,
    pub kind: LabelKind,
    pub granted_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}
