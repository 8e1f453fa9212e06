//! The one interface to AI models that every subgraph uses (kit feature `ai`).
//!
//! - [`ChatModel`]: messages in, text and token usage out.
//! - [`Embedder`]: texts in, vectors out.
//! - [`OpenAiCompatibleClient`]: both traits over the OpenAI HTTP API
//!   (`/chat/completions`, `/embeddings`), which OpenAI, Gemini's compatible
//!   endpoint, Ollama, vLLM and others serve; timeouts, retries with
//!   backoff, token accounting.
//! - Offline defaults that work with nothing configured, named for what they
//!   are: [`TemplateWriter`] (returns the filled template as the draft: not an
//!   AI model) and [`HashingEmbedder`] (feature-hashing bag of words: not a
//!   neural embedding).
//! - [`AiGateway`]: what callers should use: the model behind a Redis cache
//!   (`ai:gen:{model}:{hash}`), usage counters and the plan limit
//!   (`ai:tokens:{org}:{yyyymm}`, `plan:{org}`), and a [`CallRecorder`] that
//!   sees every call (the request log).
//!
//! See `/work/briefs/ai-interface.md` (and the README's configuration table) for how to use it.

pub mod cache;
pub mod config;
pub mod gateway;
pub mod hashing_embedder;
#[cfg(feature = "local-embedder")]
pub mod local_embedder;
pub mod openai;
pub mod retry;
pub mod template_writer;
#[cfg(test)]
mod tests;
pub mod token_estimate;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use cache::RedisCache;
pub use config::{AiConfig, EmbedderChoice};
pub use gateway::{AiGateway, CallRecord, CallRecorder, Generation, LimitPolicy, TracingRecorder};
pub use hashing_embedder::HashingEmbedder;
#[cfg(feature = "local-embedder")]
pub use local_embedder::LocalEmbedder;
pub use openai::{OpenAiCompatibleClient, OpenAiConfig};
pub use template_writer::TemplateWriter;

/// Who speaks in a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions.
    System,
    /// The request (for the offline writer: the draft).
    User,
    /// An earlier answer of the model.
    Assistant,
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who speaks.
    pub role: ChatRole,
    /// What is said.
    pub content: String,
}

impl ChatMessage {
    /// A system (instructions) message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::User,
            content: content.into(),
        }
    }
}

/// How long a request may take: the seeds ask <= 7 s for simple and <= 20 s for complex ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Complexity {
    /// A short message, a reply suggestion.
    #[default]
    Simple,
    /// A campaign's content, a long analysis.
    Complex,
}

/// A chat generation request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The conversation; the last `user` message is the request.
    pub messages: Vec<ChatMessage>,
    /// Which time budget applies.
    pub complexity: Complexity,
    /// Upper bound of output tokens, when the caller has one.
    pub max_tokens: Option<u32>,
    /// Sampling temperature (0..2), when the caller has one.
    pub temperature: Option<f32>,
}

impl ChatRequest {
    /// A simple request of `messages` with the model's defaults.
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        Self {
            messages,
            complexity: Complexity::Simple,
            max_tokens: None,
            temperature: None,
        }
    }

    /// The same request under the complex time budget.
    pub fn complex(mut self) -> Self {
        self.complexity = Complexity::Complex;
        self
    }
}

/// Tokens a call consumed, as the provider reports them (`usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Prompt tokens.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
}

impl TokenUsage {
    /// Input plus output.
    pub fn total(&self) -> u64 {
        self.input.saturating_add(self.output)
    }
}

/// What a chat model answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatOutput {
    /// The answer's text.
    pub text: String,
    /// Tokens consumed.
    pub usage: TokenUsage,
    /// The model that answered (as the provider names it).
    pub model: String,
}

/// Vectors for a list of texts, in the same order.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// One vector per text.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens consumed.
    pub usage: TokenUsage,
}

/// Why an AI call failed. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AiError {
    /// The request's time budget ran out.
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    /// The provider kept answering 429 until retries or the time budget ran out.
    #[error("the model provider is rate limiting us (after {attempts} attempts)")]
    RateLimited {
        /// Attempts made.
        attempts: u32,
    },
    /// The provider answered with an error status.
    #[error("the model provider answered HTTP {status}: {message}")]
    Upstream {
        /// HTTP status.
        status: u16,
        /// The provider's message (truncated, credentials redacted).
        message: String,
    },
    /// The provider could not be reached.
    #[error("cannot reach the model provider: {0}")]
    Transport(String),
    /// The provider's answer is not what the API promises.
    #[error("unexpected answer from the model provider: {0}")]
    InvalidResponse(String),
    /// The request cannot be sent as it is (nothing to answer, bad parameters).
    #[error("invalid AI request: {0}")]
    InvalidRequest(String),
    /// The organization used up its plan's generations for the month.
    #[error("the plan allows {limit} AI generations per month and {used} were used")]
    PlanLimitReached {
        /// The plan's monthly limit.
        limit: u64,
        /// Generations already used this month.
        used: u64,
    },
    /// Usage cannot be metered (Redis down) and the limit is configured to fail closed.
    #[error("AI usage cannot be metered right now (the usage store is unavailable)")]
    MeteringUnavailable,
    /// The configuration is incomplete or invalid.
    #[error("AI configuration: {0}")]
    Config(String),
}

impl AiError {
    /// A short stable status for logs and the request log (`timeout`, `rate_limited`, ...).
    pub fn status(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::RateLimited { .. } => "rate_limited",
            Self::Upstream { .. } => "upstream_error",
            Self::Transport(_) => "transport_error",
            Self::InvalidResponse(_) => "invalid_response",
            Self::InvalidRequest(_) => "invalid_request",
            Self::PlanLimitReached { .. } => "plan_limit_reached",
            Self::MeteringUnavailable => "metering_unavailable",
            Self::Config(_) => "config_error",
        }
    }
}

impl From<AiError> for crate::error::ApiError {
    fn from(err: AiError) -> Self {
        match err {
            AiError::PlanLimitReached { .. } => Self::PlanLimitReached(err.to_string()),
            AiError::InvalidRequest(message) => Self::bad_input("input", message),
            other => {
                tracing::warn!(error = %other, "AI call failed");
                Self::Unavailable(format!("the AI service is unavailable: {}", other.status()))
            }
        }
    }
}

/// A chat model: messages in, text and token usage out.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// Who serves it (`openai-compatible`, `offline`), for the request log.
    fn provider(&self) -> &str;
    /// The model's name (part of cache keys).
    fn model(&self) -> &str;
    /// Generates an answer.
    async fn generate(&self, request: &ChatRequest) -> Result<ChatOutput, AiError>;
}

/// An embedding model: texts in, vectors out.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// Who serves it, for the request log.
    fn provider(&self) -> &str;
    /// The model's name; vectors of different models are never compared.
    fn model(&self) -> &str;
    /// One vector per text, in order.
    async fn embed(&self, texts: &[String]) -> Result<Embeddings, AiError>;
}

/// A chat model and an embedder.
pub type Models = (Arc<dyn ChatModel>, Arc<dyn Embedder>);

/// The chat model and embedder the environment configures (see [`AiConfig`]):
/// the OpenAI-compatible client when `PROMPTSALES_AI_BASE_URL` is set, else the offline
/// writer; the embedder `PROMPTSALES_AI_EMBEDDER` chooses (see [`embedder_from_config`]).
pub fn models_from_config(config: &AiConfig) -> Result<Models, AiError> {
    let client = match config.openai.clone() {
        Some(openai) => Some(Arc::new(OpenAiCompatibleClient::new(openai)?)),
        None => None,
    };
    let embedder = embedder_from_config(config, client.clone())?;
    let chat: Arc<dyn ChatModel> = match client {
        Some(client) => client,
        None => Arc::new(TemplateWriter::new()),
    };
    Ok((chat, embedder))
}

/// The embedder of `PROMPTSALES_AI_EMBEDDER`: `local` and `openai` fail when they cannot be
/// served; unset picks the remote model, else the local one when its files are there, else
/// hashing (with one warning that search then matches words, not meaning).
pub fn embedder_from_config(
    config: &AiConfig,
    client: Option<Arc<OpenAiCompatibleClient>>,
) -> Result<Arc<dyn Embedder>, AiError> {
    let remote = client.filter(|_| {
        config
            .openai
            .as_ref()
            .is_some_and(|o| o.embedding_model.is_some())
    });
    match config.embedder {
        EmbedderChoice::Hashing => Ok(Arc::new(HashingEmbedder::default())),
        EmbedderChoice::OpenAi => match remote {
            Some(client) => Ok(client),
            None => Err(AiError::Config(
                "PROMPTSALES_AI_EMBEDDER=openai needs PROMPTSALES_AI_BASE_URL and PROMPTSALES_AI_EMBEDDING_MODEL".into(),
            )),
        },
        EmbedderChoice::Local => local_embedder(config),
        EmbedderChoice::Auto => {
            if let Some(client) = remote {
                return Ok(client);
            }
            match local_embedder(config) {
                Ok(local) => Ok(local),
                Err(e) => {
                    static WARNED: std::sync::Once = std::sync::Once::new();
                    WARNED.call_once(|| {
                        tracing::warn!(
                            reason = %e,
                            "semantic search uses the hashing embedder (it matches words, not meaning); run `promptsales models fetch` for the local model"
                        );
                    });
                    Ok(Arc::new(HashingEmbedder::default()))
                }
            }
        }
    }
}

#[cfg(feature = "local-embedder")]
fn local_embedder(config: &AiConfig) -> Result<Arc<dyn Embedder>, AiError> {
    Ok(Arc::new(LocalEmbedder::new(local_embedder::model_dir(
        &config.models_dir,
    ))?))
}

#[cfg(not(feature = "local-embedder"))]
fn local_embedder(_config: &AiConfig) -> Result<Arc<dyn Embedder>, AiError> {
    Err(AiError::Config(
        "this build has no local embedder (kit feature `local-embedder`)".into(),
    ))
}

/// Cosine similarity of two vectors (0 for empty, zero or mismatched ones).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}
