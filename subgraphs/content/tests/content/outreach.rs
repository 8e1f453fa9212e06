//! Outreach: one prospect, and a batch job with bounded concurrency, progress by query and
//! subscription, per-item errors; the history of generated, sent and replied; A/B templates.

use std::sync::Arc;

use async_graphql::{Request, Variables};
use futures::StreamExt;
use promptsales_content::engine::EngineConfig;
use promptsales_kit::ai::{AiGateway, HashingEmbedder};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::openai_server::OpenAiServer;
use crate::support::{Backend, Harness, code, field, tenant};

contract!(
    a_batch_with_one_bad_profile_finishes_with_that_item_in_error_against_local_openai_compatible_server,
    one_message_is_written_kept_sealed_and_followed_to_a_reply,
);

/// The next snapshot of a progress subscription, `null` when it ended.
async fn next_snapshot(
    stream: &mut (impl futures::Stream<Item = async_graphql::Response> + Unpin),
) -> Value {
    match stream.next().await {
        Some(response) => {
            let value = serde_json::to_value(&response).unwrap_or(Value::Null);
            assert!(value.get("errors").is_none(), "{value}");
            value["data"]["outreachJobProgress"].clone()
        }
        None => Value::Null,
    }
}

const START: &str = "mutation($input: StartOutreachBatchInput!) { startOutreachBatch(input: $input) { id status total done } }";

fn prospect(name: &str, role: &str) -> Value {
    json!({"name": name, "role": role, "company": "Acme Trail Co", "notes": "posted about their spring race calendar"})
}

async fn a_batch_with_one_bad_profile_finishes_with_that_item_in_error_against_local_openai_compatible_server(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = OpenAiServer::start(true).await?;
    let gateway = AiGateway::new(
        Arc::new(server.client()?),
        Arc::new(HashingEmbedder::default()),
    );
    let config = EngineConfig {
        outreach_concurrency: 2,
        ..EngineConfig::default()
    };
    let h = Harness::with_gateway(backend, gateway, config).await?;
    let org = Uuid::now_v7();
    let ctx = tenant(org);
    let prospects = json!([
        prospect("Ana Ruiz", "CTO"),
        prospect("Ben Okafor", "VP Marketing"),
        prospect("   ", "Head of Growth"),
        prospect("Chen Li", "Founder"),
        prospect("Dana Weiss", "CMO"),
    ]);
    let started = h
        .ok(&ctx, START, json!({"input": {"channel": "LINKEDIN", "prospects": prospects, "offer": "Our shoes cut race-day slips by design.", "senderName": "Maya"}}))
        .await?;
    let job = &started["startOutreachBatch"];
    assert_eq!(
        (job["status"].clone(), job["total"].clone()),
        (json!("RUNNING"), json!(5))
    );
    let job_id = job["id"].as_str().unwrap_or("").to_string();

    let subscription = Request::new(
        "subscription($id: ID!) { outreachJobProgress(id: $id) { status total done succeeded failed } }",
    )
    .variables(Variables::from_json(json!({"id": job_id})))
    .data(ctx.clone())
    .data(promptsales_kit::Subsystem::Content);
    let mut progress = h.app.schema.execute_stream(subscription);
    // The current state first: the bad profile needs no model call, so it may already be counted.
    let first = next_snapshot(&mut progress).await;
    assert_eq!(first["status"], "RUNNING", "{first}");
    let mut seen = vec![first];
    // Each released answer finishes one item, and each finished item is reported.
    for released in 1..=4 {
        server.release(1);
        loop {
            let s = next_snapshot(&mut progress).await;
            assert_ne!(s, Value::Null, "the stream ended early after {seen:?}");
            let succeeded = s["succeeded"].as_i64().unwrap_or(-1);
            seen.push(s);
            if succeeded == released {
                break;
            }
        }
        if released == 2 {
            // Progress by query too, mid-way.
            let mid = h
                .ok(
                    &ctx,
                    "query($id: ID!) { outreachJob(id: $id) { status done total } }",
                    json!({"id": job_id}),
                )
                .await?;
            assert_eq!(mid["outreachJob"]["status"], "RUNNING");
            let done = mid["outreachJob"]["done"].as_i64().unwrap_or(0);
            assert!((2..5).contains(&done), "{mid}");
        }
    }
    // The bad item may finish last; the stream ends with the batch.
    loop {
        let s = next_snapshot(&mut progress).await;
        if s == Value::Null {
            break;
        }
        seen.push(s);
    }
    let last = seen.last().cloned().unwrap_or(Value::Null);
    assert_eq!(
        last,
        json!({"status": "COMPLETED", "total": 5, "done": 5, "succeeded": 4, "failed": 1})
    );
    let dones: Vec<i64> = seen.iter().filter_map(|s| s["done"].as_i64()).collect();
    assert!(
        dones.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {dones:?}"
    );
    assert!(
        dones.iter().any(|d| (1..5).contains(d)),
        "progress was reported along the way: {dones:?}"
    );
    assert_eq!(server.calls(), 4, "the bad profile never reached the model");

    let history = h
        .ok(&ctx, "query($id: ID!) { outreachMessages(jobId: $id) { edges { node { itemIndex status error text prospect { name } } } } }", json!({"id": job_id}))
        .await?;
    let mut items: Vec<Value> = history["outreachMessages"]["edges"]
        .as_array()
        .map(|e| e.iter().map(|x| x["node"].clone()).collect())
        .unwrap_or_default();
    items.sort_by_key(|i| i["itemIndex"].as_i64());
    assert_eq!(items.len(), 5);
    assert_eq!(items[2]["status"], "FAILED");
    assert!(
        items[2]["error"]
            .as_str()
            .unwrap_or("")
            .contains("prospects[2].name"),
        "{}",
        items[2]
    );
    assert_eq!(items[2]["text"], Value::Null);
    for i in [0, 1, 3, 4] {
        assert_eq!(items[i]["status"], "GENERATED");
        let text = items[i]["text"].as_str().unwrap_or("");
        let name = items[i]["prospect"]["name"].as_str().unwrap_or("?");
        assert!(text.contains(name) && text.contains("(polished)"), "{text}");
    }
    Ok(())
}

async fn one_message_is_written_kept_sealed_and_followed_to_a_reply(
    backend: Backend,
) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let org = Uuid::now_v7();
    let ctx = tenant(org);
    const ONE: &str = "mutation($input: GenerateOutreachMessageInput!) { generateOutreachMessage(input: $input) { id status text templateVersion } }";
    let made = h
        .ok(&ctx, ONE, json!({"input": {"channel": "EMAIL", "prospect": prospect("Ana Ruiz", "CTO"), "offer": "A pilot of our route planner.", "senderName": "Maya"}}))
        .await?;
    let message = &made["generateOutreachMessage"];
    let text = message["text"].as_str().unwrap_or("");
    assert!(
        text.starts_with("Subject: An idea for Acme Trail Co")
            && text.contains("Hi Ana Ruiz,")
            && text.contains("As CTO at Acme Trail Co"),
        "{text}"
    );
    assert_eq!(message["status"], "GENERATED");
    let id = message["id"].as_str().unwrap_or("").to_string();

    // Prospect and text are sealed at rest.
    let rows =
        h.db.query_all(Statement::from_string(
            h.db.get_database_backend(),
            "SELECT prospect_enc, text_enc FROM outreach_messages",
        ))
        .await?;
    for row in rows {
        let prospect: String = row.try_get("", "prospect_enc")?;
        let sealed: Option<String> = row.try_get("", "text_enc")?;
        assert!(
            prospect.starts_with("v1.") && !prospect.contains("Ana"),
            "{prospect}"
        );
        assert!(sealed.is_some_and(|t| !t.contains("Ana") && !t.contains("Acme")));
    }

    let bad = h
        .gql(
            &ctx,
            ONE,
            json!({"input": {"channel": "EMAIL", "prospect": prospect("", "CTO"), "offer": "x"}}),
        )
        .await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("input.prospect.name"))
    );
    let bad = h.gql(&ctx, ONE, json!({"input": {"channel": "TIKTOK", "prospect": prospect("Ana", "CTO"), "offer": "x"}})).await;
    assert_eq!(field(&bad), Some("input.channel"));

    const MARK_REPLIED: &str =
        "mutation($id: ID!) { markOutreachReplied(id: $id) { status sentAt repliedAt } }";
    const MARK_SENT: &str =
        "mutation($id: ID!) { markOutreachSent(id: $id) { status sentAt repliedAt } }";
    let sent = h.ok(&ctx, MARK_SENT, json!({"id": id})).await?;
    assert_eq!(sent["markOutreachSent"]["status"], "SENT");
    assert_eq!(sent["markOutreachSent"]["repliedAt"], Value::Null);
    let replied = h.ok(&ctx, MARK_REPLIED, json!({"id": id})).await?;
    assert_eq!(replied["markOutreachReplied"]["status"], "REPLIED");
    assert_eq!(
        replied["markOutreachReplied"]["sentAt"],
        sent["markOutreachSent"]["sentAt"]
    );
    let back = h.gql(&ctx, MARK_SENT, json!({"id": id})).await;
    assert_eq!(code(&back), Some("BAD_USER_INPUT"));
    let foreign = h
        .gql(&tenant(Uuid::now_v7()), MARK_SENT, json!({"id": id}))
        .await;
    assert_eq!(code(&foreign), Some("NOT_FOUND"));

    // A/B: two outreach templates alternate over a batch; replies count per version.
    const SAVE: &str = "mutation($b: String!) { savePromptTemplate(input: {name: \"cto-intro\", purpose: OUTREACH, useCase: \"outreach to a CTO\", channel: LINKEDIN, body: $b}) { id version } }";
    let a = h
        .ok(&ctx, SAVE, json!({"b": "Hi {{prospect_name}}, {{offer}}"}))
        .await?;
    let b = h
        .ok(
            &ctx,
            SAVE,
            json!({"b": "{{prospect_name}}, quick one: {{offer}}"}),
        )
        .await?;
    let (a, b) = (
        a["savePromptTemplate"]["id"].clone(),
        b["savePromptTemplate"]["id"].clone(),
    );
    let job = h
        .ok(&ctx, START, json!({"input": {"channel": "LINKEDIN", "prospects": [prospect("P1", "CTO"), prospect("P2", "CTO"), prospect("P3", "CTO"), prospect("P4", "CTO")], "offer": "A pilot.", "templateIds": [a, b]}}))
        .await?;
    let job_id = job["startOutreachBatch"]["id"].clone();
    let mut finished = Value::Null;
    for _ in 0..10_000 {
        let state = h
            .ok(
                &ctx,
                "query($id: ID!) { outreachJob(id: $id) { status succeeded } }",
                json!({"id": job_id}),
            )
            .await?;
        if state["outreachJob"]["status"] == "COMPLETED" {
            finished = state;
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(finished["outreachJob"]["succeeded"], 4, "{finished}");
    let messages = h
        .ok(&ctx, "query($id: ID!) { outreachMessages(jobId: $id) { edges { node { id itemIndex templateId text } } } }", json!({"id": job_id}))
        .await?;
    let nodes: Vec<Value> = messages["outreachMessages"]["edges"]
        .as_array()
        .map(|e| e.iter().map(|x| x["node"].clone()).collect())
        .unwrap_or_default();
    for node in &nodes {
        let expected = if node["itemIndex"].as_i64().unwrap_or(0) % 2 == 0 {
            &a
        } else {
            &b
        };
        assert_eq!(&node["templateId"], expected);
    }
    let replied_to = nodes
        .iter()
        .find(|n| n["templateId"] == b)
        .map(|n| n["id"].clone())
        .unwrap_or(Value::Null);
    h.ok(&ctx, MARK_SENT, json!({"id": replied_to})).await?;
    h.ok(&ctx, MARK_REPLIED, json!({"id": replied_to})).await?;
    let compared = h
        .ok(&ctx, "query($a: ID!, $b: ID!) { comparePromptTemplates(a: $a, b: $b) { aResults { generated sent replied } bResults { generated sent replied replyRate } leaderId } }", json!({"a": a, "b": b}))
        .await?;
    let c = &compared["comparePromptTemplates"];
    assert_eq!(
        c["aResults"],
        json!({"generated": 2, "sent": 0, "replied": 0})
    );
    assert_eq!(
        c["bResults"],
        json!({"generated": 2, "sent": 1, "replied": 1, "replyRate": 1.0})
    );
    assert_eq!(c["leaderId"], b);
    Ok(())
}
