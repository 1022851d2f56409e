//! Per-request DataLoaders: related objects are fetched in one `= any($1)` query per
//! type and tick, under the caller's own scope (row-level security applies). One
//! loader type, `ByIds`, serves every relation: what differs is the service call,
//! a plain function. Each domain lists its own in `<domain>/loaders.rs`.

use crate::context::person;
use crate::node::RowObject;
use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use futures_util::future::BoxFuture;
use kernel::{Ctx, Error};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Much shorter than async-graphql's 1 ms default: resolvers of one level are polled
/// together anyway, and every microsecond here is added to each nested request.
const LOADER_DELAY: Duration = Duration::from_micros(50);

/// What every loader of a request calls with: the services and the caller.
pub(crate) struct Scope {
    svc: crate::Services,
    ctx: Ctx,
}

/// One batch's values by key.
pub(crate) type Batch<'a, V> = BoxFuture<'a, Result<HashMap<Uuid, V>, Error>>;

/// The service call behind a loader: the values of a batch of keys.
pub(crate) type Fetch<V> = for<'a> fn(&'a crate::Services, &'a Ctx, &'a [Uuid]) -> Batch<'a, V>;

/// The one loader: a batch of keys through `fetch`, under the request's scope.
pub(crate) struct ByIds<V> {
    scope: Arc<Scope>,
    fetch: Fetch<V>,
}

impl<V: Send + Sync + Clone + 'static> Loader<Uuid> for ByIds<V> {
    type Value = V;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, V>, Self::Error> {
        (self.fetch)(&self.scope.svc, &self.scope.ctx, keys)
            .await
            .map_err(crate::error::to_gql)
    }
}

pub(crate) type Load<V> = DataLoader<ByIds<V>>;

impl Scope {
    /// Loads run in spawned tasks; `carry` gives them the operation's read unit, so
    /// they share its transaction (db::ReadUnit), and the operation's span, so their
    /// statements are traced as its children.
    pub(crate) fn loader<V: Send + Sync + Clone + 'static>(
        self: &Arc<Self>,
        fetch: Fetch<V>,
    ) -> Load<V> {
        let l = ByIds {
            scope: Arc::clone(self),
            fetch,
        };
        DataLoader::new(l, |fut| {
            tokio::spawn(tracing::Instrument::in_current_span(db::ReadUnit::carry(
                fut,
            )))
        })
        .delay(LOADER_DELAY)
    }
}

/// A batch from a service answer, reshaped into values by key.
pub(crate) fn batch<'a, T: 'a, V: 'a>(
    call: impl Future<Output = Result<T, Error>> + Send + 'a,
    by_key: fn(T) -> HashMap<Uuid, V>,
) -> Batch<'a, V> {
    Box::pin(async move { call.await.map(by_key) })
}

/// Rows keyed by their own id.
pub(crate) fn by_id<'a, O: RowObject>(
    call: impl Future<Output = Result<Vec<O::Row>, Error>> + Send + 'a,
) -> Batch<'a, O::Row>
where
    O::Row: 'a,
{
    batch(call, |rows| {
        rows.into_iter().map(|r| (O::key(&r), r)).collect()
    })
}

/// Rows gathered under their parent's id, in the service's order.
pub(crate) fn by_parent<'a, M: Send + 'a>(
    call: impl Future<Output = Result<Vec<M>, Error>> + Send + 'a,
    parent: fn(&M) -> Uuid,
) -> Batch<'a, Vec<M>> {
    Box::pin(async move {
        let mut out: HashMap<Uuid, Vec<M>> = HashMap::new();
        for r in call.await? {
            out.entry(parent(&r)).or_default().push(r);
        }
        Ok(out)
    })
}

/// Every domain's loaders for one request.
pub struct Loaders {
    pub(crate) tenancy: crate::tenancy::loaders::Loaders,
    pub(crate) sites: crate::sites::loaders::Loaders,
    pub(crate) journal: crate::journal::loaders::Loaders,
    pub(crate) partners: crate::partners::loaders::Loaders,
    pub(crate) outreach: crate::outreach::loaders::Loaders,
    pub(crate) pathways: crate::pathways::loaders::Loaders,
    pub(crate) compliance: crate::compliance::loaders::Loaders,
    /// The request's reads of personal data, appended to the access log in batches.
    pub(crate) read_log: DataLoader<crate::privacy::ReadLog>,
}

impl Loaders {
    pub fn new(svc: &crate::Services, ctx: &Ctx) -> Self {
        let s = Arc::new(Scope {
            svc: svc.clone(),
            ctx: ctx.clone(),
        });
        Self {
            tenancy: crate::tenancy::loaders::Loaders::new(&s),
            sites: crate::sites::loaders::Loaders::new(&s),
            journal: crate::journal::loaders::Loaders::new(&s),
            partners: crate::partners::loaders::Loaders::new(&s),
            outreach: crate::outreach::loaders::Loaders::new(&s),
            pathways: crate::pathways::loaders::Loaders::new(&s),
            compliance: crate::compliance::loaders::Loaders::new(&s),
            read_log: DataLoader::new(
                crate::privacy::ReadLog {
                    log: svc.privacy.clone(),
                },
                tokio::spawn,
            )
            .delay(LOADER_DELAY),
        }
    }
}

pub(crate) fn loaders<'a>(c: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    // Only objects some resolver already returned lead here: for a person who has
    // not chosen what they act as, that is `viewer`, whose objects must load.
    person(c)?;
    Ok(c.data::<Arc<Loaders>>()?.as_ref())
}

/// An object loaded by its id; each domain names its objects' loaders with
/// `loadable!`.
pub(crate) trait Loadable: RowObject {
    fn loader(l: &Loaders) -> &Load<Self::Row>;
}

/// The object with this id (none for no id), through its loader.
pub(crate) async fn load<O>(
    c: &Context<'_>,
    id: impl Into<Option<Uuid>>,
) -> async_graphql::Result<Option<O>>
where
    O: Loadable,
    O::Row: Send + Sync + Clone + 'static,
{
    let Some(id) = id.into() else {
        return Ok(None);
    };
    let row = O::loader(loaders(c)?).load_one(id).await?;
    if O::PERSONAL
        && let Some(r) = &row
    {
        crate::privacy::log_reads(c, O::NAME, [O::key(r)]).await?;
    }
    Ok(row.map(O::wrap))
}

/// What a per-parent loader holds for `id` (empty when nothing).
pub(crate) async fn load_of<V>(
    c: &Context<'_>,
    pick: fn(&Loaders) -> &Load<V>,
    id: Uuid,
) -> async_graphql::Result<V>
where
    V: Default + Send + Sync + Clone + 'static,
{
    Ok(pick(loaders(c)?).load_one(id).await?.unwrap_or_default())
}
