//! Cursor pagination (Relay connections) over time-ordered ids.
//!
//! Ids are UUID v7, so ordering by id is ordering by creation, and the
//! cursor is simply the last id seen: keyset pagination that stays fast
//! at any depth, unlike offsets.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge, EmptyFields};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::ApiError;

/// The default page size.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated page request: `first` items after the cursor `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items.
    pub first: u64,
    /// Exclusive lower bound (the last id of the previous page).
    pub after: Option<Uuid>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            first: DEFAULT_PAGE_SIZE,
            after: None,
        }
    }
}

impl PageRequest {
    /// Validates GraphQL `first` / `after` arguments.
    pub fn new(first: Option<i32>, after: Option<String>) -> Result<Self, ApiError> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => n as u64,
            Some(n) => {
                return Err(ApiError::bad_input(
                    "first",
                    format!("first must be between 1 and {MAX_PAGE_SIZE}, got {n}"),
                ));
            }
        };
        let after = after.map(|c| decode_cursor(&c)).transpose()?;
        Ok(Self { first, after })
    }

    /// How many rows a store should fetch: one more than asked, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }
}

/// One page of items, as a store returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in id order.
    pub items: Vec<T>,
    /// Whether more items follow.
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Builds a page from `fetch_limit()` rows.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let has_next = rows.len() as u64 > request.first;
        rows.truncate(request.first as usize);
        Self {
            items: rows,
            has_next,
        }
    }

    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
        }
    }

    /// Turns the page into a Relay connection; `id_of` gives each item's cursor id.
    pub fn into_connection<N: OutputType>(
        self,
        request: &PageRequest,
        id_of: impl Fn(&T) -> Uuid,
        node: impl Fn(T) -> N,
    ) -> Connection<String, N, EmptyFields, EmptyFields> {
        let mut connection = Connection::new(request.after.is_some(), self.has_next);
        connection.edges.extend(
            self.items
                .into_iter()
                .map(|item| Edge::new(encode_cursor(id_of(&item)), node(item))),
        );
        connection
    }
}

/// An opaque cursor for an id.
pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<Uuid, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::bad_input("after", "after is not a cursor returned by this API"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_validated_and_cursors_round_trip() {
        assert_eq!(
            PageRequest::new(None, None).unwrap().first,
            DEFAULT_PAGE_SIZE
        );
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(101), None).is_err());
        assert!(PageRequest::new(Some(5), Some("nope!".into())).is_err());
        let id = crate::ids::new_id();
        let req = PageRequest::new(Some(2), Some(encode_cursor(id))).unwrap();
        assert_eq!(req.after, Some(id));
        let page = Page::from_rows(vec![1, 2, 3], &req);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_next);
    }
}
