//! Relay cursor connections over keyset pages. Cursors are opaque (they wrap the last
//! row's UUIDv7) and a page is capped at kernel::page::MAX_PAGE_SIZE.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use kernel::{Error, Page, PageRequest};
use uuid::Uuid;

pub(crate) fn page_request(
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageRequest, Error> {
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

pub(crate) fn connection<M, N: OutputType>(
    page: Page<M>,
    id: impl Fn(&M) -> Uuid,
    wrap: impl Fn(M) -> N,
) -> Connection<String, N> {
    let mut c = Connection::new(false, page.has_next_page);
    c.edges.extend(page.items.into_iter().map(|m| {
        let cursor = kernel::gid::encode("cursor", id(&m));
        Edge::new(cursor, wrap(m))
    }));
    c
}
