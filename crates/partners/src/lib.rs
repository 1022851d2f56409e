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
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::{DbErr, EntityTrait, QuerySelect, Select};
use std::sync::Arc;

/// A module's mapping of constraint names to client errors.
type MapErr = fn(DbErr) -> Error;

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

    /// One page of a select ordered by its keyset: `fetch()` rows, each mapped by `f`.
    pub(crate) async fn select_page<E: EntityTrait, T>(
        &self,
        ctx: &Ctx,
        select: Select<E>,
        page: &PageRequest,
        map_err: MapErr,
        f: impl FnMut(E::Model) -> Result<T, Error>,
    ) -> Result<Page<T>, Error> {
        let rows = self
            .db
            .select_all(ctx, select.limit(page.fetch()), map_err)
            .await?;
        let items = rows.into_iter().map(f).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page))
    }
}

pub(crate) use db::update_one;
