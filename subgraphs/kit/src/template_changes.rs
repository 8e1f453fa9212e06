//! Which prompt templates changed: content publishes one event per template version saved
//! or turned on or off, on the live bus (`kit::bus`, pub/sub channel
//! `content:prompt_templates`), and the MCP adapter tells the sessions of that organization
//! that their prompt list changed (`notifications/prompts/list_changed`).
//!
//! An event names the organization and the template version, never its text: a listener
//! that wants the template reads it through the graph with its own token. It lives in the
//! kit because two crates that never depend on each other (content, the adapter) speak it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bus::Bus;

/// The pub/sub channel (after any prefix the caller adds).
pub const CHANNEL: &str = "content:prompt_templates";

/// A template version of an organization was saved, or turned on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChanged {
    /// The tenant whose templates changed.
    pub organization_id: Uuid,
    /// The template version.
    pub template_id: Uuid,
}

/// The bus of template changes.
pub type TemplateBus = Bus<TemplateChanged>;

/// This process's bus from `PROMPTSALES_REDIS_URL` (`off` or unusable: this instance only).
/// Call within a tokio runtime, or the other instances are never heard.
pub fn from_env() -> TemplateBus {
    Bus::from_env(CHANNEL, "prompt template changes")
}

/// The bus through the Redis at `redis_url` (`None` or unusable: this instance only).
/// Call within a tokio runtime, or the other instances are never heard.
pub fn on(redis_url: Option<&str>) -> TemplateBus {
    Bus::on(redis_url, CHANNEL, "prompt template changes")
}

/// A bus on Redis at `url`, on `{prefix}content:prompt_templates` (tests give each graph a prefix).
pub fn with_redis(url: &str, prefix: &str) -> Result<TemplateBus, redis::RedisError> {
    Bus::with_redis(url, &format!("{prefix}{CHANNEL}"))
}
