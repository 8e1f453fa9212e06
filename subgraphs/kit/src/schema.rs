//! The schema every subgraph starts from.

use async_graphql::{ObjectType, Schema, SchemaBuilder, SubscriptionType};

use crate::extension::ErrorCodes;
use crate::limits::MAX_DEPTH;

/// A schema builder with what every subgraph must have: Federation v2, stable
/// error codes, routable subscriptions, entity cache tags for the router, and the shared depth limit. Each subgraph adds its own
/// complexity ceiling (its cost functions are its own) and its data.
pub fn subgraph_schema<Q, M, S>(query: Q, mutation: M, subscription: S) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    Schema::build(query, mutation, subscription)
        .enable_federation()
        // The SDL declares each subgraph's subscriptions, or the router cannot route them here.
        .enable_subscription_in_federation()
        .extension(ErrorCodes)
        // Identity and the subsystem role, before any resolver (crate::auth::guard).
        .extension(crate::auth::AccessGuard)
        .extension(crate::cache_hints::CacheTags)
        .limit_depth(MAX_DEPTH)
}

/// Runs a resolver of a field another subgraph's entity gains here, answering `Option`.
///
/// Such fields are nullable on purpose: when this subgraph is down, slow or refuses the
/// caller, the router nulls only them and keeps the entity's other data (a non-null field
/// would null the whole entity, and with it every sibling in a list).
pub async fn nullable<T>(
    resolve: impl std::future::Future<Output = async_graphql::Result<T>>,
) -> async_graphql::Result<Option<T>> {
    resolve.await.map(Some)
}
