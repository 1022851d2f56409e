//! Partner firms: agreements (conventions) and what is coded to them, partner API
//! clients (OAuth2 client credentials), and outbound mediation (campaigns of cases a
//! partner hands to an association). A partner reaches only what its agreements
//! cover: enforced here through `Ctx::require_partner` and underneath by row-level
//! security on the partner setting.

pub mod agreements;
pub mod clients;
pub mod entity;
pub mod outreach;
mod secret_checks;

pub use secret_checks::SecretCheckStats;

use db::{Db, RedisPool};
use std::sync::Arc;

#[derive(Clone)]
pub struct Partners {
    db: Db,
    #[allow(dead_code)]
    redis: Option<RedisPool>,
    secrets: Arc<secret_checks::SecretChecks>,
}

impl Partners {
    pub fn new(db: Db, redis: Option<RedisPool>) -> Self {
        Self {
            db,
            redis,
            secrets: Arc::new(secret_checks::SecretChecks::new()),
        }
    }

    /// What checking client secrets has cost this process.
    pub fn secret_check_stats(&self) -> SecretCheckStats {
        self.secrets.stats()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}
