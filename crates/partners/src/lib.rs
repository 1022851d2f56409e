//! Partner firms: agreements (conventions) and what is coded to them, partner API
//! clients (OAuth2 client credentials), and outbound mediation (campaigns of cases a
//! partner hands to an association). A partner reaches only what its agreements
//! cover: enforced here through `Ctx::require_partner` and underneath by row-level
//! security on the partner setting.

pub mod agreements;
pub mod clients;
pub mod outreach;

use db::{Db, RedisPool};

#[derive(Clone)]
pub struct Partners {
    db: Db,
    #[allow(dead_code)]
    redis: Option<RedisPool>,
}

impl Partners {
    pub fn new(db: Db, redis: Option<RedisPool>) -> Self {
        Self { db, redis }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}
