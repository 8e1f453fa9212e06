//! Lead capture: merged into the known customer, never duplicated, also under concurrency
//! (the webhook's own tests are in `webhook.rs`).

use std::sync::Arc;

use anyhow::{Context as _, Result};
use promptsales_crm::domain::capture::LeadCapture;
use promptsales_crm::store::{CrmStore, InteractionChannel, LeadSource, NewCustomer};
use promptsales_kit::Decimal4;
use promptsales_kit::new_id;
use serde_json::json;
use uuid::Uuid;

use super::support::{Backend, Harness, as_org, error_code};

const CAPTURE: &str = "mutation($input: CaptureLeadInput!) { captureLead(input: $input) {
    newCustomer newLead customer { id email fullName consentMarketing }
    lead { id captures adClicks estimatedValue source sourceAdId stage interactions { channel direction summary } } } }";

fn capture_of(org: Uuid, campaign: Uuid, email: &str) -> LeadCapture {
    LeadCapture {
        customer: NewCustomer {
            organization_id: org,
            full_name: "Ana Gómez".into(),
            email: email.into(),
            ..Default::default()
        },
        campaign_id: campaign,
        source: LeadSource::Instagram,
        source_ad_id: None,
        estimated_value: Decimal4::from_units(100),
        ad_clicks: 1,
        consent_marketing: false,
        message: None,
        message_channel: InteractionChannel::Web,
        captured_at: chrono::Utc::now(),
    }
}

pub async fn a_known_person_is_merged_not_duplicated(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign, ad) = (new_id(), new_id(), new_id());
    let first = h
        .data(
            as_org(org),
            CAPTURE,
            json!({"input": {"campaignId": campaign, "source": "INSTAGRAM", "fullName": "Ana Gómez",
                "email": "ana@example.com", "estimatedValue": "250", "adClicks": 2,
                "message": "Do you ship to Porto?", "messageChannel": "WHATSAPP"}}),
        )
        .await?;
    let first = &first["captureLead"];
    assert_eq!(
        (first["newCustomer"].as_bool(), first["newLead"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(first["lead"]["stage"], "IQL");
    assert_eq!(
        first["lead"]["interactions"],
        json!([{"channel": "WHATSAPP", "direction": "INBOUND", "summary": "Do you ship to Porto?"}])
    );
    let second = h
        .data(
            as_org(org),
            CAPTURE,
            json!({"input": {"campaignId": campaign, "source": "GOOGLE", "sourceAdId": ad,
                "fullName": "Ana G.", "email": "  ANA@Example.COM ", "estimatedValue": "900", "adClicks": 3,
                "consentMarketing": true}}),
        )
        .await?;
    let second = &second["captureLead"];
    assert_eq!(
        (second["newCustomer"].as_bool(), second["newLead"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(second["customer"]["id"], first["customer"]["id"]);
    assert_eq!(
        second["customer"]["fullName"], "Ana Gómez",
        "the known customer is kept"
    );
    assert_eq!(second["customer"]["consentMarketing"], true);
    assert_eq!(second["lead"]["id"], first["lead"]["id"]);
    assert_eq!(second["lead"]["captures"], 2);
    assert_eq!(second["lead"]["adClicks"], 5, "engagement adds up");
    assert_eq!(
        second["lead"]["estimatedValue"], "900.00",
        "the larger value wins"
    );
    assert_eq!(
        second["lead"]["sourceAdId"],
        ad.to_string(),
        "the first known ad is recorded"
    );
    // Another campaign is another lead of the same customer.
    let other = h
        .data(
            as_org(org),
            CAPTURE,
            json!({"input": {"campaignId": new_id(), "source": "WEB", "fullName": "Ana", "email": "ana@example.com"}}),
        )
        .await?;
    assert_eq!(other["captureLead"]["newCustomer"], false);
    assert_eq!(other["captureLead"]["newLead"], true);
    assert_eq!(h.count("customers").await?, 1);
    assert_eq!(h.count("leads").await?, 2);

    let bad = h
        .run(
            as_org(org),
            CAPTURE,
            json!({"input": {"campaignId": campaign, "source": "WEB", "fullName": "X", "email": "nope"}}),
        )
        .await;
    assert_eq!(
        error_code(&bad),
        ("BAD_USER_INPUT".into(), Some("input.email".into()))
    );
    assert_eq!(
        h.count("customers").await?,
        1,
        "a refused capture writes nothing"
    );
    Ok(())
}

pub async fn concurrent_captures_of_one_person_make_one_customer(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign) = (new_id(), new_id());
    const AT_ONCE: usize = 8;
    let mut tasks = Vec::new();
    for i in 0..AT_ONCE {
        let store: Arc<dyn CrmStore> = h.store.clone();
        let email = if i % 2 == 0 {
            "Bea@Example.com"
        } else {
            "bea@example.com"
        };
        let capture = capture_of(org, campaign, email);
        tasks.push(tokio::spawn(
            async move { store.capture_lead(capture).await },
        ));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await?.map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    assert_eq!(h.count("customers").await?, 1, "one person, one customer");
    assert_eq!(h.count("leads").await?, 1, "one open lead per campaign");
    assert_eq!(outcomes.iter().filter(|o| o.new_customer).count(), 1);
    assert_eq!(outcomes.iter().filter(|o| o.new_lead).count(), 1);
    let customer = outcomes[0].customer_id;
    assert!(outcomes.iter().all(|o| o.customer_id == customer));
    let lead = h
        .store
        .lead(
            promptsales_kit::context::TenantScope::All,
            outcomes[0].lead_id,
        )
        .await?
        .context("lead")?;
    assert_eq!(lead.captures, AT_ONCE as i32, "no merge was lost");
    assert_eq!(lead.ad_clicks, AT_ONCE as i32);
    Ok(())
}
