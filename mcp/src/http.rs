//! Streamable HTTP: `/mcp` behind bearer-token checks (an OAuth 2.0 resource server), the
//! RFC 9728 protected-resource metadata, and a health probe.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use promptsales_kit::context::{Role, Subsystem};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::identity::Caller;
use crate::server::{Adapter, Shared, Transport};

/// Where the protected-resource metadata is served (RFC 9728).
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// The caller of an adapter whose token checks are off (development only): every role (so
/// every tool is listed), no token, nothing verified. The roles only choose what is listed:
/// the router and the subgraphs trust nothing but a verified token, so such a caller gets
/// `UNAUTHENTICATED` from the graph, never data.
pub fn development_caller() -> Caller {
    Caller {
        roles: [
            (Subsystem::Sales, Role::Admin),
            (Subsystem::Ads, Role::Admin),
            (Subsystem::Crm, Role::Admin),
            (Subsystem::Content, Role::Admin),
        ]
        .into(),
        ..Caller::default()
    }
}

/// The HTTP app: `/mcp`, the metadata, `/health`.
pub fn app(shared: Arc<Shared>, cancel: CancellationToken) -> Router {
    let factory_shared = shared.clone();
    let mut config = StreamableHttpServerConfig::default().with_cancellation_token(cancel);
    // The public name of this adapter is allowed besides loopback.
    if let Some(host) = host_of(&shared.config.public_url) {
        config.allowed_hosts.push(host);
    }
    // Resumability: each stream keeps its last events (PROMPTSALES_MCP_REPLAY_EVENTS) for a
    // client that reconnects with Last-Event-ID, a finished one for PROMPTSALES_MCP_REPLAY_SECONDS;
    // both bounds keep a long-running adapter's memory flat.
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.channel_capacity = shared.config.replay_events;
    sessions.session_config.completed_cache_ttl = shared.config.replay_window;
    let mcp = StreamableHttpService::new(
        move || Ok(Adapter::new(factory_shared.clone(), Transport::Http)),
        Arc::new(sessions),
        config,
    );
    let metadata = get(protected_resource_metadata);
    Router::new()
        .nest_service("/mcp", mcp)
        .layer(middleware::from_fn(crate::resume::skip_seen_event))
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(middleware::from_fn(crate::jsonrpc_errors::as_jsonrpc))
        .route(METADATA_PATH, metadata.clone())
        .route(&format!("{METADATA_PATH}/mcp"), metadata)
        .route("/health", get(|| async { "ok" }))
        .route(
            "/graphql",
            axum::routing::post(crate::ask::graphql::handler),
        )
        .with_state(shared)
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    (!host.is_empty()).then(|| host.to_string())
}

/// RFC 9728: which authorization server issues tokens for this resource, and how to send them.
async fn protected_resource_metadata(State(shared): State<Arc<Shared>>) -> Response {
    let config = &shared.config;
    Json(json!({
        "resource": format!("{}/mcp", config.public_url.trim_end_matches('/')),
        "authorization_servers": [config.authorization_server],
        "jwks_uri": config.jwks_url,
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["sales:read", "sales:write", "ads:read", "ads:write", "crm:read", "crm:write", "content:read", "content:write"],
        "resource_name": "PromptSales MCP adapter",
    }))
    .into_response()
}

/// Checks the bearer token of every `/mcp` request and attaches the verified caller.
async fn authenticate(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/mcp") {
        return next.run(request).await;
    }
    let token = bearer_of(request.headers());
    if !shared.config.auth {
        // Nothing is checked here, so nothing is vouched for: a bearer the client sent goes to
        // the router as it came, and the graph verifies it (no token: the graph refuses data).
        let caller = Caller {
            token,
            ..development_caller()
        };
        request.extensions_mut().insert(caller);
        return next.run(request).await;
    }
    let Some(token) = token else {
        return challenge(&shared, None);
    };
    match shared.verifier.verify(&token).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(reason) => {
            tracing::info!(%reason, "bearer token refused");
            challenge(&shared, Some(&reason))
        }
    }
}

/// The token of an `Authorization: Bearer ...` header (the scheme in any case, RFC 7235).
pub fn bearer_of(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// 401 with `WWW-Authenticate: Bearer resource_metadata=...` (RFC 6750, RFC 9728).
fn challenge(shared: &Shared, reason: Option<&str>) -> Response {
    let metadata = format!(
        "{}{METADATA_PATH}/mcp",
        shared.config.public_url.trim_end_matches('/')
    );
    let mut value = format!("Bearer resource_metadata=\"{metadata}\"");
    if let Some(reason) = reason {
        let reason = reason.replace(['"', '\\'], "'");
        value.push_str(&format!(
            ", error=\"invalid_token\", error_description=\"{reason}\""
        ));
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(
            json!({ "error": if reason.is_some() { "invalid_token" } else { "unauthorized" },
                     "error_description": reason.unwrap_or("a bearer token is required") }),
        ),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}
