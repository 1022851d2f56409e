//! Relay cursor connections over keyset pages. Cursors are opaque (they wrap the last
//! row's UUIDv7) and a page is capped at kernel::page::MAX_PAGE_SIZE.

use crate::Services;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::RowObject;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType};
use kernel::{Ctx, Error, Page, PageRequest};
use std::future::Future;

fn page_request(first: Option<i32>, after: Option<String>) -> Result<PageRequest, Error> {
    let after = match after {
        None => None,
        Some(c) => Some(
            kernel::gid::decode(&c)
                .filter(|(t, _)| t == "cursor")
                .map(|(_, id)| id)
                .ok_or_else(|| Error::validation("after", "not a cursor from this list"))?,
        ),
    };
    PageRequest::new(first, after)
}

/// Every list field: the caller, the page asked for (`first`, `after`), the
/// service's listing of it (`list`, given the services, the caller and the page),
/// and the page as a connection of `T`.
pub(crate) async fn paged<'a, T, F, Fut>(
    c: &Context<'a>,
    first: Option<i32>,
    after: Option<String>,
    list: F,
) -> async_graphql::Result<Connection<String, T>>
where
    T: RowObject + OutputType,
    F: FnOnce(&'a Services, &'a Ctx, PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T::Row>, Error>>,
{
    let ctx = ctx(c)?;
    let page = page_request(first, after).gql()?;
    let page = list(services(c)?, ctx, page).await.gql()?;
    if T::PERSONAL {
        crate::privacy::log_reads(c, T::NAME, page.items.iter().map(T::key)).await?;
    }
    let mut conn = Connection::new(false, page.has_next_page);
    conn.edges.extend(page.items.into_iter().map(|m| {
        let cursor = kernel::gid::encode("cursor", T::key(&m));
        Edge::new(cursor, T::wrap(m))
    }));
    Ok(conn)
}
