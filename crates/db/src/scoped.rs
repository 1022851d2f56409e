use crate::DbError;
use kernel::{Ctx, Scope};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use tokio::sync::{Mutex, OwnedMappedMutexGuard};

/// A transaction whose scope settings are in place. Dropping it without `commit`
/// rolls back. It derefs to sea-orm's transaction so repositories use the ORM as usual.
///
/// Inside a [`ReadUnit`] (one GraphQL query operation) it may be the unit's shared
/// transaction instead of a transaction of its own: see there.
pub struct Scoped {
    tx: Tx,
}

enum Tx {
    Own(DatabaseTransaction),
    Shared(SharedTx),
}

/// The settings row-level security reads, as (tenant, tenant_role, user, union_role,
/// partner, actor_kind). Empty string means "none": policies read it as NULL.
fn settings(ctx: &Ctx) -> [String; 6] {
    match ctx.scope() {
        Scope::User {
            user_id,
            tenant,
            union_role,
            partner_id,
        } => [
            tenant.map(|t| t.tenant_id.to_string()).unwrap_or_default(),
            tenant
                .map(|t| t.role.as_str().to_owned())
                .unwrap_or_default(),
            user_id.to_string(),
            union_role
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            partner_id.map(|p| p.to_string()).unwrap_or_default(),
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

const SET_SCOPE: &str = "select set_config('app.tenant_id', $1, true), \
     set_config('app.tenant_role', $2, true), \
     set_config('app.user_id', $3, true), \
     set_config('app.union_role', $4, true), \
     set_config('app.partner_id', $5, true), \
     set_config('app.actor_kind', $6, true)";

impl Scoped {
    pub(crate) async fn begin(conn: &DatabaseConnection, ctx: &Ctx) -> Result<Self, DbError> {
        let settings = settings(ctx);
        if let Ok(unit) = UNIT.try_with(Arc::clone)
            && let Some(shared) = unit.enter(conn, &settings).await?
        {
            return Ok(Self {
                tx: Tx::Shared(shared),
            });
        }
        let tx = crate::telemetry::begin(conn).await?;
        set_scope(&tx, &settings).await?;
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

async fn set_scope(tx: &DatabaseTransaction, settings: &[String; 6]) -> Result<(), DbError> {
    let values = settings.clone().map(sea_orm::Value::from);
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        SET_SCOPE,
        values,
    ))
    .await?;
    Ok(())
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
}

struct Open {
    tx: DatabaseTransaction,
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
        }))
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
        conn: &DatabaseConnection,
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
                let tx = crate::telemetry::begin(conn).await?;
                set_scope(&tx, settings).await?;
                *guard = Some(Open {
                    tx,
                    settings: settings.clone(),
                });
            }
        }
        let Ok(guard) =
            tokio::sync::OwnedMutexGuard::try_map(guard, |o| o.as_mut().map(|o| &mut o.tx))
        else {
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
        let ctx = Ctx::user(
            UserId::new(),
            Some(TenantScope {
                tenant_id: t,
                role: TenantRole::Viewer,
            }),
            None,
            None,
            RequestId::new(),
        );
        let s = settings(&ctx);
        assert_eq!(s[0], t.to_string());
        assert_eq!(s[1], "viewer");
        assert_eq!(s[5], "user");
    }
}
