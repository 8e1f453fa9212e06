//! The foundation's promise: one request through the router reads a campaign's
//! record (sales), its ad spend (ads), its leads and revenue (crm) and its
//! assets (content), and every number is the one the stores hold.

use serde_json::{Value, json};

use super::fixture;
use super::harness::{data, error_codes};

const OVERVIEW: &str = r#"
query Overview($org: ID!) {
  organization(id: $org) {
    name
    campaigns(first: 10) {
      edges { node {
        id name status
        budget { total { amount currency } spent { amount } available { amount } }
        adTotals { impressions clicks spend conversions conversionValue ctr cpc roas }
        channelBreakdown { channel totals { spend impressions } }
        leadFunnel { iql mql sql opportunity won lost total }
        revenue { amount currency }
        salesCount
        assetCount
        assets(first: 10) { edges { node { kind description hashtags } } }
      } }
    }
  }
}"#;

fn campaign(campaigns: &[Value], id: uuid::Uuid) -> &Value {
    campaigns
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["id"] == id.to_string())
        .unwrap_or_else(|| panic!("campaign {id} missing from {campaigns:#?}"))
}

#[tokio::test]
async fn one_request_reads_all_four_stores_and_every_number_matches() {
    let f = fixture::start().await.expect("the graph starts");
    let response = f
        .router
        .post(
            OVERVIEW,
            json!({ "org": f.org_a.to_string() }),
            &f.as_org_a(),
        )
        .await
        .expect("query");
    let org = &data(&response)["organization"];
    assert_eq!(org["name"], "Acme Outdoor");
    let campaigns = org["campaigns"]["edges"]
        .as_array()
        .expect("campaigns")
        .clone();
    assert_eq!(
        campaigns.len(),
        2,
        "only org A's two campaigns: {campaigns:#?}"
    );

    let c1 = campaign(&campaigns, f.campaign_1);
    // sales
    assert_eq!(c1["name"], "Winter Summit");
    assert_eq!(c1["status"], "ACTIVE");
    assert_eq!(
        c1["budget"]["total"],
        json!({ "amount": "10000.00", "currency": "EUR" })
    );
    assert_eq!(c1["budget"]["spent"]["amount"], "2500.00");
    assert_eq!(c1["budget"]["available"]["amount"], "7500.00");
    // ads: two ads, three metric days (1000+2000+500 impressions, 50+30+20 clicks, ...)
    let ads = &c1["adTotals"];
    assert_eq!(ads["impressions"], 3500);
    assert_eq!(ads["clicks"], 100);
    assert_eq!(ads["spend"], "200.75");
    assert_eq!(ads["conversions"], 8);
    assert_eq!(ads["conversionValue"], "900.00");
    let ctr = ads["ctr"].as_f64().expect("ctr");
    assert!((ctr - 100.0 / 3500.0).abs() < 1e-9, "ctr {ctr}");
    assert_eq!(ads["cpc"], "2.0075");
    let roas = ads["roas"].as_f64().expect("roas");
    assert!((roas - 900.0 / 200.75).abs() < 1e-9, "roas {roas}");
    let mut breakdown: Vec<(String, String, i64)> = c1["channelBreakdown"]
        .as_array()
        .expect("breakdown")
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap_or_default().to_string(),
                c["totals"]["spend"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                c["totals"]["impressions"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    breakdown.sort();
    assert_eq!(
        breakdown,
        vec![
            ("GOOGLE".into(), "40.00".into(), 500),
            ("INSTAGRAM".into(), "160.75".into(), 3000)
        ]
    );
    // crm
    assert_eq!(
        c1["leadFunnel"],
        json!({ "iql": 2, "mql": 1, "sql": 0, "opportunity": 0, "won": 1, "lost": 0, "total": 4 })
    );
    let mut revenue: Vec<(String, String)> = c1["revenue"]
        .as_array()
        .expect("revenue")
        .iter()
        .map(|m| {
            (
                m["currency"].as_str().unwrap_or_default().into(),
                m["amount"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    revenue.sort();
    assert_eq!(
        revenue,
        vec![
            ("EUR".into(), "1200.50".into()),
            ("USD".into(), "99.50".into())
        ]
    );
    assert_eq!(c1["salesCount"], 2);
    // content
    assert_eq!(c1["assetCount"], 2);
    let mut assets: Vec<(String, String)> = c1["assets"]["edges"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|e| {
            (
                e["node"]["kind"].as_str().unwrap_or_default().into(),
                e["node"]["description"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assets.sort();
    assert_eq!(
        assets,
        vec![
            ("IMAGE".into(), "Backpack on a snowy summit".into()),
            ("VIDEO".into(), "Trail shoes in action".into())
        ]
    );

    let c2 = campaign(&campaigns, f.campaign_2);
    assert_eq!(c2["status"], "DRAFT");
    assert_eq!(c2["adTotals"]["impressions"], 300);
    assert_eq!(c2["adTotals"]["spend"], "9.99");
    assert_eq!(c2["adTotals"]["conversions"], 0);
    assert_eq!(c2["adTotals"]["cpa"], Value::Null);
    assert_eq!(c2["leadFunnel"]["sql"], 1);
    assert_eq!(c2["leadFunnel"]["total"], 1);
    assert_eq!(c2["revenue"], json!([]));
    assert_eq!(c2["assetCount"], 1);
}

#[tokio::test]
async fn a_tenant_never_reads_another_tenants_rows_through_the_router() {
    let f = fixture::start().await.expect("the graph starts");
    let headers = f.as_org_a();

    let other = f
        .router
        .post(
            "query($id: ID!) { campaign(id: $id) { name } }",
            json!({ "id": f.campaign_b.to_string() }),
            &headers,
        )
        .await
        .expect("query");
    assert_eq!(error_codes(&other), vec!["NOT_FOUND"], "{other:#}");
    assert!(!other.to_string().contains("Rival"), "{other:#}");

    let listed = f
        .router
        .post(
            "{ organizations { edges { node { id } } } campaigns { edges { node { id } } } }",
            json!({}),
            &headers,
        )
        .await
        .expect("query");
    let listed = data(&listed);
    assert_eq!(
        listed["organizations"]["edges"],
        json!([{ "node": { "id": f.org_a.to_string() } }])
    );
    assert_eq!(
        listed["campaigns"]["edges"].as_array().map(Vec::len),
        Some(2)
    );

    // Nor does it learn whether another tenant's organization exists.
    let entities = f
        .router
        .post(
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": f.org_b.to_string() }),
            &headers,
        )
        .await
        .expect("query");
    assert_eq!(error_codes(&entities), vec!["NOT_FOUND"], "{entities:#}");
}
