//! Keyset pagination. Ids are UUIDv7, so ordering by id is ordering by creation and
//! "after this id" is a plain index range scan, however deep the page.

use crate::Error;
use uuid::Uuid;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Refuses (rather than silently clamps) a size outside 0..=MAX_PAGE_SIZE, so a
    /// client never mistakes a truncated page for the whole list.
    pub fn new(first: Option<i32>, after: Option<Uuid>) -> Result<Self, Error> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
            Some(_) => {
                return Err(Error::validation(
                    "first",
                    format!("must be between 0 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        Ok(Self { first, after })
    }

    /// Rows to fetch: one more than asked, to know whether a next page exists.
    pub fn fetch(&self) -> u64 {
        self.first + 1
    }
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from `fetch()` rows.
    pub fn from_rows(mut rows: Vec<T>, req: &PageRequest) -> Self {
        let has_next_page = rows.len() as u64 > req.first;
        rows.truncate(req.first as usize);
        Self {
            items: rows,
            has_next_page,
        }
    }
}
