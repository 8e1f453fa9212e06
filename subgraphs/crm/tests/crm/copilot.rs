//! The copilot: a suggested reply from the lead's history through the AI interface, recorded when sent.

use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use axum::routing::post;
use axum::{Json, Router};
use promptsales_crm::Services;
use promptsales_crm::queue_bus::QueueBus;
use promptsales_kit::ai::{AiConfig, AiGateway, OpenAiConfig, TracingRecorder};
use promptsales_kit::context::Role;
use promptsales_kit::new_id;
use serde_json::{Value, json};

use super::support::{Backend, Harness, as_user};

const CAPTURE: &str =
    "mutation($input: CaptureLeadInput!) { captureLead(input: $input) { lead { id } } }";

async fn lead_with_message(h: &Harness, org: uuid::Uuid) -> Result<String> {
    let captured = h
        .data(
            as_user(org, new_id(), Role::Write),
            CAPTURE,
            json!({"input": {"campaignId": new_id(), "source": "WEB", "fullName": "Lucía Pérez",
                "email": "lucia@example.com", "message": "Is the hiking boot waterproof?", "messageChannel": "CHAT"}}),
        )
        .await?;
    Ok(captured["captureLead"]["lead"]["id"]
        .as_str()
        .context("lead")?
        .to_string())
}

#[tokio::test]
async fn offline_copilot_suggests_from_history_and_records_what_is_sent() -> Result<()> {
    let h = Harness::new(Backend::Sqlite).await?;
    let (org, agent) = (new_id(), new_id());
    let lead = lead_with_message(&h, org).await?;
    let suggested = h
        .data(
            as_user(org, agent, Role::Read),
            "query($id: ID!) { suggestedReply(leadId: $id) { text model fromCache interaction { id } } }",
            json!({"id": lead}),
        )
        .await?;
    let text = suggested["suggestedReply"]["text"]
        .as_str()
        .context("text")?;
    assert!(text.starts_with("Hi Lucía,"), "{text}");
    assert!(
        text.contains("Is the hiking boot waterproof?"),
        "from the history: {text}"
    );
    assert_eq!(suggested["suggestedReply"]["model"], "template-writer");
    assert_eq!(suggested["suggestedReply"]["interaction"], Value::Null);
    assert_eq!(
        h.count("interactions").await?,
        1,
        "a suggestion alone records nothing"
    );

    let sent = h
        .data(
            as_user(org, agent, Role::Write),
            "mutation($id: ID!) { sendSuggestedReply(leadId: $id, channel: WHATSAPP) { text interaction { id } } }",
            json!({"id": lead}),
        )
        .await?;
    assert!(sent["sendSuggestedReply"]["interaction"]["id"].is_string());
    let history = h
        .data(
            as_user(org, agent, Role::Read),
            "query($id: ID!) { lead(id: $id) { lastContactedAt interactions { channel direction actor summary } } }",
            json!({"id": lead}),
        )
        .await?;
    let newest = &history["lead"]["interactions"][0];
    assert_eq!(
        (
            newest["channel"].as_str(),
            newest["direction"].as_str(),
            newest["actor"].as_str()
        ),
        (Some("WHATSAPP"), Some("OUTBOUND"), Some("BOT"))
    );
    assert_eq!(newest["summary"], sent["sendSuggestedReply"]["text"]);
    assert!(
        history["lead"]["lastContactedAt"].is_string(),
        "sending restarts the waiting time"
    );
    Ok(())
}

#[tokio::test]
async fn copilot_through_an_openai_compatible_server_on_loopback() -> Result<()> {
    // A local server speaking the OpenAI chat-completions protocol records what it was asked.
    let asked: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = asked.clone();
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                if let Ok(mut seen) = seen.lock() {
                    seen.push(body.clone());
                }
                Json(json!({
                    "id": "chatcmpl-1", "object": "chat.completion", "model": "copilot-test",
                    "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "¡Hola Lucía! Sí, es impermeable. ¿Qué talla usas?"}}],
                    "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(promptsales_kit::server::serve_on(
        listener,
        app,
        futures::future::pending(),
    ));
    let config = AiConfig {
        openai: Some(OpenAiConfig::new(base, "copilot-test")),
        ..AiConfig::default()
    };
    let services = Services {
        bus: QueueBus::local(),
        ai: Arc::new(AiGateway::from_config(&config, Arc::new(TracingRecorder))?),
        ..Services::local()
    };
    let h = Harness::with_services(Backend::Sqlite, services).await?;
    let org = new_id();
    let lead = lead_with_message(&h, org).await?;
    let sent = h
        .data(
            as_user(org, new_id(), Role::Write),
            "mutation($id: ID!) { sendSuggestedReply(leadId: $id) { text model } }",
            json!({"id": lead}),
        )
        .await?;
    assert_eq!(
        sent["sendSuggestedReply"]["text"],
        "¡Hola Lucía! Sí, es impermeable. ¿Qué talla usas?"
    );
    assert_eq!(sent["sendSuggestedReply"]["model"], "copilot-test");
    let requests = asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let draft = requests[0]["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["content"].clone());
    let draft = draft
        .and_then(|d| d.as_str().map(String::from))
        .unwrap_or_default();
    assert!(
        draft.contains("Lucía") && draft.contains("waterproof"),
        "the draft carries the history: {draft}"
    );
    assert_eq!(h.count("interactions").await?, 2);
    Ok(())
}
