//! The HTTP server every subgraph runs: GraphQL over GET, POST and
//! WebSocket (`graphql-transport-ws`) at `/graphql`, liveness at
//! `/health/live`, readiness at `/health/ready`, metrics at `/metrics`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, ObjectType, Schema, ServerError, SubscriptionType};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{FromRequest, FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;
use tracing::Instrument;

use crate::context::RequestContext;
use crate::metrics::Metrics;

/// Adds per-request data (dataloaders, the context's derived values) for a request.
pub type RequestDataHook = Arc<dyn Fn(&RequestContext, &mut Data) + Send + Sync>;
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

struct AppState<Q, M, S> {
    app: SubgraphApp<Q, M, S>,
    metrics: Metrics,
}

/// The axum router of a subgraph.
pub fn router<Q, M, S>(app: SubgraphApp<Q, M, S>) -> Result<axum::Router, prometheus::Error>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let metrics = Metrics::new(app.name)?;
    let state = Arc::new(AppState { app, metrics });
    Ok(axum::Router::new()
        .route(
            "/graphql",
            get(graphql_get::<Q, M, S>).post(graphql_post::<Q, M, S>),
        )
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready::<Q, M, S>))
        .route("/metrics", get(metrics_text::<Q, M, S>))
        .with_state(state))
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

/// Serves `router` on an already bound listener (tests bind port 0 first).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
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

fn request_error(message: String, code: &str) -> async_graphql::Response {
    let mut error = ServerError::new(message, None);
    crate::extension::ensure_code(&mut error, code);
    async_graphql::Response::from_errors(vec![error])
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
    let headers = req.headers().clone();
    let response =
        match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
            req,
            &(),
        )
        .await
        {
            Err(rejection) => {
                // A body that is not a GraphQL request still gets a GraphQL error, with a code.
                let response = request_error(
                    format!("not a GraphQL request: {}", rejection.0),
                    "BAD_REQUEST",
                );
                return (StatusCode::BAD_REQUEST, GraphQLResponse::from(response)).into_response();
            }
            Ok(request) => execute(&state, &headers, request.into_inner()).await,
        };
    state
        .metrics
        .observe(response.errors.is_empty(), started.elapsed().as_secs_f64());
    GraphQLResponse::from(response).into_response()
}

async fn execute<Q, M, S>(
    state: &AppState<Q, M, S>,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let context = match RequestContext::from_headers(headers) {
        Ok(c) => c,
        Err(e) => return request_error(e.message(), e.code()),
    };
    execute_as(&state.app, context, request).await
}

/// Executes `request` on `app` as the identity `context` (what the HTTP handler does, and what tests call).
pub async fn execute_as<Q, M, S>(
    app: &SubgraphApp<Q, M, S>,
    context: RequestContext,
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
    (app.request_data)(&context, &mut request.data);
    request.data.insert(context);
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
    let upgrade_headers = parts.headers;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let context = context_for_connection(upgrade_headers, &payload)
                        .map_err(|e| async_graphql::Error::new(e.message()))?;
                    let mut data = Data::default();
                    request_data(&context, &mut data);
                    data.insert(context);
                    Ok(data)
                })
                .serve()
        })
}

/// The identity of a WebSocket connection: the upgrade request's headers, overlaid
/// with those of the `connection_init` payload.
///
/// The router forwards a subscriber's headers in the payload (its subgraph
/// WebSocket client sets no headers on the upgrade), as top-level fields named
/// like headers; browser clients often send them under `headers`. Both count.
pub fn context_for_connection(
    mut headers: HeaderMap,
    payload: &serde_json::Value,
) -> Result<RequestContext, crate::ApiError> {
    let fields = payload.as_object().into_iter().flatten();
    let nested = payload
        .get("headers")
        .and_then(|h| h.as_object())
        .into_iter()
        .flatten();
    for (name, value) in fields.chain(nested) {
        let (Some(value), Ok(name)) = (
            value.as_str(),
            axum::http::HeaderName::try_from(name.as_str()),
        ) else {
            continue;
        };
        if let Ok(value) = axum::http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    RequestContext::from_headers(&headers)
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
