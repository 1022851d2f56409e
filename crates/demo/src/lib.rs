//! The datasets of a development database: the demo network (`passerelle seed --demo`,
//! `passerelle demo`) and the benchmark dataset (`passerelle seed --bench`).
//!
//! - `network`: the demo's associations, partner organisations, people and sites.
//! - `journal`: two years of mediation journal for the demo associations (the bench
//!   reuses its generator for one year over its own associations), with the rollups.
//! - `partners`: the demo partners' contacts, API clients, agreements, the coding of
//!   the journal to them, their monthly activity and outbound mediation.
//! - `pathways`: the demo associations' employees, contracts, subsidies, training
//!   ledgers and exits (HR pathways).
//! - `bench`: the dataset of bench/WORKLOADS.md.
//!
//! Both datasets are deterministic (fixed seeds, draws over rows in stable orders)
//! and idempotent (natural keys; what is there is left alone). They install API
//! clients whose secrets are public and accounts open to the development issuer: the
//! binary runs them in development only.
//!
//! How rows are built:
//!
//! - Through the application's sea-orm entities and domain types, one multi-row insert
//!   per table where it can: associations, people (users, their development-issuer
//!   identities, memberships, union roles, partner users) and partner organisations,
//!   demo and bench alike (`entity::…`); the demo's sites with their hours, labels
//!   and closures (`sites::entity`, built as `sites::NewSite`, `OpeningSlot`,
//!   `LabelKind`); the demo partners' contacts and API clients (`partners::entity`).
//!   These are a few dozen rows: as fast either way, and the entities keep them in
//!   the application's shape.
//! - The bench's 3,000 sites and their hours stay one set-based statement (`unnest`
//!   arrays, the hours joined to the sites it inserted): one round trip instead of
//!   thousands, and only new sites get hours.
//! - The journal (visits, requests, revisions, workshops, surveys) and its rollups
//!   stay set-based SQL (`generate_series`, `random()` under `setseed`): it is what
//!   makes a million visits a couple of minutes rather than hours, and what makes the
//!   draws reproducible.
//! - Coding the journal to the agreements, and the monthly activity rebuilt from it,
//!   are set-based updates (the rule of `app.agreement_candidates`), one association
//!   and month at a time: row by row through the coder would take hours at bench
//!   sizes.
//! - The agreements, demo and bench (with their sites, targets, payments, history)
//!   and the outreach campaigns (cases, attempts) stay SQL with `unnest` arrays: their times
//!   are Paris wall-clock times (`… at time zone 'Europe/Paris'`, `least(now(), …)`)
//!   that PostgreSQL's time-zone database converts, a purge at 02:15 included, which
//!   a rule-based offset would not convert the same way on the night of a switch;
//!   and the sites an agreement covers are chosen in the statement.

pub mod bench;
mod compliance;
mod journal;
mod network;
mod partners;
mod pathways;
mod sql;

pub use bench::{BenchSummary, Size, bench};
pub use compliance::ComplianceSummary;
pub use journal::{DEFAULT_VISITS, DEMO_DAYS, JournalSummary, MAX_VISITS};
pub use network::{ACCOUNTS, DemoAccount, DemoTenant, PARTNERS, TENANTS};
pub use partners::{DemoApiClient, PartnerSummary, demo_api_clients};
pub use pathways::PathwaySummary;

use kernel::Ctx;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("seed: {0}")]
    Db(#[from] db::DbError),
    #[error("seed: {0}")]
    Sql(#[from] sea_orm::DbErr),
    /// The demo data itself is wrong (a date out of range, a hash that failed).
    #[error("seed: {0}")]
    Demo(String),
}

/// What one `seed --demo` added: the journal, then the partners' side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub journal: JournalSummary,
    pub partners: PartnerSummary,
    pub pathways: PathwaySummary,
    pub compliance: ComplianceSummary,
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n{}",
            self.journal, self.partners, self.pathways, self.compliance
        )
    }
}

/// Loads the demo network and generates `visits` journal visits across it (0: no
/// journal), then the partners' side, in one transaction. Idempotent: an association
/// whose journal was already generated is left alone.
pub async fn demo(db: &db::Db, visits: u64) -> Result<DemoSummary, Error> {
    let ctx = Ctx::system("seed demo data");
    let tx = db.scoped(&ctx).await?;
    network::seed(&tx).await?;
    let journal = journal::seed_journal(&tx, visits).await?;
    let partners = partners::seed_partners(&tx).await?;
    let pathways = pathways::seed_pathways(&tx, kernel::time::today()).await?;
    let compliance = compliance::seed_compliance(&tx, kernel::time::today()).await?;
    tx.commit().await?;
    Ok(DemoSummary {
        journal,
        partners,
        pathways,
        compliance,
    })
}
