//! The partners' side of the demo network.
//!
//! - Contacts of every demo partner, and one API client each with a demo secret
//!   (argon2id-hashed here; `passerelle demo` prints it, in development only).
//! - Agreements: a national framework per national partner covering every demo site
//!   that offers partner visits (but two that Keolis leaves to its local agreement),
//!   local agreements with the associations (one of them amended, with its history),
//!   a previous local agreement that ended, a suspended one and a draft, so every
//!   status shows; payment schedules and payments received.
//! - Coding: the seeded journal's partner requests and partner-funded workshops are
//!   coded to the one agreement that fits them (the rule of `app.agreement_candidates`,
//!   set-based); ambiguous and uncovered ones are left for a person to decide. The
//!   monthly activity of the demo agreements is then rebuilt from the coded journal,
//!   so it equals it exactly.
//! - Outreach (`outreach`): an open ENGIE campaign on unpaid energy bills in Grenoble
//!   with cases in every state, and a closed campaign whose contact data was purged.
//!
//! Dates follow the day of the first run (Paris calendar), like the journal's year.
//! Idempotent: contacts, agreements, clients and campaigns are keyed by a natural key
//! (partner and email, reference, client id, association and title) and skipped when
//! present, with everything that hangs on them; coding only touches requests not yet
//! coded, and the monthly rebuild writes nothing when the aggregates already agree.

mod outreach;

use crate::Error;
use crate::journal::count;
use crate::network::{PARTNERS, TENANTS};
use crate::sql::{affected, exec, query, total};
use ::partners::entity::{partner_api_client, partner_contact};
use chrono::{Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TryInsertResult};
use std::collections::{HashMap, HashSet};
use std::fmt;
use uuid::Uuid;

/// (partner, slug): the slug names the partner in emails, client ids and secrets.
const SLUGS: &[(&str, &str)] = &[
    ("EDF", "edf"),
    ("ENGIE", "engie"),
    ("SNCF", "sncf"),
    ("La Poste", "laposte"),
    ("Keolis", "keolis"),
    ("Veolia", "veolia"),
    ("Eau du Grand Lyon", "eaudugrandlyon"),
];

/// (partner, full name, job title, email, phone). The first contact of each partner
/// is its demo user (see `seed::ACCOUNTS`). Phones are in the range reserved for
/// fiction.
const CONTACTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "EDF",
        "Thomas Girard",
        "Chargé des relations avec les PIMMS",
        "relations.pimms@edf.example",
        "01 99 00 10 01",
    ),
    (
        "EDF",
        "Martine Lacroix",
        "Déléguée solidarité Auvergne-Rhône-Alpes",
        "martine.lacroix@edf.example",
        "01 99 00 10 02",
    ),
    (
        "ENGIE",
        "Nathalie Perrin",
        "Responsable solidarité énergie",
        "relations.pimms@engie.example",
        "01 99 00 20 01",
    ),
    (
        "ENGIE",
        "Hugo Fontaine",
        "Correspondant médiation sortante Isère",
        "hugo.fontaine@engie.example",
        "01 99 00 20 02",
    ),
    (
        "SNCF",
        "Romain Lefèvre",
        "Responsable des partenariats de médiation",
        "relations.pimms@sncf.example",
        "01 99 00 30 01",
    ),
    (
        "SNCF",
        "Inès Barbier",
        "Chargée de mission Occitanie",
        "ines.barbier@sncf.example",
        "01 99 00 30 02",
    ),
    (
        "La Poste",
        "Céline Bertrand",
        "Responsable présence postale et partenariats",
        "relations.pimms@laposte.example",
        "01 99 00 40 01",
    ),
    (
        "Keolis",
        "Antoine Marchal",
        "Responsable relations clients",
        "relations.pimms@keolis.example",
        "01 99 00 50 01",
    ),
    (
        "Keolis",
        "Julie Renaud",
        "Chargée de mission Keolis Lyon",
        "julie.renaud@keolis.example",
        "01 99 00 50 02",
    ),
    (
        "Veolia",
        "Sandrine Roux",
        "Responsable solidarité eau",
        "relations.pimms@veolia.example",
        "01 99 00 60 01",
    ),
    (
        "Eau du Grand Lyon",
        "Benoît Chevalier",
        "Responsable de l'accompagnement des usagers",
        "relations.pimms@eaudugrandlyon.example",
        "01 99 00 70 01",
    ),
    (
        "Eau du Grand Lyon",
        "Laure Michaud",
        "Chargée du fonds de solidarité eau",
        "laure.michaud@eaudugrandlyon.example",
        "01 99 00 70 02",
    ),
];

/// Every scope a partner client can hold.
const SCOPES: &[&str] = &[
    "agreements:read",
    "activity:read",
    "outreach:read",
    "outreach:write",
];

/// A demo partner's API client, as `passerelle demo` prints it.
pub struct DemoApiClient {
    pub partner: &'static str,
    pub client_id: String,
    pub secret: String,
}

/// `pc_demo<slug>`, padded with zeros to the 16 characters the format asks for.
fn client_id(slug: &str) -> String {
    format!("pc_{:0<16}", format!("demo{slug}"))
}

/// A fixed secret, so that the banner of every `passerelle demo` can print it. Only
/// ever for the demo data of a development database.
fn demo_secret(slug: &str) -> String {
    format!("pcs_demo_{slug}_ne_pas_utiliser_en_production")
}

/// The demo API clients with their secrets, one per demo partner.
pub fn demo_api_clients() -> Vec<DemoApiClient> {
    SLUGS
        .iter()
        .map(|&(partner, slug)| DemoApiClient {
            partner,
            client_id: client_id(slug),
            secret: demo_secret(slug),
        })
        .collect()
}

/// An agreement's period, from the day of the seed (Paris calendar).
#[derive(Clone, Copy)]
enum Period {
    /// National frameworks: last year, this year and next, so they hold the whole
    /// seeded journal year and today.
    Framework,
    /// Calendar years from January 1st of this year plus the offset.
    Years(i32, u32),
    /// School years from September 1st of this year plus the offset.
    SchoolYears(i32, u32),
    /// Three years ending with the month seven months ago: inside the journal year.
    Ended,
    /// Three years from the day after `Ended`: its renewal.
    Renewal,
    /// Three years from the first day of next month.
    Upcoming,
}

fn invalid(what: &str) -> Error {
    Error::Demo(format!("demo partners: {what}"))
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, Error> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| invalid("date out of range"))
}

fn add_months(d: NaiveDate, n: u32) -> Result<NaiveDate, Error> {
    d.checked_add_months(Months::new(n))
        .ok_or_else(|| invalid("date out of range"))
}

fn add_days(d: NaiveDate, n: i64) -> Result<NaiveDate, Error> {
    let r = if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    };
    r.ok_or_else(|| invalid("date out of range"))
}

fn first_of_month(d: NaiveDate) -> Result<NaiveDate, Error> {
    ymd(d.year(), d.month(), 1)
}

impl Period {
    fn dates(self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Error> {
        let y = today.year();
        let three_years = |start: NaiveDate| -> Result<(NaiveDate, NaiveDate), Error> {
            Ok((start, add_days(add_months(start, 36)?, -1)?))
        };
        // The last day of the month seven months ago.
        let ended = || -> Result<NaiveDate, Error> {
            let six_ago = today
                .checked_sub_months(Months::new(6))
                .ok_or_else(|| invalid("date out of range"))?;
            add_days(first_of_month(six_ago)?, -1)
        };
        match self {
            Period::Framework => Ok((ymd(y - 1, 1, 1)?, ymd(y + 1, 12, 31)?)),
            Period::Years(offset, n) => Ok((
                ymd(y + offset, 1, 1)?,
                ymd(y + offset + n as i32 - 1, 12, 31)?,
            )),
            Period::SchoolYears(offset, n) => {
                Ok((ymd(y + offset, 9, 1)?, ymd(y + offset + n as i32, 8, 31)?))
            }
            Period::Ended => {
                let end = ended()?;
                let start = add_days(end, 1)?
                    .checked_sub_months(Months::new(36))
                    .ok_or_else(|| invalid("date out of range"))?;
                Ok((start, end))
            }
            Period::Renewal => three_years(add_days(ended()?, 1)?),
            Period::Upcoming => three_years(add_months(first_of_month(today)?, 1)?),
        }
    }
}

/// Which payments of the schedule were received (those due over 45 days ago).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Received {
    All,
    /// The latest one due is late.
    LastMissing,
    /// The latest one due was paid by half.
    LastPartial,
    None,
}

/// Which sites an agreement covers, among those offering partner visits (of its
/// association; of every demo association for a national framework).
#[derive(Clone, Copy)]
enum Sites {
    All,
    Only(&'static [&'static str]),
    Except(&'static [&'static str]),
}

struct AgreementSeed {
    reference: &'static str,
    partner: &'static str,
    /// None: a national framework with the union.
    tenant: Option<&'static str>,
    title: &'static str,
    period: Period,
    status: &'static str,
    /// In the order the API keeps them (sorted).
    services: &'static [&'static str],
    themes: &'static [&'static str],
    workshop_themes: &'static [&'static str],
    funding_cents: i64,
    reporting: &'static str,
    sites: Sites,
    targets: &'static [(&'static str, i32)],
    instalments_per_year: u32,
    received: Received,
}

const LYON: &str = "pimms-lyon-metropole";
const NIMES: &str = "pimms-nimes";
const GRENOBLE: &str = "pimms-grenoble-alpes";
const MARSEILLE: &str = "pimms-marseille";
const CHERBOURG: &str = "pimms-cherbourg";

const NATIONAL: AgreementSeed = AgreementSeed {
    reference: "",
    partner: "",
    tenant: None,
    title: "",
    period: Period::Framework,
    status: "active",
    services: &["partner_visits"],
    themes: &[],
    workshop_themes: &[],
    funding_cents: 0,
    reporting: "semiannual",
    sites: Sites::All,
    targets: &[],
    instalments_per_year: 2,
    received: Received::All,
};

/// The added site of the amended agreement, below.
const AMENDED_SITE: &str = "PIMMS Vaulx-en-Velin";
/// The sites the national Keolis framework leaves to the local convention.
const KEOLIS_LYON_ONLY: &[&str] = &["PIMMS Bron", "PIMMS Rillieux-la-Pape"];

/// Targets sized for the default journal (25,000 visits a year across the network).
const AGREEMENTS: &[AgreementSeed] = &[
    AgreementSeed {
        reference: "CN-EDF-PIMMS",
        partner: "EDF",
        title: "Convention cadre nationale EDF – Union nationale des PIMMS",
        services: &["outreach", "partner_visits", "workshops"],
        themes: &["energy"],
        workshop_themes: &["energy_saving", "budget"],
        funding_cents: 30_000_000,
        targets: &[
            ("partner_requests", 5_000),
            ("mediation_acts", 3_800),
            ("workshops", 40),
            ("workshop_attendees", 400),
            ("outreach_cases", 150),
            ("outreach_contacts", 90),
        ],
        received: Received::LastPartial,
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CN-ENGIE-PIMMS",
        partner: "ENGIE",
        title: "Convention cadre nationale ENGIE – Union nationale des PIMMS",
        themes: &["energy"],
        funding_cents: 18_000_000,
        targets: &[("partner_requests", 3_000), ("mediation_acts", 2_200)],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CN-SNCF-PIMMS",
        partner: "SNCF",
        title: "Convention cadre nationale SNCF – Union nationale des PIMMS",
        themes: &["transport"],
        funding_cents: 15_000_000,
        reporting: "annual",
        instalments_per_year: 1,
        targets: &[("partner_requests", 2_200), ("mediation_acts", 1_600)],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CN-LAPOSTE-PIMMS",
        partner: "La Poste",
        title: "Convention cadre nationale La Poste – Union nationale des PIMMS",
        services: &["partner_visits", "workshops"],
        themes: &["postal"],
        workshop_themes: &["digital"],
        funding_cents: 21_000_000,
        targets: &[
            ("partner_requests", 2_800),
            ("mediation_acts", 2_000),
            ("workshops", 25),
            ("workshop_attendees", 250),
        ],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CN-KEOLIS-PIMMS",
        partner: "Keolis",
        title: "Convention cadre nationale Keolis – Union nationale des PIMMS",
        themes: &["transport"],
        // The local Keolis Lyon convention takes over there (see below).
        sites: Sites::Except(KEOLIS_LYON_ONLY),
        funding_cents: 9_000_000,
        reporting: "annual",
        instalments_per_year: 1,
        targets: &[("partner_requests", 1_600), ("mediation_acts", 1_200)],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CN-VEOLIA-PIMMS",
        partner: "Veolia",
        title: "Convention cadre nationale Veolia Eau – Union nationale des PIMMS",
        themes: &["water"],
        funding_cents: 12_000_000,
        targets: &[("partner_requests", 2_000), ("mediation_acts", 1_500)],
        ..NATIONAL
    },
    // Eau du Grand Lyon: the previous convention ended, its renewal was amended.
    AgreementSeed {
        reference: "CL-EAUGL-LYON-1",
        partner: "Eau du Grand Lyon",
        tenant: Some(LYON),
        title: "Convention Eau du Grand Lyon – PIMMS Lyon Métropole",
        period: Period::Ended,
        status: "ended",
        themes: &["water"],
        funding_cents: 13_500_000,
        reporting: "quarterly",
        sites: Sites::Except(&[AMENDED_SITE]),
        targets: &[("partner_requests", 800), ("mediation_acts", 600)],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CL-EAUGL-LYON-2",
        partner: "Eau du Grand Lyon",
        tenant: Some(LYON),
        title: "Convention Eau du Grand Lyon – PIMMS Lyon Métropole (renouvellement)",
        period: Period::Renewal,
        services: &["outreach", "partner_visits"],
        themes: &["water"],
        funding_cents: 18_000_000,
        reporting: "monthly",
        instalments_per_year: 4,
        targets: &[
            ("partner_requests", 1_000),
            ("mediation_acts", 750),
            ("outreach_cases", 200),
            ("outreach_contacts", 120),
        ],
        ..NATIONAL
    },
    // Takes over from the national Keolis framework at two sites; at the third,
    // Vaulx-en-Velin, both cover the partner requests, which wait for a mediator to
    // choose (the ambiguous ones of the demo).
    AgreementSeed {
        reference: "CL-KEOLIS-LYON",
        partner: "Keolis",
        tenant: Some(LYON),
        title: "Convention locale Keolis Lyon – PIMMS Lyon Métropole",
        period: Period::Years(-1, 3),
        services: &["partner_visits", "workshops"],
        themes: &["transport"],
        workshop_themes: &["transport"],
        funding_cents: 4_500_000,
        reporting: "quarterly",
        sites: Sites::Only(&[
            "PIMMS Bron",
            "PIMMS Rillieux-la-Pape",
            "PIMMS Vaulx-en-Velin",
        ]),
        targets: &[
            ("partner_requests", 300),
            ("workshops", 12),
            ("workshop_attendees", 120),
        ],
        received: Received::LastMissing,
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CL-SNCF-NIMES",
        partner: "SNCF",
        tenant: Some(NIMES),
        title: "Convention locale SNCF Voyageurs Occitanie – PIMMS de Nîmes",
        period: Period::SchoolYears(-1, 2),
        services: &["outreach", "workshops"],
        workshop_themes: &["transport"],
        funding_cents: 2_400_000,
        reporting: "quarterly",
        targets: &[
            ("workshops", 10),
            ("workshop_attendees", 100),
            ("outreach_cases", 60),
        ],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CL-ENGIE-GRENOBLE",
        partner: "ENGIE",
        tenant: Some(GRENOBLE),
        title: "Convention locale ENGIE – PIMMS Médiation Grenoble Alpes",
        services: &["outreach", "workshops"],
        workshop_themes: &["energy_saving"],
        funding_cents: 5_400_000,
        reporting: "quarterly",
        targets: &[
            ("workshops", 12),
            ("workshop_attendees", 120),
            ("outreach_cases", 120),
            ("outreach_contacts", 70),
        ],
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CL-LAPOSTE-CHERBOURG",
        partner: "La Poste",
        tenant: Some(CHERBOURG),
        title: "Convention locale La Poste – ateliers numériques du Cotentin",
        period: Period::Years(-1, 2),
        status: "suspended",
        services: &["workshops"],
        workshop_themes: &["digital"],
        funding_cents: 1_600_000,
        reporting: "quarterly",
        targets: &[("workshops", 20), ("workshop_attendees", 180)],
        received: Received::LastMissing,
        ..NATIONAL
    },
    AgreementSeed {
        reference: "CL-VEOLIA-MARSEILLE",
        partner: "Veolia",
        tenant: Some(MARSEILLE),
        title: "Convention locale Veolia Eau – PIMMS de Marseille (projet)",
        period: Period::Upcoming,
        status: "draft",
        services: &["outreach", "partner_visits"],
        themes: &["water"],
        funding_cents: 3_600_000,
        reporting: "quarterly",
        targets: &[
            ("partner_requests", 500),
            ("mediation_acts", 380),
            ("outreach_cases", 100),
        ],
        received: Received::None,
        ..NATIONAL
    },
];

/// The amendment of the renewed Eau du Grand Lyon convention: (reference, reason,
/// funding before, targets before, days ago).
const AMENDMENT: (&str, &str, i64, &[(&str, i32)], i64) = (
    "CL-EAUGL-LYON-2",
    "Avenant n° 1 : extension au PIMMS Vaulx-en-Velin et revalorisation du financement",
    15_000_000,
    &[
        ("partner_requests", 850),
        ("mediation_acts", 650),
        ("outreach_cases", 150),
        ("outreach_contacts", 90),
    ],
    60,
);

/// What one run added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartnerSummary {
    pub contacts: u64,
    pub api_clients: u64,
    pub agreements: u64,
    pub requests_coded: u64,
    pub workshops_coded: u64,
    /// Monthly aggregate rows written (inserted, corrected or zeroed).
    pub monthly_rows: u64,
    pub campaigns: u64,
    pub cases: u64,
}

impl fmt::Display for PartnerSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "partenaires de démonstration : {}, {}, {}, {} et {} codés, {}, {}, {}",
            count(self.agreements, "convention", "conventions"),
            count(self.contacts, "contact", "contacts"),
            count(self.api_clients, "client d'API", "clients d'API"),
            count(self.requests_coded, "demande", "demandes"),
            count(self.workshops_coded, "atelier", "ateliers"),
            count(
                self.monthly_rows,
                "ligne d'activité mensuelle écrite",
                "lignes d'activité mensuelle écrites"
            ),
            count(
                self.campaigns,
                "campagne de médiation sortante",
                "campagnes de médiation sortante"
            ),
            count(self.cases, "dossier", "dossiers"),
        )
    }
}

fn demo_slugs() -> Vec<String> {
    TENANTS.iter().map(|t| t.slug.to_owned()).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Loads the partners' demo data and codes the seeded journal. Runs inside the seed's
/// transaction, after the journal.
pub(crate) async fn seed_partners(tx: &db::Scoped) -> Result<PartnerSummary, Error> {
    let mut out = PartnerSummary::default();
    // The same lock as the journal: two seeds at once would both find things missing.
    exec(
        tx,
        "select pg_advisory_xact_lock(hashtextextended('passerelle seed journal', 0))",
        vec![],
    )
    .await?;
    let today: NaiveDate = match query(
        tx,
        "select (now() at time zone 'Europe/Paris')::date::text as today",
        vec![],
    )
    .await?
    .first()
    {
        Some(r) => r
            .try_get::<String>("", "today")?
            .parse()
            .map_err(|_| invalid("today"))?,
        None => return Err(invalid("today")),
    };
    out.contacts = contacts(tx).await?;
    out.api_clients = api_clients(tx, today).await?;
    for a in AGREEMENTS {
        out.agreements += u64::from(agreement(tx, a, today).await?);
    }
    let (requests, workshops) = code_journal(tx).await?;
    out.requests_coded = requests;
    out.workshops_coded = workshops;
    out.monthly_rows = rebuild_monthly(tx).await?;
    let (campaigns, cases) = outreach::seed(tx, today).await?;
    out.campaigns = campaigns;
    out.cases = cases;
    Ok(out)
}

async fn contacts(tx: &db::Scoped) -> Result<u64, Error> {
    let partners = partner_ids(tx).await?;
    let present: HashSet<(Uuid, String)> = partner_contact::Entity::find()
        .filter(partner_contact::Column::PartnerId.is_in(partners.values().copied()))
        .all(&**tx)
        .await?
        .into_iter()
        .filter_map(|c| Some((c.partner_id, c.email?)))
        .collect();
    let rows: Vec<partner_contact::ActiveModel> = CONTACTS
        .iter()
        .filter_map(|&(partner, full_name, job_title, email, phone)| {
            let partner_id = *partners.get(partner)?;
            if present.contains(&(partner_id, email.to_owned())) {
                return None;
            }
            Some(partner_contact::ActiveModel {
                id: Set(Uuid::now_v7()),
                partner_id: Set(partner_id),
                full_name: Set(full_name.to_owned()),
                job_title: Set(Some(job_title.to_owned())),
                email: Set(Some(email.to_owned())),
                phone: Set(Some(phone.to_owned())),
                ..Default::default()
            })
        })
        .collect();
    Ok(partner_contact::Entity::insert_many(rows)
        .exec_without_returning(&**tx)
        .await?)
}

/// The demo partners' ids, by name.
async fn partner_ids(tx: &db::Scoped) -> Result<HashMap<String, Uuid>, Error> {
    crate::network::partner_ids(tx, PARTNERS.iter().map(|p| p.0.to_owned())).await
}

/// One client per partner, every scope, the demo secret hashed with argon2id. Only
/// the clients missing are hashed: a second run costs nothing.
async fn api_clients(tx: &db::Scoped, today: NaiveDate) -> Result<u64, Error> {
    let all = demo_api_clients();
    let present: HashSet<String> = partner_api_client::Entity::find()
        .filter(partner_api_client::Column::ClientId.is_in(all.iter().map(|c| c.client_id.clone())))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    let missing: Vec<DemoApiClient> = all
        .into_iter()
        .filter(|c| !present.contains(&c.client_id))
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let secrets: Vec<String> = missing.iter().map(|c| c.secret.clone()).collect();
    // argon2id is CPU-heavy: off the runtime's threads.
    let hashes = tokio::task::spawn_blocking(move || {
        secrets
            .iter()
            .map(|s| ::partners::clients::hash_secret_blocking(s))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| invalid(&format!("hashing the demo secrets: {e}")))?
    // Debug: an internal error's Display hides its cause, which is wanted here.
    .map_err(|e| invalid(&format!("hashing the demo secrets: {e:?}")))?;
    // Registered at the start of the national frameworks, before any campaign: 10:00
    // in Paris on January 15th, in winter time whatever the rule's switch dates.
    let local = ymd(today.year() - 1, 1, 15)?
        .and_hms_opt(10, 0, 0)
        .ok_or_else(|| invalid("time"))?;
    let created = kernel::time::paris_offset(Utc.from_utc_datetime(&local))
        .from_local_datetime(&local)
        .single()
        .ok_or_else(|| invalid("time"))?;
    let partners = partner_ids(tx).await?;
    let rows: Vec<partner_api_client::ActiveModel> = missing
        .iter()
        .zip(hashes)
        .filter_map(|(c, hash)| {
            Some(partner_api_client::ActiveModel {
                id: Set(Uuid::now_v7()),
                partner_id: Set(*partners.get(c.partner)?),
                client_id: Set(c.client_id.clone()),
                name: Set(format!("Démonstration {}", c.partner)),
                secret_hash: Set(Some(hash)),
                scopes: Set(strings(SCOPES)),
                created_at: Set(created),
                ..Default::default()
            })
        })
        .collect();
    let inserted = partner_api_client::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([partner_api_client::Column::ClientId])
        .exec_without_returning(&**tx)
        .await?;
    Ok(match inserted {
        TryInsertResult::Inserted(n) => n,
        TryInsertResult::Empty | TryInsertResult::Conflicted => 0,
    })
}

/// Inserts one agreement with its covered sites, targets, payments and (for the
/// amended one) history. Returns whether it was new: an existing agreement is left
/// as it is, whatever was done to it through the API since.
async fn agreement(tx: &db::Scoped, a: &AgreementSeed, today: NaiveDate) -> Result<bool, Error> {
    let (starts, ends) = a.period.dates(today)?;
    let rows = query(
        tx,
        "insert into agreements (id, partner_id, tenant_id, reference, title, starts_on, ends_on, status, services, \
           themes, workshop_themes, funding_cents, reporting_frequency, created_at, updated_at) \
         select $1, p.id, t.id, $3, $4, $5::date, $6::date, $7, $8::text[], $9::text[], $10::text[], $11, $12, x.c, x.c \
         from partner_organisations p \
           left join tenants t on t.slug = $2 \
           cross join lateral (select least(now(), ($5::date - 30 + time '10:00') at time zone 'Europe/Paris') as c) x \
         where p.name = $13 and ($2::text is null or t.id is not null) \
         on conflict (reference) do nothing \
         returning id, partner_id",
        vec![
            Uuid::now_v7().into(),
            a.tenant.map(str::to_owned).into(),
            a.reference.into(),
            a.title.into(),
            starts.to_string().into(),
            ends.to_string().into(),
            a.status.into(),
            strings(a.services).into(),
            strings(a.themes).into(),
            strings(a.workshop_themes).into(),
            a.funding_cents.into(),
            a.reporting.into(),
            a.partner.into(),
        ],
    )
    .await?;
    let Some(r) = rows.first() else {
        return Ok(false);
    };
    let id: Uuid = r.try_get("", "id")?;
    let partner: Uuid = r.try_get("", "partner_id")?;
    let tenants = match a.tenant {
        Some(t) => vec![t.to_owned()],
        None => demo_slugs(),
    };
    let (only, except) = match a.sites {
        Sites::All => (vec![], vec![]),
        Sites::Only(s) => (strings(s), vec![]),
        Sites::Except(s) => (vec![], strings(s)),
    };
    exec(
        tx,
        "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) \
         select $1, $2, s.tenant_id, s.id from sites s join tenants t on t.id = s.tenant_id \
         where t.slug = any($3::text[]) and 'partner_visits' = any(s.services) \
           and (cardinality($4::text[]) = 0 or s.name = any($4::text[])) and s.name <> all($5::text[]) \
         on conflict do nothing",
        vec![
            id.into(),
            partner.into(),
            tenants.into(),
            only.into(),
            except.into(),
        ],
    )
    .await?;
    insert_targets(tx, id, partner, a.targets).await?;
    let payments = schedule(a, starts, ends, today)?;
    exec(
        tx,
        "insert into agreement_payments (id, agreement_id, partner_id, kind, on_date, amount_cents, label, created_at) \
         select u.id, $1, $2, u.kind, u.on_date::date, u.amount, u.label, \
           case when u.kind = 'scheduled' then a.created_at \
                else least(now(), (u.on_date::date + time '11:00') at time zone 'Europe/Paris') end \
         from unnest($3::uuid[], $4::text[], $5::text[], $6::int8[], $7::text[]) as u(id, kind, on_date, amount, label) \
         join agreements a on a.id = $1",
        vec![
            id.into(),
            partner.into(),
            payments
                .iter()
                .map(|_| Uuid::now_v7())
                .collect::<Vec<_>>()
                .into(),
            payments
                .iter()
                .map(|p| p.kind.to_owned())
                .collect::<Vec<_>>()
                .into(),
            payments
                .iter()
                .map(|p| p.on_date.to_string())
                .collect::<Vec<_>>()
                .into(),
            payments.iter().map(|p| p.amount).collect::<Vec<_>>().into(),
            payments
                .iter()
                .map(|p| p.label.clone())
                .collect::<Vec<_>>()
                .into(),
        ],
    )
    .await?;
    if a.reference == AMENDMENT.0 {
        amend(tx, id, today).await?;
    }
    Ok(true)
}

async fn insert_targets(
    tx: &db::Scoped,
    id: Uuid,
    partner: Uuid,
    targets: &[(&str, i32)],
) -> Result<(), Error> {
    exec(
        tx,
        "insert into agreement_targets (agreement_id, partner_id, indicator, annual_target) \
         select $1, $2, u.indicator, u.target from unnest($3::text[], $4::int4[]) as u(indicator, target) \
         on conflict do nothing",
        vec![
            id.into(),
            partner.into(),
            targets
                .iter()
                .map(|t| t.0.to_owned())
                .collect::<Vec<_>>()
                .into(),
            targets.iter().map(|t| t.1).collect::<Vec<_>>().into(),
        ],
    )
    .await
}

/// The amended agreement's history: its state before the amendment (one site fewer,
/// less funding, lower targets), in the shape the API keeps (`previous`).
async fn amend(tx: &db::Scoped, id: Uuid, today: NaiveDate) -> Result<(), Error> {
    let (_, reason, funding, targets, days_ago) = AMENDMENT;
    let targets = serde_json::Value::Array(
        targets
            .iter()
            .map(|(i, n)| serde_json::json!({"indicator": i, "annualTarget": n}))
            .collect(),
    );
    let changed = format!("{} 14:30:00", add_days(today, -days_ago)?);
    exec(
        tx,
        "insert into agreement_revisions (id, agreement_id, partner_id, tenant_id, revision, previous, reason, changed_at) \
         select $1, a.id, a.partner_id, a.tenant_id, a.revision, jsonb_build_object( \
             'title', a.title, 'startsOn', a.starts_on, 'endsOn', a.ends_on, 'status', a.status, \
             'services', to_jsonb(a.services), 'themes', to_jsonb(a.themes), \
             'workshopThemes', to_jsonb(a.workshop_themes), 'fundingCents', $3::int8, \
             'reportingFrequency', a.reporting_frequency, \
             'sites', coalesce((select jsonb_agg(jsonb_build_object('tenantId', s.tenant_id, 'siteId', s.site_id) \
                                                order by si.name) \
                                from agreement_sites s join sites si on si.tenant_id = s.tenant_id and si.id = s.site_id \
                                where s.agreement_id = a.id and si.name <> $4), '[]'::jsonb), \
             'targets', $5::jsonb), \
           $6, $7::timestamp at time zone 'Europe/Paris' \
         from agreements a where a.id = $2",
        vec![
            Uuid::now_v7().into(),
            id.into(),
            funding.into(),
            AMENDED_SITE.into(),
            targets.to_string().into(),
            reason.into(),
            changed.clone().into(),
        ],
    )
    .await?;
    exec(
        tx,
        "update agreements set revision = revision + 1, updated_at = $2::timestamp at time zone 'Europe/Paris' \
         where id = $1",
        vec![id.into(), changed.into()],
    )
    .await
}

struct Payment {
    kind: &'static str,
    on_date: NaiveDate,
    amount: i64,
    label: String,
}

/// The payment schedule (instalments at the start of each period) and what was
/// received: instalments due over 45 days ago, paid 20 to 40 days after the due date.
fn schedule(
    a: &AgreementSeed,
    starts: NaiveDate,
    ends: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Payment>, Error> {
    let per_year = a.instalments_per_year.clamp(1, 12);
    let months =
        (ends.year() - starts.year()) * 12 + ends.month() as i32 - starts.month() as i32 + 1;
    let step = 12 / per_year;
    let n = (months.max(1) as u32).div_ceil(step).max(1);
    let base = a.funding_cents / i64::from(n);
    let mut out = vec![];
    let mut due = vec![];
    for k in 0..n {
        let on_date = add_months(starts, k * step)?;
        let amount = if k + 1 == n {
            a.funding_cents - base * i64::from(n - 1)
        } else {
            base
        };
        if amount <= 0 {
            continue;
        }
        out.push(Payment {
            kind: "scheduled",
            on_date,
            amount,
            label: format!("Échéance {}/{n}", k + 1),
        });
        if add_days(on_date, 45)? <= today {
            due.push((k, on_date, amount));
        }
    }
    let last = due.len().checked_sub(1);
    for (i, (k, on_date, amount)) in due.into_iter().enumerate() {
        let is_last = Some(i) == last;
        let (amount, label) = match a.received {
            Received::None => continue,
            Received::LastMissing if is_last => continue,
            Received::LastPartial if is_last => (
                amount / 2,
                format!("Versement partiel, échéance {}/{n}", k + 1),
            ),
            _ => (amount, format!("Versement reçu, échéance {}/{n}", k + 1)),
        };
        if amount <= 0 {
            continue;
        }
        out.push(Payment {
            kind: "received",
            on_date: add_days(on_date, 20 + i64::from(k * 11 % 21))?,
            amount,
            label,
        });
    }
    Ok(out)
}

/// The references of the demo agreements.
fn references() -> Vec<String> {
    AGREEMENTS.iter().map(|a| a.reference.to_owned()).collect()
}

/// The agreements a seeded partner request fits (`app.agreement_candidates`, set-based):
/// its visit's site covered, the Paris day of the visit within the period, partner
/// visits among the services, its theme among the themes, the same partner, the
/// agreement active or ended. Coded when exactly one fits and it is a demo agreement
/// (an agreement created through the API is left to people, and so is its monthly
/// activity). One association and month at a time, so memory stays bounded at any
/// journal size. $1 tenant, $2 month, $3 demo references.
const CODE_REQUESTS: &str = "with c as ( \
    select r.id, (array_agg(a.id))[1] as agreement_id \
    from visits v \
      join visit_requests r on r.tenant_id = v.tenant_id and r.visit_id = v.id \
      join agreement_sites s on s.tenant_id = v.tenant_id and s.site_id = v.site_id \
      join agreements a on a.id = s.agreement_id \
    where v.tenant_id = $1 \
      and v.occurred_at >= $2::date::timestamp at time zone 'Europe/Paris' \
      and v.occurred_at < ($2::date + interval '1 month') at time zone 'Europe/Paris' \
      and left(v.client_key, 5) = 'seed-' and v.status = 'recorded' \
      and r.kind = 'partner' and r.agreement_id is null \
      and a.status in ('active', 'ended') and 'partner_visits' = any (a.services) \
      and a.partner_id = r.partner_id and r.theme = any (a.themes) \
      and (v.occurred_at at time zone 'Europe/Paris')::date between a.starts_on and a.ends_on \
    group by r.id \
    having count(*) = 1 and bool_and(a.reference = any ($3::text[]))) \
  update visit_requests r set agreement_id = c.agreement_id from c \
  where r.tenant_id = $1 and r.id = c.id";

/// The same for held workshops funded by a partner (workshops, the workshop theme).
/// $1 demo associations, $2 demo references.
const CODE_WORKSHOPS: &str = "with c as ( \
    select w.tenant_id, w.id, (array_agg(a.id))[1] as agreement_id \
    from workshops w \
      join agreement_sites s on s.tenant_id = w.tenant_id and s.site_id = w.site_id \
      join agreements a on a.id = s.agreement_id \
    where w.tenant_id = any ($1::uuid[]) and left(w.client_key, 5) = 'seed-' and w.status = 'held' \
      and w.funding_partner_id is not null and w.agreement_id is null \
      and a.status in ('active', 'ended') and 'workshops' = any (a.services) \
      and a.partner_id = w.funding_partner_id and w.theme = any (a.workshop_themes) \
      and w.held_on between a.starts_on and a.ends_on \
    group by w.tenant_id, w.id \
    having count(*) = 1 and bool_and(a.reference = any ($2::text[]))) \
  update workshops w set agreement_id = c.agreement_id from c \
  where w.tenant_id = c.tenant_id and w.id = c.id";

/// Codes the seeded journal: (requests, workshops) coded by this run.
async fn code_journal(tx: &db::Scoped) -> Result<(u64, u64), Error> {
    let refs = references();
    let mut tenants = vec![];
    let mut requests = 0;
    // The months the association's journal spans (two index lookups each).
    for r in query(
        tx,
        "select t.id, \
           to_char(date_trunc('month', (select min(v.occurred_at) from visits v where v.tenant_id = t.id) \
             at time zone 'Europe/Paris'), 'YYYY-MM-DD') as first_month, \
           to_char(date_trunc('month', (select max(v.occurred_at) from visits v where v.tenant_id = t.id) \
             at time zone 'Europe/Paris'), 'YYYY-MM-DD') as last_month \
         from tenants t where t.slug = any($1::text[]) order by t.slug",
        vec![demo_slugs().into()],
    )
    .await?
    {
        let tenant: Uuid = r.try_get("", "id")?;
        tenants.push(tenant);
        let first: Option<String> = r.try_get("", "first_month")?;
        let last: Option<String> = r.try_get("", "last_month")?;
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        let (mut month, last): (NaiveDate, NaiveDate) = (
            first.parse().map_err(|_| invalid("month"))?,
            last.parse().map_err(|_| invalid("month"))?,
        );
        while month <= last {
            requests += affected(
                tx,
                CODE_REQUESTS,
                vec![
                    tenant.into(),
                    month.to_string().into(),
                    refs.clone().into(),
                ],
            )
            .await?;
            month = add_months(month, 1)?;
        }
    }
    let workshops = affected(tx, CODE_WORKSHOPS, vec![tenants.into(), refs.into()]).await?;
    Ok((requests, workshops))
}

/// Rebuilds the monthly activity of the demo agreements from the coded journal, in
/// one statement: a row per (agreement, association, site, Paris month, activity,
/// theme) with the coded requests of recorded visits (and their mediation acts), or
/// the held workshops (and their attendees). Rows that no longer match anything are
/// zeroed (the application role may not delete them). Only rows that differ are
/// written, so a second run writes nothing. $1 demo references (the benchmark seed
/// passes its own).
pub(crate) const REBUILD_MONTHLY: &str = "with demo as materialized ( \
    select id, partner_id from agreements where reference = any ($1::text[])), \
  agg as materialized ( \
    select r.agreement_id, d.partner_id, v.tenant_id, v.site_id, \
      date_trunc('month', v.occurred_at at time zone 'Europe/Paris')::date as month, 'request'::text as activity, \
      r.theme, count(*)::int4 as count, (count(*) filter (where r.mediation_act))::int4 as mediation_acts, \
      0::int4 as attendees \
    from visit_requests r join demo d on d.id = r.agreement_id \
      join visits v on v.tenant_id = r.tenant_id and v.id = r.visit_id \
    where v.status = 'recorded' \
    group by 1, 2, 3, 4, 5, 6, 7 \
    union all \
    select w.agreement_id, d.partner_id, w.tenant_id, w.site_id, date_trunc('month', w.held_on)::date, 'workshop', \
      w.theme, count(*)::int4, 0, sum(w.attendees)::int4 \
    from workshops w join demo d on d.id = w.agreement_id \
    where w.status = 'held' \
    group by 1, 2, 3, 4, 5, 6, 7), \
  stale as ( \
    update agreement_activity_monthly m set count = 0, mediation_acts = 0, attendees = 0 \
    where m.agreement_id in (select id from demo) \
      and (m.count <> 0 or m.mediation_acts <> 0 or m.attendees <> 0) \
      and not exists (select 1 from agg g where g.agreement_id = m.agreement_id and g.tenant_id = m.tenant_id \
        and g.site_id = m.site_id and g.month = m.month and g.activity = m.activity and g.theme = m.theme) \
    returning 1), \
  up as ( \
    insert into agreement_activity_monthly as m (agreement_id, partner_id, tenant_id, site_id, month, activity, theme, \
      count, mediation_acts, attendees) \
    select * from agg \
    on conflict (agreement_id, tenant_id, site_id, month, activity, theme) do update \
    set count = excluded.count, mediation_acts = excluded.mediation_acts, attendees = excluded.attendees \
    where (m.count, m.mediation_acts, m.attendees) is distinct from (excluded.count, excluded.mediation_acts, excluded.attendees) \
    returning 1) \
  select (select count(*) from stale) + (select count(*) from up) as n";

async fn rebuild_monthly(tx: &db::Scoped) -> Result<u64, Error> {
    total(tx, REBUILD_MONTHLY, vec![references().into()]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn client_ids_fit_the_format() {
        for c in demo_api_clients() {
            let rest = c.client_id.strip_prefix("pc_").unwrap_or_default();
            assert!((16..=64).contains(&rest.len()), "{}", c.client_id);
            assert!(rest.chars().all(|ch| ch.is_ascii_alphanumeric()));
            assert!(c.secret.starts_with("pcs_demo_"));
        }
        assert_eq!(client_id("edf"), "pc_demoedf000000000");
        assert_eq!(client_id("eaudugrandlyon"), "pc_demoeaudugrandlyon");
        assert_eq!(SLUGS.len(), crate::network::PARTNERS.len());
        for (name, ..) in crate::network::PARTNERS {
            assert!(SLUGS.iter().any(|s| s.0 == *name), "{name}");
            assert!(CONTACTS.iter().any(|c| c.0 == *name), "{name}");
            assert!(
                crate::network::ACCOUNTS
                    .iter()
                    .any(|a| a.partner == Some(*name)),
                "{name}"
            );
        }
    }

    #[test]
    fn periods_hold_the_journal_year_and_today() {
        for today in [
            d(2026, 1, 2),
            d(2026, 3, 15),
            d(2026, 12, 31),
            d(2028, 2, 29),
        ] {
            let journal_start = today - Days::new(365);
            let (s, e) = Period::Framework.dates(today).unwrap_or_default();
            assert!(s <= journal_start && e >= today, "{today}");
            let (s1, e1) = Period::Ended.dates(today).unwrap_or_default();
            let (s2, e2) = Period::Renewal.dates(today).unwrap_or_default();
            assert!(e1 > journal_start && e1 < today && s1 < e1, "{today}");
            assert_eq!(e1.succ_opt(), Some(s2));
            assert!(e2 > today);
            let (s3, _) = Period::Upcoming.dates(today).unwrap_or_default();
            assert!(s3 > today && s3.day() == 1);
        }
        assert_eq!(
            Period::Ended.dates(d(2026, 3, 15)).unwrap_or_default(),
            (d(2022, 9, 1), d(2025, 8, 31))
        );
    }

    #[test]
    fn agreements_follow_the_api_rules() {
        let themes = ["energy", "water", "transport", "postal", "telecom"];
        let workshop_themes = ["energy_saving", "budget", "digital", "transport"];
        for a in AGREEMENTS {
            let mut sorted = a.services.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, a.services, "{}", a.reference);
            assert_eq!(
                a.services.contains(&"partner_visits"),
                !a.themes.is_empty(),
                "{}",
                a.reference
            );
            assert_eq!(
                a.services.contains(&"workshops"),
                !a.workshop_themes.is_empty(),
                "{}",
                a.reference
            );
            assert!(a.themes.iter().all(|t| themes.contains(t)));
            assert!(
                a.workshop_themes
                    .iter()
                    .all(|t| workshop_themes.contains(t))
            );
            assert!(crate::network::PARTNERS.iter().any(|p| p.0 == a.partner));
            assert_eq!(a.tenant.is_none(), a.reference.starts_with("CN-"));
        }
        for s in ["active", "ended", "draft", "suspended"] {
            assert!(AGREEMENTS.iter().any(|a| a.status == s), "{s}");
        }
        assert!(AGREEMENTS.iter().any(|a| a.reference == AMENDMENT.0));
        for c in outreach::CAMPAIGNS {
            let a = AGREEMENTS.iter().find(|a| a.reference == c.agreement);
            assert!(a.is_some_and(|a| a.services.contains(&"outreach") && a.status == "active"));
        }
    }

    #[test]
    fn payments_add_up() {
        let today = d(2026, 3, 15);
        for a in AGREEMENTS {
            let (s, e) = a.period.dates(today).unwrap_or_default();
            let p = schedule(a, s, e, today).unwrap_or_default();
            let scheduled: i64 = p
                .iter()
                .filter(|p| p.kind == "scheduled")
                .map(|p| p.amount)
                .sum();
            assert_eq!(scheduled, a.funding_cents, "{}", a.reference);
            assert!(
                p.iter()
                    .filter(|p| p.kind == "received")
                    .all(|p| p.on_date <= today && p.amount > 0)
            );
        }
    }
}
