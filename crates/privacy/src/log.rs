//! Appending to the access log, and reading it back (a page, a CSV by period).

use crate::entity::access_log;
use crate::error::{PrivacyError, sqlx_err};
use crate::{Entry, UNION_CHAIN, chain_of};
use chrono::{DateTime, Utc};
use db::Db;
use kernel::{Ctx, Error, Page, PageRequest, UnionRole};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The log's own connections.
#[derive(Clone, Debug)]
pub struct WriterOptions {
    pub max_connections: u32,
    /// How long an append waits for one of them before the read or mutation answers
    /// UNAVAILABLE.
    pub acquire_timeout: Duration,
    /// `statement_timeout` and `lock_timeout` of an append (zero: none).
    pub statement_timeout: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::ZERO,
        }
    }
}

/// Entries a CSV export holds at most: a longer period is refused, to be split.
pub const MAX_CSV_ENTRIES: u64 = 100_000;

/// Which chain, and which period, a reader asks for.
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    /// Another association's chain (the union admin only, with `reason`); none: the
    /// reader's own (the director's association, the union's for the union admin).
    pub tenant_id: Option<Uuid>,
    pub reason: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The access log: appends on connections of its own, reads and housekeeping through
/// the application's pool under row-level security.
#[derive(Clone, Debug)]
pub struct AccessLog {
    db: Db,
    writer: PgPool,
}

const APPEND: &str = "select app.access_log_append($1::text::jsonb)::bigint";

impl AccessLog {
    /// Appends go through a small pool of their own, one statement each (autocommit):
    /// the chain's head is locked for that statement only, never across a request;
    /// and a query holding its read transaction's connection (db::ReadUnit) never
    /// waits for a second one from the pool it holds one of, so a full pool cannot
    /// deadlock on the log. The connections open lazily.
    pub fn new(db: Db, url: &str, opts: &WriterOptions) -> Result<Self, PrivacyError> {
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(sqlx_err)?
            .application_name("passerelle-access-log");
        if !opts.statement_timeout.is_zero() {
            let ms = opts.statement_timeout.as_millis().to_string();
            connect = connect.options([("statement_timeout", ms.as_str()), ("lock_timeout", &ms)]);
        }
        let writer = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(opts.acquire_timeout)
            .connect_lazy_with(connect);
        Ok(Self { db, writer })
    }

    /// Appends `entries` (one round trip), or fails: the caller must then not hand
    /// out what it was about to.
    pub async fn append(&self, entries: &[Entry]) -> Result<(), Error> {
        if entries.is_empty() {
            return Ok(());
        }
        let json = serde_json::to_string(entries).map_err(Error::internal)?;
        let written: i64 = sea_orm::sqlx::query_scalar(APPEND)
            .bind(json)
            .fetch_one(&self.writer)
            .await
            .map_err(sqlx_err)?;
        if written != entries.len() as i64 {
            return Err(PrivacyError::Short(written, entries.len()).into());
        }
        Ok(())
    }

    /// The chain `q` asks for, after checking the reader may read it; a union admin's
    /// reason for reading another association's chain is appended to the union's
    /// chain first (no reason logged, no read).
    async fn chain_for(&self, ctx: &Ctx, q: &LogQuery) -> Result<Uuid, Error> {
        let reason = q.reason.as_deref().map(str::trim);
        if let (Some(from), Some(to)) = (q.from, q.to)
            && from > to
        {
            return Err(Error::validation(
                "to",
                "la fin de la période précède son début",
            ));
        }
        if let Some(t) = ctx.tenant() {
            if t.role != kernel::TenantRole::Director {
                return Err(Error::Forbidden(
                    "only the association's director reads its access log",
                ));
            }
            if q.tenant_id.is_some_and(|id| id != t.tenant_id.0) {
                // Another association's chain is not found, like any of its objects.
                return Err(Error::NotFound);
            }
            if reason.is_some() {
                return Err(Error::validation(
                    "reason",
                    "un motif n'est demandé que pour lire le journal d'une autre association",
                ));
            }
            return Ok(t.tenant_id.0);
        }
        if ctx.union_role() != Some(UnionRole::Admin) {
            return Err(Error::Forbidden(
                "only an association's director and the union's admins read the access log",
            ));
        }
        match q.tenant_id {
            None => {
                if reason.is_some() {
                    return Err(Error::validation(
                        "reason",
                        "un motif n'est demandé que pour lire le journal d'une association",
                    ));
                }
                Ok(UNION_CHAIN)
            }
            Some(target) => {
                let reason = match reason {
                    Some(r) if r.chars().count() >= 10 && r.chars().count() <= 1000 => r,
                    Some(_) => {
                        return Err(Error::validation(
                            "reason",
                            "le motif doit compter entre 10 et 1000 caractères",
                        ));
                    }
                    None => {
                        return Err(Error::validation(
                            "reason",
                            "lire le journal d'une association demande un motif écrit",
                        ));
                    }
                };
                debug_assert_eq!(chain_of(ctx), UNION_CHAIN);
                self.append(&[Entry::reason(ctx, target, reason.to_owned())])
                    .await?;
                Ok(target)
            }
        }
    }

    fn select(chain: Uuid, q: &LogQuery) -> sea_orm::Select<access_log::Entity> {
        let mut s = access_log::Entity::find().filter(access_log::Column::TenantId.eq(chain));
        if let Some(from) = q.from {
            s = s.filter(access_log::Column::At.gte(from));
        }
        if let Some(to) = q.to {
            s = s.filter(access_log::Column::At.lt(to));
        }
        s
    }

    /// A page of a chain, newest first. The cursor is the entry's number.
    pub async fn page(
        &self,
        ctx: &Ctx,
        q: &LogQuery,
        page: PageRequest,
    ) -> Result<Page<access_log::Model>, Error> {
        let chain = self.chain_for(ctx, q).await?;
        let mut s = Self::select(chain, q);
        if let Some(after) = page.after {
            s = s.filter(access_log::Column::Seq.lt(seq_of_cursor(after)));
        }
        let rows = self
            .db
            .select_all(
                ctx,
                s.order_by_desc(access_log::Column::Seq).limit(page.fetch()),
                map_err,
            )
            .await?;
        Ok(Page::from_rows(rows, &page))
    }

    /// A chain over a period as CSV (semicolons, UTF-8 with BOM, formula-safe cells,
    /// like the dashboards'), oldest first.
    pub async fn csv(&self, ctx: &Ctx, q: &LogQuery) -> Result<String, Error> {
        let chain = self.chain_for(ctx, q).await?;
        let rows = self
            .db
            .select_all(
                ctx,
                Self::select(chain, q)
                    .order_by_asc(access_log::Column::Seq)
                    .limit(MAX_CSV_ENTRIES + 1),
                map_err,
            )
            .await?;
        if rows.len() as u64 > MAX_CSV_ENTRIES {
            return Err(Error::validation(
                "to",
                format!(
                    "plus de {MAX_CSV_ENTRIES} entrées sur cette période : exportez-la en plusieurs fois"
                ),
            ));
        }
        Ok(to_csv(&rows))
    }
}

/// Entry numbers travel in the connection's cursors, which wrap a UUID.
pub fn cursor_of_seq(seq: i64) -> Uuid {
    Uuid::from_u64_pair(0, seq.max(0) as u64)
}

fn seq_of_cursor(u: Uuid) -> i64 {
    i64::try_from(u.as_u64_pair().1).unwrap_or(i64::MAX)
}

fn map_err(e: sea_orm::DbErr) -> Error {
    db::DbError::from(e).into()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The entry's hash, as shown to readers.
pub fn hash_hex(m: &access_log::Model) -> String {
    hex(&m.hash)
}

fn to_csv(rows: &[access_log::Model]) -> String {
    use kernel::csv::field;
    let mut out = String::from(
        "\u{feff}numéro;horodatage;nature;opération;type d'objet;objet;acteur;personne;client API;requête;résultat;motif;association consultée;empreinte précédente;empreinte\r\n",
    );
    let id = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    for r in rows {
        let object = match (&r.object_type, r.object_id) {
            (Some(t), Some(id)) => kernel::gid::encode(t, id),
            _ => String::new(),
        };
        let cells = [
            r.seq.to_string(),
            r.at.to_rfc3339(),
            r.kind.label_fr().to_owned(),
            r.operation.clone(),
            r.object_type.clone().unwrap_or_default(),
            object,
            r.actor_kind.label_fr().to_owned(),
            id(r.user_id),
            id(r.client_id),
            id(r.request_id),
            r.outcome.clone(),
            r.reason.clone().unwrap_or_default(),
            id(r.target_tenant_id),
            hex(&r.prev_hash),
            hex(&r.hash),
        ];
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    out
}

pub(crate) fn pool_of(log: &AccessLog) -> &Db {
    &log.db
}
