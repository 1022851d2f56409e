//! `passerelle seed --demo`, third part: the partners' side of the demo network.
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
//! - Outreach: an open ENGIE campaign on unpaid energy bills in Grenoble with cases in
//!   every state, and a closed campaign whose contact data was purged.
//!
//! Dates follow the day of the first run (Paris calendar), like the journal's year.
//! Idempotent: contacts, agreements, clients and campaigns are keyed by a natural key
//! (partner and email, reference, client id, association and title) and skipped when
//! present, with everything that hangs on them; coding only touches requests not yet
//! coded, and the monthly rebuild writes nothing when the aggregates already agree.

use crate::seed::{SeedError, TENANTS, exec};
use crate::seed_journal::count;
use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
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

fn invalid(what: &str) -> SeedError {
    SeedError::Demo(format!("demo partners: {what}"))
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, SeedError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| invalid("date out of range"))
}

fn add_months(d: NaiveDate, n: u32) -> Result<NaiveDate, SeedError> {
    d.checked_add_months(Months::new(n))
        .ok_or_else(|| invalid("date out of range"))
}

fn add_days(d: NaiveDate, n: i64) -> Result<NaiveDate, SeedError> {
    let r = if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    };
    r.ok_or_else(|| invalid("date out of range"))
}

fn first_of_month(d: NaiveDate) -> Result<NaiveDate, SeedError> {
    ymd(d.year(), d.month(), 1)
}

impl Period {
    fn dates(self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), SeedError> {
        let y = today.year();
        let three_years = |start: NaiveDate| -> Result<(NaiveDate, NaiveDate), SeedError> {
            Ok((start, add_days(add_months(start, 36)?, -1)?))
        };
        // The last day of the month seven months ago.
        let ended = || -> Result<NaiveDate, SeedError> {
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

fn stmt(q: &str, v: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, q, v)
}

async fn query(tx: &db::Scoped, q: &str, v: Vec<Value>) -> Result<Vec<QueryResult>, SeedError> {
    Ok(tx.query_all_raw(stmt(q, v)).await?)
}

async fn affected(tx: &db::Scoped, q: &str, v: Vec<Value>) -> Result<u64, SeedError> {
    Ok(tx.execute_raw(stmt(q, v)).await?.rows_affected())
}

fn demo_slugs() -> Vec<String> {
    TENANTS.iter().map(|t| t.slug.to_owned()).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Loads the partners' demo data and codes the seeded journal. Runs inside the seed's
/// transaction, after the journal.
pub(crate) async fn seed_partners(tx: &db::Scoped) -> Result<PartnerSummary, SeedError> {
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
        "select (now() at time zone 'Europe/Paris')::date::text",
        vec![],
    )
    .await?
    .first()
    {
        Some(r) => r
            .try_get_by_index::<String>(0)?
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
    let (campaigns, cases) = outreach(tx, today).await?;
    out.campaigns = campaigns;
    out.cases = cases;
    Ok(out)
}

async fn contacts(tx: &db::Scoped) -> Result<u64, SeedError> {
    let pick = |i: usize| CONTACTS.iter().map(move |c| [c.0, c.1, c.2, c.3, c.4][i]);
    let col = |i: usize| pick(i).map(str::to_owned).collect::<Vec<_>>();
    let ids: Vec<Uuid> = CONTACTS.iter().map(|_| Uuid::now_v7()).collect();
    affected(
        tx,
        "insert into partner_contacts (id, partner_id, full_name, job_title, email, phone) \
         select u.id, p.id, u.full_name, u.job_title, u.email, u.phone \
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
           with ordinality as u(id, partner, full_name, job_title, email, phone, n) \
         join partner_organisations p on p.name = u.partner \
         where not exists (select 1 from partner_contacts c where c.partner_id = p.id and c.email = u.email) \
         order by u.n",
        vec![
            ids.into(),
            col(0).into(),
            col(1).into(),
            col(2).into(),
            col(3).into(),
            col(4).into(),
        ],
    )
    .await
}

/// One client per partner, every scope, the demo secret hashed with argon2id. Only
/// the clients missing are hashed: a second run costs nothing.
async fn api_clients(tx: &db::Scoped, today: NaiveDate) -> Result<u64, SeedError> {
    let all = demo_api_clients();
    let ids: Vec<String> = all.iter().map(|c| c.client_id.clone()).collect();
    let mut present = vec![];
    for r in query(
        tx,
        "select client_id from partner_api_clients where client_id = any($1::text[])",
        vec![ids.into()],
    )
    .await?
    {
        present.push(r.try_get_by_index::<String>(0)?);
    }
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
            .map(|s| partners::clients::hash_secret_blocking(s))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| invalid(&format!("hashing the demo secrets: {e}")))?
    // Debug: an internal error's Display hides its cause, which is wanted here.
    .map_err(|e| invalid(&format!("hashing the demo secrets: {e:?}")))?;
    // Registered at the start of the national frameworks, before any campaign.
    let created = format!("{}-01-15 10:00:00", today.year() - 1);
    affected(
        tx,
        "insert into partner_api_clients (id, partner_id, client_id, name, secret_hash, scopes, created_at) \
         select u.id, p.id, u.client_id, 'Démonstration ' || p.name, u.hash, $5::text[], \
           $6::timestamp at time zone 'Europe/Paris' \
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as u(id, partner, client_id, hash) \
         join partner_organisations p on p.name = u.partner \
         on conflict (client_id) do nothing",
        vec![
            missing
                .iter()
                .map(|_| Uuid::now_v7())
                .collect::<Vec<_>>()
                .into(),
            missing
                .iter()
                .map(|c| c.partner.to_owned())
                .collect::<Vec<_>>()
                .into(),
            missing
                .iter()
                .map(|c| c.client_id.clone())
                .collect::<Vec<_>>()
                .into(),
            hashes.into(),
            strings(SCOPES).into(),
            created.into(),
        ],
    )
    .await
}

/// Inserts one agreement with its covered sites, targets, payments and (for the
/// amended one) history. Returns whether it was new: an existing agreement is left
/// as it is, whatever was done to it through the API since.
async fn agreement(
    tx: &db::Scoped,
    a: &AgreementSeed,
    today: NaiveDate,
) -> Result<bool, SeedError> {
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
    let id: Uuid = r.try_get_by_index(0)?;
    let partner: Uuid = r.try_get_by_index(1)?;
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
) -> Result<(), SeedError> {
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
async fn amend(tx: &db::Scoped, id: Uuid, today: NaiveDate) -> Result<(), SeedError> {
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
) -> Result<Vec<Payment>, SeedError> {
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
async fn code_journal(tx: &db::Scoped) -> Result<(u64, u64), SeedError> {
    let refs = references();
    let mut tenants = vec![];
    let mut requests = 0;
    // The months the association's journal spans (two index lookups each).
    for r in query(
        tx,
        "select t.id, \
           to_char(date_trunc('month', (select min(v.occurred_at) from visits v where v.tenant_id = t.id) \
             at time zone 'Europe/Paris'), 'YYYY-MM-DD'), \
           to_char(date_trunc('month', (select max(v.occurred_at) from visits v where v.tenant_id = t.id) \
             at time zone 'Europe/Paris'), 'YYYY-MM-DD') \
         from tenants t where t.slug = any($1::text[]) order by t.slug",
        vec![demo_slugs().into()],
    )
    .await?
    {
        let tenant: Uuid = r.try_get_by_index(0)?;
        tenants.push(tenant);
        let first: Option<String> = r.try_get_by_index(1)?;
        let last: Option<String> = r.try_get_by_index(2)?;
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
  select (select count(*) from stale) + (select count(*) from up)";

async fn rebuild_monthly(tx: &db::Scoped) -> Result<u64, SeedError> {
    let rows = query(tx, REBUILD_MONTHLY, vec![references().into()]).await?;
    match rows.first() {
        Some(r) => Ok(r.try_get_by_index::<i64>(0)?.max(0) as u64),
        None => Ok(0),
    }
}

// Outreach ---------------------------------------------------------------------------

/// How a case went: its attempts (channel, result), then, if closed, its outcome,
/// whether the resident consented to details going back to the partner, and those.
struct Script {
    attempts: &'static [(&'static str, &'static str)],
    outcome: Option<&'static str>,
    consent: bool,
    report: Option<&'static str>,
}

const fn open(attempts: &'static [(&'static str, &'static str)]) -> Script {
    Script {
        attempts,
        outcome: None,
        consent: false,
        report: None,
    }
}

const fn closed(
    attempts: &'static [(&'static str, &'static str)],
    outcome: &'static str,
    report: Option<&'static str>,
) -> Script {
    Script {
        attempts,
        outcome: Some(outcome),
        consent: report.is_some(),
        report,
    }
}

const PENDING: Script = open(&[]);

/// The open campaign's 30 cases: 6 pending, 8 in progress, 16 closed with every
/// outcome. Three attempts without reaching anybody close a case as unreachable (the
/// campaign's `max_attempts`), as the API does.
const OPEN_CASES: &[Script] = &[
    PENDING,
    PENDING,
    PENDING,
    PENDING,
    PENDING,
    PENDING,
    open(&[("phone", "no_answer")]),
    open(&[("phone", "no_answer")]),
    open(&[("phone", "no_answer")]),
    open(&[("phone", "left_message")]),
    open(&[("phone", "no_answer"), ("sms", "left_message")]),
    open(&[("phone", "left_message"), ("phone", "no_answer")]),
    // Reached; the mediator waits for the bills to call the partner with her.
    open(&[("phone", "reached")]),
    open(&[("letter", "letter_sent")]),
    closed(
        &[("phone", "no_answer"), ("phone", "reached")],
        "contact_restored",
        Some(
            "Rappel du service client convenu ; la personne attend la révision de son échéancier.",
        ),
    ),
    closed(&[("phone", "reached")], "contact_restored", None),
    closed(
        &[("door_to_door", "reached")],
        "contact_restored",
        Some("Compteur relevé ensemble, facture estimée à corriger."),
    ),
    closed(
        &[("sms", "left_message"), ("phone", "reached")],
        "contact_restored",
        None,
    ),
    closed(
        &[("phone", "reached")],
        "payment_plan_agreed",
        Some("Échéancier de 6 mois accepté, premier versement le 10 du mois."),
    ),
    closed(
        &[("phone", "left_message"), ("phone", "reached")],
        "payment_plan_agreed",
        Some("Plan d'apurement sur 10 mois ; demande de chèque énergie faite."),
    ),
    closed(&[("door_to_door", "reached")], "payment_plan_agreed", None),
    closed(&[("phone", "reached")], "payment_plan_agreed", None),
    closed(
        &[("phone", "reached")],
        "referred_to_social_services",
        Some("Orientée vers le CCAS pour une aide du fonds de solidarité logement (énergie)."),
    ),
    closed(
        &[("phone", "no_answer"), ("door_to_door", "reached")],
        "referred_to_social_services",
        None,
    ),
    closed(
        &[("phone", "reached")],
        "referred_to_social_services",
        Some("Dossier FSL déposé avec l'assistante sociale du secteur."),
    ),
    closed(&[("phone", "wrong_number")], "wrong_number", None),
    closed(
        &[("phone", "wrong_number"), ("letter", "moved_away")],
        "wrong_number",
        None,
    ),
    closed(&[("phone", "refused")], "refused", None),
    closed(
        &[
            ("phone", "no_answer"),
            ("phone", "left_message"),
            ("letter", "letter_sent"),
        ],
        "unreachable",
        None,
    ),
    closed(
        &[
            ("phone", "no_answer"),
            ("sms", "left_message"),
            ("door_to_door", "no_answer"),
        ],
        "unreachable",
        None,
    ),
];

/// The purged campaign's cases: all closed (their scripts, from the open campaign's).
const PURGED_CASES: &[usize] = &[14, 15, 16, 18, 19, 22, 23, 25, 27, 28, 29, 28];

struct CampaignSeed {
    tenant: &'static str,
    agreement: &'static str,
    title: &'static str,
    purpose: &'static str,
    legal_basis: &'static str,
    /// Days before the seed.
    starts_ago: i64,
    length_days: i64,
    /// Days before the seed; None: open.
    closed_ago: Option<i64>,
    retention_days: i32,
    purged: bool,
    /// The cases' scripts, by index in `OPEN_CASES`.
    cases: &'static [usize],
    ref_prefix: &'static str,
}

const ALL_OPEN: &[usize] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29,
];

const CAMPAIGNS: &[CampaignSeed] = &[
    CampaignSeed {
        tenant: GRENOBLE,
        agreement: "CL-ENGIE-GRENOBLE",
        title: "Impayés d'énergie ENGIE – Villeneuve, Mistral et Échirolles",
        purpose: "unpaid_energy_bills",
        legal_basis: "legitimate_interest",
        starts_ago: 45,
        length_days: 90,
        closed_ago: None,
        retention_days: 90,
        purged: false,
        cases: ALL_OPEN,
        ref_prefix: "ENG-38-",
    },
    CampaignSeed {
        tenant: GRENOBLE,
        agreement: "CL-ENGIE-GRENOBLE",
        title: "Chèque énergie : relance des bénéficiaires ENGIE",
        purpose: "energy_vouchers",
        legal_basis: "public_interest",
        starts_ago: 300,
        length_days: 90,
        closed_ago: Some(205),
        retention_days: 90,
        purged: true,
        cases: PURGED_CASES,
        ref_prefix: "CHQ-38-",
    },
];

const FIRST_NAMES: &[&str] = &[
    "Nadia",
    "Mohamed",
    "Sylvie",
    "Kévin",
    "Fatima",
    "Jean-Luc",
    "Aïcha",
    "Christophe",
    "Yasmine",
    "Gérard",
    "Leïla",
    "Bruno",
    "Sabrina",
    "Mamadou",
    "Josiane",
    "Rachid",
    "Élodie",
    "Patrick",
    "Malika",
    "Thierry",
    "Chantal",
    "Ahmed",
    "Nathalie",
    "Olivier",
];
const LAST_NAMES: &[&str] = &[
    "Benaïssa",
    "Lopez",
    "Durand",
    "Nguyen",
    "Bouzid",
    "Martinez",
    "Gauthier",
    "Koné",
    "Petitjean",
    "Ferreira",
    "Mansouri",
    "Blanc",
    "Diop",
    "Rey",
    "Colin",
    "Haddadi",
    "Pereira",
    "Lambert",
    "Traoré",
    "Mercier",
];
/// (street, postal code) in the neighbourhoods of the Grenoble sites.
const STREETS: &[(&str, &str)] = &[
    ("galerie de l'Arlequin", "38100"),
    ("avenue La Bruyère", "38100"),
    ("rue Anatole France", "38100"),
    ("avenue Marie Reynoard", "38100"),
    ("rue du Général Ferrié", "38100"),
    ("avenue de Grugliasco", "38130"),
    ("cours Jean Jaurès", "38130"),
    ("rue de la Liberté", "38130"),
    ("place des Géants", "38100"),
    ("rue Mozart", "38000"),
];

/// Ascii lower case for an email's local part.
fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c.to_lowercase().next().unwrap_or(c) {
                'à' | 'â' | 'ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'î' | 'ï' => 'i',
                'ô' | 'ö' => 'o',
                'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                c => c,
            };
            (c.is_ascii_lowercase() || c == '-').then_some(c)
        })
        .collect()
}

/// The next weekday on or after `d` (mediators call on working days).
fn working_day(d: NaiveDate) -> Result<NaiveDate, SeedError> {
    match d.weekday() {
        Weekday::Sat => add_days(d, 2),
        Weekday::Sun => add_days(d, 1),
        _ => Ok(d),
    }
}

fn at(d: NaiveDate, minutes: u32) -> Result<NaiveDateTime, SeedError> {
    let t = NaiveTime::from_hms_opt(minutes / 60 % 24, minutes % 60, 0)
        .ok_or_else(|| invalid("time"))?;
    Ok(d.and_time(t))
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_ts(t: Option<NaiveDateTime>) -> String {
    t.map(ts).unwrap_or_default()
}

fn note(result: &str) -> &'static str {
    match result {
        "left_message" => "Message laissé sur le répondeur, rappel proposé.",
        "reached" => "Personne jointe, situation expliquée.",
        "wrong_number" => "Le numéro n'est plus attribué.",
        "moved_away" => "Courrier revenu : n'habite plus à l'adresse indiquée.",
        "refused" => "Ne souhaite pas être accompagnée.",
        _ => "",
    }
}

/// Columns of the cases and attempts of one campaign, as arrays for `unnest` (empty
/// text stands for null).
#[derive(Default)]
struct Rows {
    case_id: Vec<Uuid>,
    customer_ref: Vec<String>,
    full_name: Vec<String>,
    phone: Vec<String>,
    email: Vec<String>,
    address: Vec<String>,
    postal_code: Vec<String>,
    status: Vec<String>,
    outcome: Vec<String>,
    consent: Vec<bool>,
    report: Vec<String>,
    attempts: Vec<i32>,
    by_client: Vec<bool>,
    submitted: Vec<String>,
    updated: Vec<String>,
    closed: Vec<String>,
    a_id: Vec<Uuid>,
    a_case: Vec<Uuid>,
    a_channel: Vec<String>,
    a_at: Vec<String>,
    a_result: Vec<String>,
    a_note: Vec<String>,
    a_mediator: Vec<Uuid>,
}

fn campaign_rows(
    c: &CampaignSeed,
    start: NaiveDate,
    purged_at: Option<NaiveDateTime>,
    staff: &[Uuid],
) -> Result<Rows, SeedError> {
    let mut rows = Rows::default();
    for (i, &script) in c.cases.iter().enumerate() {
        let s = OPEN_CASES
            .get(script)
            .ok_or_else(|| invalid("case script"))?;
        let id = Uuid::now_v7();
        // Two batches: the partner's API client sends most cases on the first day,
        // its relations officer adds the rest two weeks later.
        let second = i >= 20;
        let day = if second { add_days(start, 14)? } else { start };
        let submitted = at(day, if second { 14 * 60 + 5 } else { 9 * 60 + 30 })?;
        let mut last = submitted;
        for (j, (channel, result)) in s.attempts.iter().enumerate() {
            let d = working_day(add_days(day, 2 + 3 * j as i64 + (i % 3) as i64)?)?;
            let t = at(d, 9 * 60 + ((i * 37 + j * 53) % 420) as u32)?;
            rows.a_id.push(Uuid::now_v7());
            rows.a_case.push(id);
            rows.a_channel.push((*channel).to_owned());
            rows.a_at.push(ts(t));
            rows.a_result.push((*result).to_owned());
            rows.a_note.push(if c.purged {
                String::new()
            } else {
                note(result).to_owned()
            });
            // Mostly the mediators (listed three times), sometimes the others.
            let who = staff
                .get((i + j) % staff.len().max(1))
                .ok_or_else(|| invalid("no staff for the attempts"))?;
            rows.a_mediator.push(*who);
            last = t;
        }
        // The third fruitless attempt closes the case as it is recorded (a few minutes
        // after it); otherwise the mediator closes it right after the last attempt.
        let closed = s
            .outcome
            .map(|o| last + chrono::Duration::minutes(if o == "unreachable" { 4 } else { 20 }));
        let first = FIRST_NAMES[(i * 5 + c.ref_prefix.len()) % FIRST_NAMES.len()];
        let last_name = LAST_NAMES[(i * 7 + 3) % LAST_NAMES.len()];
        let (street, postal_code) = STREETS[(i * 3) % STREETS.len()];
        let purged = c.purged;
        let keep = |v: String| if purged { String::new() } else { v };
        rows.case_id.push(id);
        rows.customer_ref
            .push(keep(format!("{}{:05}", c.ref_prefix, 1204 + i * 17)));
        rows.full_name.push(keep(format!("{first} {last_name}")));
        rows.phone.push(keep(format!(
            "+336{:08}",
            (i as u64 * 73_856_093 + 11_223_344) % 100_000_000
        )));
        rows.email.push(keep(if i % 3 == 0 {
            format!(
                "{}.{}@example.net",
                ascii_fold(first),
                ascii_fold(last_name)
            )
        } else {
            String::new()
        }));
        rows.address
            .push(keep(format!("{} {street}", 1 + (i * 37) % 120)));
        rows.postal_code.push(keep(postal_code.to_owned()));
        rows.status.push(
            match (s.outcome, s.attempts.is_empty()) {
                (Some(_), _) => "closed",
                (None, true) => "pending",
                (None, false) => "in_progress",
            }
            .to_owned(),
        );
        rows.outcome
            .push(s.outcome.map(str::to_owned).unwrap_or_default());
        rows.consent.push(s.consent);
        rows.report
            .push(keep(s.report.map(str::to_owned).unwrap_or_default()));
        rows.attempts.push(s.attempts.len() as i32);
        rows.by_client.push(!second);
        rows.submitted.push(ts(submitted));
        rows.updated.push(ts(purged_at.or(closed).unwrap_or(last)));
        rows.closed.push(opt_ts(closed));
    }
    Ok(rows)
}

/// Inserts the demo campaigns not yet present (by association and title), with their
/// cases and attempts. Returns (campaigns, cases).
async fn outreach(tx: &db::Scoped, today: NaiveDate) -> Result<(u64, u64), SeedError> {
    let (mut campaigns, mut cases) = (0, 0);
    for c in CAMPAIGNS {
        let start = add_days(today, -c.starts_ago)?;
        let ends = add_days(start, c.length_days)?;
        let closed_at = match c.closed_ago {
            Some(d) => Some(at(add_days(today, -d)?, 17 * 60)?),
            None => None,
        };
        // The nightly purge after the retention period.
        let purged_at = match closed_at {
            Some(t) if c.purged => Some(at(
                add_days(t.date(), i64::from(c.retention_days) + 1)?,
                2 * 60 + 15,
            )?),
            _ => None,
        };
        let campaign = Uuid::now_v7();
        let rows = query(
            tx,
            "insert into outreach_campaigns (tenant_id, id, agreement_id, partner_id, title, purpose, legal_basis, \
               starts_on, ends_on, max_attempts, retention_days, status, closed_at, purged_at, created_by, created_at) \
             select t.id, $1, a.id, a.partner_id, $4, $5, $6, $7::date, $8::date, 3, $9, \
               case when $10 = '' then 'open' else 'closed' end, \
               nullif($10, '')::timestamp at time zone 'Europe/Paris', \
               nullif($11, '')::timestamp at time zone 'Europe/Paris', \
               (select m.user_id from memberships m join users u on u.id = m.user_id \
                where m.tenant_id = t.id and m.role = 'director' and m.status = 'active' order by u.email limit 1), \
               ($7::date - 3 + time '16:00') at time zone 'Europe/Paris' \
             from tenants t join agreements a on a.reference = $3 \
             where t.slug = $2 \
               and not exists (select 1 from outreach_campaigns c where c.tenant_id = t.id and c.title = $4) \
             returning tenant_id, partner_id",
            vec![
                campaign.into(),
                c.tenant.into(),
                c.agreement.into(),
                c.title.into(),
                c.purpose.into(),
                c.legal_basis.into(),
                start.to_string().into(),
                ends.to_string().into(),
                c.retention_days.into(),
                opt_ts(closed_at).into(),
                opt_ts(purged_at).into(),
            ],
        )
        .await?;
        let Some(r) = rows.first() else {
            continue;
        };
        let tenant: Uuid = r.try_get_by_index(0)?;
        let partner: Uuid = r.try_get_by_index(1)?;
        let mut staff = vec![];
        for r in query(
            tx,
            "select m.id, m.role from memberships m join users u on u.id = m.user_id \
             where m.tenant_id = $1 and m.status = 'active' and m.role in ('mediator', 'coordinator', 'director') \
             order by u.email",
            vec![tenant.into()],
        )
        .await?
        {
            let (id, role): (Uuid, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
            let shares = if role == "mediator" { 3 } else { 1 };
            staff.extend(std::iter::repeat_n(id, shares));
        }
        let k = campaign_rows(c, start, purged_at, &staff)?;
        cases += affected(
            tx,
            "insert into outreach_cases (tenant_id, id, campaign_id, partner_id, customer_ref, full_name, phone, email, \
               address, postal_code, status, outcome, consent_to_report, report_details, attempts, submitted_by_user, \
               submitted_by_client, submitted_at, updated_at, closed_at, purged_at) \
             select $1, u.id, $2, $3, nullif(u.customer_ref, ''), nullif(u.full_name, ''), nullif(u.phone, ''), \
               nullif(u.email, ''), nullif(u.address, ''), nullif(u.postal_code, ''), u.status, nullif(u.outcome, ''), \
               u.consent, nullif(u.report, ''), u.attempts, \
               case when not u.by_client then (select p.user_id from partner_users p join users us on us.id = p.user_id \
                 where p.partner_id = $3 order by us.email limit 1) end, \
               case when u.by_client then (select k.id from partner_api_clients k where k.partner_id = $3 \
                 and k.client_id like 'pc\\_demo%' order by k.client_id limit 1) end, \
               u.submitted::timestamp at time zone 'Europe/Paris', u.updated::timestamp at time zone 'Europe/Paris', \
               nullif(u.closed, '')::timestamp at time zone 'Europe/Paris', \
               nullif($4, '')::timestamp at time zone 'Europe/Paris' \
             from unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
               $12::text[], $13::text[], $14::bool[], $15::text[], $16::int4[], $17::bool[], $18::text[], \
               $19::text[], $20::text[]) \
               as u(id, customer_ref, full_name, phone, email, address, postal_code, status, outcome, consent, report, \
                    attempts, by_client, submitted, updated, closed)",
            vec![
                tenant.into(),
                campaign.into(),
                partner.into(),
                opt_ts(purged_at).into(),
                k.case_id.into(),
                k.customer_ref.into(),
                k.full_name.into(),
                k.phone.into(),
                k.email.into(),
                k.address.into(),
                k.postal_code.into(),
                k.status.into(),
                k.outcome.into(),
                k.consent.into(),
                k.report.into(),
                k.attempts.into(),
                k.by_client.into(),
                k.submitted.into(),
                k.updated.into(),
                k.closed.into(),
            ],
        )
        .await?;
        exec(
            tx,
            "insert into outreach_attempts (tenant_id, id, case_id, channel, attempted_at, result, note, mediator_id, \
               created_at) \
             select $1, u.id, u.case_id, u.channel, u.at::timestamp at time zone 'Europe/Paris', u.result, \
               nullif(u.note, ''), u.mediator, (u.at::timestamp + interval '4 minutes') at time zone 'Europe/Paris' \
             from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[]) \
               as u(id, case_id, channel, at, result, note, mediator)",
            vec![
                tenant.into(),
                k.a_id.into(),
                k.a_case.into(),
                k.a_channel.into(),
                k.a_at.into(),
                k.a_result.into(),
                k.a_note.into(),
                k.a_mediator.into(),
            ],
        )
        .await?;
        campaigns += 1;
    }
    Ok((campaigns, cases))
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
        assert_eq!(SLUGS.len(), crate::seed::PARTNERS.len());
        for (name, ..) in crate::seed::PARTNERS {
            assert!(SLUGS.iter().any(|s| s.0 == *name), "{name}");
            assert!(CONTACTS.iter().any(|c| c.0 == *name), "{name}");
            assert!(
                crate::seed::ACCOUNTS
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
            assert!(crate::seed::PARTNERS.iter().any(|p| p.0 == a.partner));
            assert_eq!(a.tenant.is_none(), a.reference.starts_with("CN-"));
        }
        for s in ["active", "ended", "draft", "suspended"] {
            assert!(AGREEMENTS.iter().any(|a| a.status == s), "{s}");
        }
        assert!(AGREEMENTS.iter().any(|a| a.reference == AMENDMENT.0));
        for c in CAMPAIGNS {
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

    #[test]
    fn cases_cover_every_state_and_outcome() {
        let outcomes = [
            "contact_restored",
            "payment_plan_agreed",
            "referred_to_social_services",
            "wrong_number",
            "refused",
            "unreachable",
        ];
        for o in outcomes {
            assert!(OPEN_CASES.iter().any(|s| s.outcome == Some(o)), "{o}");
        }
        assert_eq!(OPEN_CASES.len(), 30);
        assert_eq!(ALL_OPEN.len(), 30);
        for (i, s) in OPEN_CASES.iter().enumerate() {
            // Three attempts without reaching anybody close the case as unreachable.
            let reached = s
                .attempts
                .iter()
                .any(|a| a.1 == "reached" || a.1 == "refused");
            assert!(s.attempts.len() <= 3, "{i}");
            if s.attempts.len() == 3 && !reached {
                assert_eq!(s.outcome, Some("unreachable"), "{i}");
            }
            if s.outcome.is_some() {
                assert!(!s.attempts.is_empty(), "{i}");
            }
            // Consent only from a resident who was reached; details only with consent.
            if s.consent {
                assert!(reached, "{i}");
            }
            // A letter is sent or comes back; only a letter is sent.
            for (channel, result) in s.attempts {
                if *channel == "letter" {
                    assert!(matches!(*result, "letter_sent" | "moved_away"), "{i}");
                } else {
                    assert_ne!(*result, "letter_sent", "{i}");
                }
            }
        }
        assert!(
            PURGED_CASES
                .iter()
                .all(|&i| OPEN_CASES[i].outcome.is_some())
        );
        assert_eq!(ascii_fold("Aïcha"), "aicha");
        assert_eq!(ascii_fold("Jean-Luc"), "jean-luc");
    }
}
