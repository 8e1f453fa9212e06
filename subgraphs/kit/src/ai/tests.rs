//! The HTTP client against a local axum server that speaks the OpenAI API,
//! and the gateway's cache, metering and limit against a real Redis.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::retry::RetryPolicy;
use super::*;

/// The requests the server saw: the Authorization header and the body.
type Requests = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// How the local server answers chat completions.
#[derive(Clone, Copy)]
pub(crate) enum Behaviour {
    /// Answers at once.
    Ok,
    /// Sleeps longer than any test budget before answering.
    Slow,
    /// Answers 429 (Retry-After 50 ms) `n` times, then succeeds.
    RateLimitedFirst(usize),
    /// Answers 500 with a body that echoes the request's Authorization header.
    EchoAuthError,
    /// Answers 400 (not retried) when the last message contains `FAIL`, else at once.
    FailOnWord,
}

pub(crate) struct Server {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
    pub requests: Requests,
}

#[derive(Clone)]
struct ServerState {
    behaviour: Behaviour,
    calls: Arc<AtomicUsize>,
    requests: Requests,
}

async fn chat(
    State(s): State<ServerState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let n = s.calls.fetch_add(1, Ordering::SeqCst);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    if let Ok(mut requests) = s.requests.lock() {
        requests.push((auth.clone(), body.clone()));
    }
    match s.behaviour {
        Behaviour::Slow => tokio::time::sleep(Duration::from_secs(30)).await,
        Behaviour::RateLimitedFirst(times) if n < times => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after-ms", "50")],
                Json(json!({"error": {"message": "Rate limit reached", "type": "requests"}})),
            )
                .into_response();
        }
        Behaviour::EchoAuthError => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("upstream exploded; you sent {}", auth.unwrap_or_default()),
            )
                .into_response();
        }
        _ => {}
    }
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    if matches!(s.behaviour, Behaviour::FailOnWord) && last.contains("FAIL") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "refused by the model", "type": "invalid_request_error"}})),
        )
            .into_response();
    }
    let prompt_tokens = last.split_whitespace().count() as u64 + 7;
    Json(json!({
        "id": format!("chatcmpl-{n}"),
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": format!("Polished: {last}")}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 12, "total_tokens": prompt_tokens + 12}
    }))
    .into_response()
}

async fn embeddings(Json(body): Json<Value>) -> Json<Value> {
    let inputs: Vec<String> = body["input"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    // Answered in reverse order: the client must sort by `index`.
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": [text.len() as f32, i as f32, 1.0]}))
        .collect();
    Json(
        json!({"object": "list", "data": data, "model": body["model"],
                "usage": {"prompt_tokens": inputs.len() * 3, "total_tokens": inputs.len() * 3}}),
    )
}

/// Starts a local OpenAI-compatible server; its base URL ends in `/v1`.
pub(crate) async fn start(behaviour: Behaviour) -> Server {
    let state = ServerState {
        behaviour,
        calls: Arc::new(AtomicUsize::new(0)),
        requests: Arc::new(Mutex::new(Vec::new())),
    };
    let server = Server {
        url: String::new(),
        calls: state.calls.clone(),
        requests: state.requests.clone(),
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        url: format!("http://{addr}/v1"),
        ..server
    }
}

pub(crate) fn client(server: &Server, key: Option<&str>) -> OpenAiCompatibleClient {
    let mut config = OpenAiConfig::new(&server.url, "test-model");
    config.embedding_model = Some("test-embed".into());
    config.api_key = key.map(|k| k.to_string().into());
    config.simple_timeout = Duration::from_millis(400);
    config.complex_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    };
    OpenAiCompatibleClient::new(config).expect("client")
}

fn hello() -> ChatRequest {
    ChatRequest::new(vec![
        ChatMessage::system("Rewrite the draft for LinkedIn."),
        ChatMessage::user("Hi Ana, our trail shoes grip wet granite."),
    ])
}

#[tokio::test]
async fn chat_succeeds_with_usage_against_local_openai_compatible_server() {
    let server = start(Behaviour::Ok).await;
    let client = client(&server, Some("sk-test-123"));
    let output = client.generate(&hello()).await.expect("answer");
    assert_eq!(
        output.text,
        "Polished: Hi Ana, our trail shoes grip wet granite."
    );
    assert_eq!(
        output.usage,
        TokenUsage {
            input: 15,
            output: 12
        }
    );
    assert_eq!(output.model, "test-model");
    let requests = server.requests.lock().expect("requests").clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0.as_deref(), Some("Bearer sk-test-123"));
    assert_eq!(requests[0].1["model"], "test-model");
    assert_eq!(requests[0].1["messages"][0]["role"], "system");
}

#[tokio::test]
async fn embeddings_are_ordered_by_index_against_local_openai_compatible_server() {
    let server = start(Behaviour::Ok).await;
    let client = client(&server, None);
    let texts = vec!["a".to_string(), "bbb".to_string()];
    let out = client.embed(&texts).await.expect("vectors");
    assert_eq!(out.vectors, vec![vec![1.0, 0.0, 1.0], vec![3.0, 1.0, 1.0]]);
    assert_eq!(out.usage.input, 6);
    assert_eq!(Embedder::model(&client), "test-embed");
}

#[tokio::test]
async fn a_slow_model_times_out_against_local_openai_compatible_server() {
    let server = start(Behaviour::Slow).await;
    let client = client(&server, None);
    let err = client.generate(&hello()).await.expect_err("must time out");
    assert_eq!(err, AiError::Timeout(Duration::from_millis(400)));
    assert_eq!(err.status(), "timeout");
}

#[tokio::test]
async fn rate_limits_are_retried_then_succeed_against_local_openai_compatible_server() {
    let server = start(Behaviour::RateLimitedFirst(2)).await;
    let client = client(&server, None);
    let output = client
        .generate(&hello().complex())
        .await
        .expect("third attempt succeeds");
    assert!(output.text.starts_with("Polished:"));
    assert_eq!(server.calls.load(Ordering::SeqCst), 3);

    // More 429s than retries: the error says so.
    let server = start(Behaviour::RateLimitedFirst(100)).await;
    let err = client_with_retries(&server, 2)
        .generate(&hello().complex())
        .await
        .expect_err("gives up");
    assert_eq!(err, AiError::RateLimited { attempts: 3 });
    assert_eq!(server.calls.load(Ordering::SeqCst), 3);
}

fn client_with_retries(server: &Server, retries: u32) -> OpenAiCompatibleClient {
    let mut config = client(server, None).config().clone();
    config.retry.max_retries = retries;
    OpenAiCompatibleClient::new(config).expect("client")
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn the_key_is_never_logged_against_local_openai_compatible_server() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let key = "sk-very-secret-4242";
    let server = start(Behaviour::EchoAuthError).await;
    let client = client(&server, Some(key));
    let gateway = AiGateway::new(
        Arc::new(client.clone()),
        Arc::new(HashingEmbedder::default()),
    );
    let err = gateway
        .generate(None, "test.echo", &hello())
        .await
        .expect_err("500s");
    let message = err.to_string();
    assert!(
        message.contains("HTTP 500") && message.contains("<redacted>"),
        "{message}"
    );
    assert!(!message.contains(key));
    assert!(!format!("{client:?} {:?}", client.config()).contains(key));
    let api: crate::error::ApiError = err.into();
    assert_eq!(api.code(), "SERVICE_UNAVAILABLE");
    assert!(!api.message().contains(key));
    let logs = String::from_utf8(captured.0.lock().expect("logs").clone()).unwrap_or_default();
    assert!(
        logs.contains("retrying the model call"),
        "the logs were captured: {logs}"
    );
    assert!(!logs.contains(key), "the key leaked into the logs: {logs}");
}

#[tokio::test]
async fn the_template_writer_returns_the_filled_template_and_estimated_tokens() {
    let writer = TemplateWriter::new();
    let out = writer.generate(&hello()).await.expect("draft");
    assert_eq!(out.text, "Hi Ana, our trail shoes grip wet granite.");
    // The draft's estimate as output; every message (framing included) as input.
    assert_eq!(
        out.usage.output,
        crate::ai::token_estimate::estimate_tokens(&out.text)
    );
    assert!(out.usage.output >= 8, "{:?}", out.usage);
    assert!(out.usage.input > out.usage.output, "{:?}", out.usage);
    let empty = ChatRequest::new(vec![ChatMessage::system("only instructions")]);
    assert_eq!(
        writer.generate(&empty).await.map_err(|e| e.status()),
        Err("invalid_request")
    );
}

#[cfg(feature = "testing")]
mod with_redis {
    use super::*;
    use crate::ai::gateway::{CallRecord, CallRecorder, LimitPolicy, plan_key};

    #[derive(Default)]
    struct Recorded(Mutex<Vec<CallRecord>>);

    #[async_trait::async_trait]
    impl CallRecorder for Recorded {
        async fn record(&self, record: CallRecord) {
            if let Ok(mut r) = self.0.lock() {
                r.push(record);
            }
        }
    }

    async fn cache() -> Arc<RedisCache> {
        let redis = crate::testing::redis().await;
        Arc::new(RedisCache::open(redis.url(), redis.fresh_prefix()).expect("redis url"))
    }

    #[tokio::test]
    async fn a_repeated_generation_is_served_from_redis_with_zero_tokens_against_local_openai_compatible_server()
     {
        let server = start(Behaviour::Ok).await;
        let recorded = Arc::new(Recorded::default());
        let cache = cache().await;
        let gateway = AiGateway::new(
            Arc::new(client(&server, None)),
            Arc::new(HashingEmbedder::default()),
        )
        .with_cache(cache.clone(), Duration::from_secs(60))
        .with_recorder(recorded.clone());
        let org = uuid::Uuid::now_v7();
        let first = gateway
            .generate(Some(org), "test.gen", &hello())
            .await
            .expect("first");
        let second = gateway
            .generate(Some(org), "test.gen", &hello())
            .await
            .expect("second");
        assert!(!first.from_cache && second.from_cache);
        assert_eq!(first.output.usage.total(), 27);
        assert_eq!(second.output.usage, TokenUsage::default());
        assert_eq!(second.output.text, first.output.text);
        assert_eq!(
            server.calls.load(Ordering::SeqCst),
            1,
            "the model was called once"
        );
        // Another tenant asking the same gets its own generation.
        let other = gateway
            .generate(Some(uuid::Uuid::now_v7()), "test.gen", &hello())
            .await
            .expect("other");
        assert!(!other.from_cache);
        let usage = gateway.monthly_usage(org).await.expect("usage");
        assert_eq!(
            (usage.generations, usage.tokens_in, usage.tokens_out),
            (1, 15, 12)
        );
        let records = recorded.0.lock().expect("records").clone();
        assert_eq!(records.len(), 3);
        assert_eq!(
            (
                records[1].from_cache,
                records[1].tokens_in,
                records[1].service.as_str()
            ),
            (true, 0, "cache")
        );
        assert_eq!(records[0].request_digest, records[1].request_digest);
    }

    #[tokio::test]
    async fn the_plan_limit_refuses_generations_past_it() {
        let cache = cache().await;
        let recorded = Arc::new(Recorded::default());
        let gateway = AiGateway::new(
            Arc::new(TemplateWriter::new()),
            Arc::new(HashingEmbedder::default()),
        )
        .with_cache(cache.clone(), Duration::from_secs(60))
        .with_recorder(recorded.clone())
        .with_limits(LimitPolicy {
            default_generations_per_month: 5,
            ..LimitPolicy::default()
        });
        let (published, defaulted) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let _: () = cache
            .run(
                redis::cmd("HSET")
                    .arg(cache.key(&plan_key(published)))
                    .arg("ai_generations_per_month")
                    .arg(2),
            )
            .await
            .expect("publish a plan");
        let request =
            |i: usize| ChatRequest::new(vec![ChatMessage::user(format!("draft number {i}"))]);
        for i in 0..2 {
            gateway
                .generate(Some(published), "t", &request(i))
                .await
                .expect("within the plan");
        }
        let refused = gateway
            .generate(Some(published), "t", &request(2))
            .await
            .expect_err("over");
        assert_eq!(refused, AiError::PlanLimitReached { limit: 2, used: 2 });
        assert_eq!(
            crate::error::ApiError::from(refused).code(),
            "PLAN_LIMIT_REACHED"
        );
        // A cached answer is still served: it costs nothing.
        assert!(
            gateway
                .generate(Some(published), "t", &request(0))
                .await
                .expect("cached")
                .from_cache
        );
        let usage = gateway.monthly_usage(published).await.expect("usage");
        assert_eq!((usage.generations, usage.limit), (2, 2));
        // Without a published plan the configured default applies.
        for i in 0..5 {
            gateway
                .generate(Some(defaulted), "t", &request(i))
                .await
                .expect("within the default");
        }
        assert!(
            gateway
                .generate(Some(defaulted), "t", &request(9))
                .await
                .is_err()
        );
        let statuses: Vec<String> = recorded
            .0
            .lock()
            .expect("records")
            .iter()
            .map(|r| r.status.clone())
            .collect();
        assert_eq!(
            statuses
                .iter()
                .filter(|s| *s == "plan_limit_reached")
                .count(),
            2
        );
    }

    #[tokio::test]
    async fn a_refused_or_failed_request_consumes_nothing_against_local_openai_compatible_server() {
        let server = start(Behaviour::FailOnWord).await;
        let gateway = AiGateway::new(
            Arc::new(client(&server, None)),
            Arc::new(HashingEmbedder::default()),
        )
        .with_cache(cache().await, Duration::from_secs(60))
        .with_limits(LimitPolicy {
            default_generations_per_month: 5,
            ..LimitPolicy::default()
        });
        let org = uuid::Uuid::now_v7();
        let requests = |words: &[&str]| -> Vec<ChatRequest> {
            words
                .iter()
                .map(|w| ChatRequest::new(vec![ChatMessage::user(format!("draft {w}"))]))
                .collect()
        };
        async fn generations(gateway: &AiGateway, org: uuid::Uuid) -> u64 {
            gateway.monthly_usage(org).await.expect("usage").generations
        }
        // A request whose second generation fails fails whole and gives its reservation back.
        let failed = gateway
            .generate_all(Some(org), "t", &requests(&["a", "FAIL", "c"]), 2)
            .await
            .expect_err("one generation failed");
        assert_eq!(failed.status(), "upstream_error");
        assert_eq!(
            generations(&gateway, org).await,
            0,
            "a failed request consumes nothing"
        );
        // A request over the limit is refused whole and adds nothing.
        let refused = gateway
            .generate_all(
                Some(org),
                "t",
                &requests(&["1", "2", "3", "4", "5", "6"]),
                2,
            )
            .await
            .expect_err("over the limit");
        assert_eq!(refused, AiError::PlanLimitReached { limit: 5, used: 0 });
        assert_eq!(
            generations(&gateway, org).await,
            0,
            "a refused request consumes nothing"
        );
        // What fits still fits: five generations.
        let made = gateway
            .generate_all(Some(org), "t", &requests(&["v", "w", "x", "y", "z"]), 2)
            .await
            .expect("within the limit");
        assert_eq!(made.len(), 5);
        assert_eq!(generations(&gateway, org).await, 5);
        // Cached answers cost nothing, so a request of cached answers passes at the limit.
        let cached = gateway
            .generate_all(Some(org), "t", &requests(&["v", "w"]), 2)
            .await
            .expect("cached");
        assert!(cached.iter().all(|g| g.from_cache));
        assert_eq!(generations(&gateway, org).await, 5);
    }

    #[tokio::test]
    async fn without_redis_generation_works_unmetered_or_is_refused_when_closed() {
        let mut redis = crate::testing::throwaway_redis()
            .await
            .expect("a private redis");
        let cache = Arc::new(RedisCache::open(&redis.url(), "").expect("url"));
        let open = AiGateway::new(
            Arc::new(TemplateWriter::new()),
            Arc::new(HashingEmbedder::default()),
        )
        .with_cache(cache.clone(), Duration::from_secs(60));
        let org = uuid::Uuid::now_v7();
        assert!(
            open.generate(Some(org), "t", &hello())
                .await
                .expect("up")
                .metered
        );
        redis.stop().await.expect("stop redis");
        let down = open
            .generate(Some(org), "t", &hello())
            .await
            .expect("works without redis");
        assert!(!down.from_cache && !down.metered);
        assert_eq!(open.unmetered_generations(), 1);
        let closed_cache = Arc::new(RedisCache::open(&redis.url(), "").expect("url"));
        let closed = AiGateway::new(
            Arc::new(TemplateWriter::new()),
            Arc::new(HashingEmbedder::default()),
        )
        .with_cache(closed_cache, Duration::from_secs(60))
        .with_limits(LimitPolicy {
            without_redis: crate::ai::config::LimitWithoutRedis::Closed,
            ..LimitPolicy::default()
        });
        assert_eq!(
            closed
                .generate(Some(org), "t", &hello())
                .await
                .expect_err("closed"),
            AiError::MeteringUnavailable
        );
    }
}
