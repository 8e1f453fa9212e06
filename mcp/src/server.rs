//! The MCP server: lists the tools a caller may use, runs them on the router.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, Implementation,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig,
    SubscriptionFilter, Tool, ToolAnnotations,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, RwLock, broadcast};
use tracing::Instrument;

use crate::builtin;
use crate::config::Config;
use crate::error::McpError;
use crate::graph::GraphClient;
use crate::identity::{Caller, ServiceCredential, Verifier};
use crate::operations::{self, OperationTool};
use crate::results::{self, tool_error};
use crate::schema::{OperationKind, SchemaIndex};

/// The schema and the operation tools of one load.
#[derive(Debug)]
pub struct Catalog {
    /// The supergraph.
    pub index: Arc<SchemaIndex>,
    /// The operation tools, sorted by name.
    pub operations: Vec<OperationTool>,
}

/// Where the callers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One local client; the adapter's own service credential.
    Stdio,
    /// Many clients, each with its bearer token (checked by the HTTP layer).
    Http,
}

/// What every session shares.
#[derive(Debug)]
pub struct Shared {
    /// The settings.
    pub config: Config,
    catalog: RwLock<Arc<Catalog>>,
    graph: GraphClient,
    /// Verifies tokens (HTTP bearers and the service credential's token).
    pub verifier: Verifier,
    credential: Option<ServiceCredential>,
    changes: broadcast::Sender<()>,
    legacy_peers: Mutex<Vec<Peer<RoleServer>>>,
}

impl Shared {
    /// Loads the schema and the operations.
    pub fn new(config: Config) -> Result<Arc<Self>, McpError> {
        let catalog = load_catalog(&config)?;
        let graph = GraphClient::new(config.router_url.clone(), config.router_timeout)?;
        let verifier = Verifier::new(
            config.jwks_url.clone(),
            config.issuer.clone(),
            config.audience.clone(),
        );
        let credential = config.client.as_ref().map(|(id, secret)| {
            ServiceCredential::new(config.token_url.clone(), id.clone(), secret.clone())
        });
        let (changes, _) = broadcast::channel(16);
        Ok(Arc::new(Self {
            config,
            catalog: RwLock::new(Arc::new(catalog)),
            graph,
            verifier,
            credential,
            changes,
            legacy_peers: Mutex::new(Vec::new()),
        }))
    }

    /// The current catalog.
    pub async fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().await.clone()
    }

    /// Loads the catalog again and tells every connected client the tool list changed.
    pub async fn reload(&self) -> Result<usize, McpError> {
        let catalog = load_catalog(&self.config)?;
        let count = catalog.operations.len();
        *self.catalog.write().await = Arc::new(catalog);
        let _ = self.changes.send(());
        let mut peers = self.legacy_peers.lock().await;
        let mut alive = Vec::with_capacity(peers.len());
        for peer in peers.drain(..) {
            if peer.notify_tool_list_changed().await.is_ok() {
                alive.push(peer);
            }
        }
        *peers = alive;
        Ok(count)
    }
}

/// Reads the supergraph and the operation files (bad files are logged and skipped).
pub fn load_catalog(config: &Config) -> Result<Catalog, McpError> {
    let sdl = match &config.supergraph {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| McpError::Schema(format!("{}: {e}", path.display())))?,
        None => crate::config::BUILT_SUPERGRAPH.to_string(),
    };
    let index = SchemaIndex::parse(&sdl)?;
    let (operations, problems) = match &config.operations_dir {
        Some(dir) => operations::load_dir(&index, dir),
        None => operations::load_embedded(&index),
    };
    for problem in problems {
        tracing::warn!(%problem, "operation file skipped");
    }
    Ok(Catalog {
        index: Arc::new(index),
        operations,
    })
}

/// The server handler of one session.
#[derive(Debug, Clone)]
pub struct Adapter {
    shared: Arc<Shared>,
    transport: Transport,
}

impl Adapter {
    /// A handler over the shared state.
    pub fn new(shared: Arc<Shared>, transport: Transport) -> Self {
        Self { shared, transport }
    }

    /// Who is calling: the verified bearer (HTTP) or the service credential (stdio).
    async fn caller(&self, context: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
        match self.transport {
            Transport::Http => context
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Caller>())
                .cloned()
                .ok_or_else(|| ErrorData::invalid_request("no verified caller", None)),
            Transport::Stdio => match &self.shared.credential {
                Some(credential) => credential
                    .caller(&self.shared.verifier)
                    .await
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None)),
                None if !self.shared.config.auth => Ok(crate::http::development_caller()),
                // No credential: only the schema tools, which need no identity.
                None => Ok(Caller::default()),
            },
        }
    }

    /// Every tool this caller may see, sorted by name.
    async fn visible_tools(&self, caller: &Caller) -> Vec<Tool> {
        let catalog = self.shared.catalog().await;
        let mut tools = builtin::tools(self.shared.config.allow_execute);
        for op in catalog.operations.iter().filter(|op| caller.may(&op.roles)) {
            tools.push(self.tool_of(op));
        }
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    fn tool_of(&self, op: &OperationTool) -> Tool {
        let mut description = op.description.clone();
        let annotations = match op.kind {
            OperationKind::Query => ToolAnnotations::new()
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
            OperationKind::Mutation => {
                if !self.shared.config.allow_mutations {
                    description.push_str(
                        "\n(Disabled: mutations are off on this adapter; calling it is refused.)",
                    );
                }
                ToolAnnotations::new()
                    .read_only(false)
                    .destructive(false)
                    .idempotent(false)
                    .open_world(false)
            }
        };
        let input = op.input_schema.as_object().cloned().unwrap_or_default();
        let output = results::output_schema(Some(&op.data_schema))
            .as_object()
            .cloned()
            .unwrap_or_default();
        Tool::new(op.name.clone(), description, Arc::new(input))
            .with_raw_output_schema(Arc::new(output))
            .with_annotations(annotations)
    }

    async fn run(&self, caller: &Caller, name: &str, args: Map<String, Value>) -> CallToolResult {
        let catalog = self.shared.catalog().await;
        let max = self.shared.config.max_result_bytes;
        match name {
            builtin::SEARCH => return builtin::search(&catalog.index, &args, max),
            builtin::INTROSPECT => return builtin::introspect(&catalog.index, &args, max),
            builtin::VALIDATE => {
                let limits = self.shared.config.document_limits;
                let catalog = catalog.clone();
                return self
                    .blocking(move || builtin::validate(&catalog.index, &args, max, &limits))
                    .await
                    .unwrap_or_else(|refusal| refusal);
            }
            builtin::EXECUTE => {
                let limits = self.shared.config.document_limits;
                let allow_mutations = self.shared.config.allow_mutations;
                let catalog = catalog.clone();
                let owned_caller = caller.clone();
                let prepared = self
                    .blocking(move || {
                        builtin::prepare_execute(
                            &catalog.index,
                            &owned_caller,
                            allow_mutations,
                            &args,
                            &limits,
                        )
                    })
                    .await
                    .and_then(|prepared| prepared);
                return match prepared {
                    Ok(prepared) => {
                        self.send(
                            caller,
                            &prepared.document,
                            Some(&prepared.operation_name),
                            prepared.variables,
                        )
                        .await
                    }
                    Err(refusal) => refusal,
                };
            }
            _ => {}
        }
        let Some(op) = catalog.operations.iter().find(|op| op.name == name) else {
            return tool_error(format!("no tool {name}"));
        };
        if op.kind == OperationKind::Mutation && !self.shared.config.allow_mutations {
            return tool_error(format!(
                "refused: {name} is a mutation and mutations are disabled on this adapter \
                 (an operator enables them with PROMPTSALES_MCP_ALLOW_MUTATIONS=true)"
            ));
        }
        let variables = match crate::args::check(&catalog.index, &op.variables, &args) {
            Ok(v) => v,
            Err(message) => return tool_error(message),
        };
        self.send(caller, &op.document, Some(&op.name), variables)
            .await
    }

    /// Runs CPU-bound document work off the async workers, within the tool deadline.
    ///
    /// The document limits bound its cost before it starts; the deadline answers the client
    /// even so, and when the client goes away the request future (and this wait) is dropped.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CallToolResult> {
        let deadline = self.shared.config.tool_deadline;
        match tokio::time::timeout(deadline, tokio::task::spawn_blocking(work)).await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(join)) => {
                tracing::error!(error = %join, "a document tool failed");
                Err(tool_error("the document could not be processed"))
            }
            Err(_) => Err(tool_error(format!(
                "the document took longer than {} s to process; simplify it",
                deadline.as_secs()
            ))),
        }
    }

    async fn send(
        &self,
        caller: &Caller,
        document: &str,
        operation_name: Option<&str>,
        variables: Map<String, Value>,
    ) -> CallToolResult {
        match self
            .shared
            .graph
            .execute(caller, document, operation_name, variables)
            .await
        {
            Ok(response) => results::from_response(response, self.shared.config.max_result_bytes),
            Err(e) => {
                tracing::warn!(error = %e, "router call failed");
                tool_error(format!(
                    "the graph could not be reached, try again later ({e})"
                ))
            }
        }
    }
}

/// Encodes a page cursor: the last tool name of the page (stable across reloads).
fn cursor_after(name: &str) -> String {
    URL_SAFE_NO_PAD.encode(name.as_bytes())
}

fn decode_cursor(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

impl ServerHandler for Adapter {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new(
            "promptsales-mcp",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "PromptSales: marketing content, ads, CRM leads and campaigns. Each tool runs one \
             GraphQL operation as you; searchSchema and introspectType explore the graph.",
        )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Owned(vec![
            ProtocolVersion::V_2025_06_18,
            ProtocolVersion::V_2025_11_25,
            ProtocolVersion::V_2026_07_28,
        ])
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // Sessions that began with `initialize` get list-changed notifications on their peer.
        let mut peers = self.shared.legacy_peers.lock().await;
        // Forget sessions that ended, so a long-running adapter does not accumulate them.
        peers.retain(|peer| !peer.is_transport_closed());
        peers.push(context.peer);
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        (requested.tools_list_changed == Some(true))
            .then(|| SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.shared.changes.subscribe();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                change = changes.recv() => match change {
                    Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        if context.sink().notify_tool_list_changed().await.is_err() {
                            return Ok(());
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
            }
        }
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = self.caller(&context).await?;
        let tools = self.visible_tools(&caller).await;
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(cursor) => {
                let after = decode_cursor(&cursor)
                    .ok_or_else(|| ErrorData::invalid_params("invalid cursor", None))?;
                tools.partition_point(|t| t.name.as_ref() <= after.as_str())
            }
        };
        let page_size = self.shared.config.page_size;
        let page: Vec<Tool> = tools.iter().skip(start).take(page_size).cloned().collect();
        let mut result = ListToolsResult::with_all_items(page);
        if start + page_size < tools.len()
            && let Some(last) = result.tools.last()
        {
            result.next_cursor = Some(cursor_after(&last.name));
        }
        // The list depends on the caller's roles: only the caller may cache it.
        Ok(result.with_cache_scope(CacheScope::Private).with_ttl_ms(0))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = self.caller(&context).await?;
        let visible = self.visible_tools(&caller).await;
        // A tool the caller may not see is as unknown as one that does not exist.
        if !visible.iter().any(|t| t.name == request.name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        }
        let args = request.arguments.unwrap_or_default();
        let span = tracing::info_span!("tool", name = %request.name);
        Ok(self
            .run(&caller, &request.name, args)
            .instrument(span)
            .await
            .into())
    }
}
