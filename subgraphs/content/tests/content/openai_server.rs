//! A local axum server that speaks the OpenAI chat-completions API, for the
//! content tests that go through the real HTTP model client. It can hold each
//! answer until the test releases it (to watch a batch progress step by step).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use promptsales_kit::ai::retry::RetryPolicy;
use promptsales_kit::ai::{OpenAiCompatibleClient, OpenAiConfig};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// The running server.
pub struct OpenAiServer {
    /// Its API root (`http://127.0.0.1:PORT/v1`).
    pub base_url: String,
    /// Chat completions answered.
    pub calls: Arc<AtomicUsize>,
    /// When gated, one permit lets one answer through.
    pub gate: Option<Arc<Semaphore>>,
}

#[derive(Clone)]
struct ServerState {
    calls: Arc<AtomicUsize>,
    gate: Option<Arc<Semaphore>>,
}

async fn chat(State(state): State<ServerState>, Json(body): Json<Value>) -> Json<Value> {
    if let Some(gate) = &state.gate
        && let Ok(permit) = gate.acquire().await
    {
        permit.forget();
    }
    state.calls.fetch_add(1, Ordering::SeqCst);
    let draft = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    let prompt_tokens = body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["content"].as_str())
                .map(|c| c.split_whitespace().count())
                .sum::<usize>()
        })
        .unwrap_or(0);
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": format!("{draft} (polished)")}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 20, "total_tokens": prompt_tokens + 20}
    }))
}

impl OpenAiServer {
    /// Starts a server that answers at once (`gated: false`) or one answer per [`Self::release`].
    pub async fn start(gated: bool) -> anyhow::Result<Self> {
        let state = ServerState {
            calls: Arc::new(AtomicUsize::new(0)),
            gate: gated.then(|| Arc::new(Semaphore::new(0))),
        };
        let server = Self {
            base_url: String::new(),
            calls: state.calls.clone(),
            gate: state.gate.clone(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            base_url: format!("http://{addr}/v1"),
            ..server
        })
    }

    /// Lets `n` held answers through.
    pub fn release(&self, n: usize) {
        if let Some(gate) = &self.gate {
            gate.add_permits(n);
        }
    }

    /// Chat completions answered so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The real HTTP client pointed at this server (generous budgets: gated answers wait for the test).
    pub fn client(&self) -> anyhow::Result<OpenAiCompatibleClient> {
        let mut config = OpenAiConfig::new(&self.base_url, "local-test-model");
        config.simple_timeout = Duration::from_secs(120);
        config.complex_timeout = Duration::from_secs(120);
        config.retry = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        Ok(OpenAiCompatibleClient::new(config)?)
    }
}
