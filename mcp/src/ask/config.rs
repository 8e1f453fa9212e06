//! `PROMPTSALES_ASK_PLANNER`: which planner answers.
//!
//! | value | meaning |
//! |---|---|
//! | `auto` (default) | the offline planner; when it cannot answer and a chat model is configured (`PROMPTSALES_AI_BASE_URL`), the model path |
//! | `offline` | the offline planner only (no model is ever called) |
//! | `model` | the model path only (needs `PROMPTSALES_AI_BASE_URL`) |

use crate::error::McpError;

/// Which planner answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlannerChoice {
    /// Offline first, the model when offline cannot answer and one is configured.
    #[default]
    Auto,
    /// Offline only.
    Offline,
    /// The model only.
    Model,
}

impl PlannerChoice {
    /// Reads `PROMPTSALES_ASK_PLANNER` (unset: `auto`).
    pub fn from_env() -> Result<Self, McpError> {
        match std::env::var("PROMPTSALES_ASK_PLANNER")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "auto" => Ok(Self::Auto),
            "offline" => Ok(Self::Offline),
            "model" => Ok(Self::Model),
            other => Err(McpError::Config(format!(
                "PROMPTSALES_ASK_PLANNER={other} must be auto, offline or model"
            ))),
        }
    }
}
