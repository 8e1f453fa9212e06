//! The request log as the AI gateway's recorder: every call becomes a `request_logs` row.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::SubsecRound;
use promptsales_kit::ai::{CallRecord, CallRecorder};

use crate::domain::request_log::RequestLogEntry;
use crate::store::ContentStore;

/// Writes call records to the content store; a failed write is logged, never the caller's failure.
pub struct StoreRecorder {
    store: Arc<dyn ContentStore>,
}

impl StoreRecorder {
    /// A recorder over `store`.
    pub fn new(store: Arc<dyn ContentStore>) -> Self {
        Self { store }
    }
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl CallRecorder for StoreRecorder {
    async fn record(&self, r: CallRecord) {
        let entry = RequestLogEntry {
            id: promptsales_kit::new_id(),
            organization_id: r.organization,
            service: r.service,
            model: r.model,
            operation: r.operation,
            request_digest: r.request_digest,
            status: r.status,
            latency_ms: signed(r.latency_ms),
            tokens_in: signed(r.tokens_in),
            tokens_out: signed(r.tokens_out),
            from_cache: r.from_cache,
            metered: r.metered,
            occurred_at: chrono::Utc::now().trunc_subsecs(6),
        };
        if let Err(e) = self.store.insert_request_log(&entry).await {
            tracing::warn!(error = %e, operation = %entry.operation, "request log write failed");
        }
    }
}
