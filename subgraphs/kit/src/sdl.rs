//! Export of a subgraph's SDL in the Federation v2 form the composer reads.

use async_graphql::{ObjectType, SDLExportOptions, Schema, SubscriptionType};

/// The Federation v2 SDL of a schema, as committed in `schema/<name>.graphql`.
pub fn federation_sdl<Q, M, S>(schema: &Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    schema.sdl_with_options(
        SDLExportOptions::new()
            .federation()
            .compose_directive()
            .sorted_fields()
            .sorted_enum_items(),
    )
}
