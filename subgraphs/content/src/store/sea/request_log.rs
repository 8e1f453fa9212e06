//! The `request_logs` table.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::request_log::RequestLogEntry;

/// A row of `request_logs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_logs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant (absent for operators' calls).
    pub organization_id: Option<Uuid>,
    /// Who served it.
    pub service: String,
    /// Model.
    pub model: String,
    /// Operation.
    pub operation: String,
    /// Request digest.
    pub request_digest: String,
    /// Status.
    pub status: String,
    /// Latency.
    pub latency_ms: i64,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// From the cache.
    pub from_cache: bool,
    /// Counted against the plan.
    pub metered: bool,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// No relation is navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for RequestLogEntry {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            organization_id: m.organization_id,
            service: m.service,
            model: m.model,
            operation: m.operation,
            request_digest: m.request_digest,
            status: m.status,
            latency_ms: m.latency_ms,
            tokens_in: m.tokens_in,
            tokens_out: m.tokens_out,
            from_cache: m.from_cache,
            metered: m.metered,
            occurred_at: m.occurred_at,
        }
    }
}

/// The row of an entry.
pub fn active_model(e: &RequestLogEntry) -> ActiveModel {
    // Column widths: a long model name or operation is cut rather than failing the log write.
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    ActiveModel {
        id: Set(e.id),
        organization_id: Set(e.organization_id),
        service: Set(cut(&e.service, 64)),
        model: Set(cut(&e.model, 128)),
        operation: Set(cut(&e.operation, 64)),
        request_digest: Set(cut(&e.request_digest, 64)),
        status: Set(cut(&e.status, 32)),
        latency_ms: Set(e.latency_ms),
        tokens_in: Set(e.tokens_in),
        tokens_out: Set(e.tokens_out),
        from_cache: Set(e.from_cache),
        metered: Set(e.metered),
        occurred_at: Set(e.occurred_at),
        created_at: Set(e.occurred_at),
        updated_at: Set(e.occurred_at),
    }
}
