//! The campaign state machine and its approvals, through the schema, on every backend.

use promptsales_kit::StrEnum;
use promptsales_kit::context::Role;
use promptsales_sales::domain::campaign::CampaignStatus;
use promptsales_sales::domain::workflow::EDGES;
use serde_json::{Value, json};

use crate::portal_support::{Team, audit_count, caller, extension};
use crate::support::{self, Harness};

const CHANGE: &str = r#"mutation($id: ID!, $status: CampaignStatus!) {
  changeCampaignStatus(id: $id, status: $status, comment: "test") { id status approvals { id kind status round } }
}"#;

const RESOLVE: &str = r#"mutation($id: ID!, $decision: ApprovalDecision!) {
  resolveApproval(id: $id, decision: $decision, comments: "ok") { id kind status resolvedBy { email } requestedBy { email } campaign { status } }
}"#;

fn gql(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Draft => "DRAFT",
        CampaignStatus::PendingApproval => "PENDING_APPROVAL",
        CampaignStatus::Approved => "APPROVED",
        CampaignStatus::Active => "ACTIVE",
        CampaignStatus::Paused => "PAUSED",
        CampaignStatus::Completed => "COMPLETED",
        CampaignStatus::Cancelled => "CANCELLED",
    }
}

/// Every pair of statuses through the whole stack: a non-edge is ILLEGAL_TRANSITION naming
/// both ends; an edge that needs approvals is APPROVALS_MISSING (none were granted); any
/// other edge lands. A refused change writes nothing.
pub async fn every_status_pair_is_legal_exactly_when_the_machine_allows_it(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Matrix").await?;
    let admin = team.approver();
    for &from in CampaignStatus::ALL {
        for &to in CampaignStatus::ALL {
            let mut new = support::new_campaign(
                team.org.id,
                team.marketer.id,
                &format!("{from:?} to {to:?}"),
            );
            new.status = from;
            let campaign = support::campaign(h, new).await?;
            let vars = json!({"id": campaign.id.to_string(), "status": gql(to)});
            let response = h.run(&admin, CHANGE, vars).await;
            let codes: Vec<String> = support::errors(&response)
                .into_iter()
                .map(|(c, _)| c)
                .collect();
            let edge = EDGES.contains(&(from, to));
            let needs_approvals = matches!(
                (from, to),
                (CampaignStatus::PendingApproval, CampaignStatus::Approved)
                    | (CampaignStatus::Approved, CampaignStatus::Active)
            );
            if !edge {
                assert_eq!(codes, ["ILLEGAL_TRANSITION"], "{from:?} -> {to:?}");
                assert_eq!(extension(&response, "from"), [from.as_str()]);
                assert_eq!(extension(&response, "to"), [to.as_str()]);
            } else if needs_approvals {
                assert_eq!(codes, ["APPROVALS_MISSING"], "{from:?} -> {to:?}");
            } else {
                assert!(codes.is_empty(), "{from:?} -> {to:?}: {codes:?}");
                let data = response.data.into_json()?;
                assert_eq!(data["changeCampaignStatus"]["status"], gql(to));
                continue;
            }
            let stored = h
                .store
                .campaigns_by_ids(promptsales_kit::context::TenantScope::All, &[campaign.id])
                .await?;
            assert_eq!(stored[0].status, from, "a refused change leaves {from:?}");
            assert_eq!(audit_count(h, &campaign.id.to_string()).await?, 0);
        }
    }
    Ok(())
}

fn approvals(data: &Value) -> Vec<(String, String, String)> {
    data["approvals"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    (
                        a["kind"].as_str().unwrap_or_default().to_string(),
                        a["status"].as_str().unwrap_or_default().to_string(),
                        a["id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn approval_id(list: &[(String, String, String)], kind: &str, status: &str) -> String {
    list.iter()
        .find(|(k, s, _)| k == kind && s == status)
        .map(|(_, _, id)| id.clone())
        .unwrap_or_else(|| panic!("no {status} {kind} approval in {list:?}"))
}

/// The whole supervised life: submit, approvals by an admin other than the requester, launch
/// only once everything is granted, pause, resume, complete; each step audited.
pub async fn nothing_launches_before_every_approval_is_granted(h: &Harness) -> anyhow::Result<()> {
    let team = Team::new(h, "Aurora").await?;
    let id = team.campaign.id.to_string();
    let (writer, admin) = (team.writer(), team.approver());
    let change = |status: &'static str| json!({"id": id, "status": status});

    let data = h.data(&writer, CHANGE, change("PENDING_APPROVAL")).await?;
    let submitted = &data["changeCampaignStatus"];
    assert_eq!(submitted["status"], "PENDING_APPROVAL");
    let list = approvals(submitted);
    assert_eq!(list.len(), 4);
    assert!(list.iter().all(|(_, s, _)| s == "PENDING"));

    // Neither a writer nor the requester may grant; a read-only caller may not even submit.
    let budget = approval_id(&list, "BUDGET", "PENDING");
    let grant = |approval: &str| json!({"id": approval, "decision": "GRANT"});
    let refused = h.failure(&writer, RESOLVE, grant(&budget)).await;
    assert_eq!(refused[0].0, "FORBIDDEN");
    let own = caller(team.org.id, team.marketer.id, Role::Admin);
    assert_eq!(
        h.failure(&own, RESOLVE, grant(&budget)).await[0].0,
        "FORBIDDEN",
        "four eyes"
    );
    let reader = caller(team.org.id, team.marketer.id, Role::Read);
    assert_eq!(
        h.failure(&reader, CHANGE, change("CANCELLED")).await[0].0,
        "FORBIDDEN"
    );
    // Another tenant's admin does not see it.
    let other = Team::new(h, "Other").await?;
    assert_eq!(
        h.failure(&other.approver(), RESOLVE, grant(&budget)).await[0].0,
        "NOT_FOUND"
    );

    assert_eq!(
        h.failure(&writer, CHANGE, change("APPROVED")).await[0].0,
        "APPROVALS_MISSING"
    );
    for kind in ["BUDGET", "CONTENT"] {
        let data = h
            .data(&admin, RESOLVE, grant(&approval_id(&list, kind, "PENDING")))
            .await?;
        assert_eq!(data["resolveApproval"]["status"], "GRANTED");
        assert_eq!(
            data["resolveApproval"]["resolvedBy"]["email"],
            team.admin.email.as_str()
        );
        assert_eq!(
            data["resolveApproval"]["requestedBy"]["email"],
            team.marketer.email.as_str()
        );
        assert_eq!(
            data["resolveApproval"]["campaign"]["status"],
            "PENDING_APPROVAL"
        );
    }
    assert_eq!(
        h.failure(&admin, RESOLVE, grant(&budget)).await[0].0,
        "CONFLICT",
        "granted twice"
    );
    let data = h
        .data(
            &admin,
            RESOLVE,
            grant(&approval_id(&list, "SCHEDULE", "PENDING")),
        )
        .await?;
    assert_eq!(
        data["resolveApproval"]["campaign"]["status"], "APPROVED",
        "the last of three approves"
    );

    let response = h.run(&writer, CHANGE, change("ACTIVE")).await;
    assert_eq!(support::errors(&response)[0].0, "APPROVALS_MISSING");
    assert_eq!(extension(&response, "missing"), [r#"["launch"]"#]);
    // What was approved is frozen; a rename is not.
    let update = r#"mutation($id: ID!, $input: UpdateCampaignInput!) { updateCampaign(id: $id, input: $input) { name } }"#;
    let raise = h
        .failure(
            &writer,
            update,
            json!({"id": id, "input": {"budget": "5000"}}),
        )
        .await;
    assert_eq!(raise[0].0, "CONFLICT");
    h.data(
        &writer,
        update,
        json!({"id": id, "input": {"name": "Spring (approved)"}}),
    )
    .await?;
    h.data(
        &admin,
        RESOLVE,
        grant(&approval_id(&list, "LAUNCH", "PENDING")),
    )
    .await?;
    for (status, expected) in [
        ("ACTIVE", "ACTIVE"),
        ("PAUSED", "PAUSED"),
        ("ACTIVE", "ACTIVE"),
        ("COMPLETED", "COMPLETED"),
    ] {
        let data = h.data(&writer, CHANGE, change(status)).await?;
        assert_eq!(data["changeCampaignStatus"]["status"], expected);
    }
    let response = h.run(&writer, CHANGE, change("ACTIVE")).await;
    assert_eq!(support::errors(&response)[0].0, "ILLEGAL_TRANSITION");

    // Audited: 1 submission + 4 grants + 4 changes; the refusals wrote nothing.
    assert_eq!(audit_count(h, &id).await?, 5);
    let log = h
        .data(&admin, r#"query($id: ID!) { auditLog(filter: {targetId: $id}) { edges { node { action actorId severity metadata } } } }"#, json!({"id": id}))
        .await?;
    let actions: Vec<&str> = log["auditLog"]["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|n| n["node"]["action"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(actions, ["campaign.status_changed"; 5]);
    assert_eq!(
        log["auditLog"]["edges"][0]["node"]["metadata"]["to"],
        "completed"
    );
    let grants = h
        .data(&admin, r#"{ auditLog(filter: {action: "approval.granted"}) { edges { node { actorId targetId } } } }"#, json!({}))
        .await?;
    let edges = grants["auditLog"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 4);
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["actorId"] == team.admin.id.to_string().as_str())
    );
    Ok(())
}

/// A rejection sends the campaign back to draft and withdraws the rest; resubmitting opens a
/// new round in which earlier grants do not count.
pub async fn a_rejection_sends_the_campaign_back_and_old_grants_never_count_again(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Nimbus").await?;
    let id = team.campaign.id.to_string();
    let (writer, admin) = (team.writer(), team.approver());
    let change = |status: &'static str| json!({"id": id, "status": status});
    let data = h.data(&writer, CHANGE, change("PENDING_APPROVAL")).await?;
    let first = approvals(&data["changeCampaignStatus"]);
    for kind in ["BUDGET", "CONTENT"] {
        h.data(
            &admin,
            RESOLVE,
            json!({"id": approval_id(&first, kind, "PENDING"), "decision": "GRANT"}),
        )
        .await?;
    }
    let data = h
        .data(
            &admin,
            RESOLVE,
            json!({"id": approval_id(&first, "SCHEDULE", "PENDING"), "decision": "REJECT"}),
        )
        .await?;
    assert_eq!(data["resolveApproval"]["status"], "REJECTED");
    assert_eq!(data["resolveApproval"]["campaign"]["status"], "DRAFT");
    let launch = approval_id(&first, "LAUNCH", "PENDING");
    let data = h.data(&writer, CHANGE, change("PENDING_APPROVAL")).await?;
    let all = approvals(&data["changeCampaignStatus"]);
    assert_eq!(
        all.iter()
            .filter(|(k, s, _)| k == "LAUNCH" && s == "WITHDRAWN")
            .count(),
        1
    );
    assert_eq!(
        all.iter().filter(|(_, s, _)| s == "PENDING").count(),
        4,
        "a fresh round"
    );
    // The withdrawn launch approval of round 1 can no longer be granted.
    assert_eq!(
        h.failure(&admin, RESOLVE, json!({"id": launch, "decision": "GRANT"}))
            .await[0]
            .0,
        "CONFLICT"
    );
    // Round 1's budget and content grants do not approve round 2.
    let second: Vec<_> = all
        .iter()
        .filter(|(_, s, _)| s == "PENDING")
        .cloned()
        .collect();
    let data = h
        .data(
            &admin,
            RESOLVE,
            json!({"id": approval_id(&second, "SCHEDULE", "PENDING"), "decision": "GRANT"}),
        )
        .await?;
    assert_eq!(
        data["resolveApproval"]["campaign"]["status"],
        "PENDING_APPROVAL"
    );
    // Withdrawing and cancelling are legal; cancelled is final.
    h.data(&writer, CHANGE, change("DRAFT")).await?;
    h.data(&writer, CHANGE, change("CANCELLED")).await?;
    let response = h.run(&writer, CHANGE, change("DRAFT")).await;
    assert_eq!(support::errors(&response)[0].0, "ILLEGAL_TRANSITION");
    let pending = h
        .data(
            &admin,
            r#"query($org: ID) { pendingApprovals(organizationId: $org) { id } }"#,
            json!({"org": team.org.id.to_string()}),
        )
        .await?;
    assert_eq!(
        pending["pendingApprovals"],
        json!([]),
        "nothing pending on a cancelled campaign"
    );
    Ok(())
}

const PROPOSE: &str = r#"mutation($input: CampaignStrategyInput!) {
  proposeCampaignPlan(input: $input) {
    campaign { id status budget { total { amount currency } } keyMessage targetCountries }
    plan {
      status basedOnHistory reasoning audiences
      targetAudiences { name criteria { feature values min max } }
      channels { audience channel sharePercent budget { amount currency } }
      tasks { kind title dueDate }
      content { audience channel format variants brief }
    }
  }
}"#;

/// A strategy becomes a draft campaign with a plan: defaults without history, the
/// organization's best-returning channels once it has some; readable from the campaign.
pub async fn a_strategy_becomes_a_draft_plan_reasoned_from_past_results(
    h: &Harness,
) -> anyhow::Result<()> {
    use promptsales_kit::Decimal4;
    use promptsales_sales::store::results::AdsSummaryRow;
    let team = Team::new(h, "Planner").await?;
    let input = json!({
        "organizationId": team.org.id.to_string(),
        "ownerId": team.marketer.id.to_string(),
        "name": "Trail Spring",
        "keyMessage": "Lighter shoes, longer trails",
        "audiences": [
            {"name": "young runners", "criteria": [{"feature": "AGE", "min": 18, "max": 28}, {"feature": "CITY", "values": ["Madrid", "Lisboa"]}]},
            {"name": "outdoor pros", "criteria": [{"feature": "PROFESSION", "values": ["guide"]}, {"feature": "INTERESTS", "values": ["trail"]}]}
        ],
        "countries": ["es", "pt"],
        "objectives": [{"kind": "SALES", "metric": "revenue", "target": "50000"}],
        "budget": "10000",
        "currency": "EUR",
        "startDate": "2027-03-01",
        "endDate": "2027-03-31"
    });
    let data = h
        .data(&team.writer(), PROPOSE, json!({"input": input}))
        .await?;
    let proposal = &data["proposeCampaignPlan"];
    assert_eq!(proposal["campaign"]["status"], "DRAFT");
    assert_eq!(proposal["campaign"]["targetCountries"], json!(["ES", "PT"]));
    let plan = &proposal["plan"];
    assert_eq!(plan["status"], "DRAFT");
    assert_eq!(plan["basedOnHistory"], false);
    let channels = plan["channels"].as_array().cloned().unwrap_or_default();
    let total: i64 = channels
        .iter()
        .map(|c| {
            c["budget"]["amount"]
                .as_str()
                .unwrap_or("0")
                .parse::<Decimal4>()
                .map(|d| d.raw())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(
        total,
        Decimal4::from_units(10_000).raw(),
        "the split adds up to the budget"
    );
    assert!(
        channels
            .iter()
            .any(|c| c["audience"] == "young runners" && c["channel"] == "tiktok")
    );
    assert!(
        channels
            .iter()
            .any(|c| c["audience"] == "outdoor pros" && c["channel"] == "linkedin")
    );
    assert_eq!(
        plan["content"].as_array().map(Vec::len),
        Some(channels.len())
    );
    assert_eq!(plan["tasks"][0]["kind"], "content_review");
    assert_eq!(plan["tasks"][0]["dueDate"], "2027-02-15");
    // The targeting criteria are kept and read back, not only the audiences' names.
    assert_eq!(
        plan["targetAudiences"],
        json!([
            {"name": "young runners", "criteria": [
                {"feature": "AGE", "values": [], "min": 18, "max": 28},
                {"feature": "CITY", "values": ["Madrid", "Lisboa"], "min": null, "max": null}]},
            {"name": "outdoor pros", "criteria": [
                {"feature": "PROFESSION", "values": ["guide"], "min": null, "max": null},
                {"feature": "INTERESTS", "values": ["trail"], "min": null, "max": null}]}
        ])
    );

    // Past results: e-mail returned 6x, google 2x, tiktok barely anything.
    let history_campaign = support::campaign(
        h,
        support::new_campaign(team.org.id, team.marketer.id, "Past"),
    )
    .await?;
    let row = |channel: &str, spend: i64, value: i64| AdsSummaryRow {
        organization_id: team.org.id,
        campaign_id: history_campaign.id,
        day: support::day(2026, 1, 10),
        channel: channel.to_string(),
        impressions: 10_000,
        clicks: 200,
        reach: 8_000,
        engagement: 300,
        spend: Decimal4::from_units(spend),
        conversions: 10,
        conversion_value: Decimal4::from_units(value),
    };
    h.store
        .upsert_ads_summary(&[
            row("email", 400, 2_400),
            row("google", 400, 800),
            row("tiktok", 400, 40),
        ])
        .await?;
    let mut input = input;
    input["name"] = json!("Trail Summer");
    let data = h
        .data(&team.writer(), PROPOSE, json!({"input": input}))
        .await?;
    let plan = &data["proposeCampaignPlan"]["plan"];
    assert_eq!(plan["basedOnHistory"], true);
    assert_eq!(plan["channels"][0]["channel"], "email");
    assert!(
        plan["reasoning"][0]
            .as_str()
            .unwrap_or_default()
            .contains("email (return 6.00x)")
    );
    // Another tenant's history never leaks in: a fresh organization gets defaults.
    let other = Team::new(h, "Fresh").await?;
    let mut fresh = input.clone();
    fresh["organizationId"] = json!(other.org.id.to_string());
    fresh["ownerId"] = json!(other.marketer.id.to_string());
    let data = h
        .data(&other.writer(), PROPOSE, json!({"input": fresh}))
        .await?;
    assert_eq!(data["proposeCampaignPlan"]["plan"]["basedOnHistory"], false);

    let id = data["proposeCampaignPlan"]["campaign"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let read = h
        .data(
            &other.writer(),
            r#"query($id: ID!) { campaign(id: $id) { plan { status channels { channel } } } }"#,
            json!({"id": id}),
        )
        .await?;
    assert_eq!(read["campaign"]["plan"]["status"], "DRAFT");
    // Every approval granted: the plan's approval tasks close (no overdue alert for them).
    let submitted = h
        .data(
            &other.writer(),
            CHANGE,
            json!({"id": id, "status": "PENDING_APPROVAL"}),
        )
        .await?;
    for approval in submitted["changeCampaignStatus"]["approvals"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        h.data(
            &other.approver(),
            RESOLVE,
            json!({"id": approval["id"], "decision": "GRANT"}),
        )
        .await?;
    }
    let tasks = h
        .data(
            &other.writer(),
            r#"query($id: ID!) { campaign(id: $id) { status tasks { title status } } }"#,
            json!({"id": id}),
        )
        .await?;
    assert_eq!(tasks["campaign"]["status"], "APPROVED", "{tasks}");
    let status_of = |title: &str| {
        tasks["campaign"]["tasks"]
            .as_array()
            .and_then(|all| all.iter().find(|t| t["title"] == title))
            .map(|t| t["status"].clone())
    };
    assert_eq!(
        status_of("Approve budget and content"),
        Some(json!("DONE")),
        "{tasks}"
    );
    assert_eq!(
        status_of("Approve schedule and launch"),
        Some(json!("DONE")),
        "{tasks}"
    );
    assert_eq!(status_of("Final report"), Some(json!("OPEN")), "{tasks}");
    // A bad strategy names its field and writes nothing.
    let before = h.census().await?;
    let mut bad = fresh;
    bad["audiences"] = json!([]);
    let failure = h
        .failure(&other.writer(), PROPOSE, json!({"input": bad}))
        .await;
    assert_eq!(
        failure,
        vec![("BAD_USER_INPUT".to_string(), "input.audiences".to_string())]
    );
    assert_eq!(h.census().await?, before);
    Ok(())
}

/// Two admins granting the last two approvals at the same moment: both grants land (the
/// loser of the race re-reads and retries) and the campaign ends approved, never stuck in
/// pending approval with everything granted.
pub async fn concurrent_last_grants_still_approve_the_campaign(h: &Harness) -> anyhow::Result<()> {
    let team = Team::new(h, "Race").await?;
    let second_admin = support::user(h, team.org.id, "second-admin@race.example").await?;
    let id = team.campaign.id.to_string();
    let data = h
        .data(
            &team.writer(),
            CHANGE,
            json!({"id": id, "status": "PENDING_APPROVAL"}),
        )
        .await?;
    let list = approvals(&data["changeCampaignStatus"]);
    let grant =
        |kind: &str| json!({"id": approval_id(&list, kind, "PENDING"), "decision": "GRANT"});
    h.data(&team.approver(), RESOLVE, grant("BUDGET")).await?;
    let (first, other) = (
        team.approver(),
        caller(team.org.id, second_admin.id, Role::Admin),
    );
    let (a, b) = futures::join!(
        h.run(&first, RESOLVE, grant("CONTENT")),
        h.run(&other, RESOLVE, grant("SCHEDULE")),
    );
    assert!(
        a.errors.is_empty() && b.errors.is_empty(),
        "{:?} {:?}",
        a.errors,
        b.errors
    );
    let stored = h
        .store
        .campaigns_by_ids(
            promptsales_kit::context::TenantScope::All,
            &[team.campaign.id],
        )
        .await?;
    assert_eq!(stored[0].status, CampaignStatus::Approved);
    Ok(())
}
