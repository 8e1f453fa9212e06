//! `ask` (issue 22): questions in plain words answered from the graph as the caller,
//! through the MCP tool and the adapter's GraphQL `ask`, offline and with a chat model.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use rmcp::ClientLifecycleMode;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use super::fixture::{self, ALL_READ, Fixture};
use super::harness::{bearer, post_graphql};
use super::mcp::{
    HttpAdapter, call, connect_http, shipped_operations, start_http, text_of as text,
};

/// The local sentence embedder when the test models are there, else the hashing one.
fn embedder_env() -> Vec<(&'static str, String)> {
    match std::env::var("PROMPTSALES_TEST_MODELS_DIR") {
        Ok(dir) if std::path::Path::new(&dir).join("all-MiniLM-L6-v2").is_dir() => vec![
            ("PROMPTSALES_AI_EMBEDDER", "local".into()),
            ("PROMPTSALES_MODELS_DIR", dir),
        ],
        _ => vec![("PROMPTSALES_AI_EMBEDDER", "hashing".into())],
    }
}

async fn adapter(f: &Fixture, extra: &[(&str, String)]) -> HttpAdapter {
    let mut env: Vec<(&str, String)> = embedder_env();
    env.push(("PROMPTSALES_AI_BASE_URL", String::new()));
    env.extend(extra.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    start_http(f, &shipped_operations(), &env)
        .await
        .expect("mcp starts")
}

async fn ask_tool(adapter: &HttpAdapter, token: &str, question: &str) -> CallToolResult {
    let (service, _) = connect_http(adapter, token, ClientLifecycleMode::Initialize)
        .await
        .expect("connects");
    let result = call(&service, "ask", json!({ "question": question }))
        .await
        .expect("ask answers");
    let _ = service.cancel().await;
    result
}

fn structured(result: &CallToolResult) -> Value {
    result
        .structured_content
        .clone()
        .expect("structured content")
}

fn operation_names(answer: &Value) -> Vec<String> {
    answer["operations"]
        .as_array()
        .map(|ops| {
            ops.iter()
                .filter_map(|o| o["operationName"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn ask_graphql(adapter: &HttpAdapter, token: Option<&str>, question: &str) -> Value {
    let headers = token.map(bearer).unwrap_or_default();
    post_graphql(
        &reqwest::Client::new(),
        &format!("{}/graphql", adapter.base),
        "query Ask($q: String!) { ask(question: $q) { answered text kind planner figures understood operations { operationName variables document } } }",
        json!({ "q": question }),
        &headers,
    )
    .await
    .expect("the adapter's /graphql answers")
}

#[tokio::test]
async fn ask_answers_with_figures_and_the_operations_it_ran() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = adapter(&f, &[]).await;
    let token = f.token(Some(f.org_a), &ALL_READ);

    // The MCP tool: a campaign's funnel (fixture: 2 IQL, 1 MQL, 1 won).
    let result = ask_tool(
        &adapter,
        &token,
        "What does the funnel of Winter Summit look like?",
    )
    .await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(true), "{answer:#}");
    assert_eq!(answer["kind"], json!("funnel"), "{answer:#}");
    assert_eq!(answer["figures"]["iql"], json!(2), "{answer:#}");
    assert_eq!(answer["figures"]["mql"], json!(1));
    assert_eq!(answer["figures"]["won"], json!(1));
    assert_eq!(answer["figures"]["total"], json!(4));
    assert!(text(&result).contains("Winter Summit"), "{}", text(&result));
    assert_eq!(
        operation_names(&answer),
        ["listCampaigns", "getCampaignFunnel"],
        "{answer:#}"
    );
    let funnel_op = &answer["operations"][1];
    assert_eq!(
        funnel_op["variables"]["campaignId"],
        json!(f.campaign_1.to_string())
    );
    assert!(
        funnel_op["document"]
            .as_str()
            .is_some_and(|d| d.contains("query getCampaignFunnel")),
        "{funnel_op:#}"
    );

    // A period in words: per channel over the fixture's days 1-2 (Instagram 6 conversions
    // for 160.75 spent, Google 2 for 40).
    let result = ask_tool(
        &adapter,
        &token,
        &format!(
            "Which channel worked best for Winter Summit between {} and {}?",
            fixture::words(1),
            fixture::words(2)
        ),
    )
    .await;
    let answer = structured(&result);
    assert_eq!(answer["kind"], json!("best_channel"), "{answer:#}");
    assert_eq!(
        answer["figures"]["period"],
        json!({ "from": fixture::iso(1), "to": fixture::iso(2) })
    );
    let channels = &answer["figures"]["channels"];
    assert_eq!(channels[0]["channel"], json!("INSTAGRAM"), "{answer:#}");
    assert_eq!(channels[0]["conversions"], json!(6));
    assert_eq!(channels[0]["spend"], json!(160.75));
    assert_eq!(channels[1]["channel"], json!("GOOGLE"));
    assert_eq!(channels[1]["conversions"], json!(2));
    let op = &answer["operations"][1];
    assert_eq!(op["operationName"], json!("getBestChannels"));
    assert_eq!(op["variables"]["from"], json!(fixture::iso(1)));
    assert_eq!(op["variables"]["to"], json!(fixture::iso(2)));

    // The same question as GraphQL, at the adapter's /graphql.
    let response = ask_graphql(
        &adapter,
        Some(&token),
        "How much budget does Winter Summit have left?",
    )
    .await;
    let answer = &response["data"]["ask"];
    assert_eq!(answer["answered"], json!(true), "{response:#}");
    assert_eq!(answer["kind"], json!("campaign_budget"), "{response:#}");
    assert_eq!(answer["figures"]["budget"], json!(10000.0), "{response:#}");
    assert_eq!(
        answer["figures"]["available"],
        json!(7500.0),
        "{response:#}"
    );
    assert_eq!(
        answer["operations"][1]["operationName"],
        json!("getCampaignPerformance")
    );
    // Without a token: a coded error, no answer.
    let response = ask_graphql(&adapter, None, "Which approvals are pending?").await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        json!("UNAUTHENTICATED"),
        "{response:#}"
    );
}

#[tokio::test]
async fn ask_answers_from_the_callers_tenant_only() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = adapter(&f, &[]).await;
    let token_a = f.token(Some(f.org_a), &ALL_READ);
    let token_b = f.token(Some(f.org_b), &ALL_READ);

    // Org B does not know Winter Summit: the name is matched against its own campaigns only.
    let result = ask_tool(
        &adapter,
        &token_b,
        "What does the funnel of Winter Summit look like?",
    )
    .await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(false), "{answer:#}");
    assert_eq!(answer["figures"], Value::Null);
    assert_eq!(operation_names(&answer), ["listCampaigns"]);
    assert!(
        text(&result).contains("Rival Launch"),
        "its own campaigns are offered: {}",
        text(&result)
    );

    // Org A asks about org B's campaign by name: not found, nothing of it in the answer.
    let result = ask_tool(
        &adapter,
        &token_a,
        "How much revenue did Rival Launch bring?",
    )
    .await;
    let answer = structured(&result);
    assert_ne!(answer["kind"], json!("campaign_revenue"), "{answer:#}");
    let dump = answer.to_string();
    assert!(!dump.contains(&f.campaign_b.to_string()), "{dump}");
    assert!(!dump.contains("Rival"), "{dump}");

    // Lists are the caller's: org A's campaigns, never org B's.
    let result = ask_tool(&adapter, &token_a, "Which campaigns are running?").await;
    let answer = structured(&result);
    assert_eq!(answer["kind"], json!("campaigns_by_status"), "{answer:#}");
    let names: Vec<&str> = answer["figures"]["campaigns"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Winter Summit"], "{answer:#}");
    assert!(!answer.to_string().contains("Rival"), "{answer:#}");

    // Spend per channel: org B's 9,999 on Facebook is not org A's.
    let result = ask_tool(
        &adapter,
        &token_a,
        &format!(
            "What did we spend on Facebook between {} and {} against budget?",
            fixture::words(1),
            fixture::words(28)
        ),
    )
    .await;
    let answer = structured(&result);
    assert_eq!(answer["kind"], json!("spend_vs_budget"), "{answer:#}");
    let facebook = &answer["figures"]["channels"][0];
    assert_eq!(facebook["channel"], json!("FACEBOOK"), "{answer:#}");
    assert_eq!(facebook["spend"], json!(9.99), "{answer:#}");
}

#[tokio::test]
async fn ask_says_what_it_understood_when_it_cannot_answer() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = adapter(&f, &[]).await;
    let token = f.token(Some(f.org_a), &ALL_READ);

    let result = ask_tool(
        &adapter,
        &token,
        "What will the weather be in Madrid last week of the year?",
    )
    .await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(false), "{answer:#}");
    assert_eq!(answer["figures"], Value::Null);
    let said = text(&result);
    assert!(said.contains("I understood"), "{said}");
    assert!(
        said.contains("Which approvals are pending?"),
        "it lists what it answers: {said}"
    );
    assert_ne!(
        result.is_error,
        Some(true),
        "not being able to answer is an answer"
    );

    // A funnel without a campaign: it names what is missing and the caller's campaigns.
    let result = ask_tool(&adapter, &token, "What does the funnel look like?").await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(false), "{answer:#}");
    let said = text(&result);
    assert!(said.contains("name of one of your campaigns"), "{said}");
    assert!(said.contains("Winter Summit"), "{said}");
    // Org B is never shown org A's names, not even in the examples of what can be asked.
    let other = f.token(Some(f.org_b), &ALL_READ);
    let result = ask_tool(&adapter, &other, "Tell me a joke").await;
    let said = text(&result);
    assert!(said.contains("<campaign>"), "{said}");
    assert!(!said.contains("Winter Summit"), "{said}");
    // A request for a change is refused as such, not answered with a read that looks close.
    let result = ask_tool(&adapter, &token, "Please pause Winter Summit").await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(false), "{answer:#}");
    assert!(text(&result).contains("only reads"), "{}", text(&result));
    assert_eq!(
        operation_names(&answer),
        ["listCampaigns"],
        "only the name lookup ran"
    );
    // What it read is reported, structured.
    let result = ask_tool(&adapter, &token, "Tell me a joke about TikTok last week").await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(false), "{answer:#}");
    assert_eq!(
        answer["understood"]["channels"][0]["value"],
        json!("TIKTOK"),
        "{answer:#}"
    );
    assert_eq!(
        answer["understood"]["period"]["phrase"],
        json!("last week"),
        "{answer:#}"
    );
}

/// What the fake chat-completions server was sent, and what it answers in turn.
#[derive(Clone, Default)]
struct FakeModel {
    requests: Arc<Mutex<Vec<Value>>>,
    replies: Arc<Mutex<Vec<String>>>,
}

async fn chat_completions(State(model): State<FakeModel>, Json(body): Json<Value>) -> Json<Value> {
    model.requests.lock().expect("lock").push(body.clone());
    let reply = {
        let mut replies = model.replies.lock().expect("lock");
        if replies.is_empty() {
            String::new()
        } else {
            replies.remove(0)
        }
    };
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": reply } }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 }
    }))
}

#[tokio::test]
async fn the_model_path_speaks_openai_chat_completions_and_refuses_a_mutation() {
    let f = fixture::start().await.expect("the graph starts");
    let model = FakeModel::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let port = listener.local_addr().expect("address").port();
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .with_state(model.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let adapter = adapter(
        &f,
        &[
            ("PROMPTSALES_ASK_PLANNER", "model".into()),
            (
                "PROMPTSALES_AI_BASE_URL",
                format!("http://127.0.0.1:{port}/v1"),
            ),
            ("PROMPTSALES_AI_MODEL", "test-model".into()),
            ("PROMPTSALES_AI_MAX_RETRIES", "0".into()),
        ],
    )
    .await;
    let token = f.token(Some(f.org_a), &ALL_WRITE_AND_READ);

    // The model writes a mutation: refused, nothing runs.
    model.replies.lock().expect("lock").push(
        json!({
            "query": "mutation Pause($id: ID!) { changeCampaignStatus(id: $id, status: PAUSED) { id status } }",
            "variables": { "id": f.campaign_1.to_string() }
        })
        .to_string(),
    );
    let result = ask_tool(&adapter, &token, "Pause Winter Summit").await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(false), "{answer:#}");
    assert_eq!(answer["planner"], json!("model"));
    assert!(text(&result).contains("refused"), "{}", text(&result));
    assert_eq!(
        operation_names(&answer),
        ["listCampaigns"],
        "only the name lookup ran"
    );
    let status = post_graphql(
        &reqwest::Client::new(),
        &f.router.url,
        "query S($id: ID!) { campaign(id: $id) { status } }",
        json!({ "id": f.campaign_1.to_string() }),
        &bearer(&token),
    )
    .await
    .expect("router answers");
    assert_eq!(
        status["data"]["campaign"]["status"],
        json!("ACTIVE"),
        "{status:#}"
    );

    // It speaks the chat-completions protocol: model, a system message with the schema the
    // caller may read, the question as the user message.
    {
        let requests = model.requests.lock().expect("lock");
        let first = requests.first().expect("the model was called");
        assert_eq!(first["model"], json!("test-model"));
        assert_eq!(first["messages"][0]["role"], json!("system"));
        assert_eq!(first["messages"][1]["role"], json!("user"));
        assert_eq!(
            first["messages"][1]["content"],
            json!("Pause Winter Summit")
        );
        let system = first["messages"][0]["content"].as_str().unwrap_or("");
        assert!(system.contains("type Query"), "{system}");
        assert!(system.contains("campaigns("), "{system}");
    }

    // A read it writes runs as the caller: org A's campaigns only.
    model.replies.lock().expect("lock").push(
        "```json\n{\"query\": \"query Names { campaigns(first: 10) { edges { node { name } } } }\", \"variables\": {}}\n```"
            .to_string(),
    );
    let result = ask_tool(&adapter, &token, "What are our campaigns called?").await;
    let answer = structured(&result);
    assert_eq!(answer["answered"], json!(true), "{answer:#}");
    assert_eq!(answer["planner"], json!("model"));
    let dump = answer["figures"].to_string();
    assert!(
        dump.contains("Winter Summit") && !dump.contains("Rival"),
        "{dump}"
    );
    assert_eq!(operation_names(&answer), ["listCampaigns", "Names"]);

    // A caller without crm roles gets a schema without crm's fields.
    model
        .replies
        .lock()
        .expect("lock")
        .push("I do not know.".into());
    let sales_only = f.token(Some(f.org_a), &["sales:read"]);
    let result = ask_tool(&adapter, &sales_only, "How many leads?").await;
    assert_eq!(structured(&result)["answered"], json!(false));
    let requests = model.requests.lock().expect("lock");
    let last = requests.last().expect("a request");
    let system = last["messages"][0]["content"].as_str().unwrap_or("");
    assert!(system.contains("campaigns("), "{system}");
    assert!(
        !system.contains("leadFunnel"),
        "crm fields are pruned: {system}"
    );
}

/// Write roles too: the refusal is ask's own, not a missing role.
const ALL_WRITE_AND_READ: [&str; 4] = fixture::ALL_WRITE;
