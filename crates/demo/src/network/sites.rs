//! Demo sites: PIMMS Lyon Métropole's seven reception points, PIMMS de Nîmes's two
//! sites and their permanences, two or three sites for each other association (one
//! with a mobile unit). Idempotent: a site is keyed by (association, name) and skipped
//! when present; hours, labels and closures are only added to a site that has none,
//! so what a director edits through the API survives a second `seed --demo`.
//! Addresses, coordinates and priority-neighbourhood codes are plausible, not official.

use crate::Error;
use ::sites::entity::{site, site_closure, site_label, site_opening_hour};
use chrono::{NaiveDate, NaiveTime};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One weekly slot. `every_n_weeks`/`week_of_month` describe a permanence's rhythm.
#[derive(Clone, Copy)]
pub(crate) struct Slot {
    /// 1 = Monday ... 7 = Sunday.
    pub weekday: i16,
    pub opens: &'static str,
    pub closes: &'static str,
    pub every_n_weeks: i16,
    pub week_of_month: Option<i16>,
}

const fn weekly(weekday: i16, opens: &'static str, closes: &'static str) -> Slot {
    Slot {
        weekday,
        opens,
        closes,
        every_n_weeks: 1,
        week_of_month: None,
    }
}

const fn every(n: i16, weekday: i16, opens: &'static str, closes: &'static str) -> Slot {
    Slot {
        every_n_weeks: n,
        ..weekly(weekday, opens, closes)
    }
}

const fn nth_of_month(week: i16, weekday: i16, opens: &'static str, closes: &'static str) -> Slot {
    Slot {
        week_of_month: Some(week),
        ..weekly(weekday, opens, closes)
    }
}

pub(crate) enum Hours {
    /// Monday to Friday, a morning and an afternoon; the team meets on one afternoon
    /// (`closed_afternoon`, 1 = Monday) and the site is then closed.
    Weekdays {
        morning: (&'static str, &'static str),
        afternoon: (&'static str, &'static str),
        closed_afternoon: i16,
    },
    Slots(&'static [Slot]),
}

impl Hours {
    pub(crate) fn slots(&self) -> Vec<Slot> {
        match self {
            Hours::Weekdays {
                morning,
                afternoon,
                closed_afternoon,
            } => (1..=5)
                .flat_map(|d| {
                    let am = Some(weekly(d, morning.0, morning.1));
                    let pm = (d != *closed_afternoon).then(|| weekly(d, afternoon.0, afternoon.1));
                    [am, pm]
                })
                .flatten()
                .collect(),
            Hours::Slots(s) => s.to_vec(),
        }
    }
}

const fn usual(closed_afternoon: i16) -> Hours {
    Hours::Weekdays {
        morning: ("09:00", "12:30"),
        afternoon: ("13:30", "17:00"),
        closed_afternoon,
    }
}

/// (label code, granted on, expires on)
type Label = (&'static str, &'static str, Option<&'static str>);
/// (starts on, ends on, reason)
type Closure = (&'static str, &'static str, &'static str);

pub(crate) struct SiteSeed {
    pub tenant: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    /// A permanence's site, by name.
    pub parent: Option<&'static str>,
    pub host_place: Option<&'static str>,
    pub street: &'static str,
    pub postcode: &'static str,
    pub city: &'static str,
    pub insee: &'static str,
    /// (latitude, longitude)
    pub coordinates: Option<(f64, f64)>,
    pub qpv: Option<&'static str>,
    pub opened_on: &'static str,
    pub services: &'static [&'static str],
    pub hours: Hours,
    pub labels: &'static [Label],
    pub closures: &'static [Closure],
}

const LYON: &str = "pimms-lyon-metropole";
const NIMES: &str = "pimms-nimes";
const GRENOBLE: &str = "pimms-grenoble-alpes";
const MARSEILLE: &str = "pimms-marseille";
const CHERBOURG: &str = "pimms-cherbourg";

const BASE: SiteSeed = SiteSeed {
    tenant: LYON,
    name: "",
    kind: "site",
    parent: None,
    host_place: None,
    street: "",
    postcode: "",
    city: "",
    insee: "",
    coordinates: None,
    qpv: None,
    opened_on: "",
    services: &[],
    hours: Hours::Slots(&[]),
    labels: &[],
    closures: &[],
};

const ALL_SERVICES: &[&str] = &[
    "partner_visits",
    "general_visits",
    "digital_access",
    "digital_help",
    "budget_advice",
    "outreach",
    "workshops",
    "letters_and_forms",
    "ticket_sales",
];
const RECEPTION: &[&str] = &[
    "partner_visits",
    "general_visits",
    "digital_access",
    "digital_help",
    "outreach",
    "workshops",
    "letters_and_forms",
];
const WITH_BUDGET: &[&str] = &[
    "partner_visits",
    "general_visits",
    "digital_access",
    "digital_help",
    "budget_advice",
    "outreach",
    "letters_and_forms",
];
const PERMANENCE: &[&str] = &["partner_visits", "general_visits", "letters_and_forms"];

const FRANCE_SERVICES: Label = ("france_services", "2020-01-01", None);
const MSAP_UNTIL_2019: Label = ("msap", "2016-06-01", Some("2019-12-31"));
const PCB1: Label = ("point_conseil_budget_1", "2019-06-01", None);
const LYON_YEAR_END: &[Closure] = &[(
    "2026-12-24",
    "2026-12-31",
    "Fermeture de fin d'année de l'association",
)];

pub(crate) const SITES: &[SiteSeed] = &[
    // PIMMS Lyon Métropole: seven reception points, 1995 to 2006.
    SiteSeed {
        name: "PIMMS Lyon États-Unis",
        street: "57 boulevard des États-Unis",
        postcode: "69008",
        city: "Lyon",
        insee: "69388",
        coordinates: Some((45.7361, 4.8651)),
        qpv: Some("QP069008"),
        opened_on: "1995-03-01",
        services: ALL_SERVICES,
        hours: usual(4),
        labels: &[MSAP_UNTIL_2019, FRANCE_SERVICES, PCB1],
        closures: LYON_YEAR_END,
        ..BASE
    },
    SiteSeed {
        name: "PIMMS Lyon-Vaise",
        street: "10 rue Marietton",
        postcode: "69009",
        city: "Lyon",
        insee: "69389",
        coordinates: Some((45.7746, 4.8049)),
        qpv: Some("QP069021"),
        opened_on: "1998-09-01",
        services: &[
            "partner_visits",
            "general_visits",
            "digital_access",
            "digital_help",
            "workshops",
            "letters_and_forms",
            "ticket_sales",
        ],
        hours: usual(2),
        labels: &[PCB1],
        closures: LYON_YEAR_END,
        ..BASE
    },
    SiteSeed {
        name: "PIMMS Bron",
        street: "14 rue Guynemer",
        postcode: "69500",
        city: "Bron",
        insee: "69029",
        coordinates: Some((45.7479, 4.9071)),
        qpv: Some("QP069031"),
        opened_on: "1999-04-01",
        services: &[
            "partner_visits",
            "general_visits",
            "digital_access",
            "digital_help",
            "budget_advice",
            "outreach",
            "letters_and_forms",
            "interpreting",
        ],
        hours: usual(3),
        labels: &[FRANCE_SERVICES, PCB1],
        closures: LYON_YEAR_END,
        ..BASE
    },
    SiteSeed {
        name: "PIMMS Villeurbanne",
        street: "23 rue Pierre Baratin",
        postcode: "69100",
        city: "Villeurbanne",
        insee: "69266",
        coordinates: Some((45.7736, 4.8931)),
        qpv: Some("QP069050"),
        opened_on: "2001-02-01",
        services: WITH_BUDGET,
        hours: usual(4),
        labels: &[PCB1, ("aidants_connect", "2021-09-01", None)],
        closures: LYON_YEAR_END,
        ..BASE
    },
    SiteSeed {
        name: "PIMMS Rillieux-la-Pape",
        street: "165 avenue de l'Europe",
        postcode: "69140",
        city: "Rillieux-la-Pape",
        insee: "69286",
        coordinates: Some((45.8171, 4.8992)),
        qpv: Some("QP069045"),
        opened_on: "2003-05-01",
        services: ALL_SERVICES,
        hours: usual(1),
        labels: &[
            ("msap", "2017-03-01", Some("2019-12-31")),
            FRANCE_SERVICES,
            PCB1,
        ],
        closures: LYON_YEAR_END,
        ..BASE
    },
    SiteSeed {
        name: "PIMMS Lyon-Mermoz",
        street: "52 avenue Jean Mermoz",
        postcode: "69008",
        city: "Lyon",
        insee: "69388",
        coordinates: Some((45.7331, 4.8789)),
        qpv: Some("QP069012"),
        opened_on: "2004-11-01",
        services: RECEPTION,
        hours: usual(5),
        labels: &[("conseiller_numerique", "2021-06-01", Some("2023-05-31"))],
        closures: LYON_YEAR_END,
        ..BASE
    },
    SiteSeed {
        name: "PIMMS Vaulx-en-Velin",
        street: "8 avenue Maurice Thorez",
        postcode: "69120",
        city: "Vaulx-en-Velin",
        insee: "69256",
        coordinates: Some((45.7796, 4.9236)),
        qpv: Some("QP069060"),
        opened_on: "2006-06-01",
        services: &[
            "partner_visits",
            "general_visits",
            "digital_access",
            "digital_help",
            "budget_advice",
            "outreach",
            "workshops",
            "letters_and_forms",
            "ticket_sales",
            "stamp_sales",
            "interpreting",
        ],
        hours: usual(2),
        labels: &[
            FRANCE_SERVICES,
            PCB1,
            ("aidants_connect", "2022-01-01", None),
        ],
        closures: LYON_YEAR_END,
        ..BASE
    },
    // PIMMS de Nîmes: two sites in the west of the city, permanences elsewhere.
    SiteSeed {
        tenant: NIMES,
        name: "PIMMS Valdegour",
        street: "6 avenue Monseigneur Claverie",
        postcode: "30900",
        city: "Nîmes",
        insee: "30189",
        coordinates: Some((43.8406, 4.3256)),
        qpv: Some("QP030007"),
        opened_on: "2001-03-01",
        services: ALL_SERVICES,
        hours: usual(3),
        labels: &[
            FRANCE_SERVICES,
            ("point_conseil_budget_1", "2019-09-01", None),
        ],
        ..BASE
    },
    SiteSeed {
        tenant: NIMES,
        name: "PIMMS Pissevin",
        street: "2 place Pythagore",
        postcode: "30900",
        city: "Nîmes",
        insee: "30189",
        coordinates: Some((43.8312, 4.3321)),
        qpv: Some("QP030007"),
        opened_on: "2003-01-01",
        services: WITH_BUDGET,
        hours: Hours::Weekdays {
            morning: ("08:30", "12:00"),
            afternoon: ("13:30", "16:30"),
            closed_afternoon: 5,
        },
        labels: &[
            ("point_conseil_budget_1", "2019-09-01", None),
            ("conseiller_numerique", "2021-05-01", Some("2023-04-30")),
        ],
        ..BASE
    },
    SiteSeed {
        tenant: NIMES,
        name: "Permanence Chemin-Bas d'Avignon",
        kind: "permanence",
        parent: Some("PIMMS Valdegour"),
        host_place: Some("Centre social du Chemin-Bas d'Avignon"),
        street: "15 rue Antonin Artaud",
        postcode: "30000",
        city: "Nîmes",
        insee: "30189",
        coordinates: Some((43.8461, 4.3779)),
        qpv: Some("QP030005"),
        opened_on: "2015-09-01",
        services: PERMANENCE,
        // Every other Tuesday morning.
        hours: Hours::Slots(&[every(2, 2, "09:00", "12:00")]),
        ..BASE
    },
    SiteSeed {
        tenant: NIMES,
        name: "Permanence Mas de Mingue",
        kind: "permanence",
        parent: Some("PIMMS Pissevin"),
        host_place: Some("Mairie annexe du Mas de Mingue"),
        street: "1 rue Paul Cézanne",
        postcode: "30000",
        city: "Nîmes",
        insee: "30189",
        coordinates: Some((43.8478, 4.3921)),
        qpv: Some("QP030009"),
        opened_on: "2018-01-01",
        services: &["partner_visits", "general_visits", "budget_advice"],
        // The first Thursday of the month, afternoon.
        hours: Hours::Slots(&[nth_of_month(1, 4, "14:00", "17:00")]),
        ..BASE
    },
    SiteSeed {
        tenant: NIMES,
        name: "Permanence Gambetta",
        kind: "permanence",
        parent: Some("PIMMS Valdegour"),
        host_place: Some("Maison de quartier Gambetta"),
        street: "8 rue Porte d'Alès",
        postcode: "30000",
        city: "Nîmes",
        insee: "30189",
        coordinates: Some((43.8396, 4.3546)),
        qpv: Some("QP030004"),
        opened_on: "2019-10-01",
        services: &["general_visits", "digital_help", "letters_and_forms"],
        // Every other Monday afternoon.
        hours: Hours::Slots(&[every(2, 1, "14:00", "16:30")]),
        ..BASE
    },
    // PIMMS Médiation Grenoble Alpes.
    SiteSeed {
        tenant: GRENOBLE,
        name: "PIMMS Grenoble Mistral",
        street: "38 avenue Rhin et Danube",
        postcode: "38100",
        city: "Grenoble",
        insee: "38185",
        coordinates: Some((45.1776, 5.7041)),
        qpv: Some("QP038007"),
        opened_on: "2008-03-01",
        services: WITH_BUDGET,
        hours: usual(4),
        labels: &[PCB1],
        ..BASE
    },
    SiteSeed {
        tenant: GRENOBLE,
        name: "PIMMS Grenoble Villeneuve",
        street: "97 galerie de l'Arlequin",
        postcode: "38100",
        city: "Grenoble",
        insee: "38185",
        coordinates: Some((45.1601, 5.7352)),
        qpv: Some("QP038005"),
        opened_on: "2010-01-01",
        services: ALL_SERVICES,
        hours: usual(2),
        labels: &[FRANCE_SERVICES, PCB1],
        ..BASE
    },
    SiteSeed {
        tenant: GRENOBLE,
        name: "PIMMS Échirolles",
        street: "12 avenue des États Généraux",
        postcode: "38130",
        city: "Échirolles",
        insee: "38151",
        coordinates: Some((45.1452, 5.7181)),
        qpv: Some("QP038012"),
        opened_on: "2013-09-01",
        services: RECEPTION,
        hours: usual(3),
        labels: &[("aidants_connect", "2022-03-01", None)],
        ..BASE
    },
    // PIMMS de Marseille.
    SiteSeed {
        tenant: MARSEILLE,
        name: "PIMMS Belle de Mai",
        street: "12 rue Loubon",
        postcode: "13003",
        city: "Marseille",
        insee: "13203",
        coordinates: Some((43.3136, 5.3921)),
        qpv: Some("QP013020"),
        opened_on: "2007-05-01",
        services: &[
            "partner_visits",
            "general_visits",
            "digital_access",
            "digital_help",
            "outreach",
            "letters_and_forms",
            "ticket_sales",
            "interpreting",
        ],
        hours: usual(4),
        labels: &[FRANCE_SERVICES],
        ..BASE
    },
    SiteSeed {
        tenant: MARSEILLE,
        name: "PIMMS Frais-Vallon",
        street: "52 avenue de Frais-Vallon",
        postcode: "13013",
        city: "Marseille",
        insee: "13213",
        coordinates: Some((43.3271, 5.4141)),
        qpv: Some("QP013041"),
        opened_on: "2011-01-01",
        services: WITH_BUDGET,
        hours: usual(1),
        labels: &[PCB1],
        ..BASE
    },
    SiteSeed {
        tenant: MARSEILLE,
        name: "PIMMS Saint-Louis",
        street: "180 avenue de Saint-Louis",
        postcode: "13015",
        city: "Marseille",
        insee: "13215",
        coordinates: Some((43.3471, 5.3561)),
        qpv: Some("QP013030"),
        opened_on: "2016-04-01",
        services: &[
            "partner_visits",
            "general_visits",
            "digital_help",
            "budget_advice",
            "letters_and_forms",
            "interpreting",
        ],
        hours: Hours::Weekdays {
            morning: ("09:00", "12:00"),
            afternoon: ("13:00", "16:30"),
            closed_afternoon: 3,
        },
        labels: &[("point_conseil_budget_2", "2021-01-01", None)],
        ..BASE
    },
    // PIMMS Médiation Cherbourg-en-Cotentin, with a mobile unit for the rural Cotentin.
    SiteSeed {
        tenant: CHERBOURG,
        name: "PIMMS Les Provinces",
        street: "2 rue de l'Anjou",
        postcode: "50130",
        city: "Cherbourg-en-Cotentin",
        insee: "50129",
        coordinates: Some((49.6291, -1.6359)),
        qpv: Some("QP050003"),
        opened_on: "2005-10-01",
        services: ALL_SERVICES,
        hours: usual(4),
        labels: &[FRANCE_SERVICES, PCB1],
        ..BASE
    },
    SiteSeed {
        tenant: CHERBOURG,
        name: "PIMMS Amont-Quentin",
        street: "5 rue Guillaume Fouace",
        postcode: "50100",
        city: "Cherbourg-en-Cotentin",
        insee: "50129",
        coordinates: Some((49.6331, -1.6201)),
        qpv: Some("QP050002"),
        opened_on: "2012-02-01",
        services: RECEPTION,
        hours: usual(3),
        ..BASE
    },
    SiteSeed {
        tenant: CHERBOURG,
        name: "PIMMS mobile du Cotentin",
        kind: "mobile",
        // Garaged at Les Provinces; tours Valognes, Les Pieux and Saint-Pierre-Église.
        street: "2 rue de l'Anjou",
        postcode: "50130",
        city: "Cherbourg-en-Cotentin",
        insee: "50129",
        opened_on: "2019-04-01",
        services: &[
            "partner_visits",
            "general_visits",
            "digital_access",
            "digital_help",
            "letters_and_forms",
        ],
        hours: Hours::Slots(&[
            weekly(2, "09:30", "12:30"),
            weekly(2, "13:30", "16:00"),
            weekly(3, "09:30", "12:30"),
            weekly(4, "09:30", "12:30"),
            weekly(4, "13:30", "16:00"),
        ]),
        labels: &[("france_services", "2021-01-01", None)],
        ..BASE
    },
];

fn invalid(what: &str) -> Error {
    Error::Demo(format!("demo sites: {what}"))
}

fn date(s: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| invalid(s))
}

fn time(s: &str) -> Result<NaiveTime, Error> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| invalid(s))
}

impl Hours {
    /// The slots as the application keeps them.
    fn opening_slots(&self) -> Result<Vec<::sites::OpeningSlot>, Error> {
        self.slots()
            .iter()
            .map(|h| {
                Ok(::sites::OpeningSlot {
                    weekday: h.weekday,
                    opens: time(h.opens)?,
                    closes: time(h.closes)?,
                    every_n_weeks: h.every_n_weeks,
                    week_of_month: h.week_of_month,
                })
            })
            .collect()
    }
}

impl SiteSeed {
    /// The site as the application creates it (`sites::Sites::create`).
    fn new_site(&self, parent_site_id: Option<Uuid>) -> Result<::sites::NewSite, Error> {
        Ok(::sites::NewSite {
            name: self.name.to_owned(),
            kind: Some(::sites::SiteKind::parse(self.kind).ok_or_else(|| invalid(self.kind))?),
            parent_site_id,
            host_place: self.host_place.map(str::to_owned),
            street: Some(self.street.to_owned()),
            postcode: self.postcode.to_owned(),
            city: self.city.to_owned(),
            insee_code: Some(self.insee.to_owned()),
            coordinates: self.coordinates,
            qpv_code: self.qpv.map(str::to_owned),
            opened_on: Some(date(self.opened_on)?),
            services: self.services.iter().map(|&c| c.to_owned()).collect(),
        })
    }
}

/// The sites of the demo associations, by (association, name): (id, kind).
async fn existing(
    tx: &db::Scoped,
    tenants: &HashMap<String, Uuid>,
) -> Result<HashMap<(Uuid, String), (Uuid, ::sites::SiteKind)>, Error> {
    Ok(site::Entity::find()
        .filter(site::Column::TenantId.is_in(tenants.values().copied()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|s| ((s.tenant_id, s.name), (s.id, s.kind)))
        .collect())
}

/// Sites first (each permanence after its parent), then hours, labels and closures,
/// through the sites crate's entities.
pub(crate) async fn seed_sites(tx: &db::Scoped) -> Result<(), Error> {
    let tenants = super::tenant_ids(tx, SITES.iter().map(|s| s.tenant.to_owned())).await?;
    let mut sites = existing(tx, &tenants).await?;
    for s in SITES {
        // An association missing (renamed since) has its sites skipped.
        let Some(&tenant) = tenants.get(s.tenant) else {
            continue;
        };
        if sites.contains_key(&(tenant, s.name.to_owned())) {
            continue;
        }
        let parent = match s.parent {
            None => None,
            Some(name) => match sites.get(&(tenant, name.to_owned())) {
                Some(&(id, ::sites::SiteKind::Site)) => Some(id),
                // A permanence whose parent is missing (renamed since) is skipped.
                _ => continue,
            },
        };
        let n = s.new_site(parent)?;
        let kind = n.kind.unwrap_or(::sites::SiteKind::Site);
        let id = Uuid::now_v7();
        // As `sites::Sites::create` writes it: timestamps and the closing date take
        // the table's defaults, the department is generated from the postcode.
        site::Entity::insert(site::ActiveModel {
            tenant_id: Set(tenant),
            id: Set(id),
            name: Set(n.name.clone()),
            kind: Set(kind),
            parent_site_id: Set(n.parent_site_id),
            host_place: Set(n.host_place),
            street: Set(n.street),
            postcode: Set(n.postcode),
            city: Set(n.city),
            insee_code: Set(n.insee_code),
            latitude: Set(n.coordinates.map(|c| c.0)),
            longitude: Set(n.coordinates.map(|c| c.1)),
            qpv_code: Set(n.qpv_code),
            opened_on: Set(n.opened_on.ok_or_else(|| invalid(s.name))?),
            services: Set(n.services),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([site::Column::TenantId, site::Column::Name])
        .exec_without_returning(&**tx)
        .await?;
        sites.insert((tenant, n.name), (id, kind));
    }
    // Hours, labels and closures go only to a site that has none, so what a director
    // edited through the API survives a second run. Read back: a site another run
    // created meanwhile has the id that run gave it.
    let sites = existing(tx, &tenants).await?;
    let of = |s: &SiteSeed| {
        let tenant = *tenants.get(s.tenant)?;
        let &(id, _) = sites.get(&(tenant, s.name.to_owned()))?;
        Some((tenant, id))
    };
    let scope = tenants.values().copied().collect::<Vec<_>>();
    let with_hours: HashSet<Uuid> = site_opening_hour::Entity::find()
        .filter(site_opening_hour::Column::TenantId.is_in(scope.clone()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|h| h.site_id)
        .collect();
    let with_labels: HashSet<Uuid> = site_label::Entity::find()
        .filter(site_label::Column::TenantId.is_in(scope.clone()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|l| l.site_id)
        .collect();
    let with_closures: HashSet<Uuid> = site_closure::Entity::find()
        .filter(site_closure::Column::TenantId.is_in(scope))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|c| c.site_id)
        .collect();
    let (mut hours, mut labels, mut closures) = (vec![], vec![], vec![]);
    for s in SITES {
        let Some((tenant_id, site_id)) = of(s) else {
            continue;
        };
        if !with_hours.contains(&site_id) {
            for h in s.hours.opening_slots()? {
                hours.push(site_opening_hour::ActiveModel {
                    tenant_id: Set(tenant_id),
                    id: Set(Uuid::now_v7()),
                    site_id: Set(site_id),
                    weekday: Set(h.weekday),
                    opens: Set(h.opens),
                    closes: Set(h.closes),
                    every_n_weeks: Set(h.every_n_weeks),
                    week_of_month: Set(h.week_of_month),
                });
            }
        }
        if !with_labels.contains(&site_id) {
            for &(label, granted, expires) in s.labels {
                labels.push(site_label::ActiveModel {
                    tenant_id: Set(tenant_id),
                    id: Set(Uuid::now_v7()),
                    site_id: Set(site_id),
                    label: Set(::sites::LabelKind::parse(label).ok_or_else(|| invalid(label))?),
                    granted_on: Set(date(granted)?),
                    expires_on: Set(expires.map(date).transpose()?),
                });
            }
        }
        if !with_closures.contains(&site_id) {
            for &(starts, ends, reason) in s.closures {
                closures.push(site_closure::ActiveModel {
                    tenant_id: Set(tenant_id),
                    id: Set(Uuid::now_v7()),
                    site_id: Set(site_id),
                    starts_on: Set(date(starts)?),
                    ends_on: Set(date(ends)?),
                    reason: Set(reason.to_owned()),
                });
            }
        }
    }
    site_opening_hour::Entity::insert_many(hours)
        .exec_without_returning(&**tx)
        .await?;
    site_label::Entity::insert_many(labels)
        .exec_without_returning(&**tx)
        .await?;
    site_closure::Entity::insert_many(closures)
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::TENANTS;
    use chrono::{NaiveDate, NaiveTime};

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn digits(s: &str, n: usize) -> bool {
        s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
    }

    /// The demo data obeys the schema's checks and the sites crate's rules, so the
    /// seed never fails half-way on a typo.
    #[test]
    fn demo_sites_are_valid() {
        for (i, s) in SITES.iter().enumerate() {
            let n = s.name;
            assert!(TENANTS.iter().any(|t| t.slug == s.tenant), "{n}: tenant");
            assert!(
                !SITES[..i]
                    .iter()
                    .any(|o| o.tenant == s.tenant && o.name == n),
                "{n}: unique name"
            );
            assert!(["site", "permanence", "mobile"].contains(&s.kind), "{n}");
            assert_eq!(s.kind == "permanence", s.parent.is_some(), "{n}: parent");
            assert_eq!(s.kind == "permanence", s.host_place.is_some(), "{n}: host");
            if let Some(p) = s.parent {
                assert!(
                    SITES[..i]
                        .iter()
                        .any(|o| o.tenant == s.tenant && o.name == p && o.kind == "site"),
                    "{n}: parent is an earlier site of the same association"
                );
            }
            assert!(digits(s.postcode, 5), "{n}: postcode");
            let b = s.insee.as_bytes();
            assert!(
                b.len() == 5
                    && b[0].is_ascii_digit()
                    && (b[1].is_ascii_digit() || b[1] == b'A' || b[1] == b'B')
                    && b[2..].iter().all(u8::is_ascii_digit),
                "{n}: insee"
            );
            if let Some(q) = s.qpv {
                assert!(
                    q.starts_with('Q')
                        && (7..=9).contains(&q.len())
                        && q.bytes()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                    "{n}: qpv"
                );
            }
            if let Some((lat, lon)) = s.coordinates {
                assert!(
                    (41.0..52.0).contains(&lat) && (-5.5..10.0).contains(&lon),
                    "{n}"
                );
            }
            let opened = date(s.opened_on);
            assert!(opened.is_some(), "{n}: opened_on");
            for c in s.services {
                assert!(::sites::SERVICES.iter().any(|(k, _)| k == c), "{n}: {c}");
            }
            let slots: Vec<::sites::OpeningSlot> = s
                .hours
                .slots()
                .iter()
                .filter_map(|h| {
                    Some(::sites::OpeningSlot {
                        weekday: h.weekday,
                        opens: NaiveTime::parse_from_str(h.opens, "%H:%M").ok()?,
                        closes: NaiveTime::parse_from_str(h.closes, "%H:%M").ok()?,
                        every_n_weeks: h.every_n_weeks,
                        week_of_month: h.week_of_month,
                    })
                })
                .collect();
            assert!(!slots.is_empty(), "{n}: hours");
            assert_eq!(slots.len(), s.hours.slots().len(), "{n}: times");
            assert!(::sites::validate_slots(&slots).is_ok(), "{n}: slots");
            for (j, &(label, granted, expires)) in s.labels.iter().enumerate() {
                assert!(::sites::LabelKind::parse(label).is_some(), "{n}: {label}");
                let g = date(granted);
                assert!(g.is_some(), "{n}: {label}");
                if let Some(e) = expires {
                    assert!(date(e).is_some_and(|e| Some(e) >= g), "{n}: {label}");
                }
                assert!(
                    !s.labels[..j].iter().any(|o| o.0 == label && o.1 == granted),
                    "{n}: {label} twice"
                );
            }
            for &(starts, ends, reason) in s.closures {
                assert!(date(starts).is_some() && date(ends) >= date(starts), "{n}");
                assert!(reason.trim().chars().count() >= 2, "{n}");
            }
        }
        let lyon = SITES.iter().filter(|s| s.tenant == LYON).count();
        assert_eq!(lyon, 7);
        assert!(SITES.iter().any(|s| s.kind == "mobile"));
        for t in TENANTS {
            assert!(
                SITES.iter().any(|s| s.tenant == t.slug),
                "{}: no site",
                t.slug
            );
        }
    }

    #[test]
    fn usual_hours_close_one_afternoon() {
        let slots = usual(4).slots();
        assert_eq!(slots.len(), 9);
        assert!(!slots.iter().any(|s| s.weekday == 4 && s.opens == "13:30"));
        assert!(
            slots
                .iter()
                .all(|s| s.every_n_weeks == 1 && s.week_of_month.is_none())
        );
    }
}
