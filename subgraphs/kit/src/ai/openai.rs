//! The OpenAI-compatible HTTP client: `/chat/completions` and `/embeddings`.
//!
//! One client serves OpenAI, Gemini's OpenAI-compatible endpoint, Ollama,
//! vLLM and anything else speaking that API. Each call has a whole-call
//! budget (7 s simple, 20 s complex by default) that covers its retries:
//! 429 and transient 5xx answers and connection failures are retried with
//! exponential backoff and jitter, honouring `Retry-After`, while the budget
//! lasts. Token usage comes from the answer's `usage`.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::retry::{RetryPolicy, retry_after, retryable_status};
use super::{
    AiError, ChatModel, ChatOutput, ChatRequest, Complexity, Embedder, Embeddings, TokenUsage,
};

/// A secret string: its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl From<String> for ApiKey {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<secret>)")
    }
}

/// Where and how to reach an OpenAI-compatible API.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiConfig {
    /// API root including its version path (`https://api.openai.com/v1`).
    pub base_url: String,
    /// Chat model.
    pub model: String,
    /// Embedding model, when embeddings come from this API.
    pub embedding_model: Option<String>,
    /// Bearer key, when the API wants one.
    pub api_key: Option<ApiKey>,
    /// Budget of a simple call, retries included.
    pub simple_timeout: Duration,
    /// Budget of a complex call, retries included.
    pub complex_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

impl OpenAiConfig {
    /// A configuration for `base_url` and `model` with the default budgets and retries.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            embedding_model: None,
            api_key: None,
            simple_timeout: super::config::DEFAULT_SIMPLE_TIMEOUT,
            complex_timeout: super::config::DEFAULT_COMPLEX_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }
}

/// The client; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct OpenAiCompatibleClient {
    http: reqwest::Client,
    config: OpenAiConfig,
    chat_url: String,
    embeddings_url: String,
}

impl fmt::Debug for OpenAiCompatibleClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatibleClient")
            .field("base_url", &self.config.base_url)
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

impl From<Option<WireUsage>> for TokenUsage {
    fn from(usage: Option<WireUsage>) -> Self {
        usage.map_or_else(TokenUsage::default, |u| TokenUsage {
            input: u.prompt_tokens,
            output: u.completion_tokens,
        })
    }
}

#[derive(Deserialize)]
struct WireChat {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<WireChoice>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireMessage,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireEmbeddings {
    data: Vec<WireEmbedding>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireEmbedding {
    #[serde(default)]
    index: usize,
    embedding: Vec<f32>,
}

/// The longest provider message kept in an error.
const MAX_ERROR_CHARS: usize = 300;

impl OpenAiCompatibleClient {
    /// A client for `config`.
    pub fn new(config: OpenAiConfig) -> Result<Self, AiError> {
        let base = config.base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(AiError::Config(format!(
                "the AI base URL must be http:// or https://, got {base:?}"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| AiError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            chat_url: format!("{base}/chat/completions"),
            embeddings_url: format!("{base}/embeddings"),
            config,
        })
    }

    /// The configuration (its key hidden in `Debug`).
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn budget(&self, complexity: Complexity) -> Duration {
        match complexity {
            Complexity::Simple => self.config.simple_timeout,
            Complexity::Complex => self.config.complex_timeout,
        }
    }

    /// `text` without the API key, cut to a readable length.
    fn scrub(&self, text: &str) -> String {
        let mut text: String = text.chars().take(MAX_ERROR_CHARS).collect();
        if let Some(key) = &self.config.api_key
            && !key.0.is_empty()
        {
            text = text.replace(&key.0, "<redacted>");
        }
        text
    }

    /// POSTs `body` to `url` with retries inside `budget`; the successful answer's JSON.
    async fn post(&self, url: &str, body: &Value, budget: Duration) -> Result<Value, AiError> {
        let started = Instant::now();
        let policy = self.config.retry;
        let mut attempt: u32 = 0;
        loop {
            let remaining = budget
                .checked_sub(started.elapsed())
                .filter(|d| !d.is_zero())
                .ok_or(AiError::Timeout(budget))?;
            let mut request = self.http.post(url).json(body).timeout(remaining);
            if let Some(key) = &self.config.api_key {
                request = request.bearer_auth(&key.0);
            }
            let outcome = request.send().await;
            let (failure, wait) = match outcome {
                Err(e) if e.is_timeout() => return Err(AiError::Timeout(budget)),
                Err(e) => {
                    // Connection failures are transient; the message names the URL, never the key.
                    (
                        AiError::Transport(self.scrub(&e.without_url().to_string())),
                        None,
                    )
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    if response.status().is_success() {
                        return match response.json::<Value>().await {
                            Ok(value) => Ok(value),
                            Err(e) if e.is_timeout() => Err(AiError::Timeout(budget)),
                            Err(e) => Err(AiError::InvalidResponse(self.scrub(&e.to_string()))),
                        };
                    }
                    let wait = retry_after(response.headers());
                    let text = response.text().await.unwrap_or_default();
                    let failure = if status == 429 {
                        AiError::RateLimited {
                            attempts: attempt + 1,
                        }
                    } else {
                        AiError::Upstream {
                            status,
                            message: self.scrub(&text),
                        }
                    };
                    if !retryable_status(status) {
                        return Err(failure);
                    }
                    (failure, wait)
                }
            };
            if attempt >= policy.max_retries {
                return Err(failure);
            }
            let delay = policy.delay(attempt, wait);
            if started.elapsed() + delay >= budget {
                // Waiting would overrun the budget: report why we stopped.
                return Err(failure);
            }
            tracing::debug!(
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                status = failure.status(),
                "retrying the model call"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

#[async_trait]
impl ChatModel for OpenAiCompatibleClient {
    fn provider(&self) -> &str {
        "openai-compatible"
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    #[tracing::instrument(name = "ai.chat", skip_all, fields(model = %self.config.model))]
    async fn generate(&self, request: &ChatRequest) -> Result<ChatOutput, AiError> {
        if request.messages.is_empty() {
            return Err(AiError::InvalidRequest(
                "a chat needs at least one message".into(),
            ));
        }
        let mut body = json!({
            "model": self.config.model,
            "messages": request.messages,
        });
        if let Some(max) = request.max_tokens {
            body["max_tokens"] = json!(max);
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        let value = self
            .post(&self.chat_url, &body, self.budget(request.complexity))
            .await?;
        let chat: WireChat = serde_json::from_value(value)
            .map_err(|e| AiError::InvalidResponse(format!("chat completion: {e}")))?;
        let text = chat
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| AiError::InvalidResponse("the answer has no message content".into()))?;
        Ok(ChatOutput {
            text,
            usage: chat.usage.into(),
            model: chat.model.unwrap_or_else(|| self.config.model.clone()),
        })
    }
}

#[async_trait]
impl Embedder for OpenAiCompatibleClient {
    fn provider(&self) -> &str {
        "openai-compatible"
    }

    fn model(&self) -> &str {
        self.config
            .embedding_model
            .as_deref()
            .unwrap_or(&self.config.model)
    }

    #[tracing::instrument(name = "ai.embed", skip_all, fields(count = texts.len()))]
    async fn embed(&self, texts: &[String]) -> Result<Embeddings, AiError> {
        if texts.is_empty() {
            return Ok(Embeddings {
                vectors: Vec::new(),
                usage: TokenUsage::default(),
            });
        }
        let body = json!({ "model": Embedder::model(self), "input": texts });
        let value = self
            .post(&self.embeddings_url, &body, self.config.simple_timeout)
            .await?;
        let mut answer: WireEmbeddings = serde_json::from_value(value)
            .map_err(|e| AiError::InvalidResponse(format!("embeddings: {e}")))?;
        if answer.data.len() != texts.len() {
            return Err(AiError::InvalidResponse(format!(
                "{} embeddings for {} texts",
                answer.data.len(),
                texts.len()
            )));
        }
        answer.data.sort_by_key(|d| d.index);
        Ok(Embeddings {
            vectors: answer.data.into_iter().map(|d| d.embedding).collect(),
            usage: answer.usage.into(),
        })
    }
}
