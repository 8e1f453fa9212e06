//! Campaign objectives: what a campaign aims at, by one metric.

use promptsales_kit::{ApiError, ApiResult};

use super::text;
use crate::store::NewObjective;

/// The kinds of objective.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectiveKind {
    /// Being known.
    Awareness,
    /// Getting leads.
    LeadGeneration,
    /// Turning visits into actions.
    Conversion,
    /// Interactions.
    Engagement,
    /// Revenue.
    Sales,
}

/// More objectives than this say nothing a dashboard can show.
pub const MAX_OBJECTIVES: usize = 20;

/// Validates a campaign's objectives (`field` is the list, e.g. `input.objectives`).
pub fn validate_all(field: &str, objectives: Vec<NewObjective>) -> ApiResult<Vec<NewObjective>> {
    if objectives.len() > MAX_OBJECTIVES {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} may hold at most {MAX_OBJECTIVES} objectives, got {}",
                objectives.len()
            ),
        ));
    }
    objectives
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            let at = |name: &str| format!("{field}[{i}].{name}");
            Ok(NewObjective {
                metric: text::required(&at("metric"), &o.metric, 100)?,
                target: text::non_negative(&at("target"), o.target)?,
                current: text::non_negative(&at("current"), o.current)?,
                ..o
            })
        })
        .collect()
}
