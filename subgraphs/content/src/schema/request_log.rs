//! The AI request log and the organization's AI usage.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::request_log::RequestLogEntry;

/// One logged AI or third-party call.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 10, private))]
pub struct AiRequestLogEntry {
    /// The log entry's UUIDv7.
    pub id: ID,
    /// Who served it (`openai-compatible`, `offline`, `cache`).
    pub service: String,
    /// The model.
    pub model: String,
    /// What was done (`content.generate`, `content.search`, ...).
    pub operation: String,
    /// SHA-256 of the request: identical requests share it.
    pub request_digest: String,
    /// `ok` or why it failed.
    pub status: String,
    /// Time spent in milliseconds.
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

impl From<RequestLogEntry> for AiRequestLogEntry {
    fn from(e: RequestLogEntry) -> Self {
        Self {
            id: ID(e.id.to_string()),
            service: e.service,
            model: e.model,
            operation: e.operation,
            request_digest: e.request_digest,
            status: e.status,
            latency_ms: e.latency_ms,
            tokens_in: e.tokens_in,
            tokens_out: e.tokens_out,
            from_cache: e.from_cache,
            metered: e.metered,
            occurred_at: e.occurred_at,
        }
    }
}

/// The organization's AI usage this month against its plan.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 10, private))]
pub struct AiUsage {
    /// `yyyymm`.
    pub month: String,
    /// Generations made (cache hits are free).
    pub generations: i64,
    /// The plan's monthly limit (or the configured default).
    pub limit: i64,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
}
