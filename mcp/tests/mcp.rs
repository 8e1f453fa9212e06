//! The adapter's integration tests: the shipped operation files against the committed
//! supergraph, and the JSON Schema derivation of their variables.

mod mcp {
    mod schema_derivation;
    mod shipped_operations;
}
