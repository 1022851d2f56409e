//! The two reads every kind of row here is listed by: a keyset page, and a batch by
//! ids (DataLoaders, `node`). Each is one statement in the actor's scoped transaction:
//! row-level security bounds what it sees.

use crate::{Tenancy, errors};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select};
use uuid::Uuid;

impl Tenancy {
    /// A page of `q`'s rows in `id` order (ids are UUIDv7: creation order).
    pub(crate) async fn page_of<E: EntityTrait>(
        &self,
        ctx: &Ctx,
        q: Select<E>,
        id: E::Column,
        page: PageRequest,
    ) -> Result<Page<E::Model>, Error> {
        let q = q
            .apply_if(page.after, |q, after| q.filter(id.gt(after)))
            .order_by_asc(id)
            .limit(page.fetch());
        let rows = self.db.select_all(ctx, q, errors::orm).await?;
        Ok(Page::from_rows(rows, &page))
    }

    /// `q`'s rows whose `id` is one of `ids`.
    pub(crate) async fn by_ids<E: EntityTrait>(
        &self,
        ctx: &Ctx,
        q: Select<E>,
        id: E::Column,
        ids: &[Uuid],
    ) -> Result<Vec<E::Model>, Error> {
        let q = q.filter(id.eq_any(ids.iter().copied()));
        self.db.select_all(ctx, q, errors::orm).await
    }
}
