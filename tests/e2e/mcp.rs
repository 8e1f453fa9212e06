//! The MCP adapter driven as a real MCP client drives it (the `rmcp` client), over
//! streamable HTTP (both protocol generations) and stdio, against the running graph.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use promptsales_kit::testing::free_port;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    PaginatedRequestParams, ProtocolVersion, ServerNotification, SubscriptionFilter, Tool,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use promptsales_sales::auth::secret::hash_secret;
use promptsales_sales::auth::store::OAuthClient;

use super::fixture::{self, Fixture};
use super::harness::{promptsales_bin, repo_root, wait_for_http};

/// Every subsystem at read: what an analyst's agent holds.
const ALL_READ: [&str; 4] = ["sales:read", "ads:read", "crm:read", "content:read"];

/// A client that reports `notifications/tools/list_changed`.
#[derive(Clone)]
struct Client {
    changed: mpsc::UnboundedSender<()>,
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
}

fn client() -> (Client, mpsc::UnboundedReceiver<()>) {
    let (changed, rx) = mpsc::unbounded_channel();
    (Client { changed }, rx)
}

/// `promptsales mcp` serving HTTP in front of the fixture's router; killed when dropped.
struct HttpAdapter {
    url: String,
    base: String,
    _child: Child,
}

fn adapter_env(f: &Fixture, operations: &Path) -> Vec<(String, String)> {
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
    ]
}

async fn start_http(
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

async fn connect_http(
    adapter: &HttpAdapter,
    token: &str,
    lifecycle: ClientLifecycleMode,
) -> anyhow::Result<(
    RunningService<RoleClient, Client>,
    mpsc::UnboundedReceiver<()>,
)> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(adapter.url.clone()).auth_header(token),
    );
    let (handler, changes) = client();
    let service = handler
        .serve_with_lifecycle(transport, lifecycle)
        .await
        .context("MCP handshake over HTTP")?;
    Ok((service, changes))
}

fn names(tools: &[Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

async fn call(
    service: &RunningService<RoleClient, Client>,
    name: &str,
    arguments: Value,
) -> anyhow::Result<CallToolResult> {
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    Ok(service
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(arguments))
        .await?)
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts a tool's structured result fits the output schema it advertised.
fn assert_fits_output_schema(tool: &Tool, result: &CallToolResult) {
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

fn shipped_operations() -> std::path::PathBuf {
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

    // An ads tool with a period: campaign 1's channels in October.
    let channels = call(
        &service,
        "getBestChannels",
        json!({ "campaignId": f.campaign_1.to_string(), "from": "2026-10-01", "to": "2026-10-31" }),
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
        json!({ "campaignId": f.campaign_1.to_string(), "from": "1 October", "to": "2026-10-31" }),
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
    // A writer sees it, and calling it while mutations are off is refused.
    let writer = f.token(
        Some(f.org_a),
        &["sales:write", "ads:read", "crm:read", "content:read"],
    );
    let (writer, _) = connect_http(&adapter, &writer, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let refused = call(
        &writer,
        "createCampaignDraft",
        json!({ "input": {
            "name": "Autumn", "organizationId": f.org_a.to_string(), "ownerId": f.marketer_a.to_string(),
            "budget": "1000", "currency": "EUR", "startDate": "2026-11-01", "endDate": "2026-11-30" } }),
    )
    .await
    .expect("answered");
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("mutations are disabled"),
        "{}",
        text_of(&refused)
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
    let (service, _) = connect_http(
        &adapter,
        &token,
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
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
    let (modern, _) = connect_http(
        &adapter,
        &token,
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
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
    f.auth
        .upsert_client(OAuthClient {
            id: uuid::Uuid::now_v7(),
            client_id: "mcp-agent".into(),
            secret_hash: hash_secret("s3cret-for-tests").expect("hashes"),
            name: "MCP agent".into(),
            organization_id: Some(f.org_a),
            roles: vec!["content:read".into(), "sales:read".into()],
            active: true,
        })
        .await
        .expect("client registered");
    let token_url = format!("{}/oauth/token", f.sales_base);
    let mut command = Command::new(promptsales_bin());
    command
        .args(["mcp", "--stdio"])
        .envs(adapter_env(&f, &shipped_operations()))
        .env("PROMPTSALES_MCP_TOKEN_URL", &token_url)
        .env("PROMPTSALES_MCP_CLIENT_ID", "mcp-agent")
        .env("PROMPTSALES_MCP_CLIENT_SECRET", "s3cret-for-tests");
    let transport = TokioChildProcess::new(command).expect("spawns promptsales mcp --stdio");
    let (handler, _) = client();
    let service = handler
        .serve(transport)
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
    let mut command = Command::new(promptsales_bin());
    command
        .args(["mcp", "--stdio"])
        .envs(adapter_env(&f, &shipped_operations()))
        .env("PROMPTSALES_MCP_TOKEN_URL", &token_url)
        .env("PROMPTSALES_MCP_CLIENT_ID", "mcp-agent")
        .env("PROMPTSALES_MCP_CLIENT_SECRET", "wrong");
    let (handler, _) = client();
    let service = handler
        .serve(TokioChildProcess::new(command).expect("spawns"))
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
