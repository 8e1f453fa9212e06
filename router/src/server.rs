//! The router's HTTP server: Hive Router's `router_entrypoint` with JSON answers to
//! requests ntex cannot parse.
//!
//! ntex answers what its HTTP/1 decoder refuses (a NUL byte in the path, two different
//! `Content-Length`s, headers or a URI over its buffer, bytes that are not HTTP, an unknown
//! version, a head that never completes) itself, with an empty 400, 431 or 408, before any
//! service or plugin sees a request. It lets the connection's control service shape that
//! answer (`h1::Control::Disconnect(Reason::ProtocolError)`, `fail_with`), but only on an
//! `HttpService` built by hand, and Hive Router 0.2.19 builds its server inside
//! `router_entrypoint` with ntex's `web::HttpServer`, which always uses the default control
//! service. So [`serve`] is `router_entrypoint` itself (the same config loading, telemetry,
//! app, middlewares, state and routes, in the same order), starting the app on an
//! `HttpService` with [`JsonProtocolErrors`] as its control service.
//!
//! Two differences besides the control service: a path no route serves answers a JSON 404
//! (`NOT_FOUND`) instead of Hive's landing page (which loads scripts from CDNs), and the
//! version banner names this build. Hive Router is pinned (`=0.2.19`): an upgrade must
//! compare its `router_entrypoint` with [`serve`].

use std::io;
use std::sync::Mutex;

use hive_router::background_tasks::{BackgroundTask, BackgroundTasksManager, CancellationToken};
use hive_router::config::load_config;
use hive_router::config::subscriptions::CallbackConfig;
use hive_router::error::RouterInitError;
use hive_router::ntex::http::h1::control::Reason;
use hive_router::ntex::http::h1::{Control, ControlAck};
use hive_router::ntex::http::{HttpService, Response, ResponseError, StatusCode};
use hive_router::ntex::io::Filter;
use hive_router::ntex::web::{self, HttpResponse};
use hive_router::ntex::{Service, ServiceCtx, ServiceFactory, SharedCfg};
use hive_router::pipeline::long_lived_client_limit::LongLivedClientLimitService;
use hive_router::pipeline::request_identifiers::RequestIdentifiersService;
use hive_router::pipeline::request_summary::RequestSummaryService;
use hive_router::pipeline::response_compression::ResponseCompressionService;
use hive_router::plugins::plugins_service::PluginService;
use hive_router::telemetry::Telemetry;
use hive_router::{
    PluginRegistry, RouterPaths, add_callback_handler, async_trait, build_http_service_config,
    configure_app_from_config, configure_ntex_app, invoke_shutdown_hooks, tls,
};
use tracing::info;

/// Code of every refusal of a request that is not valid HTTP (as the subgraphs answer it).
pub const BAD_REQUEST: &str = "BAD_REQUEST";

/// Code of a path no route serves.
pub const NOT_FOUND: &str = "NOT_FOUND";

/// Name of the router's listening service in ntex's server (its config is set by that name).
const SERVICE_NAME: &str = "promptsales-router";

/// The body of a refusal with `status`: a GraphQL error with a stable `extensions.code`.
pub fn refusal_body(status: StatusCode) -> String {
    let (message, code) = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("the request's headers or URI are too large", BAD_REQUEST)
        }
        StatusCode::REQUEST_TIMEOUT => ("the request did not arrive in time", BAD_REQUEST),
        StatusCode::NOT_FOUND => ("no such path", NOT_FOUND),
        status if status.is_server_error() => {
            ("the answer could not be written", "INTERNAL_SERVER_ERROR")
        }
        _ => (
            "the request is not valid HTTP (its method, path, version or headers)",
            BAD_REQUEST,
        ),
    };
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
        .to_string()
}

fn refusal(status: StatusCode) -> Response {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(refusal_body(status))
}

/// ntex's HTTP/1 control service, except that a protocol error (a request ntex cannot
/// parse) is answered with ntex's status and a JSON body with a code; every other control
/// message gets ntex's default handling.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonProtocolErrors;

impl<F, Err> ServiceFactory<Control<F, Err>, SharedCfg> for JsonProtocolErrors
where
    F: Filter,
    Err: ResponseError,
{
    type Response = ControlAck<F>;
    type Error = io::Error;
    type Service = JsonProtocolErrors;
    type InitError = io::Error;

    async fn create(&self, _: SharedCfg) -> Result<Self::Service, Self::InitError> {
        Ok(JsonProtocolErrors)
    }
}

impl<F, Err> Service<Control<F, Err>> for JsonProtocolErrors
where
    F: Filter,
    Err: ResponseError,
{
    type Response = ControlAck<F>;
    type Error = io::Error;

    async fn call(
        &self,
        message: Control<F, Err>,
        _: ServiceCtx<'_, Self>,
    ) -> Result<Self::Response, Self::Error> {
        Ok(match message {
            Control::Disconnect(Reason::ProtocolError(error)) => {
                // ntex's own status for it (400, 431, 408), with a body a client can read.
                let status = error.err().error_response().status();
                tracing::debug!(%status, error = %error.err(), "request refused by the HTTP decoder");
                error.fail_with(refusal(status))
            }
            other => other.ack(),
        })
    }
}

/// Stops the dedicated callback server with the router (Hive's own, private).
struct CallbackServer(Mutex<Option<hive_router::ntex::server::Server>>);

#[async_trait]
impl BackgroundTask for CallbackServer {
    fn id(&self) -> &str {
        "callback_server"
    }

    async fn run(&self, token: CancellationToken) {
        token.cancelled().await;
        let server = self.0.lock().ok().and_then(|mut server| server.take());
        if let Some(server) = server {
            server.stop(true).await;
        }
    }
}

/// Hive Router's `router_entrypoint` (0.2.19) with [`JsonProtocolErrors`]: loads the config
/// from `ROUTER_CONFIG_FILE_PATH`, serves until a signal stops the server, then shuts down.
pub async fn serve(plugin_registry: PluginRegistry) -> Result<(), RouterInitError> {
    let config_path = std::env::var("ROUTER_CONFIG_FILE_PATH").ok();
    let router_config = load_config(config_path)?.into_static();
    let telemetry = Telemetry::init_global(router_config)?;
    for warning in router_config.from_env_warnings() {
        info!("{warning}");
    }
    let prometheus = telemetry
        .prometheus
        .as_ref()
        .and_then(|prom| prom.to_attached());
    info!("promptsales-router (hive-router 0.2.19) starting...");
    let addr = router_config.address();
    let graphql_path = router_config.graphql_path().to_string();
    let websocket_path = router_config.websocket_path().map(|p| p.to_string());
    let callback_conf = router_config.callback_conf().cloned();
    let workers = router_config.workers();
    let mut bg_tasks_manager = BackgroundTasksManager::new();
    let (shared_state, schema_state) = configure_app_from_config(
        router_config,
        telemetry.context.clone(),
        &mut bg_tasks_manager,
        plugin_registry,
    )
    .await?;

    let shared_state_clone = shared_state.clone();
    let callback_subscriptions_for_handler = schema_state.callback_subscriptions.clone();

    // With `listen`, the callback route lives on a server of its own; otherwise on the main
    // one at the callback path.
    let callback_path = match callback_conf {
        Some(CallbackConfig {
            listen: Some(listen),
            ref path,
            ..
        }) => {
            let cb_path = path.to_string();
            let cb_addr = listen.to_string();
            let cb_subs = callback_subscriptions_for_handler.clone();
            let cb_telemetry_context = shared_state.telemetry_context.clone();
            let mut cb_server_builder = web::HttpServer::new(async move || {
                let cb_subs = cb_subs.clone();
                let cb_path = cb_path.clone();
                let telemetry_context = cb_telemetry_context.clone();
                web::App::new()
                    .state(cb_subs)
                    .state(telemetry_context)
                    .configure(move |m| add_callback_handler(m, &cb_path))
            });
            if let Some(workers) = workers {
                cb_server_builder = cb_server_builder.workers(workers.get());
            }
            let cb_cfg = SharedCfg::new("HIVE_ROUTER_CALLBACK")
                .add(build_http_service_config(router_config));
            let cb_server = cb_server_builder
                .config(cb_cfg)
                .shutdown_timeout(router_config.shutdown_timeout())
                .bind(&cb_addr)
                .map_err(|err| RouterInitError::HttpCallbackServerBindError(cb_addr, err))?
                .run();
            bg_tasks_manager.register_task(CallbackServer(Mutex::new(Some(cb_server))));
            None
        }
        Some(ref cb) => Some(cb.path.to_string()),
        None => None,
    };

    let paths = RouterPaths::new(graphql_path.clone(), websocket_path, callback_path.clone());
    paths.detect_conflicts(&prometheus)?;

    let long_lived_client_limit_service =
        LongLivedClientLimitService::new(shared_state.router_config);
    let response_compression_service = ResponseCompressionService::new(shared_state.router_config);

    // The app of every worker, exactly as Hive builds it (see its `router_entrypoint`).
    let app = async move || {
        let prometheus = prometheus.clone();
        let paths_for_plugin = paths.clone();
        let callback_path = callback_path.clone();
        let paths = paths.clone();
        web::App::new()
            .middleware(long_lived_client_limit_service.clone())
            .middleware(PluginService::new(
                paths_for_plugin,
                prometheus.as_ref().map(|p| p.endpoint.clone()),
            ))
            .middleware(RequestSummaryService::new(&graphql_path))
            .middleware(RequestIdentifiersService)
            // Last: the outermost layer, the final one touching the response body.
            .middleware(response_compression_service.clone())
            .state(shared_state.clone())
            .state(schema_state.clone())
            .state(shared_state.telemetry_context.clone())
            .state(callback_subscriptions_for_handler.clone())
            .configure(|m| configure_ntex_app(m, &paths, prometheus))
            .configure(|m| {
                if let Some(callback) = &callback_path {
                    add_callback_handler(m, callback);
                }
            })
            .default_service(web::to(|| async { refusal(StatusCode::NOT_FOUND) }))
    };

    let cfg: SharedCfg = SharedCfg::new("HIVE_ROUTER")
        .add(build_http_service_config(router_config))
        .into();
    let mut server = hive_router::ntex::server::build();
    if let Some(workers) = workers {
        info!(workers_count = workers, "configuring HTTP server worker(s)");
        server = server.workers(workers.get());
    }
    server = server.shutdown_timeout(router_config.shutdown_timeout());

    let tls_config = shared_state_clone
        .router_config
        .traffic_shaping
        .router
        .tls
        .as_ref();
    let bound = match tls_config {
        Some(tls_config) => {
            let rustls_config = tls::build_rustls_config(tls_config)?;
            server.bind(SERVICE_NAME, &addr, async move |r| {
                r.config(cfg.clone());
                HttpService::new(app().await)
                    .h1_control(JsonProtocolErrors)
                    .rustls(rustls_config.clone())
            })
        }
        None => server.bind(SERVICE_NAME, &addr, async move |r| {
            r.config(cfg.clone());
            HttpService::new(app().await).h1_control(JsonProtocolErrors)
        }),
    };
    let maybe_error = bound
        .map_err(|err| RouterInitError::HttpServerBindError(addr.to_string(), err))?
        .run()
        .await
        .map_err(RouterInitError::HttpServerStartError);

    info!("router stopped, clearing background tasks");
    bg_tasks_manager.graceful_shutdown().await;
    telemetry.graceful_shutdown().await;

    invoke_shutdown_hooks(&shared_state_clone).await;

    maybe_error
}
