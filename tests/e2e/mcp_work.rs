//! AI agents doing the daily work through the MCP adapter's write tools, under supervision:
//! everyday writes run, what moves money or launches waits for a person's approval in sales,
//! and every call lands in the audit log.

use rmcp::ClientLifecycleMode;
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};

use super::fixture::{self, Fixture};
use super::harness::repo_root;
use super::mcp::{
    StdioSetup, Via, assert_fits_output_schema, call, connect, data_of, discover_2026, graph,
    names, register_service_client, register_service_client_of, shipped_operations, start_http,
    stdio, text_of,
};

/// Creates a user of org A and returns their id.
async fn new_user(f: &Fixture, admin: &str, email: &str, user_type: &str) -> uuid::Uuid {
    let created = graph(
        f,
        admin,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        json!({ "input": {
            "organizationId": f.org_a.to_string(), "email": email,
            "name": email, "userType": user_type } }),
    )
    .await;
    created["createUser"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the user's id")
}

/// Org A's campaign 1 budget: (total, available).
async fn budget(f: &Fixture, token: &str) -> (String, String) {
    let data = graph(
        f,
        token,
        "query($id: ID!) { campaign(id: $id) { budget { total { amount } available { amount } } } }",
        json!({ "id": f.campaign_1.to_string() }),
    )
    .await;
    let budget = &data["campaign"]["budget"];
    (
        budget["total"]["amount"].to_string(),
        budget["available"]["amount"].to_string(),
    )
}

/// The `mcp.tool_call` entries of the audit log, newest first.
async fn tool_calls(f: &Fixture, admin: &str) -> Vec<Value> {
    let data = graph(
        f,
        admin,
        "{ auditLog(filter: { action: \"mcp.tool_call\" }, first: 100) { edges { node { actorId targetId metadata } } } }",
        json!({}),
    )
    .await;
    data["auditLog"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn agents_do_the_daily_work_with_write_tools_and_a_person_approves_what_moves_money() {
    let f = fixture::start().await.expect("the graph starts");
    let setup = f.token(Some(f.org_a), &["sales:admin", "crm:write"]);
    let boss = new_user(&f, &setup, "boss@es.example", "ADMIN").await;
    let agent = new_user(&f, &setup, "sam.agent@es.example", "SALES_AGENT").await;
    let boss_token = f.user_token(boss, f.org_a, &["sales:admin"]);

    // The default policy: everyday writes run, launches and money wait for a person.
    let adapter = start_http(&f, &shipped_operations(), &[])
        .await
        .expect("mcp starts");

    // A sales agent (a person: crm:write, and sales:read to see the campaigns it sells for:
    // crm checks the campaign a sale names with sales, as the caller) over HTTP, 2025-11-25
    // handshake.
    let agent_token = f.user_token(agent, f.org_a, &["crm:write", "sales:read"]);
    let (sales, _, _) = connect(
        Via::Http(&adapter, &agent_token),
        ClientLifecycleMode::Initialize,
    )
    .await
    .expect("connects");
    let tools = sales.list_all_tools().await.expect("tools/list");
    let listed = names(&tools);
    for tool in [
        "claimNextLead",
        "moveLeadStage",
        "recordInteraction",
        "sendSuggestedReply",
        "createSale",
    ] {
        assert!(listed.contains(&tool.to_string()), "{tool}: {listed:?}");
    }
    assert!(
        !listed.contains(&"recordCampaignBudgetMovement".to_string()),
        "crm:write moves no sales budget: {listed:?}"
    );
    let move_tool = tools
        .iter()
        .find(|t| t.name == "moveLeadStage")
        .expect("listed");
    let hints = move_tool.annotations.as_ref().expect("annotations");
    assert_eq!(
        (hints.read_only_hint, hints.destructive_hint),
        (Some(false), Some(false))
    );
    assert!(
        move_tool
            .description
            .as_deref()
            .unwrap_or("")
            .contains("expectedVersion")
    );

    let claimed = call(&sales, "claimNextLead", json!({}))
        .await
        .expect("answered");
    assert_fits_output_schema(
        tools
            .iter()
            .find(|t| t.name == "claimNextLead")
            .expect("listed"),
        &claimed,
    );
    let lead = data_of(&claimed)["claimNextLead"].clone();
    let lead_id = lead["id"].as_str().expect("a lead was claimed").to_string();
    let version = lead["version"].as_i64().expect("its version");
    // The next stage of the funnel (IQL -> MQL -> SQL -> OPPORTUNITY).
    let target = match lead["stage"].as_str() {
        Some("IQL") => "MQL",
        Some("MQL") => "SQL",
        Some("SQL") => "OPPORTUNITY",
        _ => "SQL",
    };
    let moved = call(
        &sales,
        "moveLeadStage",
        json!({ "input": { "leadId": lead_id, "stage": target, "expectedVersion": version, "note": "qualified on a call" } }),
    )
    .await
    .expect("answered");
    assert_eq!(data_of(&moved)["moveLeadStage"]["stage"], target);
    // The same version again: someone (the agent itself) changed it meanwhile.
    let stale = call(
        &sales,
        "moveLeadStage",
        json!({ "input": { "leadId": lead_id, "stage": "LOST", "expectedVersion": version } }),
    )
    .await
    .expect("answered");
    assert_eq!(stale.is_error, Some(true));
    assert!(text_of(&stale).contains("CONFLICT"), "{}", text_of(&stale));
    let noted = call(
        &sales,
        "recordInteraction",
        json!({ "input": { "leadId": lead_id, "actor": "AGENT", "channel": "CALL",
                           "direction": "OUTBOUND", "summary": "Walked through the sizes" } }),
    )
    .await
    .expect("answered");
    assert_eq!(
        data_of(&noted)["recordInteraction"]["summary"],
        "Walked through the sizes"
    );
    let replied = call(&sales, "sendSuggestedReply", json!({ "leadId": lead_id }))
        .await
        .expect("answered");
    let reply = &data_of(&replied)["sendSuggestedReply"];
    assert!(
        reply["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{reply}"
    );
    assert!(reply["interaction"]["id"].is_string(), "{reply}");
    let sold = call(
        &sales,
        "createSale",
        json!({ "input": { "customerId": lead["customer"]["id"], "campaignId": lead["campaign"]["id"],
                           "leadId": lead_id, "amount": "250.00", "currency": "EUR" } }),
    )
    .await
    .expect("answered");
    let sale = &data_of(&sold)["createSale"];
    assert_eq!(sale["lead"]["id"], lead_id.as_str(), "{sale}");
    assert_eq!(
        sale["amount"]["amount"]
            .as_str()
            .and_then(|a| a.parse::<f64>().ok()),
        Some(250.0),
        "{sale}"
    );
    sales.cancel().await.expect("closes");

    // A marketer's agent (a service of org A: sales and content writes) over stdio, 2026-07-28.
    register_service_client(
        &f,
        "marketing-agent",
        "marketing-secret",
        &["sales:write", "content:write"],
    )
    .await;
    let operations = shipped_operations();
    let (marketing, _, _) = connect(
        stdio(&f, &operations, ("marketing-agent", "marketing-secret")),
        discover_2026(),
    )
    .await
    .expect("discovers over stdio");
    let tools = marketing.list_all_tools().await.expect("tools/list");
    let money_tool = tools
        .iter()
        .find(|t| t.name == "recordCampaignBudgetMovement")
        .expect("listed");
    let hints = money_tool.annotations.as_ref().expect("annotations");
    assert_eq!(
        (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.open_world_hint
        ),
        (Some(false), Some(true), Some(true))
    );
    assert!(
        money_tool
            .description
            .as_deref()
            .unwrap_or("")
            .contains("Supervised"),
        "{:?}",
        money_tool.description
    );
    let launch_tool = tools
        .iter()
        .find(|t| t.name == "launchCampaign")
        .expect("listed");
    assert_eq!(
        launch_tool
            .annotations
            .as_ref()
            .and_then(|a| a.open_world_hint),
        Some(true)
    );

    let proposed = call(
        &marketing,
        "createCampaignFromStrategy",
        json!({ "input": {
            "name": "Spring Ridge", "organizationId": f.org_a.to_string(), "ownerId": f.marketer_a.to_string(),
            "budget": "3000.00", "currency": "EUR", "startDate": "2027-03-01", "endDate": "2027-03-31",
            "keyMessage": "Light packs for long days", "countries": ["ES"],
            "audiences": [{ "name": "Trail runners" }] } }),
    )
    .await
    .expect("answered");
    let proposal = &data_of(&proposed)["proposeCampaignPlan"];
    assert_eq!(proposal["campaign"]["status"], "DRAFT", "{proposal}");
    assert!(
        proposal["plan"]["channels"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{proposal}"
    );

    let generated = call(
        &marketing,
        "generateCampaignContent",
        json!({ "input": {
            "campaignId": f.campaign_1.to_string(), "campaignName": "Winter Summit",
            "keyMessage": "Gear that keeps climbing",
            "audiences": [{ "name": "Weekend hikers" }],
            "channels": ["EMAIL"] } }),
    )
    .await
    .expect("answered");
    let piece = data_of(&generated)["generateCampaignContent"][0]["id"]
        .as_str()
        .expect("a piece")
        .to_string();
    let reviewed = call(
        &marketing,
        "reviewGeneratedContent",
        json!({ "id": piece, "status": "APPROVED", "chosenVariant": 1 }),
    )
    .await
    .expect("answered");
    assert_eq!(data_of(&reviewed)["reviewGeneratedContent"]["usable"], true);
    let saved = call(
        &marketing,
        "savePromptTemplate",
        json!({ "input": { "name": "ridge-email", "channel": "EMAIL", "purpose": "CAMPAIGN_CONTENT",
                           "useCase": "spring e-mail", "body": "Write to {{audience}}: {{key_message}}" } }),
    )
    .await
    .expect("answered");
    assert_eq!(
        data_of(&saved)["savePromptTemplate"]["placeholders"],
        json!(["audience", "key_message"])
    );

    // Money: the call does not move it; it files a request a person decides.
    let before = budget(&f, &setup).await;
    let deposit = json!({ "input": { "campaignId": f.campaign_1.to_string(), "kind": "DEPOSIT",
                                     "amount": "500.00", "reference": "agent top-up" } });
    let asked = call(&marketing, "recordCampaignBudgetMovement", deposit.clone())
        .await
        .expect("answered");
    assert_ne!(asked.is_error, Some(true), "{}", text_of(&asked));
    assert_fits_output_schema(money_tool, &asked);
    let approval = asked.structured_content.as_ref().expect("structured")["approval"].clone();
    let request_id = approval["requestId"]
        .as_str()
        .expect("a request id")
        .to_string();
    assert_eq!(approval["status"], "PENDING");
    assert!(text_of(&asked).contains("approv"), "{}", text_of(&asked));
    assert_eq!(budget(&f, &setup).await, before, "nothing moved yet");
    // Asking again before anyone decided is the same request, and still moves nothing.
    let again = call(&marketing, "recordCampaignBudgetMovement", deposit.clone())
        .await
        .expect("answered");
    assert_eq!(
        again.structured_content.as_ref().expect("structured")["approval"]["requestId"],
        request_id.as_str()
    );
    assert_eq!(budget(&f, &setup).await, before);

    // The person sees it with its exact arguments, and approves it.
    let pending = graph(
        &f,
        &boss_token,
        "{ agentActionRequests(status: PENDING) { id tool riskClass arguments status } }",
        json!({}),
    )
    .await;
    let listed = pending["agentActionRequests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["tool"], "recordCampaignBudgetMovement");
    assert_eq!(listed[0]["riskClass"], "spend");
    assert_eq!(
        listed[0]["arguments"]["input"]["amount"], "500.00",
        "the arguments as they will run"
    );
    // Org B's people see none of it.
    let rival = f.token(Some(f.org_b), &["sales:admin"]);
    let theirs = graph(&f, &rival, "{ agentActionRequests { id } }", json!({})).await;
    assert_eq!(theirs["agentActionRequests"], json!([]));
    let decided = graph(
        &f,
        &boss_token,
        "mutation($id: ID!) { resolveAgentAction(id: $id, decision: APPROVE, comment: \"ok for the launch week\") { status resolvedById } }",
        json!({ "id": request_id }),
    )
    .await;
    assert_eq!(decided["resolveAgentAction"]["status"], "APPROVED");
    assert_eq!(
        decided["resolveAgentAction"]["resolvedById"],
        boss.to_string()
    );

    // Different arguments are not what was approved: a new request, nothing moves.
    let other = call(
        &marketing,
        "recordCampaignBudgetMovement",
        json!({ "input": { "campaignId": f.campaign_1.to_string(), "kind": "DEPOSIT",
                           "amount": "5000.00", "reference": "agent top-up" } }),
    )
    .await
    .expect("answered");
    assert_ne!(
        other.structured_content.as_ref().expect("structured")["approval"]["requestId"],
        request_id.as_str()
    );
    assert_eq!(budget(&f, &setup).await, before);
    // The approved call runs, once.
    let ran = call(&marketing, "recordCampaignBudgetMovement", deposit.clone())
        .await
        .expect("answered");
    let movement = &data_of(&ran)["recordBudgetMovement"];
    assert_eq!(movement["kind"], "DEPOSIT", "{}", text_of(&ran));
    assert_ne!(
        budget(&f, &setup).await,
        before,
        "the approved deposit moved the budget"
    );
    let after = budget(&f, &setup).await;
    let once_more = call(&marketing, "recordCampaignBudgetMovement", deposit)
        .await
        .expect("answered");
    assert!(
        once_more.structured_content.as_ref().expect("structured")["approval"]["requestId"]
            .is_string(),
        "an approval is used once: {}",
        text_of(&once_more)
    );
    assert_eq!(budget(&f, &setup).await, after);

    // A rejected launch never runs.
    let launch = json!({ "campaignId": f.campaign_2.to_string() });
    let asked = call(&marketing, "launchCampaign", launch.clone())
        .await
        .expect("answered");
    let launch_request =
        asked.structured_content.as_ref().expect("structured")["approval"]["requestId"]
            .as_str()
            .expect("a request")
            .to_string();
    let refused = graph(
        &f,
        &boss_token,
        "mutation($id: ID!) { resolveAgentAction(id: $id, decision: REJECT) { status } }",
        json!({ "id": launch_request }),
    )
    .await;
    assert_eq!(refused["resolveAgentAction"]["status"], "REJECTED");
    let twice = f
        .router
        .post(
            "mutation($id: ID!) { resolveAgentAction(id: $id, decision: APPROVE) { status } }",
            json!({ "id": launch_request }),
            &super::harness::bearer(&boss_token),
        )
        .await
        .expect("answered");
    assert_eq!(
        twice["errors"][0]["extensions"]["code"], "CONFLICT",
        "{twice}"
    );
    let status = graph(
        &f,
        &setup,
        "query($id: ID!) { campaign(id: $id) { status } }",
        json!({ "id": f.campaign_2.to_string() }),
    )
    .await;
    assert_eq!(status["campaign"]["status"], "DRAFT");
    marketing.cancel().await.expect("closes");

    // Every call is in the audit log: the person's (crm-only, no sales role) and the service's.
    let entries = tool_calls(&f, &setup).await;
    let of = |tool: &str, outcome: &str| {
        entries
            .iter()
            .filter(|e| e["targetId"] == tool && e["metadata"]["outcome"] == outcome)
            .count()
    };
    assert!(of("claimNextLead", "succeeded") >= 1, "{entries:#?}");
    assert!(of("moveLeadStage", "failed") >= 1, "{entries:#?}");
    assert!(
        entries
            .iter()
            .any(|e| e["targetId"] == "createSale" && e["actorId"] == agent.to_string()),
        "the crm-only agent's calls are audited with the agent as actor: {entries:#?}"
    );
    assert_eq!(
        of("recordCampaignBudgetMovement", "approval_requested"),
        4,
        "{entries:#?}"
    );
    assert_eq!(
        of("recordCampaignBudgetMovement", "succeeded"),
        1,
        "{entries:#?}"
    );
    assert!(
        entries
            .iter()
            .filter(|e| e["targetId"] == "recordCampaignBudgetMovement")
            .all(|e| e["metadata"]["risk"] == "spend" && e["metadata"]["transport"] == "stdio"),
        "{entries:#?}"
    );

    // The coarse switch still refuses every write.
    let closed = start_http(
        &f,
        &shipped_operations(),
        &[("PROMPTSALES_MCP_ALLOW_MUTATIONS", "false")],
    )
    .await
    .expect("mcp starts");
    let (sales, _, _) = connect(
        Via::Http(&closed, &agent_token),
        ClientLifecycleMode::Initialize,
    )
    .await
    .expect("connects");
    let refused = call(&sales, "claimNextLead", json!({}))
        .await
        .expect("answered");
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("PROMPTSALES_MCP_ALLOW_MUTATIONS"),
        "{}",
        text_of(&refused)
    );
    sales.cancel().await.expect("closes");
}

/// The JSON-RPC error of a refused request.
fn rpc_error<T: std::fmt::Debug>(result: Result<T, rmcp::ServiceError>) -> rmcp::ErrorData {
    match result {
        Err(rmcp::ServiceError::McpError(error)) => error,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test]
#[allow(deprecated)]
async fn prompts_resources_logging_and_completion_over_both_transports_and_protocols() {
    use rmcp::model::{
        GetPromptRequestParams, LoggingLevel, ReadResourceRequestParams, ResourceContents,
        ServerNotification, SetLevelRequestParams, SubscriptionFilter,
    };
    use std::time::Duration;

    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(&f, &shipped_operations(), &[])
        .await
        .expect("mcp starts");
    let marketer = f.user_token(f.marketer_a, f.org_a, &["sales:read", "content:write"]);

    // 2025-11-25 over HTTP: the capabilities are in `initialize`.
    let (service, _, mut heard) = connect(
        Via::Http(&adapter, &marketer),
        ClientLifecycleMode::Initialize,
    )
    .await
    .expect("connects");
    let info = service.peer_info().expect("server info").clone();
    let capabilities = &info.capabilities;
    assert!(
        capabilities
            .prompts
            .as_ref()
            .is_some_and(|p| p.list_changed == Some(true))
    );
    assert!(capabilities.resources.is_some());
    assert!(capabilities.logging.is_some());
    assert!(capabilities.completions.is_some());

    // A template saved through the adapter becomes a prompt, and the client hears of it.
    let saved = call(
        &service,
        "savePromptTemplate",
        json!({ "input": { "name": "summit-post", "channel": "INSTAGRAM", "purpose": "CAMPAIGN_CONTENT",
                           "useCase": "Instagram post", "body": "For {{audience}} on {{channel}}: {{key_message}}" } }),
    )
    .await
    .expect("answered");
    let version = data_of(&saved)["savePromptTemplate"]["version"]
        .as_i64()
        .expect("a version");
    let name = format!("summit-post@v{version}");
    tokio::time::timeout(Duration::from_secs(30), heard.prompts.recv())
        .await
        .expect("notifications/prompts/list_changed within 30 s")
        .expect("the client is open");
    let prompts = service.list_all_prompts().await.expect("prompts/list");
    let prompt = prompts.iter().find(|p| p.name == name).unwrap_or_else(|| {
        panic!(
            "{name} in {:?}",
            prompts.iter().map(|p| &p.name).collect::<Vec<_>>()
        )
    });
    let mut arguments: Vec<&str> = prompt
        .arguments
        .as_ref()
        .expect("arguments")
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    arguments.sort_unstable();
    assert_eq!(arguments, ["audience", "channel", "key_message"]);
    let filled = service
        .get_prompt(GetPromptRequestParams::new(name.clone()).with_arguments(
            json!({ "audience": "weekend hikers", "channel": "Instagram", "key_message": "Climb on" })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ))
        .await
        .expect("prompts/get");
    let text = filled.messages[0]
        .content
        .as_text()
        .expect("text")
        .text
        .clone();
    assert_eq!(text, "For weekend hikers on Instagram: Climb on");
    let missing = rpc_error(
        service
            .get_prompt(GetPromptRequestParams::new(name.clone()))
            .await,
    );
    assert_eq!(missing.code.0, -32602, "{missing:?}");
    // Another tenant has no such prompt.
    let rival = f.token(Some(f.org_b), &["content:read"]);
    let (other, _, _) = connect(Via::Http(&adapter, &rival), ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let theirs = other.list_all_prompts().await.expect("prompts/list");
    assert!(theirs.iter().all(|p| p.name != name), "{theirs:?}");
    let unknown = rpc_error(
        other
            .get_prompt(GetPromptRequestParams::new(name.clone()))
            .await,
    );
    assert_eq!(unknown.code.0, -32602);
    other.cancel().await.expect("closes");

    // Completion: a prompt's channel argument, an operation file's name.
    let channels = service
        .complete_prompt_simple(name.clone(), "channel", "ins")
        .await
        .expect("completion/complete");
    assert_eq!(channels, ["INSTAGRAM"]);
    let files = service
        .complete_resource_simple("promptsales://operations/{file}", "file", "cr")
        .await
        .expect("completion/complete");
    assert_eq!(files, ["crm.graphql"]);

    // Resources: the guide, the schema, each operation file; an unknown URI is -32602.
    let resources = service.list_all_resources().await.expect("resources/list");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    for uri in [
        "promptsales://guide",
        "promptsales://schema",
        "promptsales://operations/crm.graphql",
        "promptsales://operations/sales_work.graphql",
    ] {
        assert!(uris.contains(&uri), "{uri}: {uris:?}");
    }
    let read = |uri: &str| {
        let uri = uri.to_string();
        let service = &service;
        async move {
            let result = service
                .read_resource(ReadResourceRequestParams::new(uri.clone()))
                .await
                .expect("resources/read");
            match &result.contents[0] {
                ResourceContents::TextResourceContents { text, .. } => text.clone(),
                other => panic!("{uri}: {other:?}"),
            }
        }
    };
    assert!(read("promptsales://guide").await.contains("approval"));
    assert!(read("promptsales://schema").await.contains("type Query"));
    assert!(
        read("promptsales://operations/sales_work.graphql")
            .await
            .contains("mutation moveLeadStage")
    );
    let nowhere = rpc_error(
        service
            .read_resource(ReadResourceRequestParams::new("promptsales://nowhere"))
            .await,
    );
    assert_eq!(nowhere.code.0, -32602, "{nowhere:?}");
    assert_eq!(
        nowhere.data.as_ref().map(|d| d["uri"].clone()),
        Some(json!("promptsales://nowhere"))
    );

    // Logging: nothing before setLevel, then the tool call's messages at that level.
    call(&service, "listCampaigns", json!({}))
        .await
        .expect("answered");
    assert!(
        heard.logs.try_recv().is_err(),
        "no log before logging/setLevel"
    );
    service
        .set_level(SetLevelRequestParams::new(LoggingLevel::Info))
        .await
        .expect("logging/setLevel");
    call(&service, "listCampaigns", json!({}))
        .await
        .expect("answered");
    let first = tokio::time::timeout(Duration::from_secs(10), heard.logs.recv())
        .await
        .expect("a log message")
        .expect("open");
    assert_eq!(first.data["tool"], "listCampaigns", "{first:?}");
    service
        .set_level(SetLevelRequestParams::new(LoggingLevel::Warning))
        .await
        .expect("logging/setLevel");
    while heard.logs.try_recv().is_ok() {}
    call(&service, "listCampaigns", json!({}))
        .await
        .expect("answered");
    let refused = call(
        &service,
        "getCampaignContentLog",
        json!({ "campaignId": "nope" }),
    )
    .await
    .expect("answered");
    assert_eq!(refused.is_error, Some(true));
    let warning = tokio::time::timeout(Duration::from_secs(10), heard.logs.recv())
        .await
        .expect("a warning")
        .expect("open");
    assert_eq!(warning.level, LoggingLevel::Warning, "{warning:?}");
    assert_eq!(
        warning.data["tool"], "getCampaignContentLog",
        "only warnings pass: {warning:?}"
    );

    // 2026-07-28 over HTTP: discovery declares the same; subscriptions/listen hears a
    // prompt change made through another session.
    let (modern, _, _) = connect(Via::Http(&adapter, &marketer), discover_2026())
        .await
        .expect("discovers over HTTP");
    let discovered = modern.peer_info().expect("server info").clone();
    assert_eq!(discovered.protocol_version, ProtocolVersion::V_2026_07_28);
    assert!(discovered.capabilities.prompts.is_some());
    assert!(discovered.capabilities.resources.is_some());
    let mut subscription = modern
        .listen(
            SubscriptionFilter::builder()
                .tools_list_changed()
                .prompts_list_changed()
                .build(),
        )
        .await
        .expect("subscriptions/listen over HTTP");
    assert_eq!(subscription.acknowledged().prompts_list_changed, Some(true));
    call(
        &service,
        "savePromptTemplate",
        json!({ "input": { "name": "summit-post", "channel": "INSTAGRAM", "purpose": "CAMPAIGN_CONTENT",
                           "useCase": "Instagram post", "body": "Now for {{audience}} on {{channel}}: {{key_message}}" } }),
    )
    .await
    .expect("answered");
    let heard_change = tokio::time::timeout(Duration::from_secs(30), subscription.next())
        .await
        .expect("a notification within 30 s")
        .expect("the subscription is open");
    assert!(
        matches!(
            heard_change,
            Some(ServerNotification::PromptListChangedNotification(_))
        ),
        "{heard_change:?}"
    );
    let newer = modern.list_all_prompts().await.expect("prompts/list");
    assert!(
        newer
            .iter()
            .any(|p| p.name == format!("summit-post@v{}", version + 1)),
        "{newer:?}"
    );
    let schema_text = modern
        .read_resource(ReadResourceRequestParams::new("promptsales://schema"))
        .await
        .expect("resources/read");
    assert!(!schema_text.contents.is_empty());
    let gone = rpc_error(
        modern
            .read_resource(ReadResourceRequestParams::new("promptsales://nowhere"))
            .await,
    );
    assert_eq!(gone.code.0, -32602);
    assert_eq!(
        gone.data.as_ref().map(|d| d["uri"].clone()),
        Some(json!("promptsales://nowhere"))
    );
    modern.cancel().await.expect("closes");
    service.cancel().await.expect("closes");

    // Over stdio, 2026-07-28: the same prompts (a service of org A) and resources.
    register_service_client(&f, "prompt-reader", "prompt-secret", &["content:read"]).await;
    let operations = shipped_operations();
    let (stdio, _, _) = connect(
        stdio(&f, &operations, ("prompt-reader", "prompt-secret")),
        discover_2026(),
    )
    .await
    .expect("discovers over stdio");
    let latest = format!("summit-post@v{}", version + 1);
    let listed = stdio.list_all_prompts().await.expect("prompts/list");
    assert!(listed.iter().any(|p| p.name == latest), "{listed:?}");
    let guide = stdio
        .read_resource(ReadResourceRequestParams::new("promptsales://guide"))
        .await
        .expect("resources/read");
    assert!(!guide.contents.is_empty());
    // The channel placeholder completes with the graph's content channels (whatever their
    // number: the enum grows), narrowed by what was typed.
    let channels = stdio
        .complete_prompt_simple(latest.clone(), "channel", "")
        .await
        .expect("completion");
    for channel in ["BLOG", "EMAIL", "INSTAGRAM", "LINKEDIN", "TIKTOK"] {
        assert!(channels.iter().any(|c| c == channel), "{channels:?}");
    }
    assert_eq!(
        stdio
            .complete_prompt_simple(latest, "channel", "ins")
            .await
            .expect("completion"),
        ["INSTAGRAM"]
    );
    stdio.cancel().await.expect("closes");
}

/// Reads server-sent events from `response` until `done` says so (or 30 s pass): the events
/// as (id, data).
async fn read_events(
    response: &mut reqwest::Response,
    done: impl Fn(&[(Option<String>, String)]) -> bool,
) -> Vec<(Option<String>, String)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done(&events) {
        let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            _ => break,
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut id = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            events.push((id, data));
        }
    }
    events
}

fn answers(events: &[(Option<String>, String)], request: i64) -> Option<Value> {
    events.iter().find_map(|(_, data)| {
        let message: Value = serde_json::from_str(data).ok()?;
        (message["id"] == request && message.get("result").is_some()).then_some(message)
    })
}

#[tokio::test]
async fn a_client_that_lost_its_stream_resumes_it_with_last_event_id_and_gets_the_tool_answer() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(
        &f,
        &shipped_operations(),
        &[
            ("PROMPTSALES_MCP_REPLAY_EVENTS", "8"),
            ("PROMPTSALES_MCP_REPLAY_SECONDS", "3"),
        ],
    )
    .await
    .expect("mcp starts");
    let token = f.token(Some(f.org_a), &["content:read", "sales:read"]);
    let http = reqwest::Client::new();
    let post = |session: Option<&str>, body: Value| {
        let mut request = http
            .post(&adapter.url)
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        request.send()
    };
    let init = post(
        None,
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": { "name": "e2e-resume", "version": "0" } } }),
    )
    .await
    .expect("initialize");
    let session = init
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("a session id")
        .to_string();
    let _ = init.text().await;
    let initialized = post(
        Some(&session),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
    )
    .await
    .expect("initialized");
    assert_eq!(initialized.status(), 202);

    // The tool call's stream breaks after its first event (the connection is lost).
    let call = |id: i64| {
        post(
            Some(&session),
            json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                "name": "getContent", "arguments": { "description": "summit backpack" } } }),
        )
    };
    let mut stream = call(2).await.expect("tools/call");
    assert_eq!(stream.status(), 200);
    let first = read_events(&mut stream, |events| {
        events.iter().any(|(id, _)| id.is_some())
    })
    .await;
    let last_event_id = first
        .iter()
        .find_map(|(id, _)| id.clone())
        .expect("the stream's first event has an id");
    drop(stream);

    // Reconnecting with Last-Event-ID replays what came after it: the tool's answer.
    let resume = |last: String| {
        http.get(&adapter.url)
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .header("last-event-id", last)
            .send()
    };
    let mut resumed = resume(last_event_id.clone())
        .await
        .expect("GET with Last-Event-ID");
    assert_eq!(resumed.status(), 200);
    let replayed = read_events(&mut resumed, |events| answers(events, 2).is_some()).await;
    let answer =
        answers(&replayed, 2).unwrap_or_else(|| panic!("no answer replayed: {replayed:?}"));
    let hits = &answer["result"]["structuredContent"]["data"]["searchContent"];
    assert_eq!(
        hits[0]["asset"]["description"], "Backpack on a snowy summit",
        "{answer:#}"
    );
    assert!(
        replayed
            .iter()
            .all(|(id, _)| id.as_deref() != Some(last_event_id.as_str())),
        "only the events after Last-Event-ID: {replayed:?}"
    );

    // Past the replay window (3 s here) the finished stream is gone: nothing is replayed.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let mut later = call(3).await.expect("tools/call");
    let _ = read_events(&mut later, |events| answers(events, 3).is_some()).await;
    let mut expired = resume(last_event_id).await.expect("GET with Last-Event-ID");
    let nothing = read_events(&mut expired, |events| answers(events, 2).is_some()).await;
    assert!(answers(&nothing, 2).is_none(), "{nothing:?}");
}

/// How long a test waits for one notification before failing (a broken bus must fail the
/// test, not hang the suite).
const HEARING: std::time::Duration = std::time::Duration::from_secs(60);

/// A session of the prompt-change test: how it hears the server.
enum Ear {
    /// Began with `initialize` (2025-11-25): list changes reach the client's handler.
    Legacy {
        tools: tokio::sync::mpsc::UnboundedReceiver<()>,
        prompts: tokio::sync::mpsc::UnboundedReceiver<()>,
    },
    /// 2026-07-28: one `subscriptions/listen` for both lists.
    Listening(rmcp::service::Subscription),
}

/// One MCP session of one caller, named for the assertions.
struct Session {
    name: &'static str,
    service: rmcp::service::RunningService<rmcp::RoleClient, super::mcp::Client>,
    ear: Ear,
}

/// What a session heard next.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Tools,
    Prompts,
}

impl Session {
    async fn open(name: &'static str, via: Via<'_>, modern: bool) -> Self {
        use rmcp::model::SubscriptionFilter;
        let lifecycle = if modern {
            discover_2026()
        } else {
            ClientLifecycleMode::Initialize
        };
        let (service, tools, heard) = connect(via, lifecycle)
            .await
            .unwrap_or_else(|e| panic!("{name} connects: {e:#}"));
        let ear = if modern {
            let subscription = service
                .listen(
                    SubscriptionFilter::builder()
                        .tools_list_changed()
                        .prompts_list_changed()
                        .build(),
                )
                .await
                .unwrap_or_else(|e| panic!("{name}: subscriptions/listen: {e}"));
            assert_eq!(
                subscription.acknowledged().prompts_list_changed,
                Some(true),
                "{name}"
            );
            Ear::Listening(subscription)
        } else {
            Ear::Legacy {
                tools,
                prompts: heard.prompts,
            }
        };
        Self { name, service, ear }
    }

    /// Waits for the next tool-list change (the fence below): a legacy session must have heard
    /// no prompt change before it, a subscription must deliver nothing else before it.
    async fn fence(&mut self) {
        let name = self.name;
        match &mut self.ear {
            Ear::Legacy { tools, prompts } => {
                tokio::time::timeout(HEARING, tools.recv())
                    .await
                    .unwrap_or_else(|_| panic!("{name}: tools/list_changed within a minute"))
                    .unwrap_or_else(|| panic!("{name}: the client is open"));
                assert!(
                    prompts.try_recv().is_err(),
                    "{name} heard a prompt change before the fence"
                );
            }
            Ear::Listening(_) => assert_eq!(self.next().await, Next::Tools, "{name}"),
        }
    }

    /// Waits for the next prompt-list change.
    async fn hears_prompts(&mut self) {
        let name = self.name;
        match &mut self.ear {
            Ear::Legacy { prompts, .. } => {
                tokio::time::timeout(HEARING, prompts.recv())
                    .await
                    .unwrap_or_else(|_| panic!("{name}: prompts/list_changed within a minute"))
                    .unwrap_or_else(|| panic!("{name}: the client is open"));
            }
            Ear::Listening(_) => assert_eq!(self.next().await, Next::Prompts, "{name}"),
        }
    }

    /// The next list change on a subscription.
    async fn next(&mut self) -> Next {
        use rmcp::model::ServerNotification;
        let name = self.name;
        let Ear::Listening(subscription) = &mut self.ear else {
            panic!("{name} does not listen");
        };
        let heard = tokio::time::timeout(HEARING, subscription.next())
            .await
            .unwrap_or_else(|_| panic!("{name}: a notification within a minute"))
            .unwrap_or_else(|e| panic!("{name}: the subscription failed: {e}"));
        match heard {
            Some(ServerNotification::ToolListChangedNotification(_)) => Next::Tools,
            Some(ServerNotification::PromptListChangedNotification(_)) => Next::Prompts,
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// Adds an operation file to `folder` in one step (renamed in from outside, so the adapters'
/// watchers see one event): every adapter reloads and tells every session its tools changed.
/// That tool-list change is the fence the tests wait for: whatever prompt change was announced
/// before it reached each session before it.
fn touch_operations(folder: &std::path::Path, scratch: &std::path::Path, n: usize) {
    let file = format!("fence{n}.graphql");
    let staged = scratch.join(&file);
    std::fs::write(
        &staged,
        format!("# Fence {n}.\nquery fence{n} {{ campaigns(first: 1) {{ edges {{ node {{ id }} }} }} }}\n"),
    )
    .expect("written");
    std::fs::rename(&staged, folder.join(&file)).expect("moved in");
}

/// Saves a template version for `token`'s organization through the router (not the adapter).
async fn save_template_through_graphql(f: &Fixture, token: &str, name: &str) -> String {
    let saved = graph(
        f,
        token,
        "mutation($input: SavePromptTemplateInput!) { savePromptTemplate(input: $input) { id } }",
        json!({ "input": { "name": name, "channel": "INSTAGRAM", "purpose": "CAMPAIGN_CONTENT",
                           "useCase": "Instagram post", "body": "For {{audience}}: {{key_message}}" } }),
    )
    .await;
    saved["savePromptTemplate"]["id"]
        .as_str()
        .expect("the version's id")
        .to_string()
}

#[tokio::test]
async fn a_template_changed_through_graphql_is_announced_only_to_the_sessions_of_its_organization()
{
    let f = fixture::start().await.expect("the graph starts");
    // Private copies: the operation folder is touched for the fences, and a supergraph
    // rewritten elsewhere must not send a tool-list change of its own.
    let folder = tempfile::tempdir().expect("a folder");
    for entry in std::fs::read_dir(shipped_operations()).expect("the shipped operations") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "graphql") {
            std::fs::copy(&path, folder.path().join(path.file_name().expect("a name")))
                .expect("copied");
        }
    }
    let scratch = tempfile::tempdir().expect("a folder");
    let supergraph = scratch.path().join("supergraph.graphql");
    std::fs::copy(repo_root().join("schema/supergraph.graphql"), &supergraph).expect("copied");
    let supergraph = supergraph.display().to_string();
    let staging = tempfile::tempdir().expect("a folder");
    let extra = [("PROMPTSALES_SUPERGRAPH", supergraph.as_str())];
    let adapter = start_http(&f, folder.path(), &extra)
        .await
        .expect("mcp starts");

    let reader_a = f.token(Some(f.org_a), &["content:read"]);
    let reader_b = f.token(Some(f.org_b), &["content:read"]);
    let operator = f.token(None, &["content:read"]);
    register_service_client_of(&f, f.org_a, "notes-a", "secret-a", &["content:read"]).await;
    register_service_client_of(&f, f.org_b, "notes-b", "secret-b", &["content:read"]).await;
    let stdio = |credential| {
        Via::Stdio(StdioSetup {
            fixture: &f,
            operations: folder.path(),
            credential: Some(credential),
            extra: &extra,
        })
    };
    // Each organization on each transport and protocol generation, and a platform operator.
    let mut a = vec![
        Session::open("HTTP 2025 A", Via::Http(&adapter, &reader_a), false).await,
        Session::open("HTTP 2026 A", Via::Http(&adapter, &reader_a), true).await,
        Session::open("stdio 2025 A", stdio(("notes-a", "secret-a")), false).await,
        Session::open("stdio 2026 A", stdio(("notes-a", "secret-a")), true).await,
    ];
    let mut b = vec![
        Session::open("HTTP 2025 B", Via::Http(&adapter, &reader_b), false).await,
        Session::open("HTTP 2026 B", Via::Http(&adapter, &reader_b), true).await,
        Session::open("stdio 2025 B", stdio(("notes-b", "secret-b")), false).await,
        Session::open("stdio 2026 B", stdio(("notes-b", "secret-b")), true).await,
    ];
    let mut platform =
        Session::open("HTTP 2025 operator", Via::Http(&adapter, &operator), false).await;

    // Every session is registered and hears the global tool-list changes.
    touch_operations(folder.path(), staging.path(), 0);
    for session in a.iter_mut().chain(b.iter_mut()) {
        session.fence().await;
    }
    platform.fence().await;

    // Org A saves a template through the router: A's sessions and the operator's hear it...
    let writer_a = f.token(Some(f.org_a), &["content:write"]);
    save_template_through_graphql(&f, &writer_a, "a-launch").await;
    for session in a.iter_mut() {
        session.hears_prompts().await;
    }
    platform.hears_prompts().await;
    // ...B's do not: each hears the next tool-list change, and nothing before it.
    touch_operations(folder.path(), staging.path(), 1);
    for session in b.iter_mut() {
        session.fence().await;
    }
    for session in a.iter_mut() {
        session.fence().await;
    }

    // The same the other way round (B's sessions can hear, so their silence above meant something).
    let writer_b = f.token(Some(f.org_b), &["content:write"]);
    let b_version = save_template_through_graphql(&f, &writer_b, "b-launch").await;
    for session in b.iter_mut() {
        session.hears_prompts().await;
    }
    touch_operations(folder.path(), staging.path(), 2);
    for session in a.iter_mut() {
        session.fence().await;
    }
    for session in b.iter_mut() {
        session.fence().await;
    }
    // Turning a version off is a change too.
    graph(
        &f,
        &writer_b,
        "mutation($id: ID!) { setPromptTemplateActive(id: $id, active: false) { active } }",
        json!({ "id": b_version }),
    )
    .await;
    for session in b.iter_mut() {
        session.hears_prompts().await;
    }
    touch_operations(folder.path(), staging.path(), 3);
    for session in a.iter_mut() {
        session.fence().await;
    }

    for session in a.into_iter().chain(b) {
        session.service.cancel().await.expect("closes");
    }
    platform.service.cancel().await.expect("closes");
}
