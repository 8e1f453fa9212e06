//! Lead scoring on data with a known signal: the held-out AUC beats a constant guess.

use anyhow::{Context as _, Result};
use promptsales_crm::store::{
    Actor, Direction, InteractionChannel, LeadSource, LeadStage, NewInteraction, NewLead,
};
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;
use serde_json::json;
use uuid::Uuid;

use super::support::{Backend, Harness, as_org, error_code, new_customer};

/// A small deterministic generator (xorshift), so the data set is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Adds a lead whose hidden interest `signal` (0..1) drives its engagement; returns its id.
async fn lead_with_signal(
    h: &Harness,
    org: Uuid,
    campaign: Uuid,
    n: usize,
    signal: f64,
    stage: LeadStage,
    rng: &mut Rng,
) -> Result<Uuid> {
    let customer = h
        .store
        .insert_customer(new_customer(org, &format!("lead{n}@example.com")))
        .await?;
    let lead = h
        .store
        .insert_lead(NewLead {
            id: None,
            organization_id: org,
            customer_id: customer.id,
            campaign_id: campaign,
            source: if rng.next() < 0.5 {
                LeadSource::Instagram
            } else {
                LeadSource::Web
            },
            source_ad_id: None,
            stage,
            score: 0,
            purchase_intent: 0.0,
            assigned_agent_id: None,
            last_interaction_at: None,
        })
        .await?;
    // Engagement grows with the signal, with noise: 0..4 interactions, sentiment around 2s-1.
    let interactions = (signal * 3.0 + rng.next() * 1.5) as usize;
    for _ in 0..interactions {
        h.store
            .record_interaction(
                TenantScope::Organization(org),
                NewInteraction {
                    lead_id: lead.id,
                    channel: InteractionChannel::Whatsapp,
                    direction: if rng.next() < 0.6 {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    },
                    actor: Actor::Bot,
                    agent_id: None,
                    summary: None,
                    sentiment: Some(
                        (2.0 * signal - 1.0 + (rng.next() - 0.5) * 0.8).clamp(-1.0, 1.0),
                    ),
                    occurred_at: chrono::Utc::now() - chrono::Duration::days(1),
                },
            )
            .await?;
    }
    Ok(lead.id)
}

pub async fn the_model_beats_a_constant_guess_on_held_out_leads(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign) = (new_id(), new_id());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let too_few = h
        .run(
            as_org(org),
            "mutation { retrainLeadScoring { auc } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&too_few).0,
        "CONFLICT",
        "no closed leads, no model"
    );

    // 240 closed leads: the chance of buying rises steeply with the hidden signal
    // (a logistic curve), so a model that finds it ranks held-out leads well above chance.
    for n in 0..240 {
        let signal = rng.next();
        let won = rng.next() < 1.0 / (1.0 + (-10.0 * (signal - 0.5)).exp());
        let stage = if won { LeadStage::Won } else { LeadStage::Lost };
        lead_with_signal(&h, org, campaign, n, signal, stage, &mut rng).await?;
    }
    // Two open leads to score: one eager, one cold.
    let eager = lead_with_signal(&h, org, campaign, 1000, 1.0, LeadStage::Mql, &mut rng).await?;
    let cold = lead_with_signal(&h, org, campaign, 1001, 0.0, LeadStage::Mql, &mut rng).await?;

    let trained = h
        .data(
            as_org(org),
            "mutation { retrainLeadScoring { auc trainLeads testLeads weights { feature weight } } }",
            json!({}),
        )
        .await?;
    let model = &trained["retrainLeadScoring"];
    let auc = model["auc"].as_f64().context("auc")?;
    let (train, test) = (
        model["trainLeads"].as_i64().unwrap_or(0),
        model["testLeads"].as_i64().unwrap_or(0),
    );
    println!("{backend:?}: held-out AUC {auc:.3} on {test} leads (trained on {train})");
    assert_eq!(train + test, 240);
    assert!(test >= 20, "a real held-out set: {test}");
    assert!(
        auc > 0.7,
        "the model must clearly beat a constant guess (0.5): {auc}"
    );
    let weight = |name: &str| {
        model["weights"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|w| w["feature"] == name)
            .and_then(|w| w["weight"].as_f64())
            .unwrap_or(0.0)
    };
    assert!(
        weight("mean_sentiment") > 0.0,
        "sentiment carries the signal"
    );

    // The query reports the same model.
    let reported = h
        .data(
            as_org(org),
            "{ leadScoringModel { auc testLeads } }",
            json!({}),
        )
        .await?;
    // The stored model goes through JSON text: equal up to the last bit of a float.
    let stored = reported["leadScoringModel"]["auc"]
        .as_f64()
        .context("stored auc")?;
    assert!((stored - auc).abs() < 1e-12, "{stored} vs {auc}");
    assert_eq!(
        reported["leadScoringModel"]["testLeads"],
        model["testLeads"]
    );

    let scored = h
        .data(
            as_org(org),
            "query($a: ID!, $b: ID!) {
                eager: lead(id: $a) { score purchaseIntent scoreReasons { feature value contribution } }
                cold: lead(id: $b) { score purchaseIntent } }",
            json!({"a": eager, "b": cold}),
        )
        .await?;
    let (hot, cool) = (
        scored["eager"]["score"].as_i64().unwrap_or(-1),
        scored["cold"]["score"].as_i64().unwrap_or(-1),
    );
    assert!(hot > cool, "the eager lead scores higher: {hot} vs {cool}");
    let reasons = scored["eager"]["scoreReasons"]
        .as_array()
        .context("reasons")?;
    assert_eq!(reasons.len(), 3, "the main reasons");
    let strengths: Vec<f64> = reasons
        .iter()
        .filter_map(|r| r["contribution"].as_f64())
        .map(f64::abs)
        .collect();
    assert!(
        strengths.windows(2).all(|w| w[0] >= w[1]),
        "strongest first: {strengths:?}"
    );
    // Other tenants see no model.
    let other = h
        .data(as_org(new_id()), "{ leadScoringModel { auc } }", json!({}))
        .await?;
    assert_eq!(other["leadScoringModel"], serde_json::Value::Null);
    Ok(())
}
