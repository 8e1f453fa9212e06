//! Supervised agent actions and the audit of agents' tool calls, through the schema, on
//! every backend.

use promptsales_kit::RequestContext;
use promptsales_kit::context::{Role, Subsystem};
use serde_json::{Value, json};

use crate::portal_support::{Team, audit_count, caller, extension};
use crate::support::Harness;

const REQUEST: &str = r#"mutation($input: RequestAgentActionInput!) {
  requestAgentAction(input: $input) { id status tool riskClass arguments requestedById }
}"#;
const RESOLVE: &str = r#"mutation($id: ID!, $decision: AgentActionDecision!) {
  resolveAgentAction(id: $id, decision: $decision, comment: "checked") { id status resolvedById comment }
}"#;
const USE: &str = r#"mutation($input: UseAgentActionInput!) {
  useAgentAction(input: $input) { id status usedAt }
}"#;
const LIST: &str = r#"query($status: AgentActionStatus) {
  agentActionRequests(status: $status) { id tool status }
}"#;
const AUDIT: &str = r#"mutation($input: ToolCallInput!) {
  recordToolCall(input: $input) { id action targetId actorId metadata }
}"#;

/// An agent acting for a user who holds only a crm role (no sales role at all).
fn crm_agent(team: &Team) -> RequestContext {
    RequestContext::for_organization(team.org.id)
        .with_role(Subsystem::Crm, Role::Write)
        .with_user(team.marketer.id)
}

/// A request is filed once per identical call, decided by another person with the sales admin
/// role, and used exactly once by exactly that call; a decided request is never decided again.
pub async fn an_agent_action_waits_for_a_person_and_runs_once_with_the_arguments_approved(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Supervised").await?;
    let agent = crm_agent(&team);
    let call = json!({ "input": { "campaignId": team.campaign.id.to_string(), "amount": "50.00", "kind": "DEPOSIT" } });
    let input = json!({ "input": { "tool": "recordCampaignBudgetMovement", "riskClass": "spend",
                                   "arguments": call, "summary": "top up" } });
    let filed = h.data(&agent, REQUEST, input.clone()).await?;
    let request = &filed["requestAgentAction"];
    let id = request["id"].as_str().expect("an id").to_string();
    assert_eq!(request["status"], "PENDING");
    assert_eq!(request["requestedById"], team.marketer.id.to_string());
    assert_eq!(request["arguments"], call);
    // The same call again while pending: the same request.
    let again = h.data(&agent, REQUEST, input).await?;
    assert_eq!(again["requestAgentAction"]["id"], id.as_str());
    assert_eq!(audit_count(h, &id).await?, 1, "filed once, audited once");

    // Nothing approved yet: using it finds nothing.
    let use_input =
        json!({ "input": { "tool": "recordCampaignBudgetMovement", "arguments": call } });
    let unused = h.data(&agent, USE, use_input.clone()).await?;
    assert_eq!(unused["useAgentAction"], Value::Null);

    // Not by a writer, not by the user the agent acts for, even as admin.
    let writer = h
        .run(
            &team.writer(),
            RESOLVE,
            json!({ "id": id, "decision": "APPROVE" }),
        )
        .await;
    assert_eq!(extension(&writer, "code"), ["FORBIDDEN"]);
    let own = caller(team.org.id, team.marketer.id, Role::Admin);
    let own = h
        .run(&own, RESOLVE, json!({ "id": id, "decision": "APPROVE" }))
        .await;
    assert_eq!(extension(&own, "code"), ["FORBIDDEN"]);
    // Another tenant's admin does not even find it.
    let rival = Team::new(h, "Rival").await?;
    let foreign = h
        .run(
            &rival.approver(),
            RESOLVE,
            json!({ "id": id, "decision": "APPROVE" }),
        )
        .await;
    assert_eq!(extension(&foreign, "code"), ["NOT_FOUND"]);
    let theirs = h.data(&rival.approver(), LIST, json!({})).await?;
    assert_eq!(theirs["agentActionRequests"], json!([]));

    let pending = h
        .data(&team.approver(), LIST, json!({ "status": "PENDING" }))
        .await?;
    assert_eq!(pending["agentActionRequests"][0]["id"], id.as_str());
    let decided = h
        .data(
            &team.approver(),
            RESOLVE,
            json!({ "id": id, "decision": "APPROVE" }),
        )
        .await?;
    assert_eq!(decided["resolveAgentAction"]["status"], "APPROVED");
    assert_eq!(
        decided["resolveAgentAction"]["resolvedById"],
        team.admin.id.to_string()
    );
    let twice = h
        .run(
            &team.approver(),
            RESOLVE,
            json!({ "id": id, "decision": "REJECT" }),
        )
        .await;
    assert_eq!(extension(&twice, "code"), ["CONFLICT"]);

    // Other arguments, or another requester, do not use it; the exact call does, once.
    let other = json!({ "input": { "tool": "recordCampaignBudgetMovement",
                                   "arguments": { "input": { "amount": "5000.00" } } } });
    assert_eq!(
        h.data(&agent, USE, other).await?["useAgentAction"],
        Value::Null
    );
    let stranger = RequestContext::for_organization(team.org.id)
        .with_role(Subsystem::Crm, Role::Write)
        .with_user(team.admin.id);
    assert_eq!(
        h.data(&stranger, USE, use_input.clone()).await?["useAgentAction"],
        Value::Null
    );
    let used = h.data(&agent, USE, use_input.clone()).await?;
    assert_eq!(used["useAgentAction"]["id"], id.as_str());
    assert_eq!(used["useAgentAction"]["status"], "USED");
    assert_eq!(
        h.data(&agent, USE, use_input).await?["useAgentAction"],
        Value::Null
    );
    // Filed, approved, used: three entries on the request.
    assert_eq!(audit_count(h, &id).await?, 3);

    // Bad requests are refused and file nothing.
    for bad in [
        json!({ "tool": "", "riskClass": "spend", "arguments": {} }),
        json!({ "tool": "x", "riskClass": "doom", "arguments": {} }),
        json!({ "tool": "x", "riskClass": "spend", "arguments": [1, 2] }),
    ] {
        let refused = h.run(&agent, REQUEST, json!({ "input": bad })).await;
        assert_eq!(extension(&refused, "code"), ["BAD_USER_INPUT"], "{bad}");
    }
    let all = h.data(&team.approver(), LIST, json!({})).await?;
    assert_eq!(all["agentActionRequests"].as_array().map(Vec::len), Some(1));
    Ok(())
}

/// Every identified caller's tool call is audited, whatever its roles; an anonymous one is not.
pub async fn every_agent_tool_call_is_audited_whatever_the_callers_roles(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Audited").await?;
    let input = json!({ "input": { "tool": "moveLeadStage", "outcome": "FAILED", "riskClass": "write",
                                   "caller": "user-1", "transport": "http", "detail": "CONFLICT" } });
    let recorded = h.data(&crm_agent(&team), AUDIT, input.clone()).await?;
    let entry = &recorded["recordToolCall"];
    assert_eq!(entry["action"], "mcp.tool_call");
    assert_eq!(entry["targetId"], "moveLeadStage");
    assert_eq!(entry["actorId"], team.marketer.id.to_string());
    assert_eq!(entry["metadata"]["outcome"], "failed");
    assert_eq!(entry["metadata"]["roles"], json!(["crm:write"]));
    assert_eq!(audit_count(h, "moveLeadStage").await?, 1);
    let anonymous = h
        .run(&RequestContext::for_organization(team.org.id), AUDIT, input)
        .await;
    assert_eq!(extension(&anonymous, "code"), ["UNAUTHENTICATED"]);
    assert_eq!(audit_count(h, "moveLeadStage").await?, 1);
    Ok(())
}
