//! The MCP server: lists the tools a caller may use, runs them on the router; offers
//! prompts, resources, completions and log notifications.

// The protocol deprecated logging (SEP-2577) but 2025 clients still use it.
#![allow(deprecated)]

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams,
    CompleteResult, CompletionInfo, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
    PromptMessage, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Reference, ServerCapabilities, ServerConfig, SetLevelRequestParams,
    SubscriptionFilter, Tool,
};
use rmcp::service::{
    NotificationContext, RequestContext, SubscriptionContext, SubscriptionSendError,
};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, RwLock, broadcast};
use tracing::Instrument;

use crate::builtin;
use crate::config::Config;
use crate::error::McpError;
use crate::graph::GraphClient;
use crate::identity::{Caller, ServiceCredential, Verifier};
use crate::operations::{self, OperationTool};
use crate::results::{self, tool_error};
use crate::risk::{Policy, RiskClass};
use crate::schema::SchemaIndex;
use crate::supervision::{self, Outcome};

/// The schema and the operation tools of one load.
#[derive(Debug)]
pub struct Catalog {
    /// The supergraph.
    pub index: Arc<SchemaIndex>,
    /// The operation tools, sorted by name.
    pub operations: Vec<OperationTool>,
    /// The supergraph SDL (the `promptsales://schema` resource).
    pub sdl: Arc<str>,
    /// The operation files as written (file name, text), sorted by name: one resource each.
    pub files: Vec<(String, String)>,
}

/// Where the callers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One local client; the adapter's own service credential.
    Stdio,
    /// Many clients, each with its bearer token (checked by the HTTP layer).
    Http,
}

impl Transport {
    /// How the audit log names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
        }
    }
}

/// A tool call's result with what the audit log records of it.
struct Ran {
    result: CallToolResult,
    risk: RiskClass,
    outcome: Outcome,
    detail: Option<String>,
}

impl Ran {
    /// A read-only tool's result.
    fn read(result: CallToolResult) -> Self {
        Self::from_result(RiskClass::Read, result)
    }

    /// A result that ran (or failed to): a tool error is a failure.
    fn from_result(risk: RiskClass, result: CallToolResult) -> Self {
        let outcome = if result.is_error == Some(true) {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        };
        Self {
            result,
            risk,
            outcome,
            detail: None,
        }
    }
}

/// A list that changed, for the sessions listening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The tools (an operation file or the supergraph changed).
    Tools,
    /// The prompts (a prompt template changed).
    Prompts,
}

/// What every session shares.
#[derive(Debug)]
pub struct Shared {
    /// The settings.
    pub config: Config,
    catalog: RwLock<Arc<Catalog>>,
    graph: GraphClient,
    /// Answers `ask` (the MCP tool and the adapter's GraphQL `ask`).
    pub asker: crate::ask::Asker,
    /// Verifies tokens (HTTP bearers and the service credential's token).
    pub verifier: Verifier,
    credential: Option<ServiceCredential>,
    changes: broadcast::Sender<Change>,
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
            asker: crate::ask::Asker::from_env()?,
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

    /// Answers a question for `caller` (the `ask` tool and GraphQL field).
    pub async fn answer(&self, caller: &Caller, question: &str) -> crate::ask::Answer {
        let catalog = self.catalog().await;
        let today = chrono::Utc::now().date_naive();
        self.asker
            .ask(
                &self.graph,
                &catalog,
                &self.config.document_limits,
                caller,
                question,
                today,
            )
            .await
    }

    /// Loads the catalog again and tells every connected client the tool list changed.
    pub async fn reload(&self) -> Result<usize, McpError> {
        let catalog = load_catalog(&self.config)?;
        let count = catalog.operations.len();
        *self.catalog.write().await = Arc::new(catalog);
        self.announce(Change::Tools).await;
        Ok(count)
    }

    /// Tells every connected client that a list changed: sessions that began with
    /// `initialize` on their peer, 2026-07-28 clients through their open subscriptions.
    pub async fn announce(&self, change: Change) {
        let _ = self.changes.send(change);
        let mut peers = self.legacy_peers.lock().await;
        let mut alive = Vec::with_capacity(peers.len());
        for peer in peers.drain(..) {
            let sent = match change {
                Change::Tools => peer.notify_tool_list_changed().await,
                Change::Prompts => peer.notify_prompt_list_changed().await,
            };
            if sent.is_ok() {
                alive.push(peer);
            }
        }
        *peers = alive;
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
    // Only the files that gave tools are offered as resources (a skipped file is broken).
    let mut files: Vec<(String, String)> = match &config.operations_dir {
        Some(dir) => operations::read_dir_texts(dir),
        None => operations::EMBEDDED
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect(),
    };
    files.retain(|(name, _)| {
        operations.iter().any(|op| {
            std::path::Path::new(&op.source)
                .file_name()
                .is_some_and(|f| f.to_string_lossy() == *name)
        })
    });
    files.sort();
    Ok(Catalog {
        index: Arc::new(index),
        operations,
        sdl: Arc::from(sdl),
        files,
    })
}

/// The server handler of one session.
#[derive(Debug, Clone)]
pub struct Adapter {
    shared: Arc<Shared>,
    transport: Transport,
    /// The level `logging/setLevel` chose for this session (none: no log notifications).
    log_level: Arc<std::sync::Mutex<Option<LoggingLevel>>>,
}

impl Adapter {
    /// A handler over the shared state.
    pub fn new(shared: Arc<Shared>, transport: Transport) -> Self {
        Self {
            shared,
            transport,
            log_level: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// The level log notifications go out at for this request: the request's own
    /// (`io.modelcontextprotocol/logLevel` in `_meta`, 2026-07-28), else the session's.
    fn log_level(&self, context: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
        context
            .meta
            .log_level()
            .or_else(|| self.log_level.lock().ok().and_then(|level| *level))
    }

    /// Sends a log notification when `level` is at least the chosen one.
    async fn log(&self, context: &RequestContext<RoleServer>, level: LoggingLevel, data: Value) {
        let Some(threshold) = self.log_level(context) else {
            return;
        };
        if severity(level) < severity(threshold) {
            return;
        }
        let message = LoggingMessageNotificationParam::new(level, data).with_logger("promptsales");
        if let Err(e) = context.peer.notify_logging_message(message).await {
            tracing::debug!(error = %e, "a log notification could not be sent");
        }
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
        tools.push(crate::ask::tool::definition());
        for op in catalog.operations.iter().filter(|op| caller.may(&op.roles)) {
            tools.push(self.tool_of(op));
        }
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    fn tool_of(&self, op: &OperationTool) -> Tool {
        let mut description = op.description.clone();
        match self.shared.config.tool_policy.decide(&op.name, op.risk) {
            Policy::Run => {}
            Policy::Approve => description.push_str(&format!(
                "\n(Supervised, risk: {}: a call does not run it but asks a person to approve \
                 it; once approved, the same call with the same arguments runs it.)",
                op.risk
            )),
            Policy::Deny => description.push_str(&format!(
                "\n(Disabled, risk: {}: this adapter refuses it.)",
                op.risk
            )),
        }
        let annotations = op.risk.annotations();
        let input = op.input_schema.as_object().cloned().unwrap_or_default();
        let output = results::output_schema(Some(&op.data_schema))
            .as_object()
            .cloned()
            .unwrap_or_default();
        Tool::new(op.name.clone(), description, Arc::new(input))
            .with_raw_output_schema(Arc::new(output))
            .with_annotations(annotations)
    }

    /// Runs one tool call: its result, and what the audit log records of it.
    async fn run(&self, caller: &Caller, name: &str, args: Map<String, Value>) -> Ran {
        let catalog = self.shared.catalog().await;
        let max = self.shared.config.max_result_bytes;
        match name {
            builtin::SEARCH => return Ran::read(builtin::search(&catalog.index, &args, max)),
            crate::ask::tool::NAME => {
                return Ran::read(crate::ask::tool::call(&self.shared, caller, &args).await);
            }
            builtin::INTROSPECT => {
                return Ran::read(builtin::introspect(&catalog.index, &args, max));
            }
            builtin::VALIDATE => {
                let limits = self.shared.config.document_limits;
                let catalog = catalog.clone();
                return Ran::read(
                    self.blocking(move || builtin::validate(&catalog.index, &args, max, &limits))
                        .await
                        .unwrap_or_else(|refusal| refusal),
                );
            }
            builtin::EXECUTE => {
                let limits = self.shared.config.document_limits;
                let policy = self.shared.config.tool_policy.clone();
                let catalog = catalog.clone();
                let owned_caller = caller.clone();
                let prepared = self
                    .blocking(move || {
                        builtin::prepare_execute(
                            &catalog.index,
                            &owned_caller,
                            &policy,
                            &args,
                            &limits,
                        )
                    })
                    .await
                    .and_then(|prepared| prepared);
                return match prepared {
                    Ok(prepared) => Ran::from_result(
                        prepared.risk,
                        self.send(
                            caller,
                            &prepared.document,
                            Some(&prepared.operation_name),
                            prepared.variables,
                        )
                        .await,
                    ),
                    Err(refusal) => Ran::from_result(RiskClass::Read, refusal),
                };
            }
            _ => {}
        }
        let Some(op) = catalog.operations.iter().find(|op| op.name == name) else {
            return Ran::read(tool_error(format!("no tool {name}")));
        };
        let policy = self.shared.config.tool_policy.decide(&op.name, op.risk);
        if policy == Policy::Deny {
            return Ran {
                result: tool_error(if self.shared.config.allow_mutations {
                    format!(
                        "refused: {name} ({} risk) is disabled on this adapter by \
                         PROMPTSALES_MCP_TOOL_POLICY",
                        op.risk
                    )
                } else {
                    format!(
                        "refused: {name} writes and mutations are disabled on this adapter \
                         (an operator enables them with PROMPTSALES_MCP_ALLOW_MUTATIONS=true)"
                    )
                }),
                risk: op.risk,
                outcome: Outcome::Refused,
                detail: None,
            };
        }
        let variables = match crate::args::check(&catalog.index, &op.variables, &args) {
            Ok(v) => v,
            Err(message) => return Ran::from_result(op.risk, tool_error(message)),
        };
        if policy == Policy::Approve {
            return self.supervised(caller, op, variables).await;
        }
        Ran::from_result(
            op.risk,
            self.send(caller, &op.document, Some(&op.name), variables)
                .await,
        )
    }

    /// A call that needs a person's approval: it runs if the caller holds an approved request
    /// for exactly this call (used up by running it); otherwise it files one and says so.
    async fn supervised(
        &self,
        caller: &Caller,
        op: &OperationTool,
        variables: Map<String, Value>,
    ) -> Ran {
        let graph = &self.shared.graph;
        match supervision::use_approval(graph, caller, &op.name, &variables).await {
            Ok(Some(approved)) => {
                let mut ran = Ran::from_result(
                    op.risk,
                    self.send(caller, &op.document, Some(&op.name), variables)
                        .await,
                );
                ran.detail = Some(format!("approved request {approved}"));
                return ran;
            }
            Ok(None) => {}
            Err(e) => {
                return Ran::from_result(
                    op.risk,
                    tool_error(format!(
                        "not run: {} needs a person's approval and the approvals in sales \
                         could not be read ({e})",
                        op.name
                    )),
                );
            }
        }
        let summary = op
            .description
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        match supervision::request(graph, caller, &op.name, op.risk, &variables, &summary).await {
            Ok(filed) => {
                let message = format!(
                    "Not run yet: {} is a {} action, which never runs straight from an agent. \
                     Approval request {} is {} in sales: a person with the sales admin role \
                     approves or rejects it (resolveAgentAction). Once it is approved, call {} \
                     again with exactly the same arguments and it runs, once.",
                    op.name, op.risk, filed.id, filed.status, op.name
                );
                let mut result =
                    CallToolResult::success(vec![rmcp::model::ContentBlock::text(message.clone())]);
                result.structured_content = Some(json!({
                    "data": null,
                    "approval": {
                        "requestId": filed.id,
                        "status": filed.status,
                        "riskClass": op.risk.name(),
                        "message": message,
                    },
                }));
                Ran {
                    result,
                    risk: op.risk,
                    outcome: Outcome::ApprovalRequested,
                    detail: Some(format!("approval request {}", filed.id)),
                }
            }
            Err(e) => Ran::from_result(
                op.risk,
                tool_error(format!(
                    "not run: {} needs a person's approval and the request could not be filed \
                     in sales ({e})",
                    op.name
                )),
            ),
        }
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

/// The order of the protocol's levels (syslog's, mildest first).
fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
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
                .enable_logging()
                .enable_completions()
                .enable_prompts()
                .enable_prompts_list_changed()
                .enable_resources()
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
        let mut accepted = SubscriptionFilter::builder();
        let mut any = false;
        if requested.tools_list_changed == Some(true) {
            accepted = accepted.tools_list_changed();
            any = true;
        }
        if requested.prompts_list_changed == Some(true) {
            accepted = accepted.prompts_list_changed();
            any = true;
        }
        any.then(|| accepted.build())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.shared.changes.subscribe();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                change = changes.recv() => {
                    let sent = match change {
                        Ok(Change::Tools) => context.sink().notify_tool_list_changed().await,
                        Ok(Change::Prompts) => context.sink().notify_prompt_list_changed().await,
                        // Missed changes: say both lists may have changed.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let _ = context.sink().notify_prompt_list_changed().await;
                            context.sink().notify_tool_list_changed().await
                        }
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    };
                    // A category the client did not ask for is refused by the sink: not fatal.
                    match sent {
                        Ok(()) | Err(SubscriptionSendError::NotificationNotAccepted(_)) => {}
                        Err(_) => return Ok(()),
                    }
                }
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

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Ok(mut level) = self.log_level.lock() {
            *level = Some(request.level);
        }
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let caller = self.caller(&context).await?;
        let templates = crate::prompts::templates(&self.shared.graph, &caller)
            .await
            .map_err(|e| ErrorData::internal_error(format!("prompt templates: {e}"), None))?;
        let prompts = templates
            .iter()
            .map(crate::prompts::Template::prompt)
            .collect();
        // The templates are the caller's tenant's: only the caller may cache the list.
        Ok(ListPromptsResult::with_all_items(prompts)
            .with_cache_scope(CacheScope::Private)
            .with_ttl_ms(0))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let caller = self.caller(&context).await?;
        let templates = crate::prompts::templates(&self.shared.graph, &caller)
            .await
            .map_err(|e| ErrorData::internal_error(format!("prompt templates: {e}"), None))?;
        let Some(template) = templates.iter().find(|t| t.prompt_name() == request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt: {}", request.name),
                Some(json!({ "name": request.name })),
            ));
        };
        let arguments = request.arguments.unwrap_or_default();
        let text = template.fill(&arguments).map_err(|missing| {
            ErrorData::invalid_params(
                format!(
                    "prompt {} needs the arguments {}",
                    request.name,
                    missing.join(", ")
                ),
                Some(json!({ "missing": missing })),
            )
        })?;
        let mut result =
            GetPromptResult::new(vec![PromptMessage::new_text(rmcp::model::Role::User, text)]);
        result.description = template.prompt().description;
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let catalog = self.shared.catalog().await;
        Ok(ListResourcesResult::with_all_items(crate::resources::list(
            &catalog,
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            crate::resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let catalog = self.shared.catalog().await;
        match crate::resources::read(&catalog, &request.uri) {
            Some(contents) => Ok(ReadResourceResult::new(vec![contents]).into()),
            // -32602 with the URI, on every protocol version (2026-07-28's code for it).
            None => Err(ErrorData::invalid_params(
                format!("unknown resource: {}", request.uri),
                Some(json!({ "uri": request.uri })),
            )),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let typed = request.argument.value.as_str();
        let values: Vec<String> = match &request.r#ref {
            Reference::Resource(resource)
                if resource.uri == crate::resources::OPERATIONS_TEMPLATE =>
            {
                let catalog = self.shared.catalog().await;
                crate::resources::complete_file(&catalog, typed)
            }
            Reference::Prompt(prompt) => {
                let caller = self.caller(&context).await?;
                let templates = crate::prompts::templates(&self.shared.graph, &caller)
                    .await
                    .unwrap_or_default();
                let known = templates
                    .iter()
                    .find(|t| t.prompt_name() == prompt.name)
                    .is_some_and(|t| t.placeholders.contains(&request.argument.name));
                if known {
                    let catalog = self.shared.catalog().await;
                    crate::completion::placeholder_values(
                        &catalog.index,
                        &request.argument.name,
                        typed,
                    )
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        let values: Vec<String> = values
            .into_iter()
            .take(CompletionInfo::MAX_VALUES)
            .collect();
        let completion = CompletionInfo::with_all_values(values)
            .map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(CompleteResult::new(completion))
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
        self.log(
            &context,
            LoggingLevel::Info,
            json!({ "event": "tool call", "tool": request.name }),
        )
        .await;
        let started = std::time::Instant::now();
        let ran = self
            .run(&caller, &request.name, args)
            .instrument(span)
            .await;
        let (level, outcome) = match ran.outcome {
            Outcome::Succeeded => (LoggingLevel::Info, "succeeded"),
            Outcome::ApprovalRequested => (LoggingLevel::Notice, "approval requested"),
            Outcome::Failed => (LoggingLevel::Warning, "failed"),
            Outcome::Refused => (LoggingLevel::Warning, "refused"),
        };
        self.log(
            &context,
            level,
            json!({ "event": "tool answered", "tool": request.name, "outcome": outcome,
                    "risk": ran.risk.name(), "ms": started.elapsed().as_millis() as u64 }),
        )
        .await;
        if ran.outcome == Outcome::Succeeded
            && crate::prompts::CHANGING_TOOLS.contains(&request.name.as_ref())
        {
            self.shared.announce(Change::Prompts).await;
        }
        supervision::audit(
            &self.shared.graph,
            &caller,
            self.transport.name(),
            &request.name,
            ran.risk,
            ran.outcome,
            ran.detail.as_deref(),
        )
        .await;
        Ok(ran.result.into())
    }
}
