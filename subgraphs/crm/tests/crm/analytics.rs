//! Analytics: conversion ranking (window functions), revenue per channel, distance, ETL totals.

use anyhow::{Context as _, Result};
use promptsales_crm::store::{LeadSource, LeadStage, NewCustomer, NewLead, NewSale};
use promptsales_kit::{Decimal4, new_id};
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{Backend, Harness, as_org, unscoped};

/// Adds a customer (at a point) with one lead per stage in `stages`; returns the lead ids.
async fn leads(
    h: &Harness,
    org: Uuid,
    campaign: Uuid,
    source: LeadSource,
    stages: &[LeadStage],
) -> Result<Vec<(Uuid, Uuid)>> {
    let mut ids = Vec::new();
    for stage in stages {
        let customer = h
            .store
            .insert_customer(NewCustomer {
                organization_id: org,
                full_name: "Buyer".into(),
                email: format!("{}@example.com", new_id()),
                ..Default::default()
            })
            .await?;
        let lead = h
            .store
            .insert_lead(NewLead {
                id: None,
                organization_id: org,
                customer_id: customer.id,
                campaign_id: campaign,
                source,
                source_ad_id: None,
                stage: *stage,
                score: 0,
                purchase_intent: 0.0,
                assigned_agent_id: None,
                last_interaction_at: None,
            })
            .await?;
        ids.push((customer.id, lead.id));
    }
    Ok(ids)
}

fn ranking_of(data: &Value, campaign: Uuid) -> (i64, f64) {
    data["campaignConversionRanking"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["campaign"]["id"] == campaign.to_string())
        .map(|r| {
            (
                r["rank"].as_i64().unwrap_or(-1),
                r["conversionRate"].as_f64().unwrap_or(-1.0),
            )
        })
        .unwrap_or((-1, -1.0))
}

pub async fn campaigns_rank_by_conversion_within_each_organization(backend: Backend) -> Result<()> {
    use LeadStage::*;
    let h = Harness::new(backend).await?;
    let (a, b) = (new_id(), new_id());
    let (c1, c2, c3, other) = (new_id(), new_id(), new_id(), new_id());
    let won = leads(&h, a, c1, LeadSource::Instagram, &[Won, Won, Lost, Mql]).await?;
    leads(&h, a, c2, LeadSource::Google, &[Won, Lost, Lost, Iql]).await?;
    leads(&h, a, c3, LeadSource::Google, &[Won, Sql]).await?;
    leads(&h, b, other, LeadSource::Web, &[Lost]).await?;

    const RANKING: &str = "{ campaignConversionRanking { organization { id } campaign { id } leads won lost conversionRate rank } }";
    let seen = h.data(as_org(a), RANKING, json!({})).await?;
    assert_eq!(
        seen["campaignConversionRanking"].as_array().map(Vec::len),
        Some(3),
        "only A's campaigns"
    );
    assert_eq!(ranking_of(&seen, c1), (1, 0.5));
    assert_eq!(ranking_of(&seen, c3), (1, 0.5), "ties share a rank");
    assert_eq!(ranking_of(&seen, c2), (3, 0.25), "RANK skips after a tie");
    let all = h.data(unscoped(), RANKING, json!({})).await?;
    assert_eq!(
        ranking_of(&all, other),
        (1, 0.0),
        "B is ranked in its own partition"
    );

    // Revenue per channel: sales closing leads of each source, and one sale without a lead.
    let (customer, lead) = won[0];
    for (lead_id, units) in [(Some(lead), 100), (Some(won[1].1), 50), (None, 7)] {
        h.store
            .insert_sale(NewSale {
                id: None,
                organization_id: a,
                customer_id: if lead_id == Some(won[1].1) {
                    won[1].0
                } else {
                    customer
                },
                lead_id,
                campaign_id: c1,
                product_id: None,
                amount: Decimal4::from_units(units),
                currency: "EUR".into(),
                closed_at: chrono::Utc::now(),
            })
            .await?;
    }
    let revenue = h
        .data(
            as_org(a),
            "{ revenueByChannel { source revenue { amount currency } sales } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        revenue["revenueByChannel"],
        json!([
            {"source": "INSTAGRAM", "revenue": {"amount": "150.00", "currency": "EUR"}, "sales": 2},
            {"source": null, "revenue": {"amount": "7.00", "currency": "EUR"}, "sales": 1},
        ])
    );
    Ok(())
}

pub async fn customers_near_a_point_on_known_coordinates(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, other) = (new_id(), new_id());
    let city = |organization: Uuid, name: &str, lat: f64, lon: f64| NewCustomer {
        organization_id: organization,
        full_name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        latitude: Some(lat),
        longitude: Some(lon),
        ..Default::default()
    };
    for c in [
        city(org, "Madrid", 40.4168, -3.7038),
        city(org, "Valencia", 39.4699, -0.3763),
        city(org, "Barcelona", 41.3874, 2.1686),
        city(org, "Paris", 48.8566, 2.3522),
        city(org, "Toledo", 39.8628, -4.0273),
        city(other, "Getafe", 40.3057, -3.7329),
    ] {
        h.store.insert_customer(c).await?;
    }
    const NEAR: &str =
        "query($r: Float!) { customersNear(latitude: 40.4168, longitude: -3.7038, radiusKm: $r) {
        distanceKm customer { fullName } } }";
    let near = h.data(as_org(org), NEAR, json!({"r": 400.0})).await?;
    let found: Vec<(String, f64)> = near["customersNear"]
        .as_array()
        .context("list")?
        .iter()
        .map(|n| {
            (
                n["customer"]["fullName"].as_str().unwrap_or("").to_string(),
                n["distanceKm"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    let names: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        ["Madrid", "Toledo", "Valencia"],
        "nearest first, Barcelona (505 km) and Paris out"
    );
    // Known great-circle distances: Toledo about 68 km, Valencia about 302 km.
    assert!(found[0].1 < 0.001);
    assert!((found[1].1 - 68.0).abs() < 3.0, "{found:?}");
    assert!((found[2].1 - 302.0).abs() < 5.0, "{found:?}");
    let wider = h.data(as_org(org), NEAR, json!({"r": 510.0})).await?;
    assert_eq!(
        wider["customersNear"].as_array().map(Vec::len),
        Some(4),
        "Barcelona joins at 510 km"
    );
    let bad = h.run(as_org(org), NEAR, json!({"r": -1.0})).await;
    assert_eq!(
        super::support::error_code(&bad),
        ("BAD_USER_INPUT".into(), Some("radiusKm".into()))
    );
    Ok(())
}

pub async fn campaign_totals_follow_the_watermark(backend: Backend) -> Result<()> {
    use LeadStage::*;
    let h = Harness::new(backend).await?;
    let org = new_id();
    let (c1, c2) = (new_id(), new_id());
    let c1_leads = leads(&h, org, c1, LeadSource::Web, &[Iql, Sql, Won, Lost]).await?;
    leads(&h, org, c2, LeadSource::Web, &[Mql]).await?;
    h.store
        .insert_sale(NewSale {
            id: None,
            organization_id: org,
            customer_id: c1_leads[2].0,
            lead_id: Some(c1_leads[2].1),
            campaign_id: c1,
            product_id: None,
            amount: Decimal4::from_units(30),
            currency: "USD".into(),
            closed_at: chrono::Utc::now(),
        })
        .await?;
    const TOTALS: &str = "query($after: DateTime) { crmCampaignTotals(updatedAfter: $after) {
        campaign { id } leads qualified won lost customers sales revenue { amount currency } updatedAt } }";
    let all = h.data(as_org(org), TOTALS, json!({"after": null})).await?;
    let rows = all["crmCampaignTotals"].as_array().context("rows")?;
    assert_eq!(rows.len(), 2);
    let first = rows
        .iter()
        .find(|r| r["campaign"]["id"] == c1.to_string())
        .context("c1")?;
    assert_eq!(
        (
            first["leads"].as_i64(),
            first["qualified"].as_i64(),
            first["won"].as_i64(),
            first["lost"].as_i64(),
            first["customers"].as_i64(),
            first["sales"].as_i64()
        ),
        (Some(4), Some(2), Some(1), Some(1), Some(4), Some(1))
    );
    assert_eq!(
        first["revenue"],
        json!([{"amount": "30.00", "currency": "USD"}])
    );
    let watermark = rows.last().context("last")?["updatedAt"].clone();
    let none = h
        .data(as_org(org), TOTALS, json!({"after": watermark}))
        .await?;
    assert_eq!(
        none["crmCampaignTotals"],
        json!([]),
        "nothing changed since"
    );
    leads(&h, org, c2, LeadSource::Web, &[Iql]).await?;
    let delta = h
        .data(as_org(org), TOTALS, json!({"after": watermark}))
        .await?;
    let delta = delta["crmCampaignTotals"].as_array().context("delta")?;
    assert_eq!(delta.len(), 1, "only the campaign that changed");
    assert_eq!(delta[0]["campaign"]["id"], c2.to_string());
    assert_eq!(
        delta[0]["leads"], 2,
        "its whole totals, not just the change"
    );
    Ok(())
}
