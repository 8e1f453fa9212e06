//! The agent queue: priority order, atomic claims, live updates over Redis and without it.

use std::collections::HashSet;

use anyhow::{Context as _, Result};
use async_graphql::Request;
use futures::StreamExt;
use promptsales_crm::domain::capture::LeadCapture;
use promptsales_crm::queue_bus::{QueueBus, QueueEvent, QueueEventKind};
use promptsales_crm::store::{
    Actor, Direction, InteractionChannel, LeadSource, LeadStage, NewCustomer, NewInteraction,
    NewLead,
};
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use promptsales_kit::{Decimal4, new_id};
use serde_json::json;
use uuid::Uuid;

use super::support::{Backend, Harness, as_user, error_code, new_customer};

async fn lead(h: &Harness, org: Uuid, n: usize, intent: f64, agent: Option<Uuid>) -> Result<Uuid> {
    let customer = h
        .store
        .insert_customer(new_customer(org, &format!("q{n}@example.com")))
        .await?;
    Ok(h.store
        .insert_lead(NewLead {
            id: None,
            organization_id: org,
            customer_id: customer.id,
            campaign_id: new_id(),
            source: LeadSource::Web,
            source_ad_id: None,
            stage: LeadStage::Mql,
            score: 0,
            purchase_intent: intent,
            assigned_agent_id: agent,
            last_interaction_at: None,
        })
        .await?
        .id)
}

pub async fn the_queue_orders_by_waiting_intent_and_value(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, alice, bob) = (new_id(), new_id(), new_id());
    // Waited two days since the last contact: 0.1 x 60 + 48 = 54.
    let waiting = lead(&h, org, 1, 0.1, None).await?;
    h.store
        .record_interaction(
            TenantScope::Organization(org),
            NewInteraction {
                lead_id: waiting,
                channel: InteractionChannel::Email,
                direction: Direction::Outbound,
                actor: Actor::Agent,
                agent_id: Some(alice),
                summary: None,
                sentiment: None,
                occurred_at: chrono::Utc::now() - chrono::Duration::hours(48),
            },
        )
        .await?;
    // Eager buyer, Alice's own: 0.8 x 60 = 48.
    let eager = lead(&h, org, 2, 0.8, Some(alice)).await?;
    // Valuable deal, no intent yet: 40 x 5000 / 6000 = 33.3.
    let valuable = h
        .store
        .capture_lead(LeadCapture {
            customer: NewCustomer {
                organization_id: org,
                full_name: "Big Deal".into(),
                email: "big@example.com".into(),
                ..Default::default()
            },
            campaign_id: new_id(),
            source: LeadSource::Linkedin,
            source_ad_id: None,
            estimated_value: Decimal4::from_units(5000),
            ad_clicks: 0,
            consent_marketing: false,
            message: None,
            message_channel: InteractionChannel::Web,
            captured_at: chrono::Utc::now(),
        })
        .await?
        .lead_id;
    // Bob's lead and a closed one never show in Alice's queue.
    lead(&h, org, 3, 0.99, Some(bob)).await?;
    let closed = lead(&h, org, 4, 0.95, None).await?;
    h.store
        .move_lead_stage(
            TenantScope::Organization(org),
            promptsales_crm::store::StageMove {
                lead_id: closed,
                expected_version: 1,
                to: LeadStage::Lost,
                by: None,
                note: None,
                at: chrono::Utc::now(),
            },
        )
        .await?;

    let alice_ctx = || as_user(org, alice, Role::Write);
    let queue = h
        .data(
            alice_ctx(),
            "{ agentQueue(first: 10) { priority lead { id } } }",
            json!({}),
        )
        .await?;
    let queue = queue["agentQueue"].as_array().context("queue")?;
    let ids: Vec<String> = queue
        .iter()
        .map(|q| q["lead"]["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        ids,
        [waiting, eager, valuable].map(|id| id.to_string()).to_vec()
    );
    let priorities: Vec<f64> = queue
        .iter()
        .filter_map(|q| q["priority"].as_f64())
        .collect();
    for (got, expected) in priorities.iter().zip([54.0, 48.0, 33.33]) {
        assert!((got - expected).abs() < 0.5, "{priorities:?}");
    }

    // Claiming takes the top lead; the next claim takes the next one.
    let claimed = h
        .data(
            alice_ctx(),
            "mutation { claimNextLead { id assignedAgent { id } claimedAt version } }",
            json!({}),
        )
        .await?;
    assert_eq!(claimed["claimNextLead"]["id"], waiting.to_string());
    assert_eq!(
        claimed["claimNextLead"]["assignedAgent"]["id"],
        alice.to_string()
    );
    assert_eq!(claimed["claimNextLead"]["version"], 2);
    let next = h
        .data(alice_ctx(), "mutation { claimNextLead { id } }", json!({}))
        .await?;
    assert_eq!(next["claimNextLead"]["id"], eager.to_string());
    // Without a user there is no agent to claim for.
    let anonymous = h
        .run(
            super::support::as_org(org),
            "mutation { claimNextLead { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&anonymous).0, "UNAUTHENTICATED");
    Ok(())
}

pub async fn two_agents_never_claim_the_same_lead(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let org = new_id();
    const LEADS: usize = 12;
    for n in 0..LEADS {
        lead(&h, org, n, (n as f64) / 20.0, None).await?;
    }
    let agents: Vec<Uuid> = (0..6).map(|_| new_id()).collect();
    let mut tasks = Vec::new();
    for agent in &agents {
        for _ in 0..3 {
            let (store, agent) = (h.store.clone(), *agent);
            tasks.push(tokio::spawn(async move {
                store.claim_next_lead(org, agent).await
            }));
        }
    }
    let mut claimed = Vec::new();
    for task in tasks {
        if let Some(lead) = task.await?? {
            claimed.push((lead.id, lead.assigned_agent_id));
        }
    }
    let distinct: HashSet<Uuid> = claimed.iter().map(|c| c.0).collect();
    assert_eq!(
        claimed.len(),
        LEADS,
        "18 attempts, 12 leads: every lead claimed once"
    );
    assert_eq!(distinct.len(), LEADS, "no lead claimed twice");
    // The store agrees: each lead has exactly the agent whose claim returned it.
    let leads = h
        .store
        .leads_by_ids(TenantScope::All, &distinct.into_iter().collect::<Vec<_>>())
        .await?;
    for lead in leads {
        let mine = claimed.iter().find(|c| c.0 == lead.id).context("claimed")?;
        assert_eq!(lead.assigned_agent_id, mine.1);
        assert!(lead.claimed_at.is_some());
    }
    Ok(())
}

pub async fn the_subscription_pushes_new_and_reprioritised_leads(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, alice) = (new_id(), new_id());
    let request =
        Request::new("subscription { leadQueueUpdates { kind leadId priority agent { id } } }")
            .data(as_user(org, alice, Role::Read))
            .data(Subsystem::Crm);
    let mut stream = h.app.schema.execute_stream(request);
    // The first poll runs the resolver, which subscribes; nothing has happened yet.
    let first = futures::poll!(stream.next());
    assert!(first.is_pending(), "{first:?}");

    let capture = |email: &str, organization: Uuid| LeadCapture {
        customer: NewCustomer {
            organization_id: organization,
            full_name: "Dana".into(),
            email: email.into(),
            ..Default::default()
        },
        campaign_id: new_id(),
        source: LeadSource::Web,
        source_ad_id: None,
        estimated_value: Decimal4::ZERO,
        ad_clicks: 0,
        consent_marketing: false,
        message: None,
        message_channel: InteractionChannel::Web,
        captured_at: chrono::Utc::now(),
    };
    // Another tenant's capture is not for Alice.
    promptsales_crm::schema::work::capture(
        &h.store,
        &h.services,
        capture("x@example.com", new_id()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let captured = promptsales_crm::schema::work::capture(
        &h.store,
        &h.services,
        capture("dana@example.com", org),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let event = stream
        .next()
        .await
        .context("stream ended")?
        .into_result()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let event = event.data.into_json()?;
    assert_eq!(event["leadQueueUpdates"]["kind"], "NEW");
    assert_eq!(
        event["leadQueueUpdates"]["leadId"],
        captured.lead.id.to_string()
    );

    h.data(
        as_user(org, alice, Role::Write),
        "mutation($id: ID!) { recordInteraction(input: {leadId: $id, channel: CHAT, direction: INBOUND, actor: BOT}) { id } }",
        json!({"id": captured.lead.id}),
    )
    .await?;
    let event = stream
        .next()
        .await
        .context("stream ended")?
        .data
        .into_json()?;
    assert_eq!(event["leadQueueUpdates"]["kind"], "REPRIORITISED");
    Ok(())
}

fn event(org: Uuid) -> QueueEvent {
    QueueEvent {
        organization_id: org,
        lead_id: new_id(),
        agent_id: None,
        kind: QueueEventKind::New,
        queue_key: Some(1.0),
    }
}

#[tokio::test]
async fn redis_carries_queue_events_across_instances() -> Result<()> {
    let redis = promptsales_kit::testing::redis().await;
    let (one, two) = (
        QueueBus::with_redis(redis.url())?,
        QueueBus::with_redis(redis.url())?,
    );
    one.wait_listening().await;
    two.wait_listening().await;
    let mut on_two = two.subscribe();
    let mut on_one = one.subscribe();
    let sent = event(new_id());
    one.publish(sent.clone()).await;
    // Other tests' events may share the server: skip what is not ours.
    async fn next_of(
        receiver: &mut tokio::sync::broadcast::Receiver<QueueEvent>,
        org: Uuid,
    ) -> Result<QueueEvent> {
        loop {
            let e = receiver.recv().await?;
            if e.organization_id == org {
                return Ok(e);
            }
        }
    }
    assert_eq!(
        next_of(&mut on_two, sent.organization_id).await?,
        sent,
        "the other instance hears it"
    );
    assert_eq!(
        next_of(&mut on_one, sent.organization_id).await?,
        sent,
        "and so does the sender's own subscriber"
    );
    let marker = event(sent.organization_id);
    one.publish(marker.clone()).await;
    assert_eq!(
        next_of(&mut on_one, sent.organization_id).await?,
        marker,
        "the first event came once, not twice"
    );
    Ok(())
}

#[tokio::test]
async fn queue_events_degrade_to_one_instance_when_redis_is_down() -> Result<()> {
    let mut redis = promptsales_kit::testing::throwaway_redis().await?;
    let bus = QueueBus::with_redis(&redis.url())?;
    bus.wait_listening().await;
    let mut receiver = bus.subscribe();
    redis.stop().await?;
    let sent = event(new_id());
    bus.publish(sent.clone()).await;
    assert_eq!(
        receiver.recv().await?,
        sent,
        "delivered locally without Redis"
    );
    // A bus that never reached Redis works the same.
    let nowhere = QueueBus::with_redis(&format!(
        "redis://127.0.0.1:{}",
        promptsales_kit::testing::free_port()
    ))?;
    let mut receiver = nowhere.subscribe();
    nowhere.publish(sent.clone()).await;
    assert_eq!(receiver.recv().await?, sent);
    assert!(!nowhere.is_listening());
    Ok(())
}
