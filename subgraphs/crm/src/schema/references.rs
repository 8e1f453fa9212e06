//! Entities owned by the sales subgraph that crm rows point at: key-only references.
//!
//! `resolvable: false` tells the router that crm only names them; their
//! fields (a user's name, an organization's name) come from sales.

use async_graphql::{ID, SimpleObject};
use uuid::Uuid;

/// A user of the platform (owned by the sales subgraph).
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(unresolvable = "id")]
pub struct User {
    /// The user's UUIDv7, as sales issued it (the federation key).
    pub id: ID,
}

/// A tenant (owned by the sales subgraph).
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(unresolvable = "id")]
pub struct Organization {
    /// The organization's UUIDv7, as sales issued it (the federation key).
    pub id: ID,
}

impl User {
    /// A reference to user `id`.
    pub fn reference(id: Uuid) -> Self {
        Self {
            id: ID(id.to_string()),
        }
    }
}

impl Organization {
    /// A reference to organization `id`.
    pub fn reference(id: Uuid) -> Self {
        Self {
            id: ID(id.to_string()),
        }
    }
}
