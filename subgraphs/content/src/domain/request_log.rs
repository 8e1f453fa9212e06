//! The request log: one entry per AI or third-party call.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One logged call.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLogEntry {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The tenant, when the call was made for one.
    pub organization_id: Option<Uuid>,
    /// Who served it (`openai-compatible`, `offline`, `cache`).
    pub service: String,
    /// The model.
    pub model: String,
    /// What was done (`content.generate`, `content.search`...).
    pub operation: String,
    /// SHA-256 of the request (identical requests share it).
    pub request_digest: String,
    /// `ok` or why it failed.
    pub status: String,
    /// Time spent.
    pub latency_ms: i64,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Served from the cache.
    pub from_cache: bool,
    /// Counted against the plan.
    pub metered: bool,
    /// When.
    pub occurred_at: DateTime<Utc>,
}
