//! The demo seed: plausible rows from the kit's plan, written once.

use anyhow::Result;
use promptsales_kit::demo::{demo_id, demo_plan, kind};
use serde_json::json;

use super::support::{Backend, Harness, unscoped};

pub async fn demo_seed_is_plausible_and_idempotent(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    assert!(
        promptsales_crm::seed_demo(h.store.as_ref()).await?,
        "first seed writes"
    );
    let counts = h.counts().await?;
    println!("{backend:?}: seeded (customers, leads, sales) = {counts:?}");
    assert!(
        !promptsales_crm::seed_demo(h.store.as_ref()).await?,
        "second seed does not"
    );
    assert_eq!(h.counts().await?, counts);
    // Enough won and lost history that every demo organization has its own scoring model.
    for organization in &demo_plan().organizations {
        assert!(
            h.store.scoring_model(organization.id).await?.is_some(),
            "{} has no trained lead-scoring model",
            organization.name
        );
    }

    let plan = demo_plan();
    let reps: Vec<_> = plan
        .campaigns
        .iter()
        .map(|c| json!({"__typename": "Campaign", "id": c.id}))
        .collect();
    let data = h
        .data(
            unscoped(),
            "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Campaign {
                leadFunnel { won total } salesCount revenue { currency }
                leads(first: 100) { edges { node { stage assignedAgent { id } customer { email country latitude } } } } } } }",
            json!({"reps": reps}),
        )
        .await?;
    let mut sales = 0;
    for (campaign, seen) in plan
        .campaigns
        .iter()
        .zip(data["_entities"].as_array().into_iter().flatten())
    {
        let total = seen["leadFunnel"]["total"].as_i64().unwrap_or(-1);
        if campaign.status == "draft" {
            assert_eq!(total, 0, "{} is a draft", campaign.name);
            continue;
        }
        assert!(
            (10..=25).contains(&total),
            "{}: {total} leads",
            campaign.name
        );
        assert_eq!(
            seen["salesCount"], seen["leadFunnel"]["won"],
            "a sale per won lead"
        );
        if seen["salesCount"].as_i64() > Some(0) {
            assert_eq!(seen["revenue"], json!([{"currency": campaign.currency}]));
        }
        sales += seen["salesCount"].as_i64().unwrap_or(0);
        let agents: Vec<String> = plan
            .users_of(campaign.organization_id, "sales_agent")
            .iter()
            .map(|u| u.id.to_string())
            .collect();
        for edge in seen["leads"]["edges"].as_array().into_iter().flatten() {
            let lead = &edge["node"];
            let customer = &lead["customer"];
            let email = customer["email"].as_str().unwrap_or_default();
            assert!(email.contains("@example."), "{email}");
            let country = customer["country"].as_str().unwrap_or_default();
            assert!(
                campaign.countries.contains(&country),
                "{country} is not targeted by {}",
                campaign.name
            );
            assert!(customer["latitude"].is_f64());
            match lead["assignedAgent"]["id"].as_str() {
                Some(agent) => assert!(
                    agents.iter().any(|a| a == agent),
                    "{agent} is not a sales agent"
                ),
                None => assert_eq!(lead["stage"], "IQL", "only new interest is unassigned"),
            }
        }
    }
    assert_eq!(counts.2, sales);
    // Ids are the plan's deterministic ones.
    let first = h
        .data(
            unscoped(),
            "query($id: ID!) { customer(id: $id) { id } }",
            json!({"id": demo_id(kind::CUSTOMER, 1)}),
        )
        .await?;
    assert_eq!(
        first["customer"]["id"],
        demo_id(kind::CUSTOMER, 1).to_string()
    );
    Ok(())
}
