//! A tenant sees only its own rows: another tenant's are absent, not forbidden.

use anyhow::Result;
use serde_json::json;

use super::support::{
    Backend, Harness, as_org, error_code, new_customer, new_lead, new_sale, unscoped,
};
use promptsales_crm::store::LeadStage;
use promptsales_kit::new_id;

pub async fn tenants_see_only_their_own_rows(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org_a, org_b, campaign_b) = (new_id(), new_id(), new_id());
    let a = h
        .store
        .insert_customer(new_customer(org_a, "same@example.com"))
        .await?;
    let b = h
        .store
        .insert_customer(new_customer(org_b, "same@example.com"))
        .await?;
    let b_only = h
        .store
        .insert_customer(new_customer(org_b, "bea@example.com"))
        .await?;
    let lead_b = h
        .store
        .insert_lead(new_lead(org_b, b.id, campaign_b, LeadStage::Won))
        .await?;
    let sale_b = h
        .store
        .insert_sale(new_sale(org_b, b.id, campaign_b, 50, "USD"))
        .await?;

    for (query, id) in [
        ("query($id: ID!) { customer(id: $id) { id } }", b.id),
        ("query($id: ID!) { lead(id: $id) { id } }", lead_b.id),
        ("query($id: ID!) { sale(id: $id) { id } }", sale_b.id),
    ] {
        let response = h.run(as_org(org_a), query, json!({"id": id})).await;
        assert_eq!(error_code(&response).0, "NOT_FOUND", "{query}");
    }

    let seen = h
        .run(
            as_org(org_a),
            "query($reps: [_Any!]!) {
                customers { edges { node { id } } }
                leads { edges { node { id } } }
                bea: customerByEmail(email: \"bea@example.com\") { id }
                same: customerByEmail(email: \"same@example.com\") { id }
                _entities(representations: $reps) {
                    ... on Customer { id }
                    ... on Campaign { leadFunnel { total } revenue { amount } salesCount leads { edges { cursor } } }
                }
            }",
            json!({"reps": [
                {"__typename": "Customer", "id": b_only.id},
                {"__typename": "Campaign", "id": campaign_b},
            ]}),
        )
        .await;
    // The other tenant's customer is null with NOT_FOUND at its `_entities` index (and
    // only that: the rest of the request resolves).
    assert_eq!(seen.errors.len(), 1, "{:?}", seen.errors);
    assert_eq!(error_code(&seen).0, "NOT_FOUND");
    assert_eq!(
        seen.errors[0].path,
        vec![
            async_graphql::PathSegment::Field("_entities".into()),
            async_graphql::PathSegment::Index(0)
        ]
    );
    let seen = seen.data.into_json()?;
    assert_eq!(seen["customers"]["edges"], json!([{"node": {"id": a.id}}]));
    assert_eq!(seen["leads"]["edges"], json!([]));
    assert_eq!(seen["bea"], json!(null));
    assert_eq!(seen["same"]["id"], a.id.to_string());
    assert_eq!(seen["_entities"][0], json!(null));
    assert_eq!(
        seen["_entities"][1],
        json!({"leadFunnel": {"total": 0}, "revenue": [], "salesCount": 0, "leads": {"edges": []}})
    );

    // The owner sees them.
    let owner = h
        .data(
            as_org(org_b),
            "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Campaign { leadFunnel { total } salesCount } } }",
            json!({"reps": [{"__typename": "Campaign", "id": campaign_b}]}),
        )
        .await?;
    assert_eq!(
        owner["_entities"][0],
        json!({"leadFunnel": {"total": 1}, "salesCount": 1})
    );

    // An operator sees every tenant, and an address two tenants share is ambiguous for them.
    let all = h
        .data(unscoped(), "{ customers { edges { cursor } } }", json!({}))
        .await?;
    assert_eq!(all["customers"]["edges"].as_array().map(Vec::len), Some(3));
    let response = h
        .run(
            unscoped(),
            "{ customerByEmail(email: \"same@example.com\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&response),
        ("BAD_USER_INPUT".into(), Some("email".into()))
    );
    Ok(())
}
