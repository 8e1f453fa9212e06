//! The schema every subgraph starts from.

use async_graphql::{ObjectType, Schema, SchemaBuilder, SubscriptionType};

use crate::extension::ErrorCodes;
use crate::limits::MAX_DEPTH;

/// A schema builder with what every subgraph must have: Federation v2, stable
/// error codes, and the shared depth limit. Each subgraph adds its own
/// complexity ceiling (its cost functions are its own) and its data.
pub fn subgraph_schema<Q, M, S>(query: Q, mutation: M, subscription: S) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    Schema::build(query, mutation, subscription)
        .enable_federation()
        .extension(ErrorCodes)
        .limit_depth(MAX_DEPTH)
}
