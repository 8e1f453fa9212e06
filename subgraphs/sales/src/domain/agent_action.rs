//! Supervised agent actions: a tool call an AI agent may not run on its own (it launches,
//! spends, erases or changes permissions) waits here for a person's decision, and runs once,
//! with exactly the arguments the person saw.

use promptsales_kit::{ApiError, ApiResult, StrEnum};
use uuid::Uuid;

use super::text;

/// The largest arguments document kept (JSON text), so a request stays readable and bounded.
pub const MAX_ARGUMENTS_BYTES: usize = 16_000;

/// The risk classes that reach this queue (the adapter's, by name).
pub const RISK_CLASSES: [&str; 7] = [
    "read",
    "write",
    "sensitive",
    "launch",
    "spend",
    "erase",
    "permissions",
];

/// Where a request stands.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentActionStatus {
    /// Waiting for a person.
    Pending,
    /// A person approved it; the agent's next identical call runs it.
    Approved,
    /// A person refused it.
    Rejected,
    /// It ran (an approval is used once).
    Used,
}

/// A checked request to file.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgentAction {
    /// The tenant.
    pub organization_id: Uuid,
    /// The user the agent acts for (absent for a service).
    pub requested_by: Option<Uuid>,
    /// The tool.
    pub tool: String,
    /// Its risk class.
    pub risk: String,
    /// Its arguments: a JSON object, in canonical form (keys sorted) so equal calls match.
    pub arguments: String,
    /// What it will do, in words, for the person deciding.
    pub summary: Option<String>,
}

/// Checks a request: a tool name, a known risk class, arguments as a bounded JSON object.
pub fn validate_new(
    organization_id: Uuid,
    requested_by: Option<Uuid>,
    tool: &str,
    risk: &str,
    arguments: &serde_json::Value,
    summary: Option<&str>,
) -> ApiResult<NewAgentAction> {
    let tool = text::required("input.tool", tool, 100)?;
    if !tool
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(ApiError::bad_input(
            "input.tool",
            "input.tool must be a tool name (letters, digits, _ - .)",
        ));
    }
    let risk = risk.trim().to_ascii_lowercase();
    if !RISK_CLASSES.contains(&risk.as_str()) {
        return Err(ApiError::bad_input(
            "input.riskClass",
            format!("input.riskClass must be one of {}", RISK_CLASSES.join(", ")),
        ));
    }
    let arguments = canonical_arguments(arguments)?;
    Ok(NewAgentAction {
        organization_id,
        requested_by,
        tool,
        risk,
        arguments,
        summary: text::optional("input.summary", summary, 1_000)?,
    })
}

/// The canonical text of a call's arguments (a JSON object; keys sorted by serde_json's map).
pub fn canonical_arguments(arguments: &serde_json::Value) -> ApiResult<String> {
    if !arguments.is_object() {
        return Err(ApiError::bad_input(
            "input.arguments",
            "input.arguments must be a JSON object (the tool's arguments)",
        ));
    }
    // serde_json's Map is ordered by key here (no preserve_order), so this text is canonical.
    let text = arguments.to_string();
    if text.len() > MAX_ARGUMENTS_BYTES {
        return Err(ApiError::bad_input(
            "input.arguments",
            format!("input.arguments must be at most {MAX_ARGUMENTS_BYTES} bytes of JSON"),
        ));
    }
    Ok(text)
}

/// A person's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentActionDecision {
    /// Let it run once.
    Approve,
    /// Refuse it.
    Reject,
}

/// The status a decision gives a request, if the decision is allowed: only a pending request
/// is decided, and never by the user it was asked for (four eyes).
pub fn resolve(
    status: AgentActionStatus,
    requested_by: Option<Uuid>,
    resolver: Uuid,
    decision: AgentActionDecision,
) -> ApiResult<AgentActionStatus> {
    if status != AgentActionStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "this request is already {}; only a pending request is decided",
            status.as_str()
        )));
    }
    if requested_by == Some(resolver) {
        return Err(ApiError::Forbidden(
            "an agent's action is decided by another person than the one it acts for".into(),
        ));
    }
    Ok(match decision {
        AgentActionDecision::Approve => AgentActionStatus::Approved,
        AgentActionDecision::Reject => AgentActionStatus::Rejected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_needs_a_tool_a_known_class_and_object_arguments_in_canonical_form() {
        let org = Uuid::now_v7();
        let a = validate_new(
            org,
            None,
            "launchCampaign",
            "Launch",
            &json!({ "b": 1, "a": { "y": 2, "x": 1 } }),
            Some(" go live "),
        )
        .expect("valid");
        let b = validate_new(
            org,
            None,
            "launchCampaign",
            "launch",
            &json!({ "a": { "x": 1, "y": 2 }, "b": 1 }),
            None,
        )
        .expect("valid");
        assert_eq!(
            a.arguments, b.arguments,
            "equal calls match whatever the key order"
        );
        assert_eq!(a.risk, "launch");
        assert_eq!(a.summary.as_deref(), Some("go live"));
        for (tool, risk, arguments) in [
            ("", "launch", json!({})),
            ("drop table", "launch", json!({})),
            ("launchCampaign", "apocalypse", json!({})),
            ("launchCampaign", "launch", json!([1])),
            (
                "launchCampaign",
                "launch",
                json!({ "x": "y".repeat(MAX_ARGUMENTS_BYTES) }),
            ),
        ] {
            assert!(
                validate_new(org, None, tool, risk, &arguments, None).is_err(),
                "{tool} {risk} {arguments}"
            );
        }
    }

    #[test]
    fn only_a_pending_request_is_decided_and_never_by_the_person_it_acts_for() {
        let (agent_user, boss) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            resolve(
                AgentActionStatus::Pending,
                Some(agent_user),
                boss,
                AgentActionDecision::Approve
            )
            .expect("allowed"),
            AgentActionStatus::Approved
        );
        assert_eq!(
            resolve(
                AgentActionStatus::Pending,
                None,
                boss,
                AgentActionDecision::Reject
            )
            .expect("allowed"),
            AgentActionStatus::Rejected
        );
        let own = resolve(
            AgentActionStatus::Pending,
            Some(agent_user),
            agent_user,
            AgentActionDecision::Approve,
        );
        assert!(matches!(own, Err(ApiError::Forbidden(_))), "{own:?}");
        for done in [
            AgentActionStatus::Approved,
            AgentActionStatus::Rejected,
            AgentActionStatus::Used,
        ] {
            let again = resolve(done, None, boss, AgentActionDecision::Approve);
            assert!(matches!(again, Err(ApiError::Conflict(_))), "{again:?}");
        }
    }
}
