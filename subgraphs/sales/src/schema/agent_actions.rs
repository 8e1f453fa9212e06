//! Supervised agent actions and the audit of agents' tool calls in GraphQL. The MCP adapter
//! files a request for a tool call that launches, spends, erases or changes permissions; a
//! sales admin approves or rejects it; the agent's next identical call uses the approval once.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::context::Role;
use promptsales_kit::{ApiError, RequestContext, ResultExt, StrEnum, parse_id};
use serde_json::json;

use super::results::AuditEntry;
use crate::audit::{self, Severity};
use crate::domain::{access, agent_action, text};
use crate::store;

/// The most requests one listing returns.
const MAX_LISTED: i32 = 100;

/// Where an agent's action request stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::agent_action::AgentActionStatus")]
pub enum AgentActionStatus {
    /// Waiting for a person.
    Pending,
    /// Approved: the agent's next identical call runs it, once.
    Approved,
    /// Refused.
    Rejected,
    /// It ran.
    Used,
}

/// A person's decision on an agent's action.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::agent_action::AgentActionDecision")]
pub enum AgentActionDecision {
    /// Let it run once.
    Approve,
    /// Refuse it.
    Reject,
}

/// A tool call an AI agent may not run on its own, waiting for (or after) a person's decision.
pub struct AgentActionRequest(pub store::agent_actions::AgentAction);

#[Object]
impl AgentActionRequest {
    /// The request's UUIDv7: what `resolveAgentAction` takes.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization it acts in.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }

    /// The user the agent acts for (absent for a service).
    async fn requested_by_id(&self) -> Option<ID> {
        self.0.requested_by.map(|id| ID(id.to_string()))
    }

    /// The tool (an MCP tool name).
    async fn tool(&self) -> &str {
        &self.0.tool
    }

    /// Its risk class (launch, spend, erase, permissions, sensitive...).
    async fn risk_class(&self) -> &str {
        &self.0.risk
    }

    /// The call's arguments, exactly as they will run.
    async fn arguments(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(serde_json::from_str(&self.0.arguments).unwrap_or(json!({})))
    }

    /// What it will do, in words.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Where it stands.
    async fn status(&self) -> AgentActionStatus {
        self.0.status.into()
    }

    /// Who decided.
    async fn resolved_by_id(&self) -> Option<ID> {
        self.0.resolved_by.map(|id| ID(id.to_string()))
    }

    /// The decider's comment.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// When it was asked.
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }

    /// When it was decided.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }

    /// When it ran.
    async fn used_at(&self) -> Option<DateTime<Utc>> {
        self.0.used_at
    }
}

/// A tool call to put before a person.
#[derive(InputObject)]
pub struct RequestAgentActionInput {
    /// The tool.
    pub tool: String,
    /// Its risk class (`launch`, `spend`, `erase`, `permissions`, `sensitive`, ...).
    pub risk_class: String,
    /// Its arguments (a JSON object).
    pub arguments: async_graphql::Json<serde_json::Value>,
    /// What it will do, in words.
    pub summary: Option<String>,
}

/// A tool call that may have been approved.
#[derive(InputObject)]
pub struct UseAgentActionInput {
    /// The tool.
    pub tool: String,
    /// Its arguments (a JSON object), as they were approved.
    pub arguments: async_graphql::Json<serde_json::Value>,
}

/// How an agent's tool call ended.
// The audit log's details name it in snake_case (`approval_requested`).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ToolCallOutcome {
    /// It ran and the graph answered.
    Succeeded,
    /// It ran and failed (a tool error: bad arguments, a refusal by the graph...).
    Failed,
    /// The adapter refused it (its policy denies the tool).
    Refused,
    /// It became a request for a person's approval.
    ApprovalRequested,
}

/// An agent's tool call, for the audit log.
#[derive(InputObject)]
pub struct ToolCallInput {
    /// The tool.
    pub tool: String,
    /// How it ended.
    pub outcome: ToolCallOutcome,
    /// Its risk class.
    pub risk_class: Option<String>,
    /// The caller as the adapter verified it (the token's subject).
    pub caller: Option<String>,
    /// The MCP transport (`http`, `stdio`).
    pub transport: Option<String>,
    /// A short note (an error's code, an approval request's id).
    pub detail: Option<String>,
}

fn context<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
}

/// Any verified caller: holding a role somewhere or being a user. Agents audit their own
/// calls and file requests whatever their roles (the call itself later runs with their
/// token, so the graph still checks what they may do).
fn require_caller(context: &RequestContext) -> Result<(), ApiError> {
    if context.roles.is_empty() && context.user.is_none() {
        return Err(ApiError::Unauthenticated(
            "an agent's call is audited and supervised only for an identified caller".into(),
        ));
    }
    Ok(())
}

/// The caller's organization, required to file or use a request.
fn own_organization(context: &RequestContext) -> Result<uuid::Uuid, ApiError> {
    context.organization.ok_or_else(|| {
        ApiError::bad_input(
            "organization",
            "an agent's action is supervised within one organization: use a token of one",
        )
    })
}

/// `requestAgentAction`.
pub async fn request(
    ctx: &Context<'_>,
    input: RequestAgentActionInput,
) -> async_graphql::Result<AgentActionRequest> {
    let context = context(ctx)?;
    require_caller(context)?;
    let organization = own_organization(context)?;
    let new = agent_action::validate_new(
        organization,
        context.user,
        &input.tool,
        &input.risk_class,
        &input.arguments.0,
        input.summary.as_deref(),
    )?;
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        "agent_action.requested",
        "AgentActionRequest",
        None,
        Severity::Warning,
        json!({ "tool": new.tool, "risk": new.risk }),
    );
    entry.organization_id = Some(organization);
    let filed = super::store(ctx)?
        .file_agent_action(new, entry)
        .await
        .api()?;
    tracing::info!(request = %filed.id, tool = %filed.tool, risk = %filed.risk, "agent action awaits approval");
    Ok(AgentActionRequest(filed))
}

/// `resolveAgentAction`.
pub async fn resolve(
    ctx: &Context<'_>,
    id: &ID,
    decision: AgentActionDecision,
    comment: Option<String>,
) -> async_graphql::Result<AgentActionRequest> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let resolver = access::acting_user(context, "deciding an agent's action")?;
    let id = parse_id("id", id)?;
    let comment = text::optional("comment", comment.as_deref(), 2_000)?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    let current = store
        .agent_actions_by_ids(scope, &[id])
        .await
        .api()?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("AgentActionRequest", id))?;
    let status = agent_action::resolve(
        current.status,
        current.requested_by,
        resolver,
        decision.into(),
    )?;
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        match decision {
            AgentActionDecision::Approve => "agent_action.approved",
            AgentActionDecision::Reject => "agent_action.rejected",
        },
        "AgentActionRequest",
        Some(id.to_string()),
        Severity::Warning,
        json!({ "tool": current.tool, "risk": current.risk }),
    );
    entry.organization_id = Some(current.organization_id);
    let resolved = store
        .resolve_agent_action(
            scope,
            store::agent_actions::AgentActionResolution {
                id,
                status,
                resolved_by: resolver,
                comment,
            },
            entry,
        )
        .await
        .api()?;
    tracing::info!(request = %id, status = resolved.status.as_str(), "agent action decided");
    Ok(AgentActionRequest(resolved))
}

/// `useAgentAction`.
pub async fn use_approved(
    ctx: &Context<'_>,
    input: UseAgentActionInput,
) -> async_graphql::Result<Option<AgentActionRequest>> {
    let context = context(ctx)?;
    require_caller(context)?;
    let organization = own_organization(context)?;
    let tool = text::required("input.tool", &input.tool, 100)?;
    let arguments = agent_action::canonical_arguments(&input.arguments.0)?;
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        "agent_action.used",
        "AgentActionRequest",
        None,
        Severity::Warning,
        json!({ "tool": tool }),
    );
    entry.organization_id = Some(organization);
    let used = super::store(ctx)?
        .use_agent_action(organization, context.user, &tool, &arguments, entry)
        .await
        .api()?;
    Ok(used.map(AgentActionRequest))
}

/// `agentActionRequests`.
pub async fn list(
    ctx: &Context<'_>,
    status: Option<AgentActionStatus>,
    first: Option<i32>,
) -> async_graphql::Result<Vec<AgentActionRequest>> {
    let context = context(ctx)?;
    access::require(context, Role::Read)?;
    let limit = first.unwrap_or(20).clamp(1, MAX_LISTED) as u64;
    let rows = super::store(ctx)?
        .agent_actions(context.scope(), status.map(Into::into), limit)
        .await
        .api()?;
    Ok(rows.into_iter().map(AgentActionRequest).collect())
}

/// `recordToolCall`: one audit entry per agent tool call, whoever the caller is (an agent
/// with only crm or content roles is audited too).
pub async fn record_tool_call(
    ctx: &Context<'_>,
    input: ToolCallInput,
) -> async_graphql::Result<AuditEntry> {
    let context = context(ctx)?;
    require_caller(context)?;
    let tool = text::required("input.tool", &input.tool, 100)?;
    let risk = text::optional("input.riskClass", input.risk_class.as_deref(), 20)?;
    let caller = text::optional("input.caller", input.caller.as_deref(), 200)?;
    let transport = text::optional("input.transport", input.transport.as_deref(), 20)?;
    let detail = text::optional("input.detail", input.detail.as_deref(), 500)?;
    let severity = match input.outcome {
        ToolCallOutcome::Succeeded => Severity::Info,
        _ => Severity::Warning,
    };
    let entry = audit::entry(
        context,
        audit::origin(ctx),
        "mcp.tool_call",
        "McpTool",
        Some(tool.clone()),
        severity,
        json!({
            "tool": tool,
            "outcome": input.outcome.as_str(),
            "risk": risk,
            "caller": caller,
            "roles": context.role_strings(),
            "transport": transport,
            "detail": detail,
        }),
    );
    let recorded = audit::record(super::store(ctx)?.as_ref(), entry)
        .await
        .api()?;
    Ok(AuditEntry(recorded))
}
