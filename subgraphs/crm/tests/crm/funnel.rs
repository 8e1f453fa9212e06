//! The funnel: allowed moves, history (who, when), optimistic concurrency; interactions.

use anyhow::{Context as _, Result};
use promptsales_crm::store::{LeadStage, StageMove, UpdateError};
use promptsales_kit::context::{Role, TenantScope};
use promptsales_kit::new_id;
use serde_json::json;

use super::support::{Backend, Harness, as_org, as_user, error_code, new_customer, new_lead};

const MOVE: &str = "mutation($input: MoveLeadStageInput!) { moveLeadStage(input: $input) {
    stage version stageHistory { fromStage toStage version changedBy { id } note changedAt } } }";

pub async fn stage_moves_follow_the_funnel_and_are_recorded(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, agent) = (new_id(), new_id());
    let customer = h
        .store
        .insert_customer(new_customer(org, "a@example.com"))
        .await?;
    let lead = h
        .store
        .insert_lead(new_lead(org, customer.id, new_id(), LeadStage::Iql))
        .await?;
    let moved = h
        .data(
            as_user(org, agent, Role::Write),
            MOVE,
            json!({"input": {"leadId": lead.id, "expectedVersion": 1, "stage": "MQL", "note": " downloaded the guide "}}),
        )
        .await?;
    let moved = &moved["moveLeadStage"];
    assert_eq!(
        (moved["stage"].as_str(), moved["version"].as_i64()),
        (Some("MQL"), Some(2))
    );
    let history = moved["stageHistory"].as_array().context("history")?;
    assert_eq!(history.len(), 2, "creation and the move");
    assert_eq!(history[0]["toStage"], "IQL");
    assert_eq!(history[0]["fromStage"], serde_json::Value::Null);
    assert_eq!(history[1]["fromStage"], "IQL");
    assert_eq!(history[1]["toStage"], "MQL");
    assert_eq!(history[1]["version"], 2);
    assert_eq!(history[1]["changedBy"]["id"], agent.to_string());
    assert_eq!(history[1]["note"], "downloaded the guide");

    // A move the funnel does not allow is refused and writes nothing.
    let skip = h
        .run(
            as_user(org, agent, Role::Write),
            MOVE,
            json!({"input": {"leadId": lead.id, "expectedVersion": 2, "stage": "WON"}}),
        )
        .await;
    assert_eq!(
        error_code(&skip),
        ("BAD_USER_INPUT".into(), Some("input.stage".into()))
    );
    // A stale version is a conflict, not a silent overwrite.
    let stale = h
        .run(
            as_user(org, agent, Role::Write),
            MOVE,
            json!({"input": {"leadId": lead.id, "expectedVersion": 1, "stage": "SQL"}}),
        )
        .await;
    assert_eq!(error_code(&stale).0, "CONFLICT");
    // Reading needs crm:read, moving needs crm:write.
    let forbidden = h
        .run(
            as_user(org, agent, Role::Read),
            MOVE,
            json!({"input": {"leadId": lead.id, "expectedVersion": 2, "stage": "SQL"}}),
        )
        .await;
    assert_eq!(error_code(&forbidden).0, "FORBIDDEN");
    let other_tenant = h
        .run(
            as_org(new_id()),
            MOVE,
            json!({"input": {"leadId": lead.id, "expectedVersion": 2, "stage": "SQL"}}),
        )
        .await;
    assert_eq!(error_code(&other_tenant).0, "NOT_FOUND");
    assert_eq!(h.count("lead_stage_changes").await?, 2);
    let now = h
        .store
        .lead(TenantScope::All, lead.id)
        .await?
        .context("lead")?;
    assert_eq!((now.stage, now.version), (LeadStage::Mql, 2));
    Ok(())
}

pub async fn a_concurrent_conflicting_move_is_refused_not_lost(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let org = new_id();
    let customer = h
        .store
        .insert_customer(new_customer(org, "b@example.com"))
        .await?;
    let lead = h
        .store
        .insert_lead(new_lead(org, customer.id, new_id(), LeadStage::Sql))
        .await?;
    let (alice, bob) = (new_id(), new_id());
    let attempt = |to: LeadStage, by| {
        let store = h.store.clone();
        tokio::spawn(async move {
            store
                .move_lead_stage(
                    TenantScope::Organization(org),
                    StageMove {
                        lead_id: lead.id,
                        expected_version: 1,
                        to,
                        by: Some(by),
                        note: None,
                        at: chrono::Utc::now(),
                    },
                )
                .await
        })
    };
    // Both read version 1; one moves it to opportunity, the other to lost.
    let (a, b) = (
        attempt(LeadStage::Opportunity, alice),
        attempt(LeadStage::Lost, bob),
    );
    let (a, b) = (a.await?, b.await?);
    let (won, refused) = match (&a, &b) {
        (Ok(moved), Err(e)) | (Err(e), Ok(moved)) => (moved.clone(), e),
        _ => anyhow::bail!("exactly one move must win: {a:?} / {b:?}"),
    };
    assert!(matches!(refused, UpdateError::Conflict(_)), "{refused:?}");
    let stored = h
        .store
        .lead(TenantScope::All, lead.id)
        .await?
        .context("lead")?;
    assert_eq!((stored.stage, stored.version), (won.stage, 2));
    let history = h.store.stage_changes(TenantScope::All, &[lead.id]).await?;
    let history = &history[&lead.id];
    assert_eq!(history.len(), 2, "the refused move left no trace");
    assert_eq!(history[1].to, won.stage);
    Ok(())
}

pub async fn interactions_are_recorded_encrypted_and_listed(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, agent) = (new_id(), new_id());
    let customer = h
        .store
        .insert_customer(new_customer(org, "c@example.com"))
        .await?;
    let lead = h
        .store
        .insert_lead(new_lead(org, customer.id, new_id(), LeadStage::Mql))
        .await?;
    const RECORD: &str =
        "mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) {
        id channel direction actor agent { id } summary sentiment } }";
    let ctx = || as_user(org, agent, Role::Write);
    let inbound = h
        .data(
            ctx(),
            RECORD,
            json!({"input": {"leadId": lead.id, "channel": "WHATSAPP", "direction": "INBOUND", "actor": "BOT",
                "summary": "Wants the premium plan for 12 seats", "sentiment": 0.8,
                "occurredAt": "2026-01-05T10:00:00Z"}}),
        )
        .await?;
    assert_eq!(inbound["recordInteraction"]["actor"], "BOT");
    assert_eq!(
        inbound["recordInteraction"]["agent"],
        serde_json::Value::Null
    );
    let outbound = h
        .data(
            ctx(),
            RECORD,
            json!({"input": {"leadId": lead.id, "channel": "CALL", "direction": "OUTBOUND", "actor": "AGENT",
                "summary": "Called back, sent a quote", "sentiment": 0.2}}),
        )
        .await?;
    assert_eq!(
        outbound["recordInteraction"]["agent"]["id"],
        agent.to_string(),
        "the caller by default"
    );
    for (input, field) in [
        (
            json!({"leadId": lead.id, "channel": "SMS", "direction": "INBOUND", "actor": "BOT", "sentiment": 1.5}),
            "input.sentiment",
        ),
        (
            json!({"leadId": lead.id, "channel": "SMS", "direction": "INBOUND", "actor": "BOT", "occurredAt": "2999-01-01T00:00:00Z"}),
            "input.occurredAt",
        ),
        (
            json!({"leadId": new_id(), "channel": "SMS", "direction": "INBOUND", "actor": "BOT"}),
            "",
        ),
    ] {
        let response = h.run(ctx(), RECORD, json!({"input": input})).await;
        let (code, got) = error_code(&response);
        if field.is_empty() {
            assert_eq!(code, "NOT_FOUND");
        } else {
            assert_eq!(
                (code.as_str(), got.as_deref()),
                ("BAD_USER_INPUT", Some(field))
            );
        }
    }
    assert_eq!(h.count("interactions").await?, 2);
    let data = h
        .data(
            ctx(),
            "query($id: ID!) { lead(id: $id) { lastInteractionAt lastContactedAt interactions(first: 5) { channel summary } } }",
            json!({"id": lead.id}),
        )
        .await?;
    let listed = &data["lead"]["interactions"];
    assert_eq!(listed[0]["channel"], "CALL", "newest first");
    assert_eq!(listed[1]["summary"], "Wants the premium plan for 12 seats");
    assert!(data["lead"]["lastContactedAt"].is_string());
    for row in h.rows("SELECT summary_enc FROM interactions").await? {
        let stored: String = row.try_get("", "summary_enc")?;
        assert!(
            stored.starts_with("v2.") && !stored.contains("premium") && !stored.contains("quote")
        );
    }
    Ok(())
}
