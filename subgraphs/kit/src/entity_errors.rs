//! Federation entities the caller cannot resolve: `null` for that representation alone,
//! with a `NOT_FOUND` error at its `_entities` index.
//!
//! An error returned by an entity resolver fails async-graphql's whole `_entities` batch
//! (every representation of the fetch becomes `null`, the visible ones too). A silent
//! `null`, on the other hand, leaves the router nothing to explain a missing field: a
//! non-null reference then nulls its parents, up to `{"data":null}` with no error at all.
//! So a resolver returns `Ok(None)` through [`not_found`], which records the error beside
//! the data at `_entities.<index>`; the router rewrites that path into the field's path
//! in the client's response.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};

use async_graphql::{Context, ID, PathSegment, ServerError, Value};

use crate::error::ApiError;

/// Where each representation of the request's `_entities` field sits, computed once per
/// request (a batch of many unknown keys would otherwise rescan the list once per key).
///
/// The kit's server puts one in every request's data; without it (a schema executed
/// directly) each lookup scans the representations itself.
#[derive(Debug, Default)]
pub struct EntityIndex {
    positions: OnceLock<Mutex<HashMap<(String, String), VecDeque<usize>>>>,
}

/// `(__typename, id)` of a representation, when it has both.
fn key_of(representation: &Value) -> Option<(String, String)> {
    let Value::Object(fields) = representation else {
        return None;
    };
    let typename = match fields.get("__typename")? {
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let id = match fields.get("id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some((typename, id))
}

/// Every representation's position, by key, in the order sent.
fn positions(ctx: &Context<'_>) -> HashMap<(String, String), VecDeque<usize>> {
    let mut positions: HashMap<(String, String), VecDeque<usize>> = HashMap::new();
    let Ok(arguments) = ctx.field().arguments() else {
        return positions;
    };
    let Some((_, Value::List(representations))) = arguments
        .into_iter()
        .find(|(name, _)| name.as_str() == "representations")
    else {
        return positions;
    };
    for (index, representation) in representations.iter().enumerate() {
        if let Some(key) = key_of(representation) {
            positions.entry(key).or_default().push_back(index);
        }
    }
    positions
}

/// The position of the next unreported representation `(typename, id)`, if it was sent.
fn next_position(ctx: &Context<'_>, typename: &str, id: &str) -> Option<usize> {
    let key = (typename.to_string(), id.to_string());
    match ctx.data_opt::<EntityIndex>() {
        Some(index) => {
            let positions = index.positions.get_or_init(|| Mutex::new(positions(ctx)));
            // A poisoned lock only means another resolver panicked; the map is still whole.
            let mut positions = positions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            positions.get_mut(&key).and_then(VecDeque::pop_front)
        }
        None => positions(ctx).get(&key).and_then(|p| p.front().copied()),
    }
}

/// Records `NOT_FOUND` for the representation `(typename, id)` of this `_entities` fetch and
/// returns `None`, its entity: the other representations of the batch still resolve.
///
/// Outside an `_entities` fetch (no such representation), the error has the field's path.
pub fn not_found<T>(ctx: &Context<'_>, typename: &'static str, id: &ID) -> Option<T> {
    let error = async_graphql::Error::from(ApiError::not_found(typename, &id.0))
        .into_server_error(ctx.item.pos);
    let error = match next_position(ctx, typename, &id.0) {
        Some(index) => ServerError {
            path: vec![
                PathSegment::Field(ctx.item.node.response_key().node.to_string()),
                PathSegment::Index(index),
            ],
            ..error
        },
        None => ctx.set_error_path(error),
    };
    ctx.add_error(error);
    None
}
