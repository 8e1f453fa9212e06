//! Relations resolved per parent cost a constant number of statements, whatever the number of parents.

use anyhow::Result;
use serde_json::json;
use uuid::Uuid;

use super::support::{Backend, Harness, as_org, new_customer, new_lead, new_sale};
use promptsales_crm::store::{LeadStage, NewRecords};
use promptsales_kit::new_id;

const CAMPAIGNS: &str =
    "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Campaign {
    id leadFunnel { total won lost } revenue { amount currency } salesCount
    leads { edges { node { stage customer { fullName } } } } } } }";
const CUSTOMERS: &str =
    "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id email } } }";
const LEADS: &str = "{ leads(first: 100) { edges { node { id stage customer { fullName } } } } }";

struct Tenant {
    org: Uuid,
    campaigns: Vec<Uuid>,
    customers: Vec<Uuid>,
}

/// `n` campaigns, each with one customer, three leads (IQL, WON, LOST) and one sale.
async fn tenant(h: &Harness, n: usize) -> Result<Tenant> {
    let org = new_id();
    let mut records = NewRecords::default();
    let (mut campaigns, mut customers) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (campaign, customer) = (new_id(), new_id());
        let mut c = new_customer(org, &format!("c{i}@example.com"));
        c.id = Some(customer);
        records.customers.push(c);
        for stage in [LeadStage::Iql, LeadStage::Won, LeadStage::Lost] {
            records.leads.push(new_lead(org, customer, campaign, stage));
        }
        records
            .sales
            .push(new_sale(org, customer, campaign, 100, "EUR"));
        campaigns.push(campaign);
        customers.push(customer);
    }
    h.store.insert_records(records).await?;
    Ok(Tenant {
        org,
        campaigns,
        customers,
    })
}

fn representations(typename: &str, ids: &[Uuid]) -> serde_json::Value {
    json!(
        ids.iter()
            .map(|id| json!({"__typename": typename, "id": id}))
            .collect::<Vec<_>>()
    )
}

/// Statements each query costs for a tenant of `n` parents.
async fn measure(h: &Harness, n: usize) -> Result<[u64; 3]> {
    let t = tenant(h, n).await?;

    h.counter.reset();
    let data = h
        .data(
            as_org(t.org),
            CAMPAIGNS,
            json!({"reps": representations("Campaign", &t.campaigns)}),
        )
        .await?;
    let campaigns_cost = h.counter.get();
    let entities = data["_entities"].as_array().cloned().unwrap_or_default();
    assert_eq!(entities.len(), n);
    for campaign in &entities {
        assert_eq!(
            campaign["leadFunnel"],
            json!({"total": 3, "won": 1, "lost": 1})
        );
        assert_eq!(
            campaign["revenue"],
            json!([{"amount": "100.00", "currency": "EUR"}])
        );
        assert_eq!(campaign["salesCount"], 1);
        let leads = campaign["leads"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(leads.len(), 3);
        assert!(
            leads
                .iter()
                .all(|l| l["node"]["customer"]["fullName"] == "Lucía Pérez")
        );
    }

    h.counter.reset();
    let data = h
        .data(
            as_org(t.org),
            CUSTOMERS,
            json!({"reps": representations("Customer", &t.customers)}),
        )
        .await?;
    let customers_cost = h.counter.get();
    assert_eq!(data["_entities"].as_array().map(Vec::len), Some(n));
    assert!(
        data["_entities"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["email"].is_string())
    );

    h.counter.reset();
    let data = h.data(as_org(t.org), LEADS, json!({})).await?;
    let leads_cost = h.counter.get();
    assert_eq!(data["leads"]["edges"].as_array().map(Vec::len), Some(3 * n));
    Ok([campaigns_cost, customers_cost, leads_cost])
}

pub async fn entities_and_lists_cost_a_constant_number_of_statements(
    backend: Backend,
) -> Result<()> {
    let h = Harness::new(backend).await?;
    let small = measure(&h, 3).await?;
    let large = measure(&h, 30).await?;
    println!("{backend:?}: statements for 3 parents {small:?}, for 30 parents {large:?}");
    assert_eq!(small, large, "the cost grows with the number of parents");
    // funnel + sales + leads + customers; customers; leads + customers.
    assert_eq!(large, [4, 1, 2]);
    Ok(())
}
