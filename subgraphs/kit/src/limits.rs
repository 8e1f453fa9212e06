//! Limits every subgraph applies to one operation.

/// The deepest selection a subgraph accepts. GraphiQL's introspection query,
/// the deepest legitimate one, fits (`testing::assert_introspection_fits` checks
/// each subgraph), and so do the router's `_entities` fetches.
pub const MAX_DEPTH: usize = 16;
