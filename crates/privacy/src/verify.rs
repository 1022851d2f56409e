//! `passerelle audit verify`: every chain walked in order, each hash recomputed by the
//! same SQL function the append used; and the retention, which keeps chains
//! verifiable by leaving a checkpoint where it cut.

use crate::AccessLog;
use crate::log::pool_of;
use chrono::{Duration, Utc};
use kernel::{Ctx, Error};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

/// The first broken link found in a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub chain: Uuid,
    /// The entry that does not hold (or the first one missing).
    pub seq: i64,
    pub what: &'static str,
}

/// What a verification saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub chains: usize,
    pub entries: u64,
    /// The first broken link, chains taken in uuid order; none: every chain holds.
    pub broken: Option<Broken>,
}

#[derive(FromQueryResult)]
struct ChainStart {
    tenant_id: Uuid,
    head_seq: Option<i64>,
    head_hash: Option<Vec<u8>>,
    checkpoint_seq: Option<i64>,
    checkpoint_hash: Option<Vec<u8>>,
}

#[derive(FromQueryResult)]
struct Link {
    seq: i64,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    recomputed: Vec<u8>,
}

/// Every chain there is a trace of (a head, a checkpoint or an entry), with its head
/// and latest checkpoint.
const CHAINS: &str = "with chains as (
    select tenant_id from access_log_heads
    union select tenant_id from access_log_checkpoints
    union select distinct tenant_id from access_log)
  select c.tenant_id, h.last_seq as head_seq, h.last_hash as head_hash,
         k.seq as checkpoint_seq, k.hash as checkpoint_hash
  from chains c
  left join access_log_heads h on h.tenant_id = c.tenant_id
  left join lateral (select seq, hash from access_log_checkpoints k
                     where k.tenant_id = c.tenant_id order by seq desc limit 1) k on true
  where $1::uuid is null or c.tenant_id = $1::uuid
  order by c.tenant_id";

/// The next links of a chain, each with its hash recomputed from its stored fields.
const LINKS: &str = "select seq, prev_hash, hash,
    app.access_log_hash(prev_hash, app.access_log_canonical(tenant_id, seq, at, kind, operation,
      object_type, object_id, actor_kind, user_id, client_id, request_id, outcome, reason,
      target_tenant_id)) as recomputed
  from access_log where tenant_id = $1 and seq > $2 order by seq limit $3";

const BATCH: i64 = 5000;

const GENESIS: [u8; 32] = [0; 32];

impl AccessLog {
    /// Walks every chain (or `tenant`'s), in order, from its latest checkpoint: each
    /// entry's number follows the one before, its `prev_hash` is that entry's hash, its
    /// hash is recomputed, and the chain ends where its head says. Stops at the first
    /// broken link.
    pub async fn verify(&self, tenant: Option<Uuid>) -> Result<Report, Error> {
        let ctx = Ctx::system("audit verify: walking the access log's chains");
        let tx = pool_of(self).scoped(&ctx).await?;
        let chains = ChainStart::find_by_statement(db::stmt(CHAINS, vec![tenant.into()]))
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let mut report = Report {
            chains: chains.len(),
            ..Report::default()
        };
        for c in chains {
            let mut seq = c.checkpoint_seq.unwrap_or(0);
            let mut prev = c.checkpoint_hash.clone().unwrap_or(GENESIS.to_vec());
            let broken = |seq: i64, what: &'static str| Broken {
                chain: c.tenant_id,
                seq,
                what,
            };
            'walk: loop {
                let links = Link::find_by_statement(db::stmt(
                    LINKS,
                    vec![c.tenant_id.into(), seq.into(), BATCH.into()],
                ))
                .all(&*tx)
                .await
                .map_err(map_err)?;
                let last_batch = (links.len() as i64) < BATCH;
                for l in links {
                    report.entries += 1;
                    let fault = if l.seq != seq + 1 {
                        // A gap: entries removed without a checkpoint.
                        Some(broken(seq + 1, "entry missing"))
                    } else if l.prev_hash != prev {
                        Some(broken(l.seq, "prev_hash is not the previous entry's hash"))
                    } else if l.hash != l.recomputed {
                        Some(broken(l.seq, "hash does not match the entry"))
                    } else {
                        None
                    };
                    if let Some(b) = fault {
                        report.broken = Some(b);
                        break 'walk;
                    }
                    seq = l.seq;
                    prev = l.hash;
                }
                if last_batch {
                    break;
                }
            }
            if report.broken.is_some() {
                break;
            }
            // The tail: entries removed from the end, or a head moved.
            match (c.head_seq, c.head_hash) {
                (Some(h), Some(hash)) if h == seq && hash == prev => {}
                (Some(h), _) if h > seq => {
                    report.broken = Some(broken(seq + 1, "entry missing"));
                }
                _ => {
                    report.broken = Some(broken(
                        seq,
                        "the chain's head does not match its last entry",
                    ))
                }
            }
            if report.broken.is_some() {
                break;
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Removes the entries older than `retention_days` from every chain, each chain
    /// in a transaction of its own that first records its checkpoint (the database
    /// function does both). Returns the number of entries removed. Safe with several
    /// replicas running: a chain's purge holds its head's lock.
    pub async fn purge(&self, retention_days: u32) -> Result<u64, Error> {
        let before = Utc::now() - Duration::days(i64::from(retention_days));
        let ctx = Ctx::system("access log retention: listing the chains");
        let chains: Vec<Uuid> = {
            let tx = pool_of(self).scoped(&ctx).await?;
            let rows = tx
                .query_all_raw(db::stmt(
                    "select tenant_id from access_log_heads order by tenant_id",
                    vec![],
                ))
                .await
                .map_err(map_err)?;
            tx.commit().await?;
            rows.iter()
                .map(|r| r.try_get::<Uuid>("", "tenant_id"))
                .collect::<Result<_, _>>()
                .map_err(map_err)?
        };
        let mut removed = 0u64;
        for chain in chains {
            let ctx = Ctx::system("access log retention: purging one chain");
            let tx = pool_of(self).scoped(&ctx).await?;
            let row = tx
                .query_one_raw(db::stmt(
                    "select app.access_log_purge($1, $2) as removed",
                    vec![chain.into(), before.into()],
                ))
                .await
                .map_err(map_err)?;
            tx.commit().await?;
            let n: i64 = row
                .map(|r| r.try_get("", "removed"))
                .transpose()
                .map_err(map_err)?
                .unwrap_or(0);
            removed += u64::try_from(n).unwrap_or(0);
        }
        Ok(removed)
    }
}

fn map_err(e: sea_orm::DbErr) -> Error {
    db::DbError::from(e).into()
}
