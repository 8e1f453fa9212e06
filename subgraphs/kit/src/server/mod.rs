//! The HTTP server every subgraph runs: GraphQL over GET, POST and
//! WebSocket (`graphql-transport-ws`) at `/graphql`, liveness at
//! `/health/live`, readiness at `/health/ready`, metrics at `/metrics`.
//!
//! The transport rules (media types, methods, limits) are in [`transport`].

mod meta;
pub mod transport;
pub mod wire;

pub use meta::RequestMeta;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, ObjectType, Schema, SubscriptionType};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;
use tracing::Instrument;

use crate::auth::{Unauthenticated, Verifier, bearer};
use crate::context::{RequestContext, Subsystem};
use crate::metrics::Metrics;
use crate::names::StrEnum;

/// Adds per-request data (dataloaders, the context's derived values) for a request
/// whose token verified, given who is asking and what the transport received (headers,
/// peer): once per HTTP request and once per WebSocket connection alike.
pub type RequestDataHook = Arc<dyn Fn(&RequestContext, &RequestMeta, &mut Data) + Send + Sync>;
/// Checks that the service can serve (its store answers).
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// A subgraph ready to be served.
pub struct SubgraphApp<Q, M, S> {
    /// The subgraph's name (for logs and metrics).
    pub name: &'static str,
    /// Its executable schema.
    pub schema: Schema<Q, M, S>,
    /// Per-request data.
    pub request_data: RequestDataHook,
    /// Readiness probe.
    pub readiness: ReadinessCheck,
}

impl<Q, M, S> SubgraphApp<Q, M, S> {
    /// The subsystem whose roles this subgraph requires: the one its `name` names.
    pub fn subsystem(&self) -> Option<Subsystem> {
        Subsystem::parse(self.name)
    }
}

struct AppState<Q, M, S> {
    app: SubgraphApp<Q, M, S>,
    metrics: Metrics,
    verifier: Arc<Verifier>,
    limits: transport::ServerLimits,
}

/// Why a subgraph's HTTP router could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The metrics registry refused a metric.
    #[error("cannot register the metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The token settings in the environment are invalid.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
}

/// The axum router of a subgraph, verifying tokens with keys from the issuer's
/// JWKS URL ([`Verifier::from_env`], `PROMPTSALES_JWKS_URL`).
pub fn router<Q, M, S>(app: SubgraphApp<Q, M, S>) -> Result<axum::Router, SetupError>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    router_with(app, Arc::new(Verifier::from_env()?))
}

/// The axum router of a subgraph, verifying tokens with `verifier`, with the transport
/// limits of the environment ([`transport::ServerLimits::from_env`]).
pub fn router_with<Q, M, S>(
    app: SubgraphApp<Q, M, S>,
    verifier: Arc<Verifier>,
) -> Result<axum::Router, SetupError>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    router_with_limits(app, verifier, transport::ServerLimits::from_env()?)
}

/// The axum router of a subgraph, verifying tokens with `verifier`, within `limits`.
pub fn router_with_limits<Q, M, S>(
    app: SubgraphApp<Q, M, S>,
    verifier: Arc<Verifier>,
    limits: transport::ServerLimits,
) -> Result<axum::Router, SetupError>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;
    use tower_http::trace::TraceLayer;

    let metrics = Metrics::new(app.name)?;
    let state = Arc::new(AppState {
        app,
        metrics,
        verifier,
        limits,
    });
    Ok(axum::Router::new()
        .route(
            "/graphql",
            get(graphql_get::<Q, M, S>)
                .post(graphql_post::<Q, M, S>)
                .fallback(graphql_other_method),
        )
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready::<Q, M, S>))
        .route("/metrics", get(metrics_text::<Q, M, S>))
        .fallback(not_found)
        .with_state(state)
        // Outermost last: every answer, the layers' own refusals included, leaves as JSON.
        .layer(RequestBodyLimitLayer::new(limits.max_body_size))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::from_fn(transport::json_errors))
        .layer(TraceLayer::new_for_http()))
}

/// Routes a subgraph serves beside its GraphQL endpoint (the issuer's OAuth endpoints, the
/// platforms' webhook), within the same `limits`; merge the result into [`router_with_limits`]'s.
///
/// Layers apply only to the routes present when they are added, so routes merged after the
/// GraphQL router was built would otherwise run with axum's own 2 MB body limit, no timeout
/// and plain-text refusals. The body limit is set for the extractors (`Form`, `Json`,
/// `Bytes`) rather than by refusing on `Content-Length`, so a handler that answers an
/// oversized body itself keeps its own shape (RFC 6749 for the token endpoint); what a
/// handler leaves as plain text becomes JSON with a code, as on `/graphql`.
pub fn beside(routes: axum::Router, limits: &transport::ServerLimits) -> axum::Router {
    use tower_http::timeout::TimeoutLayer;
    use tower_http::trace::TraceLayer;

    routes
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body_size))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::from_fn(transport::json_errors))
        .layer(TraceLayer::new_for_http())
}

async fn not_found() -> Response {
    transport::error_response(
        StatusCode::NOT_FOUND,
        transport::NOT_FOUND,
        "no such path; GraphQL is served at /graphql",
    )
}

async fn graphql_other_method() -> Response {
    let mut response = transport::error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        transport::METHOD_NOT_ALLOWED,
        "GraphQL requests are GET or POST",
    );
    response.headers_mut().insert(
        header::ALLOW,
        axum::http::HeaderValue::from_static("GET, POST"),
    );
    response
}

/// Serves `router` on `listen` until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    listen: SocketAddr,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    serve_on(listener, router, shutdown).await
}

/// Serves `router` on an already bound listener (tests bind port 0 first), with the
/// peer address as `ConnectInfo<SocketAddr>` (what [`RequestMeta::peer`] reads) and
/// hyper's own refusals of unparsable requests answered as JSON ([`wire`]).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    wire::serve_json_refusals(listener, router, wire::graphql_refusal, shutdown).await
}

/// The peer a request came from, when the server records it ([`serve_on`] does).
fn peer_of(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer)
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM.
///
/// The handlers are registered when this is called, not when the future is
/// first polled, so a signal that arrives in between is not lost (and does not
/// kill the process with the default action). Call it inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => futures::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => futures::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = term => {},
                () = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

async fn graphql_get<Q, M, S>(State(state): State<Arc<AppState<Q, M, S>>>, req: Request) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let is_upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        return websocket(state, req).await;
    }
    graphql_http(state, req).await
}

async fn graphql_post<Q, M, S>(
    State(state): State<Arc<AppState<Q, M, S>>>,
    req: Request,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    graphql_http(state, req).await
}

async fn graphql_http<Q, M, S>(state: Arc<AppState<Q, M, S>>, req: Request) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let media = transport::ResponseMedia::negotiate(&parts.headers);
    let request = match transport::read_request(
        &state.limits,
        &parts.method,
        &parts.headers,
        parts.uri.query(),
        body,
    )
    .await
    {
        Ok(request) => request,
        // Not an operation: nothing ran, so nothing is observed.
        Err(refusal) => return refusal.into_response(),
    };
    let meta = RequestMeta::new(parts.headers, peer_of(&parts.extensions));
    let mut response = execute(&state, meta, request).await;
    // The router's response cache reads the hint (and the tags) from the extensions.
    crate::cache_hints::annotate(&mut response);
    state
        .metrics
        .observe(response.errors.is_empty(), started.elapsed().as_secs_f64());
    transport::graphql_response(response, media)
}

async fn execute<Q, M, S>(
    state: &AppState<Q, M, S>,
    meta: RequestMeta,
    mut request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    // Identity comes from the verified token only; no other header counts.
    let verified = match bearer::from_headers(meta.headers()) {
        Ok(Some(token)) => state.verifier.context(&token).await.inspect_err(|e| {
            tracing::debug!(reason = %e, "token refused");
        }),
        Ok(None) => Err(crate::auth::TokenError::Missing),
        Err(e) => Err(e),
    };
    match verified {
        Ok(context) => execute_with_meta(&state.app, context, meta, request).await,
        Err(e) => {
            request.data.insert(meta);
            execute_unauthenticated(&state.app, Unauthenticated(e), request).await
        }
    }
}

/// Executes `request` without an identity: only schema questions (introspection,
/// `_service`) are answered; anything else is `UNAUTHENTICATED` with `why`.
pub async fn execute_unauthenticated<Q, M, S>(
    app: &SubgraphApp<Q, M, S>,
    why: Unauthenticated,
    mut request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    request.data.insert(why);
    if let Some(subsystem) = app.subsystem() {
        request.data.insert(subsystem);
    }
    app.schema.execute(request).await
}

/// Executes `request` on `app` as the identity `context`, with no headers and no
/// peer (what tests call). The kit's access guard still applies: the context needs
/// the subgraph's subsystem role.
pub async fn execute_as<Q, M, S>(
    app: &SubgraphApp<Q, M, S>,
    context: RequestContext,
    request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    execute_with_meta(app, context, RequestMeta::default(), request).await
}

/// Executes `request` on `app` as the identity `context`, received with `meta`
/// (what the HTTP handler does after verifying the token).
pub async fn execute_with_meta<Q, M, S>(
    app: &SubgraphApp<Q, M, S>,
    context: RequestContext,
    meta: RequestMeta,
    mut request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let span = tracing::info_span!(
        "graphql",
        service = app.name,
        operation = request.operation_name.as_deref().unwrap_or(""),
        organization = ?context.organization,
    );
    (app.request_data)(&context, &meta, &mut request.data);
    request.data.insert(meta);
    request.data.insert(context);
    if let Some(subsystem) = app.subsystem() {
        request.data.insert(subsystem);
    }
    // Entities the caller cannot see are reported at their `_entities` index.
    request
        .data
        .insert(crate::entity_errors::EntityIndex::default());
    app.schema.execute(request).instrument(span).await
}

async fn websocket<Q, M, S>(state: Arc<AppState<Q, M, S>>, req: Request) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let (mut parts, _body) = req.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(p) => p,
        Err(status) => return status.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let schema = state.app.schema.clone();
    let request_data = state.app.request_data.clone();
    let subsystem = state.app.subsystem();
    let verifier = state.verifier.clone();
    let peer = peer_of(&parts.extensions);
    let upgrade_headers = parts.headers;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let mut data = Data::default();
                    if let Some(subsystem) = subsystem {
                        data.insert(subsystem);
                    }
                    let meta = RequestMeta::for_connection(&upgrade_headers, &payload, peer);
                    match token_for_connection(&upgrade_headers, &payload) {
                        // No token: the connection opens, and each operation but
                        // introspection is refused as UNAUTHENTICATED by the guard.
                        Ok(None) => data.insert(Unauthenticated(crate::auth::TokenError::Missing)),
                        Ok(Some(token)) => {
                            // A token that fails verification refuses the connection itself.
                            let context = verifier
                                .context(&token)
                                .await
                                .map_err(|e| async_graphql::Error::new(e.to_string()))?;
                            request_data(&context, &meta, &mut data);
                            data.insert(context);
                        }
                        Err(e) => return Err(async_graphql::Error::new(e.to_string())),
                    }
                    data.insert(meta);
                    Ok(data)
                })
                .serve()
        })
}

/// The bearer token of a WebSocket connection: from the `connection_init`
/// payload, else from the upgrade request's `Authorization` header.
///
/// The router forwards a subscriber's headers in the payload (its subgraph
/// WebSocket client sets no headers on the upgrade), as top-level fields named
/// like headers; browser clients often send them under `headers`. Both count.
/// Nothing else in the payload or the headers says who the caller is.
pub fn token_for_connection(
    headers: &HeaderMap,
    payload: &serde_json::Value,
) -> Result<Option<String>, crate::auth::TokenError> {
    match bearer::from_connection_payload(payload)? {
        Some(token) => Ok(Some(token)),
        None => bearer::from_headers(headers),
    }
}

async fn ready<Q, M, S>(State(state): State<Arc<AppState<Q, M, S>>>) -> Response {
    match (state.app.readiness)().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
        }
    }
}

async fn metrics_text<Q, M, S>(State(state): State<Arc<AppState<Q, M, S>>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// The readiness check of a sea-orm store: a ping.
pub fn db_readiness(db: sea_orm::DatabaseConnection) -> ReadinessCheck {
    Arc::new(move || {
        let db = db.clone();
        Box::pin(async move { db.ping().await.map_err(|e| e.to_string()) })
    })
}

#[cfg(test)]
mod tests;
