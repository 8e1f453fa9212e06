//! Stock Hive Router 0.2.19: upstream's `src/main.rs`, unchanged, with no plugins registered.
//!
//! Only the baseline of `promptsales bench router --stock target/release/hive_router`; it is
//! never deployed.

// Needed because of ntex's way of defining middlewares (upstream's comment).
#![recursion_limit = "256"]

use hive_router::{
    PluginRegistry, RouterGlobalAllocator, configure_global_allocator, error::RouterInitError,
    init_rustls_crypto_provider, router_entrypoint,
};

configure_global_allocator!();

#[hive_router::main]
async fn main() -> Result<(), RouterInitError> {
    init_rustls_crypto_provider();

    router_entrypoint(PluginRegistry::new()).await
}
