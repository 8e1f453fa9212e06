//! `TemplateWriter`: the offline default chat "model". It is NOT an AI model.
//!
//! Callers put the draft (their prompt template filled with the campaign's,
//! prospect's or lead's data) in the last `user` message and their
//! instructions in `system` messages. A real model rewrites the draft by the
//! instructions; this writer returns the draft itself, trimmed. So the platform
//! works end to end with nothing configured, and what it writes is exactly what
//! the templates say, never invented text.
//!
//! Its token usage is an ESTIMATE ([`estimate_tokens`]: what a byte-pair chat
//! model would have read and written for the same messages), so that metering
//! and the AI cache's savings read the same offline as with a model.

use async_trait::async_trait;

use super::token_estimate::estimate_tokens;
use super::{AiError, ChatModel, ChatOutput, ChatRequest, ChatRole, TokenUsage};

/// The name it reports as its model.
pub const TEMPLATE_WRITER_MODEL: &str = "template-writer";

/// Offline template-based generator, not an AI model: answers with the filled template (the last user message).
#[derive(Debug, Clone, Default)]
pub struct TemplateWriter;

impl TemplateWriter {
    /// The writer.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl ChatModel for TemplateWriter {
    fn provider(&self) -> &str {
        "offline"
    }

    fn model(&self) -> &str {
        TEMPLATE_WRITER_MODEL
    }

    async fn generate(&self, request: &ChatRequest) -> Result<ChatOutput, AiError> {
        let draft = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == ChatRole::User)
            .map(|m| m.content.trim())
            .filter(|text| !text.is_empty())
            .ok_or_else(|| {
                AiError::InvalidRequest(
                    "the template writer needs a non-empty user message (the filled template)"
                        .into(),
                )
            })?;
        // Chat formats add a few tokens of framing per message.
        let input = request
            .messages
            .iter()
            .map(|m| estimate_tokens(&m.content) + 4)
            .sum();
        Ok(ChatOutput {
            text: draft.to_string(),
            usage: TokenUsage {
                input,
                output: estimate_tokens(draft),
            },
            model: TEMPLATE_WRITER_MODEL.to_string(),
        })
    }
}
