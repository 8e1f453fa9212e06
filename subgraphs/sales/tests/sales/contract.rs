//! Behaviour through the schema and the store, the same on every backend.

use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, PageRequest};
use promptsales_sales::domain::campaign::{Budget, CampaignStatus};
use promptsales_sales::store::{CampaignFilter, CampaignUpdate, NewProduct, WriteError};
use serde_json::json;
use uuid::Uuid;

use crate::support::{self, Harness, day, everyone, tenant};

const CREATE_ORGANIZATION: &str = r#"mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { id name country currency salesGoal { amount currency } budget { amount } }
}"#;

const CREATE_CAMPAIGN: &str = r#"mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) {
    id name status currency startDate endDate targetCountries description
    budget { total { amount currency } spent { amount } available { amount } }
    owner { email } organization { name } products { name }
    objectives { kind metric target current }
  }
}"#;

const UPDATE_CAMPAIGN: &str = r#"mutation($id: ID!, $input: UpdateCampaignInput!) {
  updateCampaign(id: $id, input: $input) {
    status description endDate owner { email } products { name }
    budget { total { amount } spent { amount } available { amount } }
    objectives { kind metric target }
  }
}"#;

pub async fn organizations_are_created_read_updated_and_paged(h: &Harness) -> anyhow::Result<()> {
    let input = json!({"name": " Acme ", "industry": "retail", "country": "es", "salesGoal": "1250.5", "currency": "eur"});
    let data = h
        .data(&everyone(), CREATE_ORGANIZATION, json!({ "input": input }))
        .await?;
    let created = &data["createOrganization"];
    assert_eq!(created["name"], "Acme");
    assert_eq!(created["country"], "ES");
    assert_eq!(
        created["salesGoal"],
        json!({"amount": "1250.50", "currency": "EUR"})
    );
    assert_eq!(created["budget"]["amount"], "0.00");
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let org = Uuid::parse_str(&id)?;

    let data = h
        .data(
            &tenant(org),
            r#"mutation($id: ID!) { updateOrganization(id: $id, input: {name: "Acme Iberia", budget: "300"}) { name country budget { amount } } }"#,
            json!({ "id": id }),
        )
        .await?;
    assert_eq!(
        data["updateOrganization"],
        json!({"name": "Acme Iberia", "country": "ES", "budget": {"amount": "300.00"}})
    );
    let data = h
        .data(
            &tenant(org),
            "query($id: ID!) { organization(id: $id) { name products { id } } }",
            json!({ "id": id }),
        )
        .await?;
    assert_eq!(
        data["organization"],
        json!({"name": "Acme Iberia", "products": []})
    );

    let failure = h
        .failure(&tenant(org), r#"mutation($id: ID!) { updateOrganization(id: $id, input: {country: "XX"}) { name } }"#, json!({ "id": id }))
        .await;
    assert_eq!(
        failure,
        vec![("BAD_USER_INPUT".to_string(), "input.country".to_string())]
    );

    support::organization(h, "Second").await?;
    support::organization(h, "Third").await?;
    let page = "query($after: String) { organizations(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }";
    let first = h.data(&everyone(), page, json!({})).await?;
    let names: Vec<_> = first["organizations"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"]["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Acme Iberia"), json!("Second")]);
    assert_eq!(first["organizations"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["organizations"]["pageInfo"]["endCursor"].clone();
    let rest = h
        .data(&everyone(), page, json!({ "after": cursor }))
        .await?;
    assert_eq!(
        rest["organizations"]["edges"],
        json!([{"node": {"name": "Third"}}])
    );
    assert_eq!(rest["organizations"]["pageInfo"]["hasNextPage"], false);
    Ok(())
}

pub async fn users_have_unique_emails_and_are_filtered(h: &Harness) -> anyhow::Result<()> {
    let org = support::organization(h, "Aurora").await?;
    let create = r#"mutation($input: CreateUserInput!) { createUser(input: $input) { id email userType timezone active phone organization { name } } }"#;
    let input = json!({"organizationId": org.id, "email": " Maria@Aurora.Example ", "name": "Maria", "userType": "MARKETER", "phone": "+34 600 123 456"});
    let data = h
        .data(&tenant(org.id), create, json!({ "input": input }))
        .await?;
    let user = &data["createUser"];
    assert_eq!(user["email"], "maria@aurora.example");
    assert_eq!(user["timezone"], "UTC");
    assert_eq!(user["active"], true);
    assert_eq!(user["organization"]["name"], "Aurora");

    let before = h.census().await?;
    let duplicate = json!({"organizationId": org.id, "email": "MARIA@aurora.example", "name": "Other", "userType": "ADMIN"});
    let failure = h
        .failure(&tenant(org.id), create, json!({ "input": duplicate }))
        .await;
    assert_eq!(failure[0].0, "CONFLICT");
    let bad_zone = json!({"organizationId": org.id, "email": "x@aurora.example", "name": "X", "userType": "ADMIN", "timezone": "Mars/Base"});
    assert_eq!(
        h.failure(&tenant(org.id), create, json!({ "input": bad_zone }))
            .await,
        vec![("BAD_USER_INPUT".to_string(), "input.timezone".to_string())]
    );
    assert_eq!(h.census().await?, before);

    support::user(h, org.id, "sam@aurora.example").await?;
    let agents = h
        .data(
            &tenant(org.id),
            "query($org: ID) { users(filter: {organizationId: $org, userType: MARKETER}) { edges { node { email } } } }",
            json!({ "org": org.id }),
        )
        .await?;
    assert_eq!(agents["users"]["edges"].as_array().map(Vec::len), Some(2));
    let admins = h
        .data(
            &tenant(org.id),
            "{ users(filter: {userType: ADMIN}) { edges { node { email } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(admins["users"]["edges"], json!([]));
    Ok(())
}

pub async fn campaigns_are_created_with_objectives_and_updated_by_the_rules(
    h: &Harness,
) -> anyhow::Result<()> {
    let org = support::organization(h, "Aurora").await?;
    let owner = support::user(h, org.id, "maria@aurora.example").await?;
    let other_owner = support::user(h, org.id, "marco@aurora.example").await?;
    let jacket = support::product(h, org.id, "Jacket").await?;
    let boots = support::product(h, org.id, "Boots").await?;
    let stranger_org = support::organization(h, "Nimbus").await?;
    let stranger = support::user(h, stranger_org.id, "nina@nimbus.example").await?;
    let foreign_product = support::product(h, stranger_org.id, "Cloud").await?;
    let ctx = tenant(org.id);

    let input = json!({
        "organizationId": org.id, "ownerId": owner.id, "name": "Winter Summit", "budget": "5000", "currency": "EUR",
        "startDate": "2026-09-01", "endDate": "2026-10-31", "targetCountries": ["es", "FR", "ES"],
        "productIds": [jacket.id, boots.id], "description": "Cold weather gear",
        "objectives": [
            {"kind": "SALES", "metric": "revenue", "target": "20000"},
            {"kind": "AWARENESS", "metric": "reach", "target": 100000, "current": "10"}
        ]
    });
    let data = h
        .data(&ctx, CREATE_CAMPAIGN, json!({ "input": input }))
        .await?;
    let created = &data["createCampaign"];
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(
        created["budget"],
        json!({"total": {"amount": "5000.00", "currency": "EUR"}, "spent": {"amount": "0.00"}, "available": {"amount": "5000.00"}})
    );
    assert_eq!(created["targetCountries"], json!(["ES", "FR"]));
    assert_eq!(created["owner"]["email"], "maria@aurora.example");
    assert_eq!(created["organization"]["name"], "Aurora");
    assert_eq!(
        created["products"],
        json!([{"name": "Jacket"}, {"name": "Boots"}])
    );
    assert_eq!(
        created["objectives"],
        json!([
            {"kind": "SALES", "metric": "revenue", "target": "20000.00", "current": "0.00"},
            {"kind": "AWARENESS", "metric": "reach", "target": "100000.00", "current": "10.00"}
        ])
    );
    let id = created["id"].clone();

    let change = json!({"spent": "1200.5", "description": null, "endDate": "2026-11-30", "ownerId": other_owner.id,
        "productIds": [boots.id], "objectives": [{"kind": "CONVERSION", "metric": "orders", "target": "300"}]});
    let data = h
        .data(&ctx, UPDATE_CAMPAIGN, json!({ "id": id, "input": change }))
        .await?;
    assert_eq!(
        data["updateCampaign"],
        json!({
            "status": "DRAFT", "description": null, "endDate": "2026-11-30", "owner": {"email": "marco@aurora.example"},
            "products": [{"name": "Boots"}],
            "budget": {"total": {"amount": "5000.00"}, "spent": {"amount": "1200.50"}, "available": {"amount": "3799.50"}},
            "objectives": [{"kind": "CONVERSION", "metric": "orders", "target": "300.00"}]
        })
    );

    // Each rule on the merged campaign names its field, and a refused update changes nothing.
    let refused = [
        (json!({"spent": "5000.01"}), "input.spent"),
        (json!({"budget": "1000"}), "input.budget"),
        (json!({"startDate": "2027-01-01"}), "input.startDate"),
        (json!({"endDate": "2026-08-31"}), "input.endDate"),
        (json!({"ownerId": stranger.id}), "input.ownerId"),
        (
            json!({"productIds": [jacket.id, foreign_product.id]}),
            "input.productIds[1]",
        ),
        (
            json!({"targetCountries": ["ES", "ZZ"]}),
            "input.targetCountries[1]",
        ),
        (json!({"name": "   "}), "input.name"),
        (
            json!({"objectives": [{"kind": "SALES", "metric": "revenue", "target": "-1"}]}),
            "input.objectives[0].target",
        ),
    ];
    for (change, field) in refused {
        let failure = h
            .failure(&ctx, UPDATE_CAMPAIGN, json!({ "id": id, "input": change }))
            .await;
        assert_eq!(
            failure,
            vec![("BAD_USER_INPUT".to_string(), field.to_string())],
            "{change}"
        );
    }
    let data = h
        .data(&ctx, "query($id: ID!) { campaign(id: $id) { budget { spent { amount } } endDate products { name } objectives { metric } } }", json!({ "id": id }))
        .await?;
    assert_eq!(
        data["campaign"],
        json!({"budget": {"spent": {"amount": "1200.50"}}, "endDate": "2026-11-30", "products": [{"name": "Boots"}], "objectives": [{"metric": "orders"}]})
    );
    Ok(())
}

pub async fn a_stale_update_is_a_conflict(h: &Harness) -> anyhow::Result<()> {
    let org = support::organization(h, "Aurora").await?;
    let owner = support::user(h, org.id, "maria@aurora.example").await?;
    let read = support::campaign(h, support::new_campaign(org.id, owner.id, "Spring")).await?;
    let scope = TenantScope::Organization(org.id);
    let first = CampaignUpdate {
        campaign: promptsales_sales::store::Campaign {
            name: "Spring A".into(),
            ..read.clone()
        },
        product_ids: None,
        objectives: None,
    };
    let written = h.store.update_campaign(scope, first).await?;
    assert_ne!(written.updated_at, read.updated_at);
    let stale = CampaignUpdate {
        campaign: promptsales_sales::store::Campaign {
            name: "Spring B".into(),
            ..read.clone()
        },
        product_ids: Some(Vec::new()),
        objectives: Some(Vec::new()),
    };
    assert!(matches!(
        h.store.update_campaign(scope, stale).await,
        Err(WriteError::Conflict(_))
    ));
    let now = h.store.campaigns_by_ids(scope, &[read.id]).await?;
    assert_eq!(now.first().map(|c| c.name.as_str()), Some("Spring A"));
    assert_eq!(
        h.store
            .objectives_by_campaigns(scope, &[read.id])
            .await?
            .len(),
        2
    );
    // Reading back gives exactly what the write returned (timestamps survive the round trip).
    assert_eq!(now.first(), Some(&written));
    let elsewhere = TenantScope::Organization(Uuid::now_v7());
    let foreign = CampaignUpdate {
        campaign: written.clone(),
        product_ids: None,
        objectives: None,
    };
    assert!(matches!(
        h.store.update_campaign(elsewhere, foreign).await,
        Err(WriteError::NotFound { .. })
    ));
    Ok(())
}

pub async fn the_store_keeps_given_ids_and_refuses_broken_references(
    h: &Harness,
) -> anyhow::Result<()> {
    let org = support::organization(h, "Aurora").await?;
    let other = support::organization(h, "Nimbus").await?;
    let owner = support::user(h, org.id, "maria@aurora.example").await?;
    let foreign_product = support::product(h, other.id, "Cloud").await?;
    let id = Uuid::now_v7();
    let product = h
        .store
        .insert_product(NewProduct {
            id: Some(id),
            organization_id: org.id,
            name: "Jacket".into(),
            description: Some("Warm".into()),
            price: Decimal4::from_units(249),
            currency: "EUR".into(),
        })
        .await?;
    assert_eq!(product.id, id);
    assert_eq!(
        h.store.products_by_ids(TenantScope::All, &[id]).await?,
        vec![product.clone()]
    );

    // The tenant-carrying foreign keys refuse a campaign using another organization's product, atomically.
    let mut new = support::new_campaign(org.id, owner.id, "Mixed");
    new.product_ids = vec![product.id, foreign_product.id];
    let before = h.census().await?;
    assert!(matches!(
        h.store.insert_campaign(new).await,
        Err(WriteError::Conflict(_))
    ));
    assert_eq!(h.census().await?, before);
    let mut new = support::new_campaign(org.id, Uuid::now_v7(), "Ownerless");
    new.id = Some(Uuid::now_v7());
    assert!(h.store.insert_campaign(new).await.is_err());
    assert_eq!(h.census().await?, before);
    Ok(())
}

pub async fn campaigns_are_filtered_and_paged(h: &Harness) -> anyhow::Result<()> {
    let org = support::organization(h, "Aurora").await?;
    let owner = support::user(h, org.id, "maria@aurora.example").await?;
    let other = support::organization(h, "Nimbus").await?;
    let other_owner = support::user(h, other.id, "nina@nimbus.example").await?;
    let specs = [
        (
            "Winter Summit",
            CampaignStatus::Active,
            day(2026, 1, 10),
            day(2026, 2, 28),
        ),
        (
            "Summer 100% Sale",
            CampaignStatus::Paused,
            day(2026, 6, 1),
            day(2026, 8, 31),
        ),
        (
            "Spring_Launch",
            CampaignStatus::Draft,
            day(2026, 3, 1),
            day(2026, 4, 30),
        ),
        (
            "winter gear",
            CampaignStatus::Completed,
            day(2025, 11, 1),
            day(2025, 12, 31),
        ),
    ];
    for (name, status, start, end) in specs {
        let mut new = support::new_campaign(org.id, owner.id, name);
        new.status = status;
        new.start_date = start;
        new.end_date = end;
        new.budget = Budget {
            total: Decimal4::from_units(100),
            spent: Decimal4::from_units(10),
        };
        support::campaign(h, new).await?;
    }
    support::campaign(
        h,
        support::new_campaign(other.id, other_owner.id, "Winter Cloud"),
    )
    .await?;

    let names = |data: &serde_json::Value| -> Vec<String> {
        data["campaigns"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["node"]["name"].as_str().map(str::to_string))
            .collect()
    };
    let list = "query($filter: CampaignFilter, $first: Int, $after: String) { campaigns(filter: $filter, first: $first, after: $after) { edges { node { name status } } pageInfo { hasNextPage endCursor } } }";
    let ctx = tenant(org.id);
    let cases = [
        (
            json!({"status": ["ACTIVE", "PAUSED"]}),
            vec!["Winter Summit", "Summer 100% Sale"],
        ),
        (
            json!({"search": "WINTER"}),
            vec!["Winter Summit", "winter gear"],
        ),
        (json!({"search": "%"}), vec!["Summer 100% Sale"]),
        (json!({"search": "_"}), vec!["Spring_Launch"]),
        (
            json!({"startsAfter": "2026-03-01"}),
            vec!["Summer 100% Sale", "Spring_Launch"],
        ),
        (
            json!({"endsBefore": "2026-02-28"}),
            vec!["Winter Summit", "winter gear"],
        ),
        (
            json!({"startsAfter": "2026-01-01", "endsBefore": "2026-05-01", "status": []}),
            vec!["Winter Summit", "Spring_Launch"],
        ),
        (json!({"organizationId": other.id}), vec![]),
    ];
    for (filter, expected) in cases {
        let data = h.data(&ctx, list, json!({ "filter": filter })).await?;
        assert_eq!(names(&data), expected, "{filter}");
    }
    let all = h
        .data(&everyone(), list, json!({"filter": {"search": "winter"}}))
        .await?;
    assert_eq!(
        names(&all),
        vec!["Winter Summit", "winter gear", "Winter Cloud"]
    );

    let first = h.data(&ctx, list, json!({"first": 3})).await?;
    assert_eq!(names(&first).len(), 3);
    assert_eq!(first["campaigns"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["campaigns"]["pageInfo"]["endCursor"].clone();
    let rest = h
        .data(&ctx, list, json!({"first": 3, "after": cursor}))
        .await?;
    assert_eq!(names(&rest), vec!["winter gear"]);
    assert_eq!(rest["campaigns"]["pageInfo"]["hasNextPage"], false);

    // The same listing nested under organizations: one page per organization.
    let nested = h
        .data(
            &everyone(),
            r#"{ organizations { edges { node { name campaigns(first: 1, filter: {search: "winter"}) { edges { node { name } } pageInfo { hasNextPage } } } } } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(
        nested["organizations"]["edges"],
        json!([
            {"node": {"name": "Aurora", "campaigns": {"edges": [{"node": {"name": "Winter Summit"}}], "pageInfo": {"hasNextPage": true}}}},
            {"node": {"name": "Nimbus", "campaigns": {"edges": [{"node": {"name": "Winter Cloud"}}], "pageInfo": {"hasNextPage": false}}}}
        ])
    );
    let pages = h
        .store
        .list_campaigns_of_organizations(
            TenantScope::Organization(org.id),
            &[org.id, other.id],
            &CampaignFilter::default(),
            PageRequest {
                first: 2,
                after: None,
            },
        )
        .await?;
    assert_eq!(
        pages.get(&org.id).map(|p| (p.items.len(), p.has_next)),
        Some((2, true))
    );
    assert!(
        !pages.contains_key(&other.id),
        "another tenant's page leaked"
    );
    Ok(())
}

pub async fn bad_input_is_refused_with_a_code_and_writes_nothing(
    h: &Harness,
) -> anyhow::Result<()> {
    let org = support::organization(h, "Aurora").await?;
    let owner = support::user(h, org.id, "maria@aurora.example").await?;
    let other = support::organization(h, "Nimbus").await?;
    let stranger = support::user(h, other.id, "nina@nimbus.example").await?;
    let ctx = tenant(org.id);
    let valid = json!({
        "organizationId": org.id, "ownerId": owner.id, "name": "Winter", "budget": "100", "currency": "EUR",
        "startDate": "2026-09-01", "endDate": "2026-09-30"
    });
    let with = |key: &str, value: serde_json::Value| {
        let mut input = valid.clone();
        input[key] = value;
        json!({ "input": input })
    };
    let before = h.census().await?;
    let bad_user_input = |field: &str| vec![("BAD_USER_INPUT".to_string(), field.to_string())];

    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("organizationId", json!("42")))
            .await,
        bad_user_input("input.organizationId")
    );
    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("ownerId", json!("not-a-uuid")))
            .await,
        bad_user_input("input.ownerId")
    );
    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("budget", json!("-0.01")))
            .await,
        bad_user_input("input.budget")
    );
    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("endDate", json!("2026-08-31")))
            .await,
        bad_user_input("input.endDate")
    );
    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("currency", json!("EURO")))
            .await,
        bad_user_input("input.currency")
    );
    assert_eq!(
        h.failure(
            &ctx,
            CREATE_CAMPAIGN,
            with("targetCountries", json!(["XX"]))
        )
        .await,
        bad_user_input("input.targetCountries[0]")
    );
    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("ownerId", json!(stranger.id)))
            .await,
        bad_user_input("input.ownerId")
    );
    assert_eq!(
        h.failure(
            &ctx,
            CREATE_CAMPAIGN,
            with("productIds", json!([Uuid::now_v7()]))
        )
        .await,
        bad_user_input("input.productIds[0]")
    );
    // A budget with more decimals than money keeps is refused by the scalar itself.
    assert_eq!(
        h.failure(&ctx, CREATE_CAMPAIGN, with("budget", json!("1.23456")))
            .await[0]
            .0,
        "BAD_USER_INPUT"
    );
    let negative_price = r#"mutation($org: ID!) { createProduct(input: {organizationId: $org, name: "X", price: "-5", currency: "EUR"}) { id } }"#;
    assert_eq!(
        h.failure(&ctx, negative_price, json!({ "org": org.id }))
            .await,
        bad_user_input("input.price")
    );
    assert_eq!(
        h.failure(&ctx, "{ campaign(id: \"42\") { name } }", json!({}))
            .await,
        bad_user_input("id")
    );
    assert_eq!(
        h.failure(
            &ctx,
            "{ campaigns(first: 0) { edges { cursor } } }",
            json!({})
        )
        .await,
        bad_user_input("first")
    );
    assert_eq!(
        h.failure(
            &ctx,
            "{ campaigns(after: \"nope!\") { edges { cursor } } }",
            json!({})
        )
        .await,
        bad_user_input("after")
    );

    let unknown_field = h
        .failure(
            &ctx,
            "{ organizations { edges { node { name password } } } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown_field[0].0, "GRAPHQL_VALIDATION_FAILED");
    // Variables are checked against their types while the request is validated, before any resolver runs.
    let unknown_input_field = h
        .failure(&ctx, CREATE_CAMPAIGN, with("status", json!("ACTIVE")))
        .await;
    assert_eq!(unknown_input_field[0].0, "GRAPHQL_VALIDATION_FAILED");
    let wrong_type = h
        .failure(
            &ctx,
            "query($first: Int) { campaigns(first: $first) { edges { cursor } } }",
            json!({ "first": "ten" }),
        )
        .await;
    assert_eq!(wrong_type[0].0, "GRAPHQL_VALIDATION_FAILED");
    let malformed = h
        .failure(&ctx, "{ campaigns(first: 2 { edges }", json!({}))
        .await;
    assert_eq!(malformed[0].0, "GRAPHQL_PARSE_FAILED");
    let cycle = "organization { campaigns { edges { node { ";
    let deep = format!(
        "{{ campaigns {{ edges {{ node {{ {} name {} }} }} }} }}",
        cycle.repeat(4),
        "} } } } ".repeat(4)
    );
    let depth = h.failure(&everyone(), &deep, json!({})).await;
    assert_eq!(depth[0].0, "GRAPHQL_VALIDATION_FAILED");

    assert_eq!(
        h.census().await?,
        before,
        "a refused request wrote something"
    );
    Ok(())
}

pub async fn a_tenant_sees_only_its_own_rows(h: &Harness) -> anyhow::Result<()> {
    let a = support::organization(h, "Aurora").await?;
    let b = support::organization(h, "Nimbus").await?;
    let a_owner = support::user(h, a.id, "maria@aurora.example").await?;
    let b_owner = support::user(h, b.id, "nina@nimbus.example").await?;
    let a_campaign =
        support::campaign(h, support::new_campaign(a.id, a_owner.id, "Aurora Winter")).await?;
    let b_campaign =
        support::campaign(h, support::new_campaign(b.id, b_owner.id, "Nimbus Cloud")).await?;
    let ctx = tenant(a.id);
    let not_found = vec![("NOT_FOUND".to_string(), String::new())];

    let one = |kind: &str| format!("query($id: ID!) {{ {kind}(id: $id) {{ id }} }}");
    assert_eq!(
        h.failure(&ctx, &one("organization"), json!({"id": b.id}))
            .await,
        not_found
    );
    assert_eq!(
        h.failure(&ctx, &one("campaign"), json!({"id": b_campaign.id}))
            .await,
        not_found
    );
    assert_eq!(
        h.failure(&ctx, &one("user"), json!({"id": b_owner.id}))
            .await,
        not_found
    );
    let entities =
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { name } } }";
    // Another tenant's campaign resolves to null with NOT_FOUND at its own `_entities`
    // index, and only it: the visible one in the same fetch still resolves (one unknown key
    // never fails the whole batch, and no null comes without an error).
    let mixed = h
        .run(
            &ctx,
            entities,
            json!({"r": [
                {"__typename": "Campaign", "id": b_campaign.id},
                {"__typename": "Campaign", "id": a_campaign.id},
            ]}),
        )
        .await;
    assert_eq!(support::errors(&mixed).len(), 1, "{:?}", mixed.errors);
    assert_eq!(support::errors(&mixed)[0].0, "NOT_FOUND");
    assert_eq!(
        mixed.errors[0].path,
        vec![
            async_graphql::PathSegment::Field("_entities".into()),
            async_graphql::PathSegment::Index(0)
        ]
    );
    let mixed = mixed.data.into_json()?;
    assert_eq!(mixed["_entities"], json!([null, {"name": "Aurora Winter"}]));

    let lists = h
        .data(
            &ctx,
            "{ organizations { edges { node { name } } } campaigns { edges { node { name } } } users { edges { node { email } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        lists["organizations"]["edges"],
        json!([{"node": {"name": "Aurora"}}])
    );
    assert_eq!(
        lists["campaigns"]["edges"],
        json!([{"node": {"name": "Aurora Winter"}}])
    );
    assert_eq!(
        lists["users"]["edges"],
        json!([{"node": {"email": "maria@aurora.example"}}])
    );

    let before = h.census().await?;
    let update =
        r#"mutation($id: ID!) { updateCampaign(id: $id, input: {name: "Hijacked"}) { name } }"#;
    assert_eq!(
        h.failure(&ctx, update, json!({"id": b_campaign.id})).await,
        not_found
    );
    let update_org =
        r#"mutation($id: ID!) { updateOrganization(id: $id, input: {name: "Hijacked"}) { name } }"#;
    assert_eq!(
        h.failure(&ctx, update_org, json!({"id": b.id})).await,
        not_found
    );
    let add_user = r#"mutation($org: ID!) { createUser(input: {organizationId: $org, email: "spy@aurora.example", name: "Spy", userType: ADMIN}) { id } }"#;
    assert_eq!(
        h.failure(&ctx, add_user, json!({"org": b.id})).await,
        not_found
    );
    let add_org = r#"mutation { createOrganization(input: {name: "Mine", industry: "x", country: "ES", currency: "EUR"}) { id } }"#;
    assert_eq!(h.failure(&ctx, add_org, json!({})).await[0].0, "FORBIDDEN");
    assert_eq!(h.census().await?, before);
    let b_now = h
        .store
        .campaigns_by_ids(TenantScope::All, &[b_campaign.id])
        .await?;
    assert_eq!(b_now.first().map(|c| c.name.as_str()), Some("Nimbus Cloud"));
    Ok(())
}

pub async fn the_demo_seed_is_idempotent_and_queryable(h: &Harness) -> anyhow::Result<()> {
    assert!(promptsales_sales::seed_demo(h.store.as_ref()).await?);
    assert!(!promptsales_sales::seed_demo(h.store.as_ref()).await?);
    assert_eq!(h.census().await?, [2, 8, 10]);
    let data = h
        .data(
            &everyone(),
            r#"{ organizations { edges { node { name currency products { name price { amount } }
                 campaigns(first: 5) { edges { node { name status owner { name } budget { total { amount } available { amount } } objectives { kind target } products { name } } } } } } } }"#,
            json!({}),
        )
        .await?;
    let orgs = data["organizations"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(orgs.len(), 2);
    assert_eq!(orgs[0]["node"]["name"], "Aurora Outdoor Gear");
    let campaigns = orgs[0]["node"]["campaigns"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<_> = campaigns
        .iter()
        .map(|c| c["node"]["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![
            json!("ACTIVE"),
            json!("ACTIVE"),
            json!("COMPLETED"),
            json!("PAUSED"),
            json!("DRAFT")
        ]
    );
    for campaign in &campaigns {
        assert_eq!(campaign["node"]["owner"]["name"], "Maria Marketer");
        let objectives = campaign["node"]["objectives"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_default();
        assert!((1..=2).contains(&objectives), "{campaign}");
        assert!(
            campaign["node"]["products"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        );
    }
    Ok(())
}
