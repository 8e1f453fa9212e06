//! What every PromptSales subgraph shares: server bootstrap, configuration,
//! request context, errors, ids, money, pagination, health and metrics.

#[cfg(feature = "ai")]
pub mod ai;
pub mod auth;
pub mod budget;
#[cfg(feature = "bus")]
pub mod bus;
pub mod cache_hints;
#[cfg(feature = "cache-tags")]
pub mod cache_tags;
pub mod changes;
pub mod client_addr;
pub mod config;
pub mod context;
pub mod db;
pub mod demo;
/// Limits checked on a client's raw text before anything parses it (the `promptsales-guard` crate).
pub use promptsales_guard as document_guard;
pub mod entity_errors;
pub mod error;
pub mod extension;
pub mod ids;
pub mod limits;
pub mod metrics;
pub mod money;
pub mod names;
pub mod pagination;
#[cfg(feature = "quota")]
pub mod quota;
pub mod references;
pub mod schema;
pub mod sdl;
#[cfg(feature = "sealing")]
pub mod sealed;
pub mod secret_file;
pub mod server;
pub mod service;
pub mod service_identity;
pub mod telemetry;
#[cfg(feature = "bus")]
pub mod template_changes;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::ServiceConfig;
pub use context::{RequestContext, Role, Subsystem};
pub use error::{ApiError, ApiResult, LoadError, ResultExt, StoreError};
pub use ids::{new_id, parse_id};
pub use money::{Decimal4, Money};
pub use names::StrEnum;
pub use pagination::{Page, PageRequest};
