//! The mediation journal: visits (a person received, phoned, visited at home or
//! helped remotely) with their requests, workshops, satisfaction surveys,
//! pseudonymous beneficiaries with consent, sensitive notes, corrections with
//! history, and the dashboard, read from rollups kept exact in the same transaction
//! as every write.

mod beneficiaries;
mod coding;
pub mod dashboard;
pub mod entity;
mod export_html;
mod model;
mod repo;
mod rights;
mod rollup;
mod rules;
mod surveys;
mod visits;
mod workshops;

pub use model::*;
pub use rights::{
    Anonymised, BeneficiaryFile, BeneficiaryRevision, Erased, Rectification, Retention,
    RetentionRun,
};
pub use visits::{Amended, Recorded, VisitFilter};

use db::{Db, RedisPool};
use kernel::TenantRole;

/// Who may write the journal: every staff role but the read-only viewer.
pub(crate) const WRITERS: &[TenantRole] = &[
    TenantRole::Director,
    TenantRole::Coordinator,
    TenantRole::Mediator,
];
/// Who may manage campaigns and correct anyone's entries.
pub(crate) const LEADS: &[TenantRole] = &[TenantRole::Director, TenantRole::Coordinator];

#[derive(Clone)]
pub struct Journal {
    db: Db,
    redis: Option<RedisPool>,
    /// The network dashboard's computations in flight (dashboard.rs).
    flights: dashboard::Flights,
}

impl Journal {
    pub fn new(db: Db, redis: Option<RedisPool>) -> Self {
        Self {
            db,
            redis,
            flights: Default::default(),
        }
    }
}
