//! `Organization`, owned by the sales subgraph: referenced here by key only.

use async_graphql::{ID, SimpleObject};

/// A tenant; its fields come from the sales subgraph.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(unresolvable)]
pub struct Organization {
    /// The organization's UUIDv7, as sales issued it (the federation key).
    pub id: ID,
}
