//! The graph's happy paths: create, read, navigate, page and filter.

use anyhow::Result;
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{Backend, Harness, as_org, new_customer, new_lead, new_sale};
use promptsales_crm::store::{InsertError, LeadStage};
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;

pub async fn create_and_read_through_the_graph(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign, agent) = (new_id(), new_id(), new_id());
    let ctx = || as_org(org);

    let created = h
        .data(
            ctx(),
            "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
                id fullName email phone country city latitude longitude segment lifetimeValue organization { id } } }",
            json!({"input": {
                "fullName": " Lucía Pérez ", "email": "Lucia.Perez@Example.com", "phone": "+34 600-123-456",
                "country": "es", "city": "Madrid", "latitude": 40.4168, "longitude": -3.7038, "segment": "hiker",
                "lifetimeValue": "1250.50"
            }}),
        )
        .await?;
    let customer = &created["createCustomer"];
    assert_eq!(customer["fullName"], "Lucía Pérez");
    assert_eq!(customer["email"], "lucia.perez@example.com");
    assert_eq!(customer["phone"], "+34600123456");
    assert_eq!(customer["country"], "ES");
    assert_eq!(customer["lifetimeValue"], "1250.50");
    assert_eq!(customer["organization"]["id"], org.to_string());
    let customer_id = customer["id"].as_str().unwrap_or_default().to_string();

    let created = h
        .data(
            ctx(),
            "mutation($input: CreateLeadInput!) { createLead(input: $input) {
                id stage score purchaseIntent version source assignedAgent { id } campaign { id }
                customer { id fullName } lastInteractionAt } }",
            json!({"input": {
                "customerId": customer_id, "campaignId": campaign, "source": "INSTAGRAM", "stage": "OPPORTUNITY",
                "score": 80, "purchaseIntent": 0.75, "assignedAgentId": agent,
                "lastInteractionAt": "2026-01-02T10:00:00Z"
            }}),
        )
        .await?;
    let lead = &created["createLead"];
    assert_eq!(lead["stage"], "OPPORTUNITY");
    assert_eq!(lead["version"], 1);
    assert_eq!(lead["purchaseIntent"], 0.75);
    assert_eq!(lead["assignedAgent"]["id"], agent.to_string());
    assert_eq!(lead["campaign"]["id"], campaign.to_string());
    assert_eq!(lead["customer"]["fullName"], "Lucía Pérez");
    let lead_id = lead["id"].as_str().unwrap_or_default().to_string();

    // Defaults: stage IQL, scored at once by the platform prior (no history: logistic(-2)).
    let defaults = h
        .data(
            ctx(),
            "mutation($input: CreateLeadInput!) { createLead(input: $input) { stage score purchaseIntent assignedAgent { id } } }",
            json!({"input": {"customerId": customer_id, "campaignId": campaign, "source": "WEB"}}),
        )
        .await?;
    let scored = &defaults["createLead"];
    assert_eq!(scored["stage"], "IQL");
    assert_eq!(scored["assignedAgent"], Value::Null);
    assert_eq!(scored["score"], 12, "{scored}");
    let intent = scored["purchaseIntent"].as_f64().unwrap_or(-1.0);
    assert!(
        (intent - 1.0 / (1.0 + 2.0f64.exp())).abs() < 1e-3,
        "{scored}"
    );

    let created = h
        .data(
            ctx(),
            "mutation($input: CreateSaleInput!) { createSale(input: $input) {
                id amount { amount currency } lead { id } customer { email } campaign { id } productId } }",
            json!({"input": {
                "customerId": customer_id, "campaignId": campaign, "leadId": lead_id,
                "amount": "199.90", "currency": "EUR", "closedAt": "2026-01-03T12:00:00Z"
            }}),
        )
        .await?;
    let sale = &created["createSale"];
    assert_eq!(
        sale["amount"],
        json!({"amount": "199.90", "currency": "EUR"})
    );
    assert_eq!(sale["lead"]["id"], lead_id.as_str());
    assert_eq!(sale["customer"]["email"], "lucia.perez@example.com");
    let sale_id = sale["id"].as_str().unwrap_or_default().to_string();
    h.data(
        ctx(),
        "mutation($input: CreateSaleInput!) { createSale(input: $input) { id } }",
        json!({"input": {"customerId": customer_id, "campaignId": campaign, "amount": 10, "currency": "USD"}}),
    )
    .await?;

    let read = h
        .data(
            ctx(),
            "query($c: ID!, $l: ID!, $s: ID!, $reps: [_Any!]!) {
                customer(id: $c) { id }
                byEmail: customerByEmail(email: \"  LUCIA.PEREZ@example.COM \") { id }
                nobody: customerByEmail(email: \"nobody@example.com\") { id }
                lead(id: $l) { id customer { id } }
                sale(id: $s) { id amount { amount } }
                _entities(representations: $reps) {
                    ... on Customer { fullName }
                    ... on Campaign { id salesCount revenue { amount currency }
                        leadFunnel { iql mql sql opportunity won lost total }
                        leads(filter: {stage: [OPPORTUNITY]}) { edges { node { id } } } }
                }
            }",
            json!({"c": customer_id, "l": lead_id, "s": sale_id, "reps": [
                {"__typename": "Customer", "id": customer_id},
                {"__typename": "Campaign", "id": campaign},
            ]}),
        )
        .await?;
    assert_eq!(read["customer"]["id"], customer_id.as_str());
    assert_eq!(read["byEmail"]["id"], customer_id.as_str());
    assert_eq!(read["nobody"], json!(null));
    assert_eq!(read["lead"]["customer"]["id"], customer_id.as_str());
    assert_eq!(read["sale"]["amount"]["amount"], "199.90");
    assert_eq!(read["_entities"][0]["fullName"], "Lucía Pérez");
    let c = &read["_entities"][1];
    assert_eq!(c["salesCount"], 2);
    assert_eq!(
        c["revenue"],
        json!([{"amount": "199.90", "currency": "EUR"}, {"amount": "10.00", "currency": "USD"}])
    );
    assert_eq!(
        c["leadFunnel"],
        json!({"iql": 1, "mql": 0, "sql": 0, "opportunity": 1, "won": 0, "lost": 0, "total": 2})
    );
    assert_eq!(c["leads"]["edges"], json!([{"node": {"id": lead_id}}]));
    Ok(())
}

pub async fn lists_page_and_filter(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign, other_campaign, agent) = (new_id(), new_id(), new_id(), new_id());
    let mut customers = Vec::new();
    for (i, country) in ["ES", "FR", "ES", "DE", "ES"].into_iter().enumerate() {
        let mut c = new_customer(org, &format!("p{i}@example.com"));
        c.country = Some(country.into());
        customers.push(h.store.insert_customer(c).await?.id);
    }
    let stages = [
        LeadStage::Iql,
        LeadStage::Won,
        LeadStage::Lost,
        LeadStage::Won,
        LeadStage::Mql,
    ];
    let mut leads = Vec::new();
    for (i, stage) in stages.into_iter().enumerate() {
        let mut l = new_lead(org, customers[i], campaign, stage);
        l.assigned_agent_id = (i % 2 == 0).then_some(agent);
        leads.push(h.store.insert_lead(l).await?.id);
    }
    h.store
        .insert_lead(new_lead(org, customers[0], other_campaign, LeadStage::Won))
        .await?;

    let page = "query($after: String) { customers(first: 2, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let first = h.data(as_org(org), page, json!({})).await?;
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        ids(&first["customers"]),
        vec![customers[0].to_string(), customers[1].to_string()]
    );
    assert_eq!(first["customers"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["customers"]["pageInfo"]["endCursor"].clone();
    let second = h.data(as_org(org), page, json!({"after": cursor})).await?;
    assert_eq!(
        ids(&second["customers"]),
        vec![customers[2].to_string(), customers[3].to_string()]
    );
    assert_eq!(second["customers"]["pageInfo"]["hasPreviousPage"], true);

    let spanish = h
        .data(as_org(org), "{ customers(filter: {country: \"es\", city: \"Madrid\", segment: \"hiker\"}) { edges { node { id } } } }", json!({}))
        .await?;
    assert_eq!(ids(&spanish["customers"]).len(), 3);

    let won = h
        .data(
            as_org(org),
            "query($campaign: ID!, $agent: ID!, $customer: ID!) {
                won: leads(filter: {campaignId: $campaign, stage: [WON, LOST]}) { edges { node { id stage } } }
                mine: leads(filter: {assignedAgentId: $agent}) { edges { node { id } } }
                everything: leads(filter: {stage: []}) { edges { node { id } } }
                ofCustomer: leads(filter: {customerId: $customer}) { edges { node { id } } }
            }",
            json!({"campaign": campaign, "agent": agent, "customer": customers[0]}),
        )
        .await?;
    assert_eq!(
        ids(&won["won"]),
        vec![
            leads[1].to_string(),
            leads[2].to_string(),
            leads[3].to_string()
        ]
    );
    assert_eq!(
        ids(&won["mine"]),
        vec![
            leads[0].to_string(),
            leads[2].to_string(),
            leads[4].to_string()
        ]
    );
    assert_eq!(ids(&won["everything"]).len(), 6);
    assert_eq!(ids(&won["ofCustomer"]).len(), 2);

    // A campaign's leads page by cursor too.
    let campaign_page = "query($reps: [_Any!]!, $after: String) { _entities(representations: $reps) {
        ... on Campaign { leads(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } } }";
    let reps = json!([{"__typename": "Campaign", "id": campaign}]);
    let p1 = h
        .data(as_org(org), campaign_page, json!({"reps": reps}))
        .await?;
    let p1 = &p1["_entities"][0]["leads"];
    assert_eq!(ids(p1), vec![leads[0].to_string(), leads[1].to_string()]);
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    let p2 = h
        .data(
            as_org(org),
            campaign_page,
            json!({"reps": reps, "after": p1["pageInfo"]["endCursor"]}),
        )
        .await?;
    let p2 = &p2["_entities"][0]["leads"];
    assert_eq!(ids(p2), vec![leads[2].to_string(), leads[3].to_string()]);
    Ok(())
}

pub async fn store_inserts_take_caller_ids(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign) = (new_id(), new_id());
    let (customer_id, lead_id, sale_id) = (new_id(), new_id(), new_id());
    let customer = h
        .store
        .insert_customer(promptsales_crm::store::NewCustomer {
            id: Some(customer_id),
            ..new_customer(org, "given@example.com")
        })
        .await?;
    assert_eq!(customer.id, customer_id);
    let lead = h
        .store
        .insert_lead(promptsales_crm::store::NewLead {
            id: Some(lead_id),
            ..new_lead(org, customer_id, campaign, LeadStage::Won)
        })
        .await?;
    assert_eq!(lead.id, lead_id);
    let sale = h
        .store
        .insert_sale(promptsales_crm::store::NewSale {
            id: Some(sale_id),
            lead_id: Some(lead_id),
            ..new_sale(org, customer_id, campaign, 10, "EUR")
        })
        .await?;
    assert_eq!(sale.id, sale_id);
    // What an insert returns is what a read gives.
    let scope = TenantScope::Organization(org);
    assert_eq!(h.store.customer(scope, customer_id).await?, Some(customer));
    assert_eq!(h.store.lead(scope, lead_id).await?, Some(lead));
    assert_eq!(h.store.sale(scope, sale_id).await?, Some(sale));
    // Taking an id twice is a conflict, not a crash.
    let again = h
        .store
        .insert_lead(promptsales_crm::store::NewLead {
            id: Some(lead_id),
            ..new_lead(org, customer_id, campaign, LeadStage::Won)
        })
        .await;
    assert!(matches!(again, Err(InsertError::Conflict(_))), "{again:?}");
    // The database ties a lead to a customer of its own organization.
    let foreign = h
        .store
        .insert_lead(new_lead(new_id(), customer_id, campaign, LeadStage::Iql))
        .await;
    assert!(
        matches!(
            foreign,
            Err(InsertError::NotFound {
                entity: "Customer",
                ..
            })
        ),
        "{foreign:?}"
    );
    let unknown: Uuid = new_id();
    let missing = h
        .store
        .insert_sale(new_sale(org, unknown, campaign, 5, "EUR"))
        .await;
    assert!(
        matches!(
            missing,
            Err(InsertError::NotFound {
                entity: "Customer",
                ..
            })
        ),
        "{missing:?}"
    );
    assert_eq!(h.counts().await?, (1, 1, 1));
    Ok(())
}
