//! The MCP server: lists the tools a caller may use, runs them on the router; offers
//! prompts, resources, completions and log notifications.

// The protocol deprecated logging (SEP-2577) but 2025 clients still use it.
#![allow(deprecated)]

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use promptsales_kit::StrEnum;
use promptsales_kit::template_changes::{self, TemplateBus};
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
use uuid::Uuid;

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

/// Where the callers come from; the audit log names it (`stdio`).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One local client; the adapter's own service credential.
    Stdio,
    /// Many clients, each with its bearer token (checked by the HTTP layer).
    Http,
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
    /// The tools (an operation file or the supergraph changed): the same for every tenant,
    /// so every session hears it.
    Tools,
    /// One organization's prompts (one of its templates changed): only its sessions hear it.
    Prompts(Uuid),
    /// Anyone's prompts: changes were missed (the bus fell behind), so every session is told
    /// its list may have changed. It says that something happened somewhere, never to whom.
    AnyPrompts,
}

/// Whose prompt changes a session hears, from its caller (see [`Audience::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// One organization's: a caller with a verified token of that organization.
    Tenant(Uuid),
    /// Every organization's: a platform operator (a verified token without organization,
    /// whose `prompts/list` spans every tenant), or any caller of an adapter whose checks are
    /// off (development only: it vouches for nobody and lists everything to everyone).
    Everyone,
    /// None: a caller the adapter cannot tell (no token, checks on), which lists no prompts.
    Nobody,
}

impl Audience {
    /// The audience of `caller` on an adapter whose token checks are `checks`.
    pub fn of(caller: &Caller, checks: bool) -> Self {
        match (caller.verified, caller.organization) {
            (true, Some(organization)) => Self::Tenant(organization),
            (true, None) => Self::Everyone,
            (false, _) if !checks => Self::Everyone,
            (false, _) => Self::Nobody,
        }
    }

    /// Whether a session of this audience is told of `change`.
    pub fn hears(self, change: Change) -> bool {
        match (change, self) {
            (Change::Tools | Change::AnyPrompts, _) => true,
            (Change::Prompts(_), Self::Everyone) => true,
            (Change::Prompts(changed), Self::Tenant(organization)) => changed == organization,
            (Change::Prompts(_), Self::Nobody) => false,
        }
    }
}

/// A session that began with `initialize`: told of changes on its peer.
#[derive(Debug)]
struct LegacySession {
    peer: Peer<RoleServer>,
    /// Its audience; `None` until the stdio service credential could be read (then at each change).
    audience: Option<Audience>,
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
    legacy_sessions: Mutex<Vec<LegacySession>>,
    /// Template changes from content, on every instance (`kit::template_changes`).
    templates: TemplateBus,
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
        // Every organization's prompt changes pass here (each subscription keeps its own), so
        // the buffer is sized for bursts across tenants, not for one session's changes.
        let (changes, _) = broadcast::channel(1_024);
        let shared = Arc::new(Self {
            asker: crate::ask::Asker::from_env()?,
            config,
            catalog: RwLock::new(Arc::new(catalog)),
            graph,
            verifier,
            credential,
            changes,
            legacy_sessions: Mutex::new(Vec::new()),
            templates: template_changes::from_env(),
        });
        shared.hear_template_changes();
        Ok(shared)
    }

    /// Turns content's template changes (published on the bus by whichever instance saved
    /// them, through GraphQL or this adapter's tools) into prompt-list changes for the sessions
    /// of that organization. Runs while the adapter lives; needs a tokio runtime.
    fn hear_template_changes(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut events = self.templates.subscribe();
        // Weak: the task must not keep the adapter's state alive on its own.
        let shared = Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                let change = match events.recv().await {
                    Ok(event) => Change::Prompts(event.organization_id),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "template changes fell behind; every session is told its prompts may have changed"
                        );
                        Change::AnyPrompts
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                shared.announce(change).await;
            }
        });
    }

    /// Waits (at most `timeout`) until template changes from the other processes are heard,
    /// so that changes made right after the adapter starts serving are not missed.
    pub async fn wait_for_template_changes(&self, timeout: std::time::Duration) {
        if tokio::time::timeout(timeout, self.templates.listening())
            .await
            .is_err()
        {
            tracing::warn!(
                "Redis ({}) is not answering: prompt list changes made elsewhere are not \
                 announced until it is",
                promptsales_kit::config::REDIS_URL_ENV
            );
        }
    }

    /// Whether template changes made elsewhere reach this adapter now (it listens on Redis).
    pub fn hears_template_changes(&self) -> bool {
        self.templates.is_listening()
    }

    /// Who calls, from the extensions of a request or notification: the verified bearer
    /// (HTTP, attached by the HTTP layer) or the service credential (stdio).
    pub async fn caller_of(
        &self,
        transport: Transport,
        extensions: &rmcp::model::Extensions,
    ) -> Result<Caller, ErrorData> {
        match transport {
            Transport::Http => extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Caller>())
                .cloned()
                .ok_or_else(|| ErrorData::invalid_request("no verified caller", None)),
            Transport::Stdio => match &self.credential {
                Some(credential) => credential
                    .caller(&self.verifier)
                    .await
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None)),
                None if !self.config.auth => Ok(crate::http::development_caller()),
                // No credential: only the schema tools, which need no identity.
                None => Ok(Caller::default()),
            },
        }
    }

    /// Whose prompt changes a session hears (see [`Audience`]).
    pub async fn audience_of(
        &self,
        transport: Transport,
        extensions: &rmcp::model::Extensions,
    ) -> Result<Audience, ErrorData> {
        let caller = self.caller_of(transport, extensions).await?;
        Ok(Audience::of(&caller, self.config.auth))
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

    /// Tells the connected clients that hear it (see [`Audience::hears`]) that a list changed:
    /// sessions that began with `initialize` on their peer, 2026-07-28 clients through their
    /// open subscriptions (each filters by its own audience).
    pub async fn announce(&self, change: Change) {
        let _ = self.changes.send(change);
        let mut sessions = self.legacy_sessions.lock().await;
        let mut alive = Vec::with_capacity(sessions.len());
        for mut session in sessions.drain(..) {
            if session.peer.is_transport_closed() {
                continue;
            }
            if session.audience.is_none() {
                // Only stdio sessions wait for their audience (the service credential's caller).
                session.audience = self
                    .audience_of(Transport::Stdio, &rmcp::model::Extensions::new())
                    .await
                    .ok();
            }
            // Not yet known: told only what every session is told.
            let hears = session.audience.unwrap_or(Audience::Nobody).hears(change);
            let sent = match change {
                _ if !hears => Ok(()),
                Change::Tools => session.peer.notify_tool_list_changed().await,
                Change::Prompts(_) | Change::AnyPrompts => {
                    session.peer.notify_prompt_list_changed().await
                }
            };
            if sent.is_ok() {
                alive.push(session);
            }
        }
        *sessions = alive;
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
        self.shared
            .caller_of(self.transport, &context.extensions)
            .await
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
                        "riskClass": op.risk.as_str(),
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
        // Sessions that began with `initialize` get list-changed notifications on their peer,
        // prompt changes only for their caller's organization (the `initialized` POST carries
        // the session's bearer over HTTP). Over stdio an unreadable credential is retried at
        // the next change.
        let audience = match self
            .shared
            .audience_of(self.transport, &context.extensions)
            .await
        {
            Ok(audience) => Some(audience),
            Err(e) if self.transport == Transport::Stdio => {
                tracing::warn!(error = %e.message, "the service credential could not be read yet");
                None
            }
            Err(_) => Some(Audience::Nobody),
        };
        let mut sessions = self.shared.legacy_sessions.lock().await;
        // Forget sessions that ended, so a long-running adapter does not accumulate them.
        sessions.retain(|session| !session.peer.is_transport_closed());
        sessions.push(LegacySession {
            peer: context.peer,
            audience,
        });
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
        // Subscribed first: nothing announced while the audience is read is missed.
        let mut changes = self.shared.changes.subscribe();
        // The subscribing request's caller (its bearer over HTTP) chooses whose prompts it hears.
        let audience = self
            .shared
            .audience_of(self.transport, &context.request_context().extensions)
            .await?;
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                change = changes.recv() => {
                    let sent = match change {
                        Ok(change) if !audience.hears(change) => continue,
                        Ok(Change::Tools) => context.sink().notify_tool_list_changed().await,
                        Ok(Change::Prompts(_) | Change::AnyPrompts) => {
                            context.sink().notify_prompt_list_changed().await
                        }
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
                    "risk": ran.risk.as_str(), "ms": started.elapsed().as_millis() as u64 }),
        )
        .await;
        // Content announces every template change on the bus, this adapter's included. When
        // this adapter does not hear the bus (Redis off or down), a change made through its own
        // tools is still announced here, to the caller's organization (an operator's change,
        // whose organization is in its arguments, is not).
        if ran.outcome == Outcome::Succeeded
            && crate::prompts::CHANGING_TOOLS.contains(&request.name.as_ref())
            && !self.shared.hears_template_changes()
            && let Some(organization) = caller.organization
        {
            self.shared.announce(Change::Prompts(organization)).await;
        }
        supervision::audit(
            &self.shared.graph,
            &caller,
            self.transport.as_str(),
            &request.name,
            ran.risk,
            ran.outcome,
            ran.detail.as_deref(),
        )
        .await;
        Ok(ran.result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(verified: bool, organization: Option<Uuid>) -> Caller {
        Caller {
            verified,
            organization,
            ..Caller::default()
        }
    }

    #[test]
    fn a_tenants_session_hears_only_its_own_organizations_prompt_changes() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let audience = Audience::of(&caller(true, Some(mine)), true);
        assert_eq!(audience, Audience::Tenant(mine));
        assert!(audience.hears(Change::Prompts(mine)));
        assert!(!audience.hears(Change::Prompts(theirs)));
        // The same tools for everyone, and "something may have been missed" says nothing of whom.
        assert!(audience.hears(Change::Tools));
        assert!(audience.hears(Change::AnyPrompts));
        // Checks off changes nothing for a verified caller.
        assert_eq!(
            Audience::of(&caller(true, Some(mine)), false),
            Audience::Tenant(mine)
        );
    }

    #[test]
    fn an_operator_and_a_development_session_hear_every_organization_and_an_unknown_caller_none() {
        let anyone = Uuid::now_v7();
        let operator = Audience::of(&caller(true, None), true);
        assert_eq!(operator, Audience::Everyone);
        assert!(operator.hears(Change::Prompts(anyone)));
        // Checks off: nothing is vouched for, everything is listed to everyone.
        let development = Audience::of(&caller(false, None), false);
        assert_eq!(development, Audience::Everyone);
        // Checks on, no verified token (stdio without a credential): no prompts, still the tools.
        let unknown = Audience::of(&caller(false, None), true);
        assert_eq!(unknown, Audience::Nobody);
        assert!(!unknown.hears(Change::Prompts(anyone)));
        assert!(unknown.hears(Change::Tools));
        // An unverified claim of an organization is no organization.
        assert_eq!(
            Audience::of(&caller(false, Some(anyone)), true),
            Audience::Nobody
        );
    }
}
