//! The benchmark dataset of bench/WORKLOADS.md (`passerelle seed --bench --size S|M|L`).
//!
//! - 40 associations `bench-01` ... `bench-40`, largest first, of Zipf-like sizes (the
//!   largest about 15 % of the network, the smallest about 0.5 %), about 3,000 sites
//!   shared in proportion, each association's sites spread over a few neighbouring
//!   towns of a list ordered by region (so every region, overseas included, holds some),
//!   with real 5-digit postcodes, INSEE codes, weekday opening hours and services that
//!   always include partner visits.
//! - The 7 demo partners; a national framework for each national partner covering
//!   every bench site for its themes; local agreements: Eau du Grand Lyon with the two
//!   first associations around Lyon, and a Keolis one with `bench-03` that deliberately
//!   overlaps the national framework (its Keolis requests fit two agreements, so they
//!   stay uncoded, as the coder would leave them).
//! - The accounts the load generator signs in with (dev issuer, subject = email).
//! - A year of journal ending yesterday through `journal::generate` (the demo's
//!   generator, over the bench associations): visits on opening days and hours, 1 to 3
//!   requests each, about half partner requests, coded at insert time to the one
//!   agreement that fits; the daily rollups and `agreement_activity_monthly` filled
//!   exactly from it. No workshops or surveys.
//! - Pseudonymous beneficiaries (`B-BENCH-000001`...; every identity value generated
//!   and marked fictitious) for about one recorded visit in twenty, about 2.5 visits
//!   each, some with none: each with the consent for the association's follow-up, two
//!   in five with a second naming a bench partner (one in ten of those withdrawn), and
//!   a note on three of their visits in ten. Workload W5 reads them. Added to the
//!   associations that have none yet, so a dataset seeded before gets them on the
//!   next run.
//!
//! Deterministic (fixed seeds; the journal draws follow stable orders; each
//! association gets exactly its share of the visits) and idempotent: tenants, sites,
//! accounts and agreements are keyed by natural keys and skipped when present; once
//! the journal exists a second run adds nothing, whatever size it asks for (drop the
//! database to change sizes). Measured on 2 cores: S in about 70 s, M in about 6 min.

use crate::Error;
use crate::journal::{JournalSpec, JournalSummary, MAX_VISITS, RANDOM_HEX, count, uuid7};
use crate::network::Person;
use crate::sql::{affected, exec, query, total};
use kernel::{Ctx, TenantRole, UnionRole};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The dataset sizes of bench/WORKLOADS.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    S,
    M,
    L,
}

impl Size {
    pub fn visits(self) -> u64 {
        match self {
            Size::S => 200_000,
            Size::M => 2_000_000,
            Size::L => 10_000_000,
        }
    }
}

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "S" | "s" => Ok(Size::S),
            "M" | "m" => Ok(Size::M),
            "L" | "l" => Ok(Size::L),
            _ => Err(format!("--size: S, M or L, not {s:?}")),
        }
    }
}

/// The flags after `seed --bench`: `--size S|M|L` and/or `--visits N` (which wins),
/// also as `--flag=value`. Returns the number of visits.
pub fn parse_flags(flags: &[&str]) -> Result<u64, String> {
    let mut size: Option<Size> = None;
    let mut visits: Option<u64> = None;
    let mut rest = flags.iter();
    while let Some(flag) = rest.next() {
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (*flag, None),
        };
        let value = match value {
            Some(v) => v,
            None if name == "--size" || name == "--visits" => match rest.next() {
                Some(v) => *v,
                None => return Err(format!("{name}: a value is missing")),
            },
            None => return Err(format!("seed --bench: unknown option {flag}")),
        };
        match name {
            "--size" => size = Some(value.parse()?),
            "--visits" => {
                let digits: String = value.chars().filter(|&c| c != '_').collect();
                match digits.parse::<u64>() {
                    Ok(n)
                        if (1..=MAX_VISITS).contains(&n)
                            && value.chars().all(|c| c.is_ascii_digit() || c == '_') =>
                    {
                        visits = Some(n)
                    }
                    _ => {
                        return Err(format!(
                            "--visits: a whole number from 1 to {MAX_VISITS}, not {value:?}"
                        ));
                    }
                }
            }
            _ => return Err(format!("seed --bench: unknown option {flag}")),
        }
    }
    match (visits, size) {
        (Some(n), _) => Ok(n),
        (None, Some(s)) => Ok(s.visits()),
        (None, None) => Err("seed --bench: --size S|M|L (or --visits N) is required".into()),
    }
}

pub const ASSOCIATIONS: usize = 40;
pub const SITES: usize = 3_000;
/// Largest over smallest association: 15 % against 0.5 %.
const SIZE_RATIO: f64 = 30.0;
/// The shift of the Zipf law (i + q)^-a: with the ratio above, q = 3.54 puts the
/// largest association at 15.0 % of the network.
const ZIPF_SHIFT: f64 = 3.54;

/// The associations' shares of the network, largest first; they sum to 1.
pub(crate) fn shares() -> Vec<f64> {
    let n = ASSOCIATIONS as f64;
    let a = SIZE_RATIO.ln() / ((n + ZIPF_SHIFT) / (1.0 + ZIPF_SHIFT)).ln();
    let w: Vec<f64> = (1..=ASSOCIATIONS)
        .map(|i| (i as f64 + ZIPF_SHIFT).powf(-a))
        .collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// Sites per association, in proportion to its share (largest remainder, so the
/// total is exactly `SITES`); the journal's visits follow the sites' opening hours,
/// so the visits follow the same skew.
pub(crate) fn site_counts() -> Vec<usize> {
    let exact: Vec<f64> = shares().iter().map(|s| s * SITES as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let missing = SITES.saturating_sub(counts.iter().sum());
    let mut order: Vec<usize> = (0..ASSOCIATIONS).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().take(missing) {
        counts[i] += 1;
    }
    counts
}

pub fn slug(i: usize) -> String {
    format!("bench-{:02}", i + 1)
}

/// A town: (name, postcode, INSEE code, latitude, longitude). Ordered by region
/// (Île-de-France first, overseas last) so that neighbouring associations share a
/// region. Codes are real; the sites' addresses are not.
type Town = (&'static str, &'static str, &'static str, f64, f64);

const TOWNS: &[Town] = &[
    // Île-de-France
    ("Paris 18e", "75018", "75118", 48.8925, 2.3444),
    ("Paris 20e", "75020", "75120", 48.8646, 2.3984),
    ("Saint-Denis", "93200", "93066", 48.9362, 2.3574),
    ("Aubervilliers", "93300", "93001", 48.9146, 2.3821),
    ("Créteil", "94000", "94028", 48.7904, 2.4556),
    ("Évry-Courcouronnes", "91000", "91228", 48.6238, 2.4296),
    ("Sarcelles", "95200", "95585", 48.9973, 2.3781),
    ("Nanterre", "92000", "92050", 48.8924, 2.2071),
    ("Mantes-la-Jolie", "78200", "78361", 48.9908, 1.7172),
    ("Meaux", "77100", "77284", 48.9601, 2.8788),
    // Auvergne-Rhône-Alpes
    ("Lyon 8e", "69008", "69388", 45.7347, 4.8695),
    ("Villeurbanne", "69100", "69266", 45.7719, 4.8902),
    ("Vénissieux", "69200", "69259", 45.6975, 4.8867),
    ("Grenoble", "38000", "38185", 45.1885, 5.7245),
    ("Saint-Étienne", "42000", "42218", 45.4397, 4.3872),
    ("Clermont-Ferrand", "63000", "63113", 45.7772, 3.0870),
    ("Chambéry", "73000", "73065", 45.5646, 5.9178),
    ("Valence", "26000", "26362", 44.9334, 4.8924),
    ("Annecy", "74000", "74010", 45.8992, 6.1294),
    // Provence-Alpes-Côte d'Azur
    ("Marseille 3e", "13003", "13203", 43.3118, 5.3806),
    ("Marseille 15e", "13015", "13215", 43.3598, 5.3624),
    ("Nice", "06000", "06088", 43.7102, 7.2620),
    ("Toulon", "83000", "83137", 43.1242, 5.9280),
    ("Avignon", "84000", "84007", 43.9493, 4.8055),
    // Occitanie
    ("Nîmes", "30000", "30189", 43.8367, 4.3601),
    ("Montpellier", "34000", "34172", 43.6108, 3.8767),
    ("Béziers", "34500", "34032", 43.3442, 3.2158),
    ("Perpignan", "66000", "66136", 42.6887, 2.8948),
    ("Toulouse", "31000", "31555", 43.6047, 1.4442),
    ("Albi", "81000", "81004", 43.9289, 2.1464),
    // Nouvelle-Aquitaine
    ("Bordeaux", "33000", "33063", 44.8378, -0.5792),
    ("Pau", "64000", "64445", 43.2951, -0.3708),
    ("La Rochelle", "17000", "17300", 46.1603, -1.1511),
    ("Poitiers", "86000", "86194", 46.5802, 0.3404),
    ("Limoges", "87000", "87085", 45.8336, 1.2611),
    // Centre-Val de Loire
    ("Tours", "37000", "37261", 47.3941, 0.6848),
    ("Orléans", "45000", "45234", 47.9030, 1.9093),
    ("Bourges", "18000", "18033", 47.0810, 2.3988),
    // Pays de la Loire
    ("Le Mans", "72000", "72181", 48.0061, 0.1996),
    ("Angers", "49000", "49007", 47.4784, -0.5632),
    ("Nantes", "44000", "44109", 47.2184, -1.5536),
    ("Saint-Nazaire", "44600", "44184", 47.2735, -2.2138),
    // Bretagne
    ("Rennes", "35000", "35238", 48.1173, -1.6778),
    ("Saint-Brieuc", "22000", "22278", 48.5136, -2.7603),
    ("Brest", "29200", "29019", 48.3904, -4.4861),
    ("Lorient", "56100", "56121", 47.7483, -3.3700),
    // Normandie
    ("Cherbourg-en-Cotentin", "50100", "50129", 49.6337, -1.6222),
    ("Caen", "14000", "14118", 49.1829, -0.3707),
    ("Le Havre", "76600", "76351", 49.4944, 0.1079),
    ("Rouen", "76000", "76540", 49.4432, 1.0999),
    // Hauts-de-France
    ("Amiens", "80000", "80021", 49.8941, 2.2958),
    ("Creil", "60100", "60175", 49.2597, 2.4747),
    ("Saint-Quentin", "02100", "02691", 49.8465, 3.2876),
    ("Lens", "62300", "62498", 50.4320, 2.8333),
    ("Lille", "59000", "59350", 50.6292, 3.0573),
    ("Roubaix", "59100", "59512", 50.6942, 3.1746),
    // Grand Est
    ("Reims", "51100", "51454", 49.2583, 4.0317),
    ("Metz", "57000", "57463", 49.1193, 6.1757),
    ("Nancy", "54000", "54395", 48.6921, 6.1844),
    ("Strasbourg", "67000", "67482", 48.5734, 7.7521),
    ("Mulhouse", "68100", "68224", 47.7508, 7.3359),
    // Bourgogne-Franche-Comté
    ("Besançon", "25000", "25056", 47.2378, 6.0241),
    ("Dijon", "21000", "21231", 47.3220, 5.0415),
    ("Chalon-sur-Saône", "71100", "71076", 46.7806, 4.8539),
    // Corse
    ("Ajaccio", "20000", "2A004", 41.9192, 8.7386),
    ("Bastia", "20200", "2B033", 42.6970, 9.4509),
    // Overseas
    ("Pointe-à-Pitre", "97110", "97120", 16.2411, -61.5331),
    ("Fort-de-France", "97200", "97209", 14.6161, -61.0588),
    ("Cayenne", "97300", "97302", 4.9224, -52.3135),
    (
        "Saint-Denis (La Réunion)",
        "97400",
        "97411",
        -20.8823,
        55.4504,
    ),
    ("Mamoudzou", "97600", "97611", -12.7806, 45.2279),
];

/// The towns of association `i`: a window of two or three consecutive towns, the
/// windows together covering the whole list.
pub(crate) fn towns_of(i: usize) -> &'static [Town] {
    let n = TOWNS.len();
    let start = i * n / ASSOCIATIONS;
    let end = ((i + 1) * n / ASSOCIATIONS).clamp(start + 1, n - 1);
    &TOWNS[start..=end]
}

/// The services of a site, by variant; every one offers partner visits (the national
/// frameworks cover them all).
const SERVICES: [&str; 3] = [
    "array['partner_visits', 'general_visits', 'digital_access', 'digital_help', 'budget_advice', 'outreach', \
      'workshops', 'letters_and_forms']",
    "array['partner_visits', 'general_visits', 'digital_access', 'digital_help', 'outreach', 'workshops', \
      'letters_and_forms']",
    "array['partner_visits', 'general_visits', 'digital_help', 'letters_and_forms']",
];

/// Partner slugs of bench/WORKLOADS.md, for the accounts' emails.
pub const PARTNER_SLUGS: &[(&str, &str)] = &[
    ("EDF", "edf"),
    ("ENGIE", "engie"),
    ("SNCF", "sncf"),
    ("La Poste", "la-poste"),
    ("Keolis", "keolis"),
    ("Veolia", "veolia"),
    ("Eau du Grand Lyon", "eau-du-grand-lyon"),
];

/// National frameworks: (partner, reference, themes). The only cover of these themes
/// but where a local agreement deliberately overlaps.
const NATIONAL: &[(&str, &str, &[&str])] = &[
    ("EDF", "BENCH-CN-EDF", &["energy"]),
    ("ENGIE", "BENCH-CN-ENGIE", &["energy"]),
    ("SNCF", "BENCH-CN-SNCF", &["transport"]),
    ("Keolis", "BENCH-CN-KEOLIS", &["transport"]),
    ("La Poste", "BENCH-CN-LAPOSTE", &["postal", "telecom"]),
    ("Veolia", "BENCH-CN-VEOLIA", &["water"]),
];

/// The local partner and how many associations around Lyon it works with.
const LOCAL_WATER: (&str, usize) = ("Eau du Grand Lyon", 2);
/// A local agreement overlapping a national framework: (partner, association index).
const OVERLAP: (&str, usize) = ("Keolis", 2);

/// One agreement to create: (reference, partner, association slug or none, title,
/// themes).
struct Agreement {
    reference: String,
    partner: &'static str,
    tenant: Option<String>,
    title: String,
    themes: &'static [&'static str],
}

fn agreements() -> Vec<Agreement> {
    let mut out: Vec<Agreement> = NATIONAL
        .iter()
        .map(|&(partner, reference, themes)| Agreement {
            reference: reference.to_owned(),
            partner,
            tenant: None,
            title: format!("Convention cadre nationale {partner} (banc d'essai)"),
            themes,
        })
        .collect();
    for i in lyon_associations() {
        out.push(Agreement {
            reference: format!("BENCH-LOC-EDGL-{}", slug(i)),
            partner: LOCAL_WATER.0,
            tenant: Some(slug(i)),
            title: format!("Convention locale {} – {}", LOCAL_WATER.0, slug(i)),
            themes: &["water"],
        });
    }
    out.push(Agreement {
        reference: format!("BENCH-LOC-KEOLIS-{}", slug(OVERLAP.1)),
        partner: OVERLAP.0,
        tenant: Some(slug(OVERLAP.1)),
        title: format!("Convention locale {} – {}", OVERLAP.0, slug(OVERLAP.1)),
        themes: &["transport"],
    });
    out
}

/// The first associations with a site in the Rhône (postcodes 69xxx).
fn lyon_associations() -> Vec<usize> {
    (0..ASSOCIATIONS)
        .filter(|&i| towns_of(i).iter().any(|t| t.1.starts_with("69")))
        .take(LOCAL_WATER.1)
        .collect()
}

/// Partner requests coded at insert time: (association, partner, theme, agreement)
/// for every combination exactly one agreement covers (every bench site is covered
/// by every agreement of its association and by every national framework, so the
/// rule of `app.agreement_candidates` reduces to this count).
fn coding(slugs: &[String], ids: &HashMap<String, Uuid>) -> Vec<(String, String, String, Uuid)> {
    let mut fits: HashMap<(String, String, String), Vec<Uuid>> = HashMap::new();
    for a in agreements() {
        let Some(id) = ids.get(&a.reference) else {
            continue;
        };
        for s in slugs {
            if a.tenant.as_ref().is_some_and(|t| t != s) {
                continue;
            }
            for theme in a.themes {
                fits.entry((s.clone(), a.partner.to_owned(), (*theme).to_owned()))
                    .or_default()
                    .push(*id);
            }
        }
    }
    let mut out: Vec<(String, String, String, Uuid)> = fits
        .into_iter()
        .filter(|(_, ids)| ids.len() == 1)
        .map(|((s, p, t), ids)| (s, p, t, ids[0]))
        .collect();
    out.sort();
    out
}

/// What one `seed --bench` found and added.
#[derive(Clone, Debug, Default)]
pub struct BenchSummary {
    /// Totals of the bench dataset after the run.
    pub associations: u64,
    pub sites: u64,
    pub accounts: u64,
    pub agreements: u64,
    pub coded_requests: u64,
    /// What this run added to the journal (nothing when it was already there).
    pub journal: JournalSummary,
    /// Visits already recorded when the journal was there before the run.
    pub existing_visits: Option<u64>,
    pub monthly_rows: u64,
    /// Beneficiaries of the bench associations after the run, and what this run added.
    pub beneficiaries: u64,
    pub followed: Followed,
    pub elapsed: Duration,
}

/// What one run added for the beneficiaries (nothing when every association had some).
#[derive(Clone, Debug, Default)]
pub struct Followed {
    pub beneficiaries: u64,
    pub consents: u64,
    pub visits: u64,
    pub notes: u64,
    pub elapsed: Duration,
}

impl fmt::Display for BenchSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "benchmark dataset: {} associations, {} sites, {} accounts, {} agreements",
            self.associations, self.sites, self.accounts, self.agreements
        )?;
        match self.existing_visits {
            Some(v) => writeln!(
                f,
                "journal already present ({}): nothing added; drop the database to generate another size",
                count(v, "recorded visit", "recorded visits")
            )?,
            None => writeln!(
                f,
                "journal added: {}, {}, {} monthly agreement rows",
                count(self.journal.visits, "visit", "visits"),
                count(self.journal.requests, "request", "requests"),
                self.monthly_rows
            )?,
        }
        let b = &self.followed;
        writeln!(
            f,
            "{} in all; added {}, {}, {} linked to them, {} ({:.1} s)",
            count(self.beneficiaries, "beneficiary", "beneficiaries"),
            count(b.beneficiaries, "beneficiary", "beneficiaries"),
            count(b.consents, "consent", "consents"),
            count(b.visits, "visit", "visits"),
            count(b.notes, "note", "notes"),
            b.elapsed.as_secs_f64()
        )?;
        write!(
            f,
            "coded partner requests: {}; time: {:.1} s",
            count(self.coded_requests, "request", "requests"),
            self.elapsed.as_secs_f64()
        )
    }
}

fn strings<I: IntoIterator<Item = S>, S: Into<String>>(it: I) -> Vec<String> {
    it.into_iter().map(Into::into).collect()
}

/// Sessions generating the journal side by side (the machine this was measured on has
/// two cores; each PostgreSQL session uses one).
const WORKERS: usize = 2;

/// The associations of each worker, balanced by size (largest first, to the least
/// loaded worker).
fn partition() -> Vec<Vec<String>> {
    let mut parts: Vec<(f64, Vec<String>)> = vec![(0.0, vec![]); WORKERS];
    for (i, share) in shares().into_iter().enumerate() {
        if let Some(p) = parts.iter_mut().min_by(|a, b| a.0.total_cmp(&b.0)) {
            p.0 += share;
            p.1.push(slug(i));
        }
    }
    parts.into_iter().map(|p| p.1).collect()
}

/// Loads the benchmark dataset with `visits` journal visits (see the module comment),
/// then refreshes the planner's statistics. Three steps, each one transaction: the
/// network (associations, sites, accounts, agreements); the journal, by `WORKERS`
/// sessions side by side, each on its share of the associations, committed together
/// once all are done; the agreements' monthly activity. An interrupted run leaves
/// whole associations: the next one generates those missing, exactly as a clean run
/// would (every association's share comes from the plan of all forty).
pub async fn bench(
    db: &db::Db,
    visits: u64,
    admin_url: Option<&str>,
) -> Result<BenchSummary, Error> {
    let started = Instant::now();
    let ctx = Ctx::system("seed benchmark data");
    let slugs: Vec<String> = (0..ASSOCIATIONS).map(slug).collect();

    let tx = db.scoped(&ctx).await?;
    // Two runs at once: the second waits here, then finds everything in place.
    exec(
        &tx,
        "select pg_advisory_xact_lock(hashtextextended('passerelle seed bench', 0))",
        vec![],
    )
    .await?;
    associations(&tx, &slugs).await?;
    crate::network::partner_organisations(&tx).await?;
    accounts(&tx, &slugs).await?;
    sites(&tx).await?;
    let ids = create_agreements(&tx, &slugs).await?;
    let refs: Vec<String> = ids.keys().cloned().collect();
    let seeded = total(
        &tx,
        "select count(*)::int8 as n from tenants t where t.slug = any($1::text[]) \
           and exists (select 1 from visits v where v.tenant_id = t.id and left(v.client_key, 5) = 'seed-')",
        vec![slugs.clone().into()],
    )
    .await?;
    let mut out = BenchSummary::default();
    if seeded >= ASSOCIATIONS as u64 {
        out.existing_visits = Some(
            total(
                &tx,
                "select sum(d.visits)::int8 as n from visit_daily d join tenants t on t.id = d.tenant_id \
                 where t.slug = any($1::text[])",
                vec![slugs.clone().into()],
            )
            .await?,
        );
    }
    tx.commit().await?;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "seed bench: network in"
    );

    if out.existing_visits.is_none() {
        let coding = coding(&slugs, &ids);
        let lyon: Vec<String> = lyon_associations().into_iter().map(slug).collect();
        let work = partition().into_iter().enumerate().map(|(k, only)| {
            let spec = JournalSpec {
                slugs: slugs.clone(),
                visits,
                local_partners: vec![(LOCAL_WATER.0.to_owned(), lyon.clone())],
                coding: coding.clone(),
                workshops: false,
                surveys: false,
                only: Some(only),
                shares: Some(slugs.iter().cloned().zip(shares()).collect()),
                // The bench's sizes are a year of journal.
                days: 365,
                lock: format!("passerelle seed bench {k}"),
            };
            let ctx = &ctx;
            async move {
                let tx = db.scoped(ctx).await?;
                let summary = crate::journal::generate(&tx, &spec).await?;
                Ok::<_, Error>((tx, summary))
            }
        });
        let done = futures_util::future::try_join_all(work).await?;
        for (tx, s) in done {
            tx.commit().await?;
            out.journal.visits += s.visits;
            out.journal.requests += s.requests;
            out.journal.associations += s.associations;
            out.journal.skipped += s.skipped;
        }
        tracing::debug!(
            secs = started.elapsed().as_secs_f64(),
            "seed bench: journal in"
        );
    }

    // Its own step, whether the journal was just made or there before: a dataset
    // seeded before the beneficiaries existed gets them.
    let tx = db.scoped(&ctx).await?;
    out.followed = beneficiaries(&tx, &slugs).await?;
    tx.commit().await?;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "seed bench: beneficiaries in"
    );

    let tx = db.scoped(&ctx).await?;
    if out.existing_visits.is_none() {
        out.monthly_rows = total(
            &tx,
            crate::partners::REBUILD_MONTHLY,
            vec![refs.clone().into()],
        )
        .await?;
    }
    out.associations = total(
        &tx,
        "select count(*)::int8 as n from tenants where slug = any($1::text[])",
        vec![slugs.clone().into()],
    )
    .await?;
    out.sites = total(
        &tx,
        "select count(*)::int8 as n from sites s join tenants t on t.id = s.tenant_id where t.slug = any($1::text[])",
        vec![slugs.clone().into()],
    )
    .await?;
    out.accounts = total(
        &tx,
        "select count(*)::int8 as n from users where email like '%.bench.example'",
        vec![],
    )
    .await?;
    out.beneficiaries = total(
        &tx,
        "select count(*)::int8 as n from beneficiaries b join tenants t on t.id = b.tenant_id \
         where t.slug = any($1::text[]) and b.pseudonym like 'B-BENCH-%'",
        vec![slugs.clone().into()],
    )
    .await?;
    out.agreements = ids.len() as u64;
    // The monthly aggregates equal the coded requests (only recorded visits' are coded).
    out.coded_requests = total(
        &tx,
        "select sum(count)::int8 as n from agreement_activity_monthly m join agreements a on a.id = m.agreement_id \
         where a.reference = any($1::text[]) and m.activity = 'request'",
        vec![refs.into()],
    )
    .await?;
    tx.commit().await?;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "seed bench: monthly in"
    );
    if out.existing_visits.is_none() || out.followed.beneficiaries > 0 {
        analyze(admin_url).await;
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

/// Recorded visits made by a followed person: one in twenty.
const FOLLOWED_SHARE: f64 = 0.05;
/// Beneficiaries per followed visit: about 2.5 visits each (drawn, so some have one,
/// some five, some none: a record opened, the person not back yet).
const PEOPLE_PER_VISIT: f64 = 0.4;
/// Beneficiaries with a second consent naming a partner, and of those the withdrawn.
const PARTNER_CONSENT_SHARE: f64 = 0.4;
const WITHDRAWN_SHARE: f64 = 0.1;
/// Followed visits with a note.
const NOTE_SHARE: f64 = 0.3;

/// The followed visits drawn: $1 the associations, $2 the share.
const FOLLOWED: &str = "create temp table seed_followed on commit drop as \
  select v.tenant_id, v.id as visit_id, v.occurred_at, v.age_band, v.sex, v.created_by, v.created_at, 0 as b \
  from visits v \
  where v.tenant_id = any($1::uuid[]) and v.status = 'recorded' and v.beneficiary_id is null \
    and left(v.client_key, 5) = 'seed-' and random() < $2 \
  order by v.tenant_id, v.id";

/// How many beneficiaries each association gets; $1 the people per followed visit.
const COUNTS: &str = "create temp table seed_counts on commit drop as \
  select tenant_id, greatest(1, round(count(*) * $1::float8))::int as nb from seed_followed group by tenant_id";

/// Each followed visit goes to one of its association's beneficiaries, drawn.
const ASSIGN: &str = "update seed_followed f set b = 1 + floor(random() * c.nb)::int \
  from seed_counts c where c.tenant_id = f.tenant_id";

/// The people, with what their first visit says (or a record opened in the year and
/// no visit since); ids are version 7 uuids of their creation time.
fn people_sql() -> String {
    let id = uuid7("x.created_at", RANDOM_HEX);
    format!(
        "create temp table seed_people on commit drop as \
         select x.*, {id} as id from ( \
           select c.tenant_id, g.b, f.age_band, f.sex, f.created_by, \
             coalesce(f.created_at, now() - make_interval(days => 1 + floor(random() * 300)::int)) as created_at \
           from seed_counts c \
             cross join generate_series(1, c.nb) as g(b) \
             left join (select distinct on (tenant_id, b) tenant_id, b, age_band, sex, created_by, created_at \
                        from seed_followed order by tenant_id, b, occurred_at) f \
               on f.tenant_id = c.tenant_id and f.b = g.b \
           order by c.tenant_id, g.b offset 0) x"
    )
}

/// Identity values: the pseudonym's prefix and the neighbourhoods' names say they are
/// fictitious; age band and sex are the first visit's, else drawn like the journal's.
const BENEFICIARIES: &str = "insert into beneficiaries (tenant_id, id, pseudonym, age_band, sex, neighbourhood, \
    created_by, created_at) \
  select tenant_id, id, 'B-BENCH-' || lpad(b::text, 6, '0'), \
    coalesce(age_band, (array['under_18', '18_25', '26_40', '41_60', '61_75', 'over_75'])[ \
      width_bucket(ra, array[0, 0.02, 0.14, 0.42, 0.74, 0.92]::float8[])]), \
    coalesce(sex, (array['female', 'male', 'other'])[width_bucket(rs, array[0, 0.58, 0.99]::float8[])]), \
    case when rn < 0.7 then 'Quartier fictif ' || lpad((1 + floor(rn / 0.7 * 12))::int::text, 2, '0') end, \
    created_by, created_at \
  from (select p.*, random() as ra, random() as rs, random() as rn from seed_people p offset 0) x \
  order by tenant_id, id";

/// Every beneficiary's consent to the association's follow-up (two years, written);
/// some give a second, for a year, naming a partner drawn among $3, a few of those
/// withdrawn since. $1, $2: the shares.
fn consents_sql() -> String {
    let id = uuid7("x.created_at", RANDOM_HEX);
    format!(
        "with p as materialized ( \
           select tenant_id, id, created_at, (created_at at time zone 'Europe/Paris')::date as given_on, \
             random() as r2, random() as rp, random() as rc, random() as rw, random() as rd \
           from seed_people) \
         insert into consents (tenant_id, id, beneficiary_id, purpose, recipient_partner_id, given_on, channel, \
           expires_on, withdrawn_on, created_at) \
         select tenant_id, {id}, beneficiary_id, purpose, partner_id, given_on, channel, expires_on, withdrawn_on, \
           created_at \
         from ( \
           select tenant_id, id as beneficiary_id, \
             'Suivi de ses démarches par l''association (consentement fictif, banc d''essai)' as purpose, \
             null::uuid as partner_id, given_on, 'written' as channel, given_on + 730 as expires_on, \
             null::date as withdrawn_on, created_at \
           from p \
           union all \
           select tenant_id, id, \
             'Transmission de sa situation au partenaire (consentement fictif, banc d''essai)', \
             ($3::uuid[])[1 + floor(rp * cardinality($3::uuid[]))::int], given_on, \
             (array['written', 'oral', 'electronic'])[1 + floor(rc * 3)::int], given_on + 365, \
             case when rw < $2::float8 then given_on + floor(rd * (current_date - given_on + 1))::int end, \
             created_at \
           from p where r2 < $1::float8 \
           offset 0) x \
         order by tenant_id, beneficiary_id"
    )
}

/// The followed visits get their beneficiary (their own age band and sex stay: the
/// statistics fields).
const LINK: &str = "update visits v set beneficiary_id = p.id \
  from seed_followed f join seed_people p on p.tenant_id = f.tenant_id and p.b = f.b \
  where v.tenant_id = f.tenant_id and v.id = f.visit_id";

/// Notes on some followed visits, by the visit's recorder at its recording; $1 the
/// share.
fn notes_sql() -> String {
    let id = uuid7("x.created_at", RANDOM_HEX);
    format!(
        "insert into visit_notes (tenant_id, id, visit_id, body, created_by, created_at) \
         select tenant_id, {id}, visit_id, \
           (array['Note fictive (banc d''essai) : pièces justificatives à rapporter au prochain passage.', \
                  'Note fictive (banc d''essai) : rendez-vous pris avec le partenaire, à rappeler.', \
                  'Note fictive (banc d''essai) : dossier transmis, réponse attendue sous quinze jours.'])[ \
             1 + floor(rb * 3)::int], \
           created_by, created_at \
         from (select f.*, random() as r, random() as rb from seed_followed f order by tenant_id, visit_id offset 0) x \
         where r < $1::float8"
    )
}

/// Adds the beneficiaries (see the module comment) to the associations of `slugs`
/// that have none from the bench yet, set-based, in the caller's transaction.
async fn beneficiaries(tx: &db::Scoped, slugs: &[String]) -> Result<Followed, Error> {
    let started = Instant::now();
    let mut out = Followed::default();
    let todo: Vec<Uuid> = query(
        tx,
        "select t.id from tenants t where t.slug = any($1::text[]) and not exists ( \
           select 1 from beneficiaries b where b.tenant_id = t.id and b.pseudonym like 'B-BENCH-%') \
         order by t.slug",
        vec![slugs.to_vec().into()],
    )
    .await?
    .iter()
    .map(|r| r.try_get("", "id"))
    .collect::<Result<_, _>>()?;
    if todo.is_empty() {
        return Ok(out);
    }
    let partners: Vec<Uuid> = query(
        tx,
        "select id from partner_organisations where name = any($1::text[]) order by name",
        vec![strings(PARTNER_SLUGS.iter().map(|p| p.0)).into()],
    )
    .await?
    .iter()
    .map(|r| r.try_get("", "id"))
    .collect::<Result<_, _>>()?;
    exec(tx, "set local jit = off", vec![]).await?;
    exec(tx, "select setseed(0.1616)", vec![]).await?;
    exec(tx, FOLLOWED, vec![todo.into(), FOLLOWED_SHARE.into()]).await?;
    exec(tx, COUNTS, vec![PEOPLE_PER_VISIT.into()]).await?;
    exec(tx, ASSIGN, vec![]).await?;
    exec(tx, &people_sql(), vec![]).await?;
    exec(tx, "analyze seed_followed, seed_people", vec![]).await?;
    out.beneficiaries = affected(tx, BENEFICIARIES, vec![]).await?;
    out.consents = affected(
        tx,
        &consents_sql(),
        vec![
            PARTNER_CONSENT_SHARE.into(),
            WITHDRAWN_SHARE.into(),
            partners.into(),
        ],
    )
    .await?;
    out.visits = affected(tx, LINK, vec![]).await?;
    out.notes = affected(tx, &notes_sql(), vec![NOTE_SHARE.into()]).await?;
    out.elapsed = started.elapsed();
    Ok(out)
}

/// Fresh statistics for the benchmark's first queries. The application role does not
/// own the tables (ANALYZE would skip them), so this uses the admin URL when there is
/// one; otherwise autovacuum gets there on its own.
async fn analyze(admin_url: Option<&str>) {
    let Some(url) = admin_url.filter(|u| !u.is_empty()) else {
        tracing::warn!("seed --bench: no DATABASE_ADMIN_URL; statistics left to autovacuum");
        return;
    };
    let result = async {
        let conn = sea_orm::Database::connect(url).await?;
        conn.execute_unprepared(
            "analyze tenants, sites, site_opening_hours, memberships, users, agreements, agreement_sites, \
             visits, visit_requests, visit_revisions, visit_daily, request_daily, activity_monthly, agreement_activity_monthly",
        )
        .await?;
        conn.execute_unprepared("analyze beneficiaries, consents, visit_notes")
            .await?;
        conn.close().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "seed --bench: analyze failed; statistics left to autovacuum");
    }
}

/// The forty associations, through the same entity as the application's.
async fn associations(tx: &db::Scoped, slugs: &[String]) -> Result<(), Error> {
    let tenants: Vec<(String, String)> = slugs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.clone(),
                format!("PIMMS Bench {:02} {}", i + 1, towns_of(i)[0].0),
            )
        })
        .collect();
    crate::network::associations(tx, &tenants).await
}

/// The accounts of bench/WORKLOADS.md, with their dev-issuer identities.
async fn accounts(tx: &db::Scoped, slugs: &[String]) -> Result<(), Error> {
    let mut people: Vec<Person> = vec![];
    for (i, s) in slugs.iter().enumerate() {
        let n = i + 1;
        for (role, label) in [
            (TenantRole::Director, "Direction"),
            (TenantRole::Mediator, "Médiation"),
        ] {
            people.push(Person {
                email: format!("bench-{role}@{s}.bench.example"),
                name: format!("{label} Bench {n:02}"),
                memberships: vec![(s.clone(), role)],
                union_role: None,
                partner: None,
            });
        }
    }
    for (partner, ps) in PARTNER_SLUGS {
        people.push(Person {
            email: format!("bench@{ps}.bench.example"),
            name: format!("Bench {partner}"),
            memberships: vec![],
            union_role: None,
            partner: Some((*partner).to_owned()),
        });
    }
    people.push(Person {
        email: "bench-analyst@union.bench.example".into(),
        name: "Analyste Bench".into(),
        memberships: vec![],
        union_role: Some(UnionRole::Analyst),
        partner: None,
    });
    crate::network::create_people(tx, &people).await
}

/// The associations' sites with their weekday hours (a morning and an afternoon, one
/// afternoon closed for the team meeting). Hours go only to sites this run creates.
async fn sites(tx: &db::Scoped) -> Result<(), Error> {
    let counts = site_counts();
    let mut slug_col = vec![];
    let mut ids = vec![];
    let mut names = vec![];
    let mut streets = vec![];
    let mut postcodes = vec![];
    let mut cities = vec![];
    let mut insees = vec![];
    let mut lats = vec![];
    let mut lons = vec![];
    let mut opened = vec![];
    let mut variants = vec![];
    let mut closed_pm = vec![];
    for (i, &n) in counts.iter().enumerate() {
        let towns = towns_of(i);
        for k in 0..n {
            let t = towns[k % towns.len()];
            // A deterministic spread around the town centre (about 2 km).
            let jitter = |m: usize| ((k * m + i * 7) % 41) as f64 / 1000.0 - 0.02;
            slug_col.push(slug(i));
            ids.push(Uuid::now_v7());
            names.push(format!("Bench {:02} {} {:03}", i + 1, t.0, k + 1));
            streets.push(format!("{} rue de la République", 1 + (k * 7 + i) % 180));
            postcodes.push(t.1.to_owned());
            cities.push(t.0.to_owned());
            insees.push(t.2.to_owned());
            lats.push(t.3 + jitter(13));
            lons.push(t.4 + jitter(29));
            // Opened between 2000 and 2019, before the journal's year.
            opened.push(((i * 97 + k * 131) % 7300) as i32);
            variants.push((k % SERVICES.len()) as i32);
            closed_pm.push((1 + (k + i) % 5) as i32);
        }
    }
    let services = SERVICES
        .iter()
        .enumerate()
        .map(|(v, s)| format!("when {v} then {s}"))
        .collect::<Vec<_>>()
        .join(" ");
    let hours_id = uuid7("now()", RANDOM_HEX);
    let q = format!(
        "with input as materialized ( \
           select t.id as tenant_id, x.* \
           from unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                       $8::float8[], $9::float8[], $10::int4[], $11::int4[], $12::int4[]) \
             as x(slug, id, name, street, postcode, city, insee, lat, lon, opened, variant, closed_pm) \
           join tenants t on t.slug = x.slug), \
         ins as ( \
           insert into sites (tenant_id, id, name, kind, street, postcode, city, insee_code, latitude, longitude, \
             opened_on, services) \
           select tenant_id, id, name, 'site', street, postcode, city, insee, round(lat::numeric, 5)::float8, \
             round(lon::numeric, 5)::float8, date '2000-01-01' + opened, case variant {services} end \
           from input order by tenant_id, id \
           on conflict (tenant_id, name) do nothing \
           returning tenant_id, id), \
         hrs as ( \
           insert into site_opening_hours (tenant_id, id, site_id, weekday, opens, closes) \
           select i.tenant_id, {hours_id}, i.id, wd, x.opens, x.closes \
           from ins join input i on i.tenant_id = ins.tenant_id and i.id = ins.id \
             cross join generate_series(1, 5) as wd \
             cross join (values (time '09:00', time '12:30', false), (time '13:30', time '17:00', true)) \
               as x(opens, closes, pm) \
           where not (x.pm and wd = i.closed_pm) \
           returning 1) \
         select (select count(*) from ins)::int8, (select count(*) from hrs)::int8"
    );
    query(
        tx,
        &q,
        vec![
            slug_col.into(),
            ids.into(),
            names.into(),
            streets.into(),
            postcodes.into(),
            cities.into(),
            insees.into(),
            lats.into(),
            lons.into(),
            opened.into(),
            variants.into(),
            closed_pm.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The agreements, active over last year to next year (the journal's year within),
/// with the sites they cover. Returns their ids by reference.
async fn create_agreements(
    tx: &db::Scoped,
    slugs: &[String],
) -> Result<HashMap<String, Uuid>, Error> {
    for a in agreements() {
        exec(
            tx,
            "insert into agreements (id, partner_id, tenant_id, reference, title, starts_on, ends_on, status, services, \
               themes, funding_cents, reporting_frequency, created_at, updated_at) \
             select $1, p.id, t.id, $3, $4, \
               make_date(extract(year from now() at time zone 'Europe/Paris')::int - 1, 1, 1), \
               make_date(extract(year from now() at time zone 'Europe/Paris')::int + 1, 12, 31), \
               'active', array['partner_visits'], $5::text[], 0, 'semiannual', now(), now() \
             from partner_organisations p left join tenants t on t.slug = $2 \
             where p.name = $6 and ($2::text is null or t.id is not null) \
             on conflict (reference) do nothing",
            vec![
                Uuid::now_v7().into(),
                a.tenant.clone().into(),
                a.reference.clone().into(),
                a.title.clone().into(),
                strings(a.themes.iter().copied()).into(),
                a.partner.into(),
            ],
        )
        .await?;
    }
    let refs: Vec<String> = agreements().into_iter().map(|a| a.reference).collect();
    exec(
        tx,
        "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) \
         select a.id, a.partner_id, s.tenant_id, s.id \
         from agreements a join sites s on a.tenant_id is null or s.tenant_id = a.tenant_id \
           join tenants t on t.id = s.tenant_id \
         where a.reference = any($1::text[]) and t.slug = any($2::text[]) and 'partner_visits' = any(s.services) \
         order by a.id, s.tenant_id, s.id \
         on conflict do nothing",
        vec![refs.clone().into(), slugs.to_vec().into()],
    )
    .await?;
    let mut ids = HashMap::new();
    for r in query(
        tx,
        "select reference, id from agreements where reference = any($1::text[])",
        vec![refs.into()],
    )
    .await?
    {
        ids.insert(r.try_get::<String>("", "reference")?, r.try_get("", "id")?);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_skewed_as_the_contract_says() {
        let s = shares();
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((0.145..0.155).contains(&s[0]), "{}", s[0]);
        assert!((0.0045..0.0055).contains(&s[39]), "{}", s[39]);
        let c = site_counts();
        assert_eq!(c.iter().sum::<usize>(), SITES);
        assert!(c.windows(2).all(|w| w[0] >= w[1]));
        assert!(c[39] >= 10);
    }

    #[test]
    fn towns_cover_france_and_fit_the_schema() {
        let mut used = vec![false; TOWNS.len()];
        for i in 0..ASSOCIATIONS {
            let t = towns_of(i);
            assert!((2..=3).contains(&t.len()), "{i}");
            for town in t {
                if let Some(k) = TOWNS.iter().position(|x| x.1 == town.1 && x.0 == town.0) {
                    used[k] = true;
                }
            }
        }
        assert!(used.iter().all(|u| *u));
        for t in TOWNS {
            assert!(
                t.1.len() == 5 && t.1.chars().all(|c| c.is_ascii_digit()),
                "{}",
                t.1
            );
            let b = t.2.as_bytes();
            assert!(b.len() == 5 && b[0].is_ascii_digit(), "{}", t.2);
        }
        assert!(TOWNS.iter().filter(|t| t.1.starts_with("97")).count() >= 5);
    }

    #[test]
    fn coding_is_unique_or_absent() {
        let slugs: Vec<String> = (0..ASSOCIATIONS).map(slug).collect();
        let ids: HashMap<String, Uuid> = agreements()
            .into_iter()
            .map(|a| (a.reference, Uuid::now_v7()))
            .collect();
        let c = coding(&slugs, &ids);
        let lyon = lyon_associations();
        assert_eq!(lyon.len(), 2);
        let find = |s: &str, p: &str, t: &str| {
            c.iter()
                .filter(|x| x.0 == s && x.1 == p && x.2 == t)
                .count()
        };
        assert_eq!(find("bench-01", "EDF", "energy"), 1);
        assert_eq!(find("bench-01", "La Poste", "telecom"), 1);
        // The deliberate overlap stays uncoded.
        assert_eq!(find(&slug(OVERLAP.1), "Keolis", "transport"), 0);
        assert_eq!(find(&slug(lyon[0]), "Eau du Grand Lyon", "water"), 1);
        assert_eq!(find("bench-40", "Eau du Grand Lyon", "water"), 0);
    }

    #[test]
    fn flags() {
        assert_eq!(parse_flags(&["--size", "M"]), Ok(2_000_000));
        assert_eq!(parse_flags(&["--size=s"]), Ok(200_000));
        assert_eq!(
            parse_flags(&["--size", "L", "--visits", "5_000"]),
            Ok(5_000)
        );
        assert!(parse_flags(&[]).is_err());
        assert!(parse_flags(&["--size", "XL"]).is_err());
        assert!(parse_flags(&["--visits", "0"]).is_err());
        assert!(parse_flags(&["--size"]).is_err());
        assert!(parse_flags(&["--demo"]).is_err());
    }
}
