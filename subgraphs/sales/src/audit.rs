//! The audit log's API: record a sensitive action with who did it, to what,
//! when and from where; and the job that keeps the log to 90 days.
//!
//! Actions that change the stores record their entry in the same database
//! transaction (the store methods take a [`NewAuditEntry`]); anything else
//! (a login, an export) calls [`record`]. See `/work/briefs/audit-api.md`.

use std::sync::Arc;
use std::time::Duration;

use std::net::IpAddr;

use async_graphql::Context;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use promptsales_kit::client_addr::{TrustedProxies, client_ip_from_headers};
use promptsales_kit::server::RequestMeta;
use promptsales_kit::{RequestContext, StoreError};

use crate::store::audit::AuditStore;
pub use crate::store::audit::{AuditEntry, NewAuditEntry, Origin, Severity};

/// How long entries are kept.
pub const RETENTION_DAYS: i64 = 90;
/// How often the purge job runs.
pub const PURGE_EVERY: Duration = Duration::from_secs(6 * 3600);

/// The origin of a request: the client address [`client_ip_from_headers`] derives
/// (the peer, or what a trusted proxy forwarded), and the user agent.
pub fn origin_of(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &TrustedProxies) -> Origin {
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|ua| ua.chars().take(300).collect());
    Origin {
        ip: client_ip_from_headers(peer, headers, trusted).map(|ip| ip.to_string()),
        user_agent,
    }
}

/// The origin of a GraphQL request or WebSocket connection, from what the kit's server
/// received ([`RequestMeta`]); the app's request data hook puts it in the request's data.
pub fn origin_of_request(meta: &RequestMeta, trusted: &TrustedProxies) -> Origin {
    origin_of(meta.headers(), meta.peer().map(|peer| peer.ip()), trusted)
}

/// The origin of the operation `ctx` belongs to (empty where none was recorded, e.g. in
/// tests that execute the schema directly).
pub fn origin(ctx: &Context<'_>) -> Origin {
    ctx.data_opt::<Origin>().cloned().unwrap_or_default()
}

/// An entry for an action by the caller of `context`, from `origin`, on `target_type` `target_id`.
pub fn entry(
    context: &RequestContext,
    origin: Origin,
    action: &str,
    target_type: &str,
    target_id: Option<String>,
    severity: Severity,
    metadata: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry {
        organization_id: context.organization,
        actor_id: context.user,
        action: action.to_string(),
        target_type: target_type.to_string(),
        target_id,
        severity,
        origin,
        metadata,
    }
}

/// Records an entry on its own (for actions that write nothing else in the sales store,
/// such as a login or a data export).
pub async fn record(
    store: &dyn AuditStore,
    entry: NewAuditEntry,
) -> Result<AuditEntry, StoreError> {
    let recorded = store.record_audit(entry).await?;
    tracing::info!(
        action = %recorded.entry.action,
        target = ?recorded.entry.target_id,
        actor = ?recorded.entry.actor_id,
        "audited"
    );
    Ok(recorded)
}

/// Deletes entries older than [`RETENTION_DAYS`] before `now`; returns how many.
pub async fn purge_expired(store: &dyn AuditStore, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let cutoff = now - chrono::Duration::days(RETENTION_DAYS);
    let purged = store.purge_audit(cutoff).await?;
    if purged > 0 {
        tracing::info!(purged, %cutoff, "audit entries past retention purged");
    }
    Ok(purged)
}

/// Runs [`purge_expired`] now and every [`PURGE_EVERY`] (a delete by time is
/// idempotent, so several replicas running it do no harm).
pub fn spawn_purge_job(store: Arc<dyn crate::store::SalesStore>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            if let Err(e) = purge_expired(store.as_ref(), Utc::now()).await {
                tracing::warn!(error = %e, "audit purge failed; retrying at the next run");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_origin_is_forwarded_only_by_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.7, 10.0.0.1"),
        );
        headers.insert("user-agent", HeaderValue::from_static("portal/1.0"));
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        // By default no proxy is trusted: the client cannot choose its address.
        let origin = origin_of(&headers, Some(peer), &TrustedProxies::none());
        assert_eq!(origin.ip.as_deref(), Some("10.0.0.2"));
        assert_eq!(origin.user_agent.as_deref(), Some("portal/1.0"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let origin = origin_of(&headers, Some(peer), &proxies);
        assert_eq!(origin.ip.as_deref(), Some("203.0.113.7"));
        // No peer known (no connect info): no address, whatever the headers say.
        assert_eq!(origin_of(&headers, None, &proxies).ip, None);
    }
}
