use crate::{Db, DbError, Inner, Timeouts};
use kernel::{Ctx, Scope};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use tokio::sync::{Mutex, OwnedMappedMutexGuard};
use uuid::Uuid;

/// A transaction whose scope settings are in place. Dropping it without `commit`
/// rolls back. It derefs to sea-orm's transaction so repositories use the ORM as usual.
///
/// Inside a [`ReadUnit`] (one GraphQL query operation) it may be the unit's shared
/// transaction instead of a transaction of its own: see there.
pub struct Scoped {
    tx: Tx,
}

enum Tx {
    Own(Guarded),
    Shared(SharedTx),
}

/// The settings row-level security reads, as (tenant, tenant_role, user, union_role,
/// partner, actor_kind). Empty string means "none": policies read it as NULL.
fn settings(ctx: &Ctx) -> [String; 6] {
    match ctx.scope() {
        // One identity at a time (kernel::Acting): the others stay unset.
        Scope::User { user_id, .. } => [
            ctx.tenant()
                .map(|t| t.tenant_id.to_string())
                .unwrap_or_default(),
            ctx.tenant()
                .map(|t| t.role.as_str().to_owned())
                .unwrap_or_default(),
            user_id.to_string(),
            ctx.union_role()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            ctx.partner_id().map(|p| p.to_string()).unwrap_or_default(),
            "user".to_owned(),
        ],
        Scope::Client { partner_id, .. } => [
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            partner_id.to_string(),
            "client".to_owned(),
        ],
        Scope::System { .. } => [
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "system".to_owned(),
        ],
    }
}

/// The scope, the transaction's limits and the backend's pid, in one round trip.
/// The limits are transaction-local like the scope: they override the login role's
/// defaults (the floor set by `passerelle migrate`) for this transaction only.
const SET_SCOPE: &str = "select pg_backend_pid() as pid, \
     set_config('app.tenant_id', $1, true), \
     set_config('app.tenant_role', $2, true), \
     set_config('app.user_id', $3, true), \
     set_config('app.union_role', $4, true), \
     set_config('app.partner_id', $5, true), \
     set_config('app.actor_kind', $6, true), \
     set_config('statement_timeout', $7, true), \
     set_config('lock_timeout', $8, true), \
     set_config('idle_in_transaction_session_timeout', $9, true)";

/// `SET_SCOPE` with the settings written as literals, for `Db::scoped_scalar` (the
/// simple protocol has no bind parameters). The settings are ids, role names and
/// actor kinds, never free text: anything else is refused rather than quoted.
pub fn scoped_literals(ctx: &Ctx) -> Result<String, DbError> {
    let s = settings(ctx);
    for v in &s {
        if !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(DbError::Other(sea_orm::DbErr::Custom(
                "a scope setting that is not an id or a name".into(),
            )));
        }
    }
    Ok(format!(
        "select set_config('app.tenant_id', '{}', true), \
         set_config('app.tenant_role', '{}', true), \
         set_config('app.user_id', '{}', true), \
         set_config('app.union_role', '{}', true), \
         set_config('app.partner_id', '{}', true), \
         set_config('app.actor_kind', '{}', true)",
        s[0], s[1], s[2], s[3], s[4], s[5]
    ))
}

impl Scoped {
    pub(crate) async fn begin(db: &Db, ctx: &Ctx) -> Result<Self, DbError> {
        let settings = settings(ctx);
        if let Ok(unit) = UNIT.try_with(Arc::clone)
            && let Some(shared) = unit.enter(db, &settings).await?
        {
            return Ok(Self {
                tx: Tx::Shared(shared),
            });
        }
        let tx = Guarded::begin(db, &settings).await?;
        Ok(Self { tx: Tx::Own(tx) })
    }

    pub async fn commit(self) -> Result<(), DbError> {
        match self.tx {
            Tx::Own(tx) => tx.commit().await.map_err(DbError::from),
            // The unit commits once, when the operation ends.
            Tx::Shared(mut shared) => {
                shared.done = true;
                Ok(())
            }
        }
    }
}

fn millis(d: std::time::Duration) -> String {
    d.as_millis().to_string()
}

/// A transaction that is ended properly even when its owner is dropped mid-way
/// (the HTTP request timed out, the client went away, the server is shutting
/// down).
///
/// Why: when a future running a statement is dropped, sqlx keeps the connection
/// and, before pooling it again, waits for that statement to finish. A statement
/// blocked on a lock then holds its backend, its locks and a pooled connection
/// long after anyone wants its answer. So an unfinished transaction is handed to a
/// background task: if the connection does not answer at once, the statement still
/// running is cancelled (`pg_cancel_backend` on the control connection), then the
/// transaction is rolled back. The connection stays ours until the rollback, so the
/// pid cancelled can only be running the abandoned statement.
pub(crate) struct Guarded {
    tx: Option<DatabaseTransaction>,
    pid: i32,
    db: Arc<Inner>,
}

impl Guarded {
    async fn begin(db: &Db, settings: &[String; 6]) -> Result<Self, DbError> {
        let tx = db.begin_tx().await?;
        let mut g = Guarded {
            tx: Some(tx),
            pid: 0,
            db: Arc::clone(&db.inner),
        };
        let read = UNIT
            .try_with(|u| u.enabled.load(Ordering::Acquire))
            .unwrap_or(false);
        let t: Timeouts = if read {
            db.inner.opts.read
        } else {
            db.inner.opts.write
        };
        let mut values: Vec<sea_orm::Value> = settings.iter().cloned().map(Into::into).collect();
        values.extend([
            millis(t.statement).into(),
            millis(t.lock).into(),
            millis(t.idle_in_transaction).into(),
        ]);
        let row = g
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                SET_SCOPE,
                values,
            ))
            .await?;
        g.pid = row
            .and_then(|r| r.try_get::<i32>("", "pid").ok())
            .unwrap_or(0);
        Ok(g)
    }

    async fn commit(mut self) -> Result<(), DbErr> {
        match self.tx.take() {
            Some(tx) => tx.commit().await,
            None => Ok(()),
        }
    }

    async fn rollback(mut self) -> Result<(), DbErr> {
        match self.tx.take() {
            Some(tx) => tx.rollback().await,
            None => Ok(()),
        }
    }

    fn tx_mut(&mut self) -> Option<&mut DatabaseTransaction> {
        self.tx.as_mut()
    }
}

impl Deref for Guarded {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        match &self.tx {
            Some(tx) => tx,
            // Taken only by commit, rollback and drop, which consume the guard.
            None => unreachable!("a Guarded transaction is used after its end"),
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let Some(tx) = self.tx.take() else {
            return;
        };
        // Without a runtime (process exit) sea-orm's own drop queues a rollback.
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let db = Arc::clone(&self.db);
        let pid = self.pid;
        db.abandoned.fetch_add(1, Ordering::AcqRel);
        rt.spawn(async move {
            end_abandoned(tx, pid, &db).await;
            db.abandoned.fetch_sub(1, Ordering::AcqRel);
            db.abandoned_done.notify_waiters();
        });
    }
}

/// How long an abandoned transaction's connection may take to answer before its
/// statement is taken to be still running.
const STILL_RUNNING_AFTER: std::time::Duration = std::time::Duration::from_millis(50);
const ROLLBACK_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

async fn end_abandoned(tx: DatabaseTransaction, pid: i32, db: &Inner) {
    // An idle connection answers at once (in an aborted transaction, with an
    // error: an answer too). Waiting means a statement of the abandoned request
    // is still running: sqlx drains it before sending anything else.
    let idle = tokio::time::timeout(STILL_RUNNING_AFTER, tx.execute_unprepared("select 1"))
        .await
        .is_ok();
    if !idle && pid != 0 {
        let cancel = sea_orm::sqlx::query("select pg_cancel_backend($1)")
            .bind(pid)
            .execute(&db.control);
        match tokio::time::timeout(db.opts.check_timeout, cancel).await {
            Ok(Ok(_)) => tracing::info!(pid, "cancelled the statement of an abandoned request"),
            Ok(Err(e)) => tracing::warn!(
                pid,
                diagnosis = %crate::Diagnosis::of_err(&DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()))),
                "could not cancel the statement of an abandoned request"
            ),
            Err(_) => tracing::warn!(pid, "cancelling an abandoned statement timed out"),
        }
    }
    match tokio::time::timeout(ROLLBACK_WITHIN, tx.rollback()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(
            pid,
            diagnosis = %crate::Diagnosis::of_err(&e),
            "rolling back an abandoned transaction failed"
        ),
        Err(_) => tracing::warn!(pid, "rolling back an abandoned transaction timed out"),
    }
}

impl Deref for Scoped {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        match &self.tx {
            Tx::Own(tx) => tx,
            Tx::Shared(shared) => &shared.guard,
        }
    }
}

tokio::task_local! {
    static UNIT: Arc<Unit>;
}

/// One transaction shared by the reads of one GraphQL query operation.
///
/// Why: a query's resolvers and DataLoaders each open a scoped transaction, and each
/// costs BEGIN, the scope settings and COMMIT around its one statement. A visit with
/// its site and its requests was 12 statements in three transactions; sharing makes
/// it 6 in one (see bench/README.md). Each scoped read inside the unit instead takes
/// the unit's transaction in turn (a fair lock), opened at the first read with that
/// read's settings, and the unit commits once at the end.
///
/// What keeps it as safe as a transaction per read:
/// - it is used only once the operation is known to be a query (`enable`), never by
///   a mutation, whose writes keep their own transactions;
/// - a read whose settings differ from the unit's (a system lookup, say) gets its
///   own transaction, so row-level security always sees the caller's own scope;
/// - a read that ends without `commit` (an error) marks the unit broken: it is
///   rolled back at the end, and later reads get their own transactions;
/// - a read opened while the same task already holds the unit (a nested read, or a
///   sibling resolver polled by the same task) gets its own transaction instead of
///   waiting for itself.
///
/// The unit travels as a task-local: `run` sets it around the operation, and
/// `carry` passes it on to the tasks DataLoaders spawn. Anything else spawned does
/// not see it and simply opens its own transactions.
pub struct ReadUnit(Arc<Unit>);

struct Unit {
    enabled: AtomicBool,
    broken: AtomicBool,
    holder: StdMutex<Option<tokio::task::Id>>,
    open: Arc<Mutex<Option<Open>>>,
    stash: StdMutex<HashMap<(TypeId, Uuid), Stashed>>,
}

/// A value one read of the unit found for another, with the scope it was read in.
struct Stashed {
    settings: [String; 6],
    value: Box<dyn Any + Send + Sync>,
}

struct Open {
    tx: Guarded,
    settings: [String; 6],
}

impl Default for ReadUnit {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadUnit {
    pub fn new() -> Self {
        Self(Arc::new(Unit {
            enabled: AtomicBool::new(false),
            broken: AtomicBool::new(false),
            holder: StdMutex::new(None),
            open: Arc::new(Mutex::new(None)),
            stash: StdMutex::new(HashMap::new()),
        }))
    }

    /// Keeps `value` for a later read of the current operation that would otherwise
    /// fetch it with a statement of its own (a visit's requests, read in the visit's
    /// statement: one round trip less for a visit with its requests). Kept only in
    /// an enabled unit (a query), and handed back only to a read in the same scope.
    pub fn stash<T: Any + Send + Sync>(ctx: &Ctx, key: Uuid, value: T) {
        let _ = UNIT.try_with(|u| {
            if !u.enabled.load(Ordering::Acquire) {
                return;
            }
            if let Ok(mut m) = u.stash.lock() {
                m.insert(
                    (TypeId::of::<T>(), key),
                    Stashed {
                        settings: settings(ctx),
                        value: Box::new(value),
                    },
                );
            }
        });
    }

    /// What `stash` kept under `key` for this scope, taken out of the unit.
    pub fn take_stashed<T: Any + Send + Sync>(ctx: &Ctx, key: Uuid) -> Option<T> {
        UNIT.try_with(|u| {
            let mut m = u.stash.lock().ok()?;
            let k = (TypeId::of::<T>(), key);
            if m.get(&k)?.settings != settings(ctx) {
                return None;
            }
            m.remove(&k)?.value.downcast::<T>().ok().map(|b| *b)
        })
        .ok()
        .flatten()
    }

    /// Runs `fut` (the operation) with this unit, then ends the unit: COMMIT when
    /// every shared read completed, ROLLBACK otherwise. The error is the COMMIT's.
    pub async fn run<F: Future>(self, fut: F) -> (F::Output, Result<(), DbError>) {
        let out = UNIT.scope(Arc::clone(&self.0), fut).await;
        let open = self.0.open.lock().await.take();
        let end = match open {
            None => Ok(()),
            Some(o) if self.0.broken.load(Ordering::Acquire) => {
                o.tx.rollback().await.map_err(DbError::from)
            }
            Some(o) => o.tx.commit().await.map_err(DbError::from),
        };
        (out, end)
    }

    /// Lets the current unit's reads share its transaction: the operation has been
    /// found to be a query. Without a current unit, does nothing.
    pub fn enable_current() {
        let _ = UNIT.try_with(|u| u.enabled.store(true, Ordering::Release));
    }

    /// `fut` with the current unit, if any: for the futures DataLoaders spawn.
    pub fn carry(
        fut: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        match UNIT.try_with(Arc::clone) {
            Ok(u) => Box::pin(UNIT.scope(u, fut)),
            Err(_) => fut,
        }
    }
}

impl Unit {
    /// The unit's transaction for a read with `settings`, or None when that read
    /// must have its own (see `ReadUnit`).
    async fn enter(
        self: &Arc<Self>,
        db: &Db,
        settings: &[String; 6],
    ) -> Result<Option<SharedTx>, DbError> {
        if !self.enabled.load(Ordering::Acquire) || self.broken.load(Ordering::Acquire) {
            return Ok(None);
        }
        let me = tokio::task::try_id();
        match self.holder.lock() {
            Ok(h) if me.is_some() && *h != me => {}
            _ => return Ok(None),
        }
        let mut guard = Arc::clone(&self.open).lock_owned().await;
        if self.broken.load(Ordering::Acquire) {
            return Ok(None);
        }
        match guard.as_ref() {
            Some(o) if &o.settings != settings => return Ok(None),
            Some(_) => {}
            None => {
                let tx = Guarded::begin(db, settings).await?;
                *guard = Some(Open {
                    tx,
                    settings: settings.clone(),
                });
            }
        }
        let Ok(guard) = tokio::sync::OwnedMutexGuard::try_map(guard, |o| {
            o.as_mut().and_then(|o| o.tx.tx_mut())
        }) else {
            return Ok(None);
        };
        match self.holder.lock() {
            Ok(mut h) => *h = me,
            Err(_) => return Ok(None),
        }
        Ok(Some(SharedTx {
            guard,
            unit: Arc::clone(self),
            done: false,
        }))
    }
}

/// A read's turn on the unit's transaction.
struct SharedTx {
    guard: OwnedMappedMutexGuard<Option<Open>, DatabaseTransaction>,
    unit: Arc<Unit>,
    done: bool,
}

impl Drop for SharedTx {
    fn drop(&mut self) {
        if !self.done {
            // The read failed, maybe inside PostgreSQL (then the transaction is
            // aborted): no later read may use it, and it is rolled back at the end.
            self.unit.broken.store(true, Ordering::Release);
        }
        if let Ok(mut h) = self.unit.holder.lock() {
            *h = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::{RequestId, TenantId, TenantRole, TenantScope, UserId};

    #[test]
    fn system_scope_sets_no_tenant() {
        let s = settings(&Ctx::system("test"));
        assert_eq!(s[0], "");
        assert_eq!(s[5], "system");
    }

    #[test]
    fn user_scope_carries_tenant_and_role() {
        let t = TenantId::new();
        let ctx = Ctx::member(
            UserId::new(),
            TenantScope {
                tenant_id: t,
                role: TenantRole::Viewer,
            },
            RequestId::new(),
        );
        let s = settings(&ctx);
        assert_eq!(s[0], t.to_string());
        assert_eq!(s[1], "viewer");
        assert_eq!(s[5], "user");
    }

    #[test]
    fn a_person_acting_as_a_partner_carries_no_tenant() {
        let t = TenantId::new();
        let p = kernel::PartnerId::new();
        let ctx = Ctx::user(
            UserId::new(),
            kernel::Acting::Partner(p),
            vec![
                kernel::ActorChoice::Association {
                    tenant_id: t,
                    slug: "a".into(),
                    role: TenantRole::Viewer,
                },
                kernel::ActorChoice::Partner(p),
            ],
            RequestId::new(),
        );
        let s = settings(&ctx);
        assert_eq!((s[0].as_str(), s[1].as_str(), s[3].as_str()), ("", "", ""));
        assert_eq!(s[4], p.to_string());
    }
}
