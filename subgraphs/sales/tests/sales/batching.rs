//! Batching: N parents cost the same number of SQL statements as 3.
//!
//! Each query below has a single kind of parent per level, so every level
//! is one batch per relation whatever the timing of the batches before it.

use serde_json::{Value, json};

use crate::support::{self, Harness, everyone};

const CAMPAIGNS: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Campaign { id name owner { email } organization { name } objectives { metric } products { name } }
  }
}"#;

const ORGANIZATIONS: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Organization { id name products { name } } }
}"#;

const USERS: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id email organization { name } } }
}"#;

const PAGE: &str = r#"query($first: Int!) {
  organizations(first: $first) { edges { node {
    name products { name }
    campaigns(first: 5) { edges { node { name owner { name } objectives { metric target } products { name } } } }
  } } }
}"#;

/// Representations of `n` organizations, each with an owner, a product and a
/// campaign (two objectives, one product): (campaigns, organizations, users).
async fn world(h: &Harness, n: usize) -> anyhow::Result<[Vec<Value>; 3]> {
    let mut out: [Vec<Value>; 3] = Default::default();
    for i in 0..n {
        let org = support::organization(h, &format!("Org {i}")).await?;
        let owner = support::user(h, org.id, &format!("owner{i}@example.com")).await?;
        let product = support::product(h, org.id, &format!("Product {i}")).await?;
        let mut new = support::new_campaign(org.id, owner.id, &format!("Campaign {i}"));
        new.product_ids = vec![product.id];
        let campaign = support::campaign(h, new).await?;
        out[0].push(json!({"__typename": "Campaign", "id": campaign.id}));
        out[1].push(json!({"__typename": "Organization", "id": org.id}));
        out[2].push(json!({"__typename": "User", "id": owner.id}));
    }
    Ok(out)
}

async fn statements(h: &Harness, query: &str, variables: Value) -> anyhow::Result<(u64, Value)> {
    h.counter.reset();
    let data = h.data(&everyone(), query, variables).await?;
    Ok((h.counter.get(), data))
}

/// Statements for the first 3 and for all 30 representations, checking each answer's size.
async fn entities(
    h: &Harness,
    query: &str,
    representations: &[Value],
) -> anyhow::Result<(u64, u64, Vec<Value>)> {
    let (few, data) =
        statements(h, query, json!({"representations": representations[..3]})).await?;
    assert_eq!(data["_entities"].as_array().map(Vec::len), Some(3));
    let (many, data) = statements(h, query, json!({"representations": representations})).await?;
    let answers = data["_entities"].as_array().cloned().unwrap_or_default();
    assert_eq!(answers.len(), representations.len());
    Ok((few, many, answers))
}

pub async fn entities_and_pages_cost_a_constant_number_of_statements(
    h: &Harness,
) -> anyhow::Result<()> {
    let [campaigns, organizations, users] = world(h, 30).await?;

    let (few, many, answers) = entities(h, CAMPAIGNS, &campaigns).await?;
    assert_eq!(answers[29]["owner"]["email"], "owner29@example.com");
    assert_eq!(
        answers[29]["objectives"],
        json!([{"metric": "revenue"}, {"metric": "reach"}])
    );
    assert_eq!(answers[29]["products"], json!([{"name": "Product 29"}]));
    eprintln!("_entities of Campaign: {few} statements for 3, {many} for 30");
    // Campaigns; then owners, organizations, objectives and products.
    assert_eq!((few, many), (5, 5));

    let (few, many, answers) = entities(h, ORGANIZATIONS, &organizations).await?;
    assert_eq!(answers[29]["products"], json!([{"name": "Product 29"}]));
    eprintln!("_entities of Organization: {few} statements for 3, {many} for 30");
    assert_eq!((few, many), (2, 2));

    let (few, many, answers) = entities(h, USERS, &users).await?;
    assert_eq!(answers[29]["organization"]["name"], "Org 29");
    eprintln!("_entities of User: {few} statements for 3, {many} for 30");
    assert_eq!((few, many), (2, 2));

    let (few, data) = statements(h, PAGE, json!({"first": 3})).await?;
    assert_eq!(
        data["organizations"]["edges"].as_array().map(Vec::len),
        Some(3)
    );
    let (many, data) = statements(h, PAGE, json!({"first": 30})).await?;
    let orgs = data["organizations"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(orgs.len(), 30);
    let last = &orgs[29]["node"];
    assert_eq!(
        last["campaigns"]["edges"][0]["node"]["owner"]["name"],
        "User owner29@example.com"
    );
    assert_eq!(
        last["campaigns"]["edges"][0]["node"]["products"],
        json!([{"name": "Product 29"}])
    );
    eprintln!(
        "organizations page with campaigns: {few} statements for 3 organizations, {many} for 30"
    );
    // Organizations; their products and campaign pages; then owners, objectives and products.
    assert_eq!((few, many), (6, 6));
    Ok(())
}
