//! Supervision through sales: the audit of every tool call (`recordToolCall`), and the
//! approval requests of calls that may not run on their own (`requestAgentAction`, then
//! `useAgentAction` once a person approved). All of it runs on the router with the caller's
//! own token, so an agent can neither audit nor approve in anyone else's name.

use promptsales_kit::StrEnum;
use serde_json::{Map, Value, json};

use crate::error::McpError;
use crate::graph::GraphClient;
use crate::identity::Caller;
use crate::risk::RiskClass;

const REQUEST: &str = "mutation McpRequestAgentAction($input: RequestAgentActionInput!) { \
    requestAgentAction(input: $input) { id status tool riskClass requestedAt } }";
const USE: &str = "mutation McpUseAgentAction($input: UseAgentActionInput!) { \
    useAgentAction(input: $input) { id status } }";
const AUDIT: &str =
    "mutation McpRecordToolCall($input: ToolCallInput!) { recordToolCall(input: $input) { id } }";

/// How a tool call ended, as the audit log names it (sales' `ToolCallOutcome` values).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and the graph answered.
    Succeeded,
    /// It ran (or was checked) and failed.
    Failed,
    /// The policy refused it.
    Refused,
    /// It became an approval request.
    ApprovalRequested,
}

/// A request filed in sales.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The `AgentActionRequest` id sales gave it (a UUID): what a person approves or rejects.
    pub id: String,
    /// Its status (`PENDING`).
    pub status: String,
}

/// The data of a response, or the first error's message and code.
fn data_of(response: Value, field: &str) -> Result<Value, McpError> {
    if let Some(error) = response
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        let message = error["message"].as_str().unwrap_or("unknown error");
        let code = error["extensions"]["code"].as_str().unwrap_or("");
        return Err(McpError::Router(format!("{message} [{code}]")));
    }
    Ok(response["data"][field].clone())
}

/// Uses the caller's approved request for exactly this call: its id, or `None`.
pub async fn use_approval(
    graph: &GraphClient,
    caller: &Caller,
    tool: &str,
    arguments: &Map<String, Value>,
) -> Result<Option<String>, McpError> {
    let mut variables = Map::new();
    variables.insert(
        "input".into(),
        json!({ "tool": tool, "arguments": arguments }),
    );
    let response = graph
        .execute(caller, USE, Some("McpUseAgentAction"), variables)
        .await?;
    let used = data_of(response, "useAgentAction")?;
    Ok(used["id"].as_str().map(str::to_string))
}

/// Files a request for this call (or finds the same one still pending).
pub async fn request(
    graph: &GraphClient,
    caller: &Caller,
    tool: &str,
    risk: RiskClass,
    arguments: &Map<String, Value>,
    summary: &str,
) -> Result<Filed, McpError> {
    let mut variables = Map::new();
    variables.insert(
        "input".into(),
        json!({ "tool": tool, "riskClass": risk.as_str(), "arguments": arguments,
                "summary": summary.chars().take(1_000).collect::<String>() }),
    );
    let response = graph
        .execute(caller, REQUEST, Some("McpRequestAgentAction"), variables)
        .await?;
    let filed = data_of(response, "requestAgentAction")?;
    match (filed["id"].as_str(), filed["status"].as_str()) {
        (Some(id), Some(status)) => Ok(Filed {
            id: id.to_string(),
            status: status.to_string(),
        }),
        _ => Err(McpError::Router(
            "sales filed no approval request (no id in its answer)".into(),
        )),
    }
}

/// One audit entry for one tool call, recorded in sales with the caller's own token.
///
/// A caller without a token (an adapter whose checks are off, `PROMPTSALES_MCP_AUTH=false`,
/// and no bearer or service credential) is logged here instead, on purpose, not audited under
/// some development identity: the audit log is an organization's and sales writes to it only
/// for a verified caller of that organization, so auditing it would mean either sales taking
/// unauthenticated writes into an audit log (anyone could forge entries) or the adapter holding
/// a key to mint tokens (an adapter that checks nothing must not be able to act as anyone).
/// Such a call reaches no data either: the graph answers `UNAUTHENTICATED` to it. A
/// development call that carries a token is audited like any other.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    graph: &GraphClient,
    caller: &Caller,
    transport: &str,
    tool: &str,
    risk: RiskClass,
    outcome: Outcome,
    detail: Option<&str>,
) {
    if caller.token.is_none() {
        tracing::info!(
            tool,
            outcome = outcome.as_str(),
            "tool call by an anonymous caller (not audited in sales)"
        );
        return;
    }
    let mut variables = Map::new();
    variables.insert(
        "input".into(),
        json!({
            "tool": tool,
            "outcome": outcome.as_str(),
            "riskClass": risk.as_str(),
            "caller": caller.subject,
            "transport": transport,
            "detail": detail.map(|d| d.chars().take(500).collect::<String>()),
        }),
    );
    match graph
        .execute(caller, AUDIT, Some("McpRecordToolCall"), variables)
        .await
        .and_then(|response| data_of(response, "recordToolCall"))
    {
        Ok(_) => {}
        Err(e) => tracing::warn!(tool, error = %e, "the tool call could not be audited in sales"),
    }
}
