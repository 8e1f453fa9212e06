//! The MCP adapter driven as a real MCP client drives it (the `rmcp` client), over
//! streamable HTTP (both protocol generations) and stdio, against the running graph.

// The client hears log notifications, which the protocol deprecated (SEP-2577) but 2025 clients use.
#![allow(deprecated)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use promptsales_kit::testing::free_port;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    LoggingMessageNotificationParam, PaginatedRequestParams, ProtocolVersion, ServerNotification,
    SubscriptionFilter, Tool,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, RoleClient};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use promptsales_sales::auth::secret::hash_secret;
use promptsales_sales::auth::store::OAuthClient;

use super::fixture::{self, ALL_READ, Fixture};
use super::harness::{promptsales_bin, repo_root, wait_for_http};

/// A client that reports what the server tells it: tool and prompt list changes, log messages.
#[derive(Clone)]
pub(super) struct Client {
    changed: mpsc::UnboundedSender<()>,
    prompts: mpsc::UnboundedSender<()>,
    logs: mpsc::UnboundedSender<LoggingMessageNotificationParam>,
}

/// What a [`Client`] heard, apart from the tool list changes most tests wait for.
pub(super) struct Heard {
    /// `notifications/prompts/list_changed`.
    pub(super) prompts: mpsc::UnboundedReceiver<()>,
    /// `notifications/message`.
    pub(super) logs: mpsc::UnboundedReceiver<LoggingMessageNotificationParam>,
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("promptsales-e2e", "0"),
        )
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changed.send(());
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.prompts.send(());
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.logs.send(params);
    }
}

fn client() -> (Client, mpsc::UnboundedReceiver<()>) {
    let (client, changed, _) = client_hearing_all();
    (client, changed)
}

fn client_hearing_all() -> (Client, mpsc::UnboundedReceiver<()>, Heard) {
    let (changed, rx) = mpsc::unbounded_channel();
    let (prompts, prompts_rx) = mpsc::unbounded_channel();
    let (logs, logs_rx) = mpsc::unbounded_channel();
    (
        Client {
            changed,
            prompts,
            logs,
        },
        rx,
        Heard {
            prompts: prompts_rx,
            logs: logs_rx,
        },
    )
}

/// How a test reaches the adapter.
pub(super) enum Via<'a> {
    /// Streamable HTTP to a running adapter, with this bearer token.
    Http(&'a HttpAdapter, &'a str),
    /// `promptsales mcp --stdio` as a child process in front of the fixture's router.
    Stdio(StdioSetup<'a>),
}

/// The stdio adapter's setup: its operation folder, its service credential, more variables.
pub(super) struct StdioSetup<'a> {
    pub(super) fixture: &'a Fixture,
    pub(super) operations: &'a Path,
    /// `PROMPTSALES_MCP_CLIENT_ID` / `_SECRET` (registered at the sales issuer).
    pub(super) credential: Option<(&'a str, &'a str)>,
    pub(super) extra: &'a [(&'a str, &'a str)],
}

/// `promptsales mcp --stdio` over `operations`, acting as the service client `credential`
/// (client id, secret) registered with [`register_service_client`], with no other variables.
pub(super) fn stdio<'a>(
    fixture: &'a Fixture,
    operations: &'a Path,
    credential: (&'a str, &'a str),
) -> Via<'a> {
    Via::Stdio(StdioSetup {
        fixture,
        operations,
        credential: Some(credential),
        extra: &[],
    })
}

/// The 2026-07-28 protocol generation: `server/discover`, no `initialize`.
pub(super) fn discover_2026() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    }
}

/// The official `rmcp` client connected over `via`, with the protocol generation `lifecycle`
/// chooses (`Initialize`: 2025-11-25 and older; `Discover`: 2026-07-28).
pub(super) async fn connect(
    via: Via<'_>,
    lifecycle: ClientLifecycleMode,
) -> anyhow::Result<(
    RunningService<RoleClient, Client>,
    mpsc::UnboundedReceiver<()>,
    Heard,
)> {
    let (handler, changes, heard) = client_hearing_all();
    let service = match via {
        Via::Http(adapter, token) => {
            let transport = StreamableHttpClientTransport::from_config(
                StreamableHttpClientTransportConfig::with_uri(adapter.url.clone())
                    .auth_header(token),
            );
            handler
                .serve_with_lifecycle(transport, lifecycle)
                .await
                .context("MCP handshake over HTTP")?
        }
        Via::Stdio(setup) => {
            let mut command = Command::new(promptsales_bin());
            command
                .args(["mcp", "--stdio"])
                .envs(adapter_env(setup.fixture, setup.operations))
                .env(
                    "PROMPTSALES_MCP_TOKEN_URL",
                    format!("{}/oauth/token", setup.fixture.sales_base),
                )
                .env_remove("PROMPTSALES_MCP_CLIENT_ID")
                .env_remove("PROMPTSALES_MCP_CLIENT_SECRET");
            if let Some((id, secret)) = setup.credential {
                command
                    .env("PROMPTSALES_MCP_CLIENT_ID", id)
                    .env("PROMPTSALES_MCP_CLIENT_SECRET", secret);
            }
            for (k, v) in setup.extra {
                command.env(k, v);
            }
            let transport =
                TokioChildProcess::new(command).context("spawning promptsales mcp --stdio")?;
            handler
                .serve_with_lifecycle(transport, lifecycle)
                .await
                .context("MCP handshake over stdio")?
        }
    };
    Ok((service, changes, heard))
}

/// `promptsales mcp` serving HTTP in front of the fixture's router; killed when dropped.
pub(super) struct HttpAdapter {
    pub(super) url: String,
    pub(super) base: String,
    pub(super) _child: Child,
}

pub(super) fn adapter_env(f: &Fixture, operations: &Path) -> Vec<(String, String)> {
    vec![
        ("PROMPTSALES_ROUTER_URL".into(), f.router.url.clone()),
        ("PROMPTSALES_JWKS_URL".into(), f.jwks_url.clone()),
        (
            "PROMPTSALES_SUPERGRAPH".into(),
            repo_root()
                .join("schema/supergraph.graphql")
                .display()
                .to_string(),
        ),
        (
            "PROMPTSALES_MCP_OPERATIONS".into(),
            operations.display().to_string(),
        ),
        ("PROMPTSALES_LOG".into(), "warn".into()),
        // Where the fixture's content announces template changes.
        ("PROMPTSALES_REDIS_URL".into(), f.redis_url.clone()),
    ]
}

pub(super) async fn start_http(
    f: &Fixture,
    operations: &Path,
    extra: &[(&str, &str)],
) -> anyhow::Result<HttpAdapter> {
    let port = free_port();
    let mut command = Command::new(promptsales_bin());
    command
        .arg("mcp")
        .envs(adapter_env(f, operations))
        .env("PROMPTSALES_MCP_PORT", port.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in extra {
        command.env(k, v);
    }
    let mut child = command.spawn().context("starting promptsales mcp")?;
    let base = format!("http://127.0.0.1:{port}");
    wait_for_http(
        &reqwest::Client::new(),
        &format!("{base}/health"),
        &mut child,
        "mcp",
    )
    .await?;
    Ok(HttpAdapter {
        url: format!("{base}/mcp"),
        base,
        _child: child,
    })
}

pub(super) async fn connect_http(
    adapter: &HttpAdapter,
    token: &str,
    lifecycle: ClientLifecycleMode,
) -> anyhow::Result<(
    RunningService<RoleClient, Client>,
    mpsc::UnboundedReceiver<()>,
)> {
    let (service, changes, _) = connect(Via::Http(adapter, token), lifecycle).await?;
    Ok((service, changes))
}

pub(super) fn names(tools: &[Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

pub(super) async fn call(
    service: &RunningService<RoleClient, Client>,
    name: &str,
    arguments: Value,
) -> anyhow::Result<CallToolResult> {
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    Ok(service
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(arguments))
        .await?)
}

pub(super) fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts a tool's structured result fits the output schema it advertised.
pub(super) fn assert_fits_output_schema(tool: &Tool, result: &CallToolResult) {
    let schema = Value::Object(
        tool.output_schema
            .as_ref()
            .expect("an output schema")
            .as_ref()
            .clone(),
    );
    let validator = jsonschema::draft202012::new(&schema).expect("a valid 2020-12 schema");
    let structured = result
        .structured_content
        .as_ref()
        .expect("structured content");
    let problems: Vec<String> = validator
        .iter_errors(structured)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}\n{structured:#}");
}

/// getContent finds org A's snowy backpack with its hashtags, and nothing of org B.
fn assert_expected_assets(result: &CallToolResult) {
    assert_ne!(result.is_error, Some(true), "{}", text_of(result));
    let structured = result
        .structured_content
        .as_ref()
        .expect("structured content");
    let hits = structured["data"]["searchContent"]
        .as_array()
        .expect("hits");
    let first = hits.first().expect("at least one hit");
    assert_eq!(
        first["asset"]["description"], "Backpack on a snowy summit",
        "{hits:#?}"
    );
    assert_eq!(first["hashtags"], json!(["winter", "hiking"]));
    assert!(
        hits.iter()
            .all(|h| h["asset"]["description"] != "Rival banner"),
        "another tenant's asset leaked: {hits:#?}"
    );
    assert!(text_of(result).contains("Backpack on a snowy summit"));
}

pub(super) fn shipped_operations() -> std::path::PathBuf {
    repo_root().join("mcp/operations")
}

#[tokio::test]
async fn over_http_an_agent_lists_tools_gets_content_and_is_told_what_to_fix() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(&f, &shipped_operations(), &[])
        .await
        .expect("mcp starts");
    let token = f.token(Some(f.org_a), &ALL_READ);

    // 2025-11-25: the initialize handshake.
    let (service, _) = connect_http(&adapter, &token, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let info = service.peer_info().expect("server info");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2025_11_25);
    let tools = service.list_all_tools().await.expect("tools/list");
    let listed = names(&tools);
    for expected in [
        "getContent",
        "getCampaignPerformance",
        "listLeads",
        "searchSchema",
        "introspectType",
        "validateOperation",
    ] {
        assert!(
            listed.contains(&expected.to_string()),
            "{expected} missing: {listed:?}"
        );
    }
    let get_content = tools
        .iter()
        .find(|t| t.name == "getContent")
        .expect("getContent");
    assert_eq!(get_content.input_schema["required"], json!(["description"]));
    assert_eq!(
        get_content
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint),
        Some(true)
    );
    assert!(get_content.output_schema.is_some());
    assert!(
        !listed.contains(&"executeOperation".to_string()),
        "execute is opt-in"
    );

    let result = call(
        &service,
        "getContent",
        json!({ "description": "snowy summit backpack" }),
    )
    .await
    .expect("tools/call");
    assert_expected_assets(&result);
    assert_fits_output_schema(get_content, &result);

    // A bad argument: a tool error that names it (not a protocol error).
    let bad = call(&service, "getContent", json!({ "description": 42 }))
        .await
        .expect("answered");
    assert_eq!(bad.is_error, Some(true));
    assert!(text_of(&bad).contains("`description`"), "{}", text_of(&bad));
    let bad = call(
        &service,
        "getCampaignFunnel",
        json!({ "campaignId": "not-an-id" }),
    )
    .await
    .expect("answered");
    assert_eq!(bad.is_error, Some(true), "{}", text_of(&bad));
    assert!(text_of(&bad).contains("`campaignId`"), "{}", text_of(&bad));
    // A well-formed id of another tenant's campaign: the graph's NOT_FOUND, explained.
    let other = call(
        &service,
        "getCampaignFunnel",
        json!({ "campaignId": f.campaign_b.to_string() }),
    )
    .await
    .expect("answered");
    assert_eq!(other.is_error, Some(true), "{}", text_of(&other));
    assert!(text_of(&other).contains("NOT_FOUND"), "{}", text_of(&other));

    // A campaign that exists: the funnel the stores hold (3 IQL/MQL/WON leads of campaign 1...).
    let funnel = call(
        &service,
        "getCampaignFunnel",
        json!({ "campaignId": f.campaign_1.to_string() }),
    )
    .await
    .expect("answered");
    assert_ne!(funnel.is_error, Some(true), "{}", text_of(&funnel));
    let funnel_tool = tools
        .iter()
        .find(|t| t.name == "getCampaignFunnel")
        .expect("listed");
    assert_fits_output_schema(funnel_tool, &funnel);
    let funnel_data = &funnel.structured_content.as_ref().expect("structured")["data"]["campaign"];
    assert_eq!(funnel_data["leadFunnel"]["won"], 1);
    assert_eq!(funnel_data["leadFunnel"]["total"], 4);

    // An ads tool with a period: campaign 1's channels over the fixture's month.
    let channels = call(
        &service,
        "getBestChannels",
        json!({ "campaignId": f.campaign_1.to_string(), "from": fixture::iso(1), "to": fixture::iso(31) }),
    )
    .await
    .expect("answered");
    assert_ne!(channels.is_error, Some(true), "{}", text_of(&channels));
    let mut seen: Vec<String> = channels.structured_content.as_ref().expect("structured")["data"]
        ["campaign"]["adPerformance"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["channel"].as_str().map(str::to_string))
        .collect();
    seen.sort();
    assert_eq!(seen, ["GOOGLE", "INSTAGRAM"]);
    let bad_day = call(
        &service,
        "getBestChannels",
        json!({ "campaignId": f.campaign_1.to_string(), "from": "1 October", "to": fixture::iso(31) }),
    )
    .await
    .expect("answered");
    assert_eq!(bad_day.is_error, Some(true));
    assert!(
        text_of(&bad_day).contains("`from`"),
        "{}",
        text_of(&bad_day)
    );

    // A mutation tool needs sales:write: hidden from this reader.
    let hidden = call(&service, "createCampaignDraft", json!({})).await;
    assert!(hidden.is_err(), "{hidden:?}");
    // A writer sees it, and (issue 17) an everyday write runs by default for a caller whose
    // roles allow it: the graph itself judges the call (here a negative budget it refuses,
    // so nothing is written); the coarse switch off is tested in mcp_work.
    let writer = f.token(
        Some(f.org_a),
        &["sales:write", "ads:read", "crm:read", "content:read"],
    );
    let (writer, _) = connect_http(&adapter, &writer, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let judged = call(
        &writer,
        "createCampaignDraft",
        json!({ "input": {
            "name": "Autumn", "organizationId": f.org_a.to_string(), "ownerId": f.marketer_a.to_string(),
            "budget": "-1000", "currency": "EUR", "startDate": "2026-11-01", "endDate": "2026-11-30" } }),
    )
    .await
    .expect("answered");
    assert_eq!(judged.is_error, Some(true));
    assert!(
        text_of(&judged).contains("BAD_USER_INPUT") && !text_of(&judged).contains("disabled"),
        "{}",
        text_of(&judged)
    );
    writer.cancel().await.expect("closes");

    // An unknown tool is a protocol error.
    let unknown = call(&service, "noSuchTool", json!({})).await;
    assert!(
        unknown.is_err(),
        "an unknown tool must be a protocol error: {unknown:?}"
    );

    // The schema tools answer trimmed.
    let search = call(&service, "searchSchema", json!({ "words": "lead funnel" }))
        .await
        .expect("search");
    assert!(
        text_of(&search).contains("leadFunnel"),
        "{}",
        text_of(&search)
    );
    let campaign = call(&service, "introspectType", json!({ "name": "Campaing" }))
        .await
        .expect("introspect");
    assert_eq!(campaign.is_error, Some(true));
    assert!(
        text_of(&campaign).contains("`name`"),
        "{}",
        text_of(&campaign)
    );
    let valid = call(
        &service,
        "validateOperation",
        json!({ "operation": "query q { campaigns { edges { node { nope } } } }" }),
    )
    .await
    .expect("validate");
    assert_eq!(
        valid.structured_content.as_ref().expect("structured")["data"]["valid"],
        false
    );
    assert!(text_of(&valid).contains("nope"), "{}", text_of(&valid));
    service.cancel().await.expect("closes");

    // 2026-07-28: discover, no initialize, stateless requests.
    let (service, _) = connect_http(&adapter, &token, discover_2026())
        .await
        .expect("discovers");
    assert_eq!(
        service.peer_info().expect("info").protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    let result = call(
        &service,
        "getContent",
        json!({ "description": "backpack snowy" }),
    )
    .await
    .expect("call");
    assert_expected_assets(&result);
    service.cancel().await.expect("closes");
}

#[tokio::test]
async fn a_caller_without_the_crm_role_does_not_see_crm_tools_and_no_token_is_a_401() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(
        &f,
        &shipped_operations(),
        &[("PROMPTSALES_MCP_PAGE_SIZE", "3")],
    )
    .await
    .expect("mcp starts");

    let token = f.token(Some(f.org_a), &["sales:read", "ads:read", "content:read"]);
    let (service, _) = connect_http(&adapter, &token, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    // Pages of three, in a deterministic order, that add up to the whole list.
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = service
            .list_tools(Some(
                PaginatedRequestParams::default().with_cursor(cursor.clone()),
            ))
            .await
            .expect("a page");
        assert!(page.tools.len() <= 3);
        paged.extend(names(&page.tools));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut sorted = paged.clone();
    sorted.sort();
    assert_eq!(paged, sorted, "deterministic order");
    assert!(paged.contains(&"getContent".to_string()));
    assert!(paged.contains(&"getBestChannels".to_string()));
    for crm in ["listLeads", "getCampaignFunnel", "getCampaignPerformance"] {
        assert!(
            !paged.contains(&crm.to_string()),
            "{crm} listed without the crm role: {paged:?}"
        );
    }
    let hidden = call(&service, "listLeads", json!({})).await;
    assert!(
        hidden.is_err(),
        "a hidden tool is unknown to the caller: {hidden:?}"
    );
    service.cancel().await.expect("closes");

    // No token: 401 with the protected-resource metadata named in WWW-Authenticate.
    let http = reqwest::Client::new();
    let response = http
        .post(&adapter.url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("resource_metadata="),
        "{challenge}"
    );
    let forged = http
        .post(&adapter.url)
        .bearer_auth("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .expect("answered");
    assert_eq!(forged.status(), 401);
    // An adapter that allows mutations and arbitrary operations: a writer creates a draft
    // through the tool, and reads it back with executeOperation.
    let open = start_http(
        &f,
        &shipped_operations(),
        &[
            ("PROMPTSALES_MCP_ALLOW_MUTATIONS", "true"),
            ("PROMPTSALES_MCP_ALLOW_EXECUTE", "true"),
        ],
    )
    .await
    .expect("mcp starts");
    let writer = f.token(Some(f.org_a), &["sales:write", "content:read"]);
    let (writer, _) = connect_http(&open, &writer, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let created = call(
        &writer,
        "createCampaignDraft",
        json!({ "input": {
            "name": "Autumn Ascent", "organizationId": f.org_a.to_string(), "ownerId": f.marketer_a.to_string(),
            "budget": "1000.00", "currency": "EUR", "startDate": "2026-11-01", "endDate": "2026-11-30" } }),
    )
    .await
    .expect("answered");
    assert_ne!(created.is_error, Some(true), "{}", text_of(&created));
    let draft = &created.structured_content.as_ref().expect("structured")["data"]["createCampaign"];
    assert_eq!(draft["status"], "DRAFT");
    let id = draft["id"].as_str().expect("an id").to_string();
    let read = call(
        &writer,
        "executeOperation",
        json!({ "operation": "query one($id: ID!) { campaign(id: $id) { name status } }", "variables": { "id": id } }),
    )
    .await
    .expect("answered");
    assert_eq!(
        read.structured_content.as_ref().expect("structured")["data"]["campaign"],
        json!({ "name": "Autumn Ascent", "status": "DRAFT" }),
        "{}",
        text_of(&read)
    );
    // The draft goes for approval through its own tool.
    let submitted = call(
        &writer,
        "requestCampaignApproval",
        json!({ "campaignId": id, "comment": "ready" }),
    )
    .await
    .expect("answered");
    assert_ne!(submitted.is_error, Some(true), "{}", text_of(&submitted));
    assert_eq!(
        submitted.structured_content.as_ref().expect("structured")["data"]["changeCampaignStatus"]
            ["status"],
        "PENDING_APPROVAL"
    );
    // executeOperation still acts as the caller: no crm role, no leads.
    let leads = call(
        &writer,
        "executeOperation",
        json!({ "operation": "query l { leads { edges { node { id } } } }" }),
    )
    .await
    .expect("answered");
    assert_eq!(leads.is_error, Some(true));
    assert!(text_of(&leads).contains("crm:read"), "{}", text_of(&leads));
    writer.cancel().await.expect("closes");

    let metadata: Value = http
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            adapter.base
        ))
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("json");
    assert_eq!(metadata["resource"], format!("{}/mcp", adapter.base));
    assert!(
        metadata["authorization_servers"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[tokio::test]
async fn a_changed_operation_folder_reloads_the_tools_and_notifies_the_client() {
    let f = fixture::start().await.expect("the graph starts");
    let folder = tempfile::tempdir().expect("a folder");
    std::fs::copy(
        shipped_operations().join("content.graphql"),
        folder.path().join("content.graphql"),
    )
    .expect("copied");
    // A private copy of the supergraph: a recomposition elsewhere must not notify this test.
    let schema = tempfile::tempdir().expect("a folder");
    let supergraph = schema.path().join("supergraph.graphql");
    std::fs::copy(repo_root().join("schema/supergraph.graphql"), &supergraph).expect("copied");
    let supergraph = supergraph.display().to_string();
    let adapter = start_http(
        &f,
        folder.path(),
        &[("PROMPTSALES_SUPERGRAPH", supergraph.as_str())],
    )
    .await
    .expect("mcp starts");
    let token = f.token(Some(f.org_a), &ALL_READ);
    let (service, mut changes) = connect_http(&adapter, &token, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let before = names(&service.list_all_tools().await.expect("tools"));
    assert!(!before.contains(&"countAssets".to_string()));
    // A 2026-07-28 client hears of it through `subscriptions/listen`.
    let (modern, _) = connect_http(&adapter, &token, discover_2026())
        .await
        .expect("discovers");
    let mut subscription = modern
        .listen(SubscriptionFilter::builder().tools_list_changed().build())
        .await
        .expect("subscribed");
    assert_eq!(subscription.acknowledged().tools_list_changed, Some(true));

    std::fs::write(
        folder.path().join("count.graphql"),
        "# How many assets a campaign uses.\nquery countAssets($id: ID!) { campaign(id: $id) { assetCount } }\n",
    )
    .expect("written");
    // The notification arrives (the test's own bound keeps a broken watcher from hanging the suite).
    tokio::time::timeout(Duration::from_secs(60), changes.recv())
        .await
        .expect("tools/list_changed within a minute")
        .expect("a notification");
    let heard = tokio::time::timeout(Duration::from_secs(60), subscription.next())
        .await
        .expect("a notification on the subscription within a minute")
        .expect("the subscription is open");
    assert!(
        matches!(
            heard,
            Some(ServerNotification::ToolListChangedNotification(_))
        ),
        "{heard:?}"
    );
    modern.cancel().await.expect("closes");
    // A recomposed supergraph reloads the tools too.
    let sdl = std::fs::read_to_string(&supergraph).expect("read");
    std::fs::write(&supergraph, format!("{sdl}\n")).expect("rewritten");
    tokio::time::timeout(Duration::from_secs(60), changes.recv())
        .await
        .expect("tools/list_changed after the supergraph changed")
        .expect("a notification");
    let after = service.list_all_tools().await.expect("tools");
    let added = after
        .iter()
        .find(|t| t.name == "countAssets")
        .expect("the new tool is listed");
    assert_eq!(
        added.description.as_deref(),
        Some("How many assets a campaign uses.")
    );
    let count = call(
        &service,
        "countAssets",
        json!({ "id": f.campaign_1.to_string() }),
    )
    .await
    .expect("call");
    assert_eq!(
        count.structured_content.as_ref().expect("structured")["data"]["campaign"]["assetCount"],
        2
    );
    service.cancel().await.expect("closes");
}

#[tokio::test]
async fn over_stdio_the_adapter_uses_its_service_credential() {
    let f = fixture::start().await.expect("the graph starts");
    // A service client of org A registered with the sales issuer: content and sales, no crm.
    register_service_client(
        &f,
        "mcp-agent",
        "s3cret-for-tests",
        &["content:read", "sales:read"],
    )
    .await;
    let operations = shipped_operations();
    let agent = |secret| stdio(&f, &operations, ("mcp-agent", secret));
    let (service, _, _) = connect(agent("s3cret-for-tests"), ClientLifecycleMode::Initialize)
        .await
        .expect("initialize over stdio");
    let listed = names(&service.list_all_tools().await.expect("tools/list"));
    assert!(listed.contains(&"getContent".to_string()), "{listed:?}");
    assert!(
        !listed.contains(&"listLeads".to_string()),
        "the service holds no crm role: {listed:?}"
    );
    let result = call(
        &service,
        "getContent",
        json!({ "description": "summit backpack" }),
    )
    .await
    .expect("call");
    assert_expected_assets(&result);
    let bad = call(
        &service,
        "getContent",
        json!({ "description": "x", "kind": "HOLOGRAM" }),
    )
    .await
    .expect("answered");
    assert_eq!(bad.is_error, Some(true));
    assert!(text_of(&bad).contains("`kind`"), "{}", text_of(&bad));
    service.cancel().await.expect("closes");

    // A wrong secret: the adapter cannot act, and says so instead of listing tools it cannot run.
    let (service, _, _) = connect(agent("wrong"), ClientLifecycleMode::Initialize)
        .await
        .expect("initialize over stdio");
    let refused = service.list_all_tools().await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(
        format!("{refused:?}").contains("invalid_client"),
        "{refused:?}"
    );
    service.cancel().await.expect("closes");
}

/// An HTTP client session with no `Authorization` header at all.
async fn connect_http_anonymous(
    adapter: &HttpAdapter,
) -> anyhow::Result<RunningService<RoleClient, Client>> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(adapter.url.clone()),
    );
    let (handler, _) = client();
    handler
        .serve_with_lifecycle(transport, ClientLifecycleMode::Initialize)
        .await
        .context("MCP handshake over HTTP without a token")
}

/// The structured `data` of a successful tool result (fails the test with the text otherwise).
pub(super) fn data_of(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{}", text_of(result));
    result
        .structured_content
        .as_ref()
        .map(|s| s["data"].clone())
        .unwrap_or(Value::Null)
}

/// Runs `query` on the router as `token`, failing the test on any GraphQL error.
pub(super) async fn graph(f: &Fixture, token: &str, query: &str, variables: Value) -> Value {
    let response = f
        .router
        .post(query, variables, &super::harness::bearer(token))
        .await
        .expect("the router answers");
    super::harness::data(&response).clone()
}

/// Registers a service client of org A at the sales issuer (client-credentials grant).
pub(super) async fn register_service_client(
    f: &Fixture,
    client_id: &str,
    secret: &str,
    roles: &[&str],
) {
    register_service_client_of(f, f.org_a, client_id, secret, roles).await;
}

/// Registers a service client of `organization` at the sales issuer (client-credentials grant).
pub(super) async fn register_service_client_of(
    f: &Fixture,
    organization: uuid::Uuid,
    client_id: &str,
    secret: &str,
    roles: &[&str],
) {
    f.auth
        .upsert_client(OAuthClient {
            id: uuid::Uuid::now_v7(),
            client_id: client_id.into(),
            secret_hash: hash_secret(secret).expect("hashes"),
            name: "MCP agent".into(),
            organization_id: Some(organization),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            active: true,
        })
        .await
        .expect("client registered");
}

#[tokio::test]
async fn a_sales_agent_gets_their_next_leads_and_a_suggested_reply_through_the_tools() {
    let f = fixture::start().await.expect("the graph starts");
    let admin = f.token(
        Some(f.org_a),
        &["sales:admin", "crm:write", "content:read", "ads:read"],
    );
    // A sales agent of org A, who logs in with a password and holds crm:read.
    let created = graph(
        &f,
        &admin,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        json!({ "input": {
            "organizationId": f.org_a.to_string(), "email": "alba.agent@es.example",
            "name": "Alba Agent", "userType": "SALES_AGENT" } }),
    )
    .await;
    let agent: uuid::Uuid = created["createUser"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the agent's id");
    let password = "agent password, long enough";
    f.set_password(agent, password).await.expect("password set");
    f.grant(agent, f.org_a, &["crm:read"])
        .await
        .expect("granted");
    // A hot lead of "Customer 2" assigned to the agent, with a question waiting for an answer.
    let customers = graph(
        &f,
        &admin,
        "{ customers(first: 10) { edges { node { id fullName } } } }",
        json!({}),
    )
    .await;
    let customer = customers["customers"]["edges"]
        .as_array()
        .and_then(|edges| edges.iter().find(|e| e["node"]["fullName"] == "Customer 2"))
        .and_then(|e| e["node"]["id"].as_str())
        .expect("Customer 2 of org A")
        .to_string();
    let lead = graph(
        &f,
        &admin,
        "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }",
        json!({ "input": {
            "campaignId": f.campaign_1.to_string(), "customerId": customer, "source": "EMAIL",
            "stage": "SQL", "score": 80, "purchaseIntent": 0.95, "assignedAgentId": agent.to_string() } }),
    )
    .await["createLead"]["id"]
        .as_str()
        .expect("the lead's id")
        .to_string();
    graph(
        &f,
        &admin,
        "mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { id } }",
        json!({ "input": {
            "leadId": lead, "actor": "AGENT", "agentId": agent.to_string(), "channel": "EMAIL", "direction": "INBOUND",
            "summary": "Do you ship the summit backpack to Andorra?" } }),
    )
    .await;

    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", f.sales_base))
        .form(&[
            ("grant_type", "password"),
            ("username", "alba.agent@es.example"),
            ("password", password),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    let login: Value = response.json().await.expect("a token response");
    let agent_token = login["access_token"].as_str().expect("an access token");

    let adapter = start_http(&f, &shipped_operations(), &[])
        .await
        .expect("mcp starts");
    let (service, _) = connect_http(&adapter, agent_token, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let tools = service.list_all_tools().await.expect("tools/list");
    let listed = names(&tools);
    assert!(
        listed.contains(&"getNextLeads".to_string())
            && listed.contains(&"getSuggestedReply".to_string()),
        "{listed:?}"
    );
    assert!(
        !listed.contains(&"getContent".to_string()),
        "the agent holds crm:read only: {listed:?}"
    );

    // The queue: the agent's own hot lead first, then org A's open unassigned leads (the
    // fixture's 2 IQL, 1 MQL, 1 SQL; its WON lead is closed), nothing of org B.
    let queue = call(&service, "getNextLeads", json!({}))
        .await
        .expect("answered");
    let queue_tool = tools
        .iter()
        .find(|t| t.name == "getNextLeads")
        .expect("listed");
    assert_fits_output_schema(queue_tool, &queue);
    let entries = data_of(&queue)["agentQueue"]
        .as_array()
        .cloned()
        .expect("a queue");
    assert_eq!(entries.len(), 5, "{entries:#?}");
    let first = &entries[0]["lead"];
    assert_eq!(first["id"], lead.as_str(), "{entries:#?}");
    assert_eq!(first["stage"], "SQL");
    assert_eq!(first["customer"]["fullName"], "Customer 2");
    assert_eq!(first["campaign"]["id"], f.campaign_1.to_string());
    let mut stages: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["lead"]["stage"].as_str())
        .collect();
    stages.sort_unstable();
    assert_eq!(stages, ["IQL", "IQL", "MQL", "SQL", "SQL"]);
    assert!(
        entries.iter().all(|e| e["lead"]["customer"]["fullName"]
            .as_str()
            .is_some_and(|n| n != "Customer 9")),
        "org B's customer leaked: {entries:#?}"
    );
    let priorities: Vec<f64> = entries
        .iter()
        .filter_map(|e| e["priority"].as_f64())
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "highest priority first: {priorities:?}"
    );
    let two = call(&service, "getNextLeads", json!({ "first": 2 }))
        .await
        .expect("answered");
    assert_eq!(
        data_of(&two)["agentQueue"].as_array().map(Vec::len),
        Some(2)
    );

    // The copilot answers from the lead's history (the offline writer sends the draft as is).
    let reply = call(&service, "getSuggestedReply", json!({ "leadId": lead }))
        .await
        .expect("answered");
    let reply_tool = tools
        .iter()
        .find(|t| t.name == "getSuggestedReply")
        .expect("listed");
    assert_fits_output_schema(reply_tool, &reply);
    let suggestion = &data_of(&reply)["suggestedReply"];
    let text = suggestion["text"].as_str().expect("a reply");
    assert!(text.starts_with("Hi Customer,"), "{text}");
    assert!(
        text.contains("Do you ship the summit backpack to Andorra?"),
        "{text}"
    );
    assert!(text.contains("book a short call"), "an SQL lead: {text}");
    assert_eq!(suggestion["model"], "template-writer");
    // Another tenant's lead id, or none at all, is the graph's NOT_FOUND.
    let nowhere = call(
        &service,
        "getSuggestedReply",
        json!({ "leadId": uuid::Uuid::now_v7().to_string() }),
    )
    .await
    .expect("answered");
    assert_eq!(nowhere.is_error, Some(true));
    assert!(
        text_of(&nowhere).contains("NOT_FOUND"),
        "{}",
        text_of(&nowhere)
    );
    service.cancel().await.expect("closes");

    // A service (no user) must say whose queue it wants.
    let service_token = f.token(Some(f.org_a), &["crm:read"]);
    let (bot, _) = connect_http(&adapter, &service_token, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let whose = call(&bot, "getNextLeads", json!({}))
        .await
        .expect("answered");
    assert_eq!(whose.is_error, Some(true));
    assert!(text_of(&whose).contains("agentId"), "{}", text_of(&whose));
    let theirs = call(
        &bot,
        "getNextLeads",
        json!({ "agentId": agent.to_string(), "first": 1 }),
    )
    .await
    .expect("answered");
    assert_eq!(
        data_of(&theirs)["agentQueue"][0]["lead"]["id"],
        lead.as_str()
    );
    bot.cancel().await.expect("closes");
}

#[tokio::test]
async fn a_marketer_generates_campaign_content_and_reads_the_content_and_ai_logs() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(
        &f,
        &shipped_operations(),
        &[("PROMPTSALES_MCP_ALLOW_MUTATIONS", "true")],
    )
    .await
    .expect("mcp starts");
    let marketer = f.token(Some(f.org_a), &["sales:read", "content:write"]);
    let (service, _) = connect_http(&adapter, &marketer, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let tools = service.list_all_tools().await.expect("tools/list");
    let tool = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} listed: {:?}", names(&tools)))
            .clone()
    };

    let generated = call(
        &service,
        "generateCampaignContent",
        json!({ "input": {
            "campaignId": f.campaign_1.to_string(), "campaignName": "Winter Summit",
            "keyMessage": "Gear that keeps climbing",
            "audiences": [{ "name": "Weekend hikers", "description": "city people who hike on Saturdays" }],
            "channels": ["INSTAGRAM", "EMAIL"], "hashtags": ["winter"] } }),
    )
    .await
    .expect("answered");
    assert_fits_output_schema(&tool("generateCampaignContent"), &generated);
    let pieces = data_of(&generated)["generateCampaignContent"]
        .as_array()
        .cloned()
        .expect("pieces");
    let mut channels: Vec<&str> = pieces
        .iter()
        .filter_map(|p| p["channel"].as_str())
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["EMAIL", "INSTAGRAM"], "{pieces:#?}");
    for piece in &pieces {
        assert_eq!(piece["audienceName"], "Weekend hikers");
        assert_eq!(
            piece["reviewStatus"], "PENDING_REVIEW",
            "nothing is usable unreviewed"
        );
        assert_eq!(piece["model"], "template-writer");
        let variants = piece["variants"].as_array().expect("variants");
        assert_eq!(variants.len(), 3, "{piece:#}");
        assert!(
            variants.iter().all(|v| v["text"]
                .as_str()
                .is_some_and(|t| t.contains("Gear that keeps climbing"))),
            "{piece:#}"
        );
    }
    let mut ids: Vec<String> = pieces
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();

    // The campaign's content log holds exactly those pieces; none is usable yet.
    let log = call(
        &service,
        "getCampaignContentLog",
        json!({ "campaignId": f.campaign_1.to_string() }),
    )
    .await
    .expect("answered");
    assert_fits_output_schema(&tool("getCampaignContentLog"), &log);
    let campaign = &data_of(&log)["campaign"];
    assert_eq!(campaign["name"], "Winter Summit");
    let logged = campaign["generatedContents"]["edges"]
        .as_array()
        .cloned()
        .expect("edges");
    let mut logged_ids: Vec<String> = logged
        .iter()
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_string))
        .collect();
    logged_ids.sort();
    assert_eq!(logged_ids, ids);
    assert!(logged.iter().all(|e| e["node"]["usable"] == false));
    let usable = call(
        &service,
        "getCampaignContentLog",
        json!({ "campaignId": f.campaign_1.to_string(), "usableOnly": true }),
    )
    .await
    .expect("answered");
    assert_eq!(
        data_of(&usable)["campaign"]["generatedContents"]["edges"],
        json!([])
    );
    let draft_campaign = call(
        &service,
        "getCampaignContentLog",
        json!({ "campaignId": f.campaign_2.to_string() }),
    )
    .await
    .expect("answered");
    assert_eq!(
        data_of(&draft_campaign)["campaign"]["generatedContents"]["edges"],
        json!([])
    );

    // The AI request log: one generation per variant, by the offline writer, and the
    // search for assets to suggest to the audience.
    let requests = call(&service, "getAiRequestLog", json!({}))
        .await
        .expect("answered");
    assert_fits_output_schema(&tool("getAiRequestLog"), &requests);
    let entries = data_of(&requests)["aiRequestLog"]["edges"]
        .as_array()
        .cloned()
        .expect("edges");
    let generations: Vec<&Value> = entries
        .iter()
        .map(|e| &e["node"])
        .filter(|n| n["operation"] == "content.generate")
        .collect();
    assert_eq!(generations.len(), 3 * pieces.len(), "{entries:#?}");
    assert!(
        entries
            .iter()
            .any(|e| e["node"]["operation"] == "content.search"),
        "{entries:#?}"
    );
    assert!(
        generations.iter().all(|n| n["model"] == "template-writer"),
        "{entries:#?}"
    );
    service.cancel().await.expect("closes");

    // Org B's log holds none of it; a reader may not generate.
    let rival = f.token(Some(f.org_b), &["sales:read", "content:read"]);
    let (rival, _) = connect_http(&adapter, &rival, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let theirs = call(&rival, "getAiRequestLog", json!({}))
        .await
        .expect("answered");
    assert_eq!(data_of(&theirs)["aiRequestLog"]["edges"], json!([]));
    let foreign = call(
        &rival,
        "getCampaignContentLog",
        json!({ "campaignId": f.campaign_1.to_string() }),
    )
    .await
    .expect("answered");
    assert_eq!(foreign.is_error, Some(true));
    assert!(
        text_of(&foreign).contains("NOT_FOUND"),
        "{}",
        text_of(&foreign)
    );
    let hidden = call(&rival, "generateCampaignContent", json!({})).await;
    assert!(hidden.is_err(), "content:read does not write: {hidden:?}");
    rival.cancel().await.expect("closes");
}

#[tokio::test]
async fn over_stdio_a_2026_client_discovers_calls_and_hears_of_new_tools() {
    let f = fixture::start().await.expect("the graph starts");
    register_service_client(
        &f,
        "mcp-modern",
        "modern-secret",
        &["content:read", "sales:read"],
    )
    .await;
    let folder = tempfile::tempdir().expect("a folder");
    std::fs::copy(
        shipped_operations().join("content.graphql"),
        folder.path().join("content.graphql"),
    )
    .expect("copied");
    // 2026-07-28 over stdio: `server/discover`, no `initialize`.
    let (service, _, _) = connect(
        stdio(&f, folder.path(), ("mcp-modern", "modern-secret")),
        discover_2026(),
    )
    .await
    .expect("discovers over stdio");
    assert_eq!(
        service.peer_info().expect("server info").protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    let listed = names(&service.list_all_tools().await.expect("tools/list"));
    assert!(listed.contains(&"getContent".to_string()), "{listed:?}");
    assert!(!listed.contains(&"countAssets".to_string()), "{listed:?}");
    let result = call(
        &service,
        "getContent",
        json!({ "description": "snowy backpack" }),
    )
    .await
    .expect("tools/call");
    assert_expected_assets(&result);

    // The list-changed notification reaches a stdio client through `subscriptions/listen`.
    let mut subscription = service
        .listen(SubscriptionFilter::builder().tools_list_changed().build())
        .await
        .expect("subscribed");
    assert_eq!(subscription.acknowledged().tools_list_changed, Some(true));
    std::fs::write(
        folder.path().join("count.graphql"),
        "# How many assets a campaign uses.\nquery countAssets($id: ID!) { campaign(id: $id) { assetCount } }\n",
    )
    .expect("written");
    let heard = tokio::time::timeout(Duration::from_secs(60), subscription.next())
        .await
        .expect("a notification within a minute")
        .expect("the subscription is open");
    assert!(
        matches!(
            heard,
            Some(ServerNotification::ToolListChangedNotification(_))
        ),
        "{heard:?}"
    );
    let count = call(
        &service,
        "countAssets",
        json!({ "id": f.campaign_1.to_string() }),
    )
    .await
    .expect("call");
    assert_eq!(data_of(&count)["campaign"]["assetCount"], 2);
    service.cancel().await.expect("closes");
}

#[tokio::test]
async fn with_auth_off_every_tool_is_listed_but_only_a_token_the_graph_verifies_gets_data() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(
        &f,
        &shipped_operations(),
        &[("PROMPTSALES_MCP_AUTH", "false")],
    )
    .await
    .expect("mcp starts");
    // No token: the handshake and the list work, every tool is there (mutations included)...
    let anonymous = connect_http_anonymous(&adapter).await.expect("connects");
    let listed = names(&anonymous.list_all_tools().await.expect("tools/list"));
    for tool in [
        "getContent",
        "listLeads",
        "getNextLeads",
        "getBestChannels",
        "createCampaignDraft",
        "generateCampaignContent",
        "searchSchema",
    ] {
        assert!(listed.contains(&tool.to_string()), "{tool}: {listed:?}");
    }
    // ...but the router sees an anonymous caller and the subgraphs refuse data.
    for (tool, arguments) in [
        (
            "getContent",
            json!({ "description": "snowy summit backpack" }),
        ),
        ("listLeads", json!({})),
        (
            "getCampaignFunnel",
            json!({ "campaignId": f.campaign_1.to_string() }),
        ),
    ] {
        let refused = call(&anonymous, tool, arguments).await.expect("answered");
        assert_eq!(
            refused.is_error,
            Some(true),
            "{tool}: {}",
            text_of(&refused)
        );
        assert!(
            text_of(&refused).contains("UNAUTHENTICATED"),
            "{tool}: {}",
            text_of(&refused)
        );
        assert!(
            !text_of(&refused).contains("Backpack") && !text_of(&refused).contains("Customer"),
            "{tool}: {}",
            text_of(&refused)
        );
    }
    // The schema tools need nobody.
    let search = call(
        &anonymous,
        "searchSchema",
        json!({ "words": "lead funnel" }),
    )
    .await
    .expect("search");
    assert!(
        text_of(&search).contains("leadFunnel"),
        "{}",
        text_of(&search)
    );
    anonymous.cancel().await.expect("closes");

    // A token sent anyway is not checked here but forwarded: the graph verifies it and scopes
    // the answer to its tenant and roles.
    let reader = f.token(Some(f.org_a), &["content:read"]);
    let (service, _) = connect_http(&adapter, &reader, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let found = call(
        &service,
        "getContent",
        json!({ "description": "snowy summit backpack" }),
    )
    .await
    .expect("answered");
    assert_expected_assets(&found);
    let leads = call(&service, "listLeads", json!({}))
        .await
        .expect("answered");
    assert_eq!(leads.is_error, Some(true), "{}", text_of(&leads));
    assert!(text_of(&leads).contains("crm:read"), "{}", text_of(&leads));
    service.cancel().await.expect("closes");
    // A forged token (unsigned) is refused by the graph, not served.
    let (forged, _) = connect_http(
        &adapter,
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwib3JnIjoiYSJ9.",
        ClientLifecycleMode::Initialize,
    )
    .await
    .expect("connects");
    let refused = call(
        &forged,
        "getContent",
        json!({ "description": "snowy summit backpack" }),
    )
    .await
    .expect("answered");
    assert_eq!(refused.is_error, Some(true), "{}", text_of(&refused));
    assert!(
        text_of(&refused).contains("UNAUTHENTICATED"),
        "{}",
        text_of(&refused)
    );
    forged.cancel().await.expect("closes");

    // Over stdio without a credential: the same, every tool listed and no data.
    let operations = shipped_operations();
    let (stdio, _, _) = connect(
        Via::Stdio(StdioSetup {
            fixture: &f,
            operations: &operations,
            credential: None,
            extra: &[("PROMPTSALES_MCP_AUTH", "false")],
        }),
        ClientLifecycleMode::Initialize,
    )
    .await
    .expect("initialize over stdio");
    let listed = names(&stdio.list_all_tools().await.expect("tools/list"));
    assert!(listed.contains(&"listLeads".to_string()), "{listed:?}");
    let refused = call(&stdio, "listLeads", json!({}))
        .await
        .expect("answered");
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("UNAUTHENTICATED"),
        "{}",
        text_of(&refused)
    );
    stdio.cancel().await.expect("closes");
}
