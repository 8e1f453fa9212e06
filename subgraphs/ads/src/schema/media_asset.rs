//! A reference to content's `MediaAsset`: the key only, resolved by the router in the content subgraph.

use async_graphql::{ID, SimpleObject};

/// A media asset (owned by the content subgraph); this subgraph knows only its id.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(unresolvable = "id")]
pub struct MediaAsset {
    /// The asset's id.
    pub id: ID,
}
