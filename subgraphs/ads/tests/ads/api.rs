//! The GraphQL API as a client sees it: mutations, error codes, tenant isolation.

use anyhow::Result;
use promptsales_ads::domain::AdChannel;
use promptsales_kit::new_id;
use serde_json::{Value, json};

use crate::harness::{
    Env, codes, day_n, figures, in_test_month, iso_n, operator, tenant, the_error,
};

on_each_backend!(
    a_marketer_sets_up_an_ad_and_records_its_days,
    bad_input_is_refused_with_a_code_and_writes_nothing,
    a_tenant_never_sees_or_touches_another_tenants_rows,
    media_assets_list_the_ads_that_show_them,
    an_external_id_is_unique_per_platform_across_tenants,
);

const CREATE_MARKET: &str = r#"mutation($input: CreateAdMarketInput!) {
  createMarket(input: $input) { id country currency language }
}"#;

const CREATE_AD: &str = r#"mutation($input: CreateAdInput!) {
  createAd(input: $input) {
    id name status channel bidStrategy startDate endDate
    dailyBudget { amount currency }
    market { country }
    campaign { id }
    creatives { id }
  }
}"#;

const UPDATE_AD: &str = r#"mutation($id: ID!, $input: UpdateAdInput!) {
  updateAd(id: $id, input: $input) { id name status platform externalId audienceSegmentId dailyBudget { amount } }
}"#;

const RECORD: &str = r#"mutation($input: [AdDayMetricsInput!]!) {
  recordAdMetrics(input: $input) { id day impressions clicks spend ctr cpc cpa roas }
}"#;

/// The variables of a one-day batch, from `{"adId", "day", "input": {figures}}`.
fn one_day(v: Value) -> Value {
    let mut entry = v["input"].clone();
    entry["adId"] = v["adId"].clone();
    entry["day"] = v["day"].clone();
    json!({ "input": [entry] })
}

const CAMPAIGN: &str = r#"query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Campaign {
      id
      adTotals { impressions clicks spend conversions conversionValue ctr cpc cpa roas }
      channelBreakdown { channel totals { impressions spend } }
      ads(first: 10) { edges { node { id name } } pageInfo { hasNextPage } }
    }
  }
}"#;

fn ad_input(campaign: &str, market: &str) -> Value {
    json!({
        "campaignId": campaign,
        "marketId": market,
        "channel": "INSTAGRAM",
        "name": "Winter reel",
        "dailyBudget": "45.50",
        "startDate": iso_n(1),
        "endDate": iso_n(31),
    })
}

async fn a_marketer_sets_up_an_ad_and_records_its_days(env: &Env) -> Result<()> {
    let org = new_id();
    let me = tenant(org);
    let market = env
        .gql_ok(
            &me,
            CREATE_MARKET,
            json!({"input": {"country": "es", "currency": "EUR", "language": "es"}}),
        )
        .await;
    let market_id = market["createMarket"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(market["createMarket"]["country"], "ES");

    let campaign = new_id().to_string();
    let creative = new_id().to_string();
    let mut input = ad_input(&campaign, &market_id);
    input["creativeIds"] = json!([creative, creative]);
    let created = env.gql_ok(&me, CREATE_AD, json!({"input": input})).await["createAd"].clone();
    let ad_id = created["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["bidStrategy"], "LOWEST_COST");
    assert_eq!(
        created["dailyBudget"],
        json!({"amount": "45.50", "currency": "EUR"})
    );
    assert_eq!(created["campaign"]["id"], campaign.as_str());
    assert_eq!(created["creatives"], json!([{"id": creative}]));

    let updated = env
        .gql_ok(
            &me,
            UPDATE_AD,
            json!({"id": ad_id, "input": {"status": "SCHEDULED", "platform": "meta", "externalId": "1202", "dailyBudget": 60}}),
        )
        .await["updateAd"]
        .clone();
    assert_eq!(updated["status"], "SCHEDULED");
    assert_eq!(updated["externalId"], "1202");
    assert_eq!(updated["dailyBudget"]["amount"], "60.00");
    // RUNNING is a publication like publishAd's: never outside the ad's dates (an ad that
    // starts tomorrow cannot run today).
    let mut later = ad_input(&new_id().to_string(), &market_id);
    later["startDate"] = json!(iso_n(29));
    later["channel"] = json!("FACEBOOK");
    let later = env.gql_ok(&me, CREATE_AD, json!({"input": later})).await["createAd"]["id"].clone();
    env.gql_ok(
        &me,
        UPDATE_AD,
        json!({"id": later, "input": {"status": "SCHEDULED"}}),
    )
    .await;
    let running = env
        .gql(
            &me,
            UPDATE_AD,
            json!({"id": later, "input": {"status": "RUNNING"}}),
        )
        .await;
    assert_eq!(
        running["errors"][0]["extensions"]["code"], "CONFLICT",
        "{running:#}"
    );

    let day = |input: Value| json!({"adId": ad_id, "day": iso_n(2), "input": input});
    env.gql_ok(
        &me,
        RECORD,
        one_day(day(
            json!({"impressions": 1000, "clicks": 10, "spend": "5"}),
        )),
    )
    .await;
    let replaced = env
        .gql_ok(
            &me,
            RECORD,
            one_day(day(json!({"impressions": 4000, "clicks": 40, "spend": "20.00", "conversions": 2, "conversionValue": "90"}))),
        )
        .await["recordAdMetrics"][0]
        .clone();
    assert_eq!(replaced["ctr"], 0.01);
    assert_eq!(replaced["cpc"], "0.50");
    assert_eq!(replaced["cpa"], "10.00");
    assert_eq!(replaced["roas"], 4.5);

    let reps = json!({"reps": [{"__typename": "Campaign", "id": campaign}]});
    let entity = env.gql_ok(&me, CAMPAIGN, reps).await["_entities"][0].clone();
    assert_eq!(
        entity["adTotals"],
        json!({"impressions": 4000, "clicks": 40, "spend": "20.00", "conversions": 2, "conversionValue": "90.00",
               "ctr": 0.01, "cpc": "0.50", "cpa": "10.00", "roas": 4.5}),
        "the second report of a day replaced the first"
    );
    assert_eq!(
        entity["channelBreakdown"],
        json!([{"channel": "INSTAGRAM", "totals": {"impressions": 4000, "spend": "20.00"}}])
    );
    assert_eq!(entity["ads"]["edges"][0]["node"]["id"], ad_id.as_str());

    let ad = env
        .gql_ok(
            &me,
            &in_test_month(
                r#"query($id: ID!) { ad(id: $id) { name totals { clicks } metrics(from: "2026-10-01", to: "2026-10-31") { day clicks } } }"#,
            ),
            json!({"id": ad_id}),
        )
        .await;
    assert_eq!(ad["ad"]["totals"]["clicks"], 40);
    assert_eq!(
        ad["ad"]["metrics"],
        json!([{"day": iso_n(2), "clicks": 40}])
    );

    let list = env
        .gql_ok(&me, r#"{ ads(filter: {channel: INSTAGRAM, status: SCHEDULED}) { edges { node { id } } } markets { country } }"#, json!({}))
        .await;
    assert_eq!(list["ads"]["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["markets"], json!([{"country": "ES"}]));
    Ok(())
}

/// Runs `query` and checks its single error's code (and field), and that no row was written.
async fn refused(
    env: &Env,
    query: &str,
    variables: Value,
    code: &str,
    field: Option<&str>,
) -> Result<()> {
    let before = env.row_counts().await?;
    let response = env.gql(&operator(), query, variables).await;
    let (got_code, got_field) = the_error(&response);
    assert_eq!(got_code, code, "{response:#}");
    if field.is_some() {
        assert_eq!(got_field.as_deref(), field, "{response:#}");
    }
    assert_eq!(
        env.row_counts().await?,
        before,
        "a refused request wrote: {query}"
    );
    Ok(())
}

async fn bad_input_is_refused_with_a_code_and_writes_nothing(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let ad = env
        .ad(&market, new_id(), AdChannel::Google, "Search")
        .await?;
    let (campaign, market_id, ad_id) = (
        new_id().to_string(),
        market.id.to_string(),
        ad.id.to_string(),
    );
    let with = |patch: Value| {
        let mut input = ad_input(&campaign, &market_id);
        if let (Some(input), Some(patch)) = (input.as_object_mut(), patch.as_object()) {
            input.extend(patch.clone());
        }
        json!({"input": input})
    };

    // Ids.
    refused(
        env,
        "{ ad(id: \"42\") { id } }",
        json!({}),
        "BAD_USER_INPUT",
        Some("id"),
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"campaignId": "nope"})),
        "BAD_USER_INPUT",
        Some("input.campaignId"),
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"marketId": new_id().to_string()})),
        "BAD_USER_INPUT",
        Some("input.marketId"),
    )
    .await?;
    refused(env, RECORD, one_day(json!({"adId": "x", "day": iso_n(1), "input": {"impressions": 1, "clicks": 0, "spend": "0"}})), "BAD_USER_INPUT", Some("input[0].adId")).await?;
    refused(
        env,
        "{ ads(after: \"???\") { edges { cursor } } }",
        json!({}),
        "BAD_USER_INPUT",
        Some("after"),
    )
    .await?;
    refused(
        env,
        "{ ads(first: 0) { edges { cursor } } }",
        json!({}),
        "BAD_USER_INPUT",
        Some("first"),
    )
    .await?;
    // Money and dates.
    refused(
        env,
        CREATE_AD,
        with(json!({"dailyBudget": "-1.00"})),
        "BAD_USER_INPUT",
        Some("input.dailyBudget"),
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"endDate": iso_n(0)})),
        "BAD_USER_INPUT",
        Some("input.endDate"),
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"name": "   "})),
        "BAD_USER_INPUT",
        Some("input.name"),
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"externalId": "123"})),
        "BAD_USER_INPUT",
        Some("input.externalId"),
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"dailyBudget": "1.23456"})),
        "BAD_USER_INPUT",
        None,
    )
    .await?;
    refused(
        env,
        UPDATE_AD,
        json!({"id": ad_id, "input": {"startDate": iso_n(32)}}),
        "BAD_USER_INPUT",
        Some("input.startDate"),
    )
    .await?;
    refused(
        env,
        UPDATE_AD,
        json!({"id": ad_id, "input": {"status": "RUNNING"}}),
        "BAD_USER_INPUT",
        Some("input.status"),
    )
    .await?;
    refused(
        env,
        UPDATE_AD,
        json!({"id": ad_id, "input": {"dailyBudget": "-5"}}),
        "BAD_USER_INPUT",
        Some("input.dailyBudget"),
    )
    .await?;
    // Figures.
    let day = |input: Value| json!({"adId": ad_id, "day": iso_n(1), "input": input});
    refused(
        env,
        RECORD,
        one_day(day(json!({"impressions": 10, "clicks": 11, "spend": "1"}))),
        "BAD_USER_INPUT",
        Some("input[0].clicks"),
    )
    .await?;
    refused(
        env,
        RECORD,
        one_day(day(json!({"impressions": -1, "clicks": 0, "spend": "1"}))),
        "BAD_USER_INPUT",
        Some("input[0].impressions"),
    )
    .await?;
    refused(
        env,
        RECORD,
        one_day(day(
            json!({"impressions": 10, "clicks": 1, "spend": "-0.01"}),
        )),
        "BAD_USER_INPUT",
        Some("input[0].spend"),
    )
    .await?;
    refused(env, RECORD, one_day(json!({"adId": new_id().to_string(), "day": iso_n(1), "input": {"impressions": 1, "clicks": 0, "spend": "0"}})), "NOT_FOUND", None).await?;
    // Markets.
    let market_input = |org: Value, country: &str| json!({"input": {"organizationId": org, "country": country, "currency": "EUR", "language": "es"}});
    refused(
        env,
        CREATE_MARKET,
        market_input(json!(org.to_string()), "ESP"),
        "BAD_USER_INPUT",
        Some("input.country"),
    )
    .await?;
    refused(
        env,
        CREATE_MARKET,
        market_input(Value::Null, "ES"),
        "BAD_USER_INPUT",
        Some("input.organizationId"),
    )
    .await?;
    refused(
        env,
        CREATE_MARKET,
        market_input(json!(org.to_string()), "ES"),
        "CONFLICT",
        None,
    )
    .await?;
    // The query itself.
    refused(
        env,
        "{ ads { edges { node { id budget } } } }",
        json!({}),
        "GRAPHQL_VALIDATION_FAILED",
        None,
    )
    .await?;
    // Wrong variables: async-graphql checks most in validation; custom scalars fail while parsing.
    refused(
        env,
        CREATE_AD,
        json!({"input": {"name": "no other fields"}}),
        "GRAPHQL_VALIDATION_FAILED",
        None,
    )
    .await?;
    refused(
        env,
        "query($id: ID!) { ad(id: $id) { id } }",
        json!({"id": {"not": "an id"}}),
        "GRAPHQL_VALIDATION_FAILED",
        None,
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"channel": "MYSPACE"})),
        "GRAPHQL_VALIDATION_FAILED",
        None,
    )
    .await?;
    refused(
        env,
        CREATE_AD,
        with(json!({"dailyBudget": true})),
        "BAD_USER_INPUT",
        None,
    )
    .await?;
    refused(env, RECORD, one_day(json!({"adId": ad_id, "day": "yesterday", "input": {"impressions": 1, "clicks": 0, "spend": "0"}})), "BAD_USER_INPUT", None).await?;
    refused(
        env,
        "{ ads(first: \"ten\") { edges { cursor } } }",
        json!({}),
        "GRAPHQL_VALIDATION_FAILED",
        None,
    )
    .await?;
    refused(
        env,
        "{ ads { edges { node { id } }",
        json!({}),
        "GRAPHQL_PARSE_FAILED",
        None,
    )
    .await?;
    // Each repetition nests four levels: enough of them to pass the shared limit.
    let levels = promptsales_ads::schema::MAX_DEPTH / 4 + 1;
    let deep = format!(
        "{{ ads {{ edges {{ node {{ {} id {} }} }} }} }}",
        "campaign { ads { edges { node { ".repeat(levels),
        "} } } }".repeat(levels)
    );
    refused(env, &deep, json!({}), "GRAPHQL_VALIDATION_FAILED", None).await?;

    let unchanged = env
        .store
        .ads_by_id(promptsales_kit::context::TenantScope::All, &[ad.id])
        .await?;
    assert_eq!(unchanged, vec![ad]);
    Ok(())
}

async fn a_tenant_never_sees_or_touches_another_tenants_rows(env: &Env) -> Result<()> {
    let (a, b) = (new_id(), new_id());
    let market_a = env.market(a, "ES", "EUR").await?;
    let market_b = env.market(b, "US", "USD").await?;
    let campaign_b = new_id();
    let ad_a = env
        .ad(&market_a, new_id(), AdChannel::Facebook, "A's ad")
        .await?;
    let ad_b = env
        .ad(&market_b, campaign_b, AdChannel::Linkedin, "B's ad")
        .await?;
    env.day(&ad_b, day_n(1), figures(1_000, 10, 10, 1, 100))
        .await?;
    let as_a = tenant(a);
    let b_id = ad_b.id.to_string();

    let one = env
        .gql(
            &as_a,
            "query($id: ID!) { ad(id: $id) { id name } }",
            json!({"id": b_id}),
        )
        .await;
    assert_eq!(codes(&one), ["NOT_FOUND"]);
    assert_eq!(one["data"]["ad"], Value::Null);
    // Another tenant's ad resolves to null with NOT_FOUND at its own `_entities` index, and
    // only it: the caller's own ad in the same fetch still resolves (one unknown key never
    // fails the whole batch).
    let entity = env
        .gql(
            &as_a,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Ad { id } } }",
            json!({"r": [{"__typename": "Ad", "id": b_id}, {"__typename": "Ad", "id": ad_a.id.to_string()}]}),
        )
        .await;
    assert_eq!(codes(&entity), ["NOT_FOUND"]);
    assert_eq!(entity["errors"][0]["path"], json!(["_entities", 0]));
    assert_eq!(
        entity["data"]["_entities"],
        json!([null, {"id": ad_a.id.to_string()}])
    );

    let listed = env
        .gql_ok(
            &as_a,
            "{ ads { edges { node { id } } } markets { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["ads"]["edges"],
        json!([{"node": {"id": ad_a.id.to_string()}}])
    );
    assert_eq!(listed["markets"], json!([{"id": market_a.id.to_string()}]));

    let reps = json!({"reps": [{"__typename": "Campaign", "id": campaign_b.to_string()}]});
    let campaign = env.gql_ok(&as_a, CAMPAIGN, reps.clone()).await["_entities"][0].clone();
    assert_eq!(campaign["adTotals"]["impressions"], 0);
    assert_eq!(campaign["adTotals"]["ctr"], Value::Null);
    assert_eq!(campaign["channelBreakdown"], json!([]));
    assert_eq!(campaign["ads"]["edges"], json!([]));
    let as_b = env.gql_ok(&tenant(b), CAMPAIGN, reps).await["_entities"][0].clone();
    assert_eq!(as_b["adTotals"]["impressions"], 1_000);

    let update = env
        .gql(
            &as_a,
            UPDATE_AD,
            json!({"id": b_id, "input": {"name": "hijacked"}}),
        )
        .await;
    assert_eq!(codes(&update), ["NOT_FOUND"]);
    let record = env
        .gql(&as_a, RECORD, one_day(json!({"adId": b_id, "day": iso_n(1), "input": {"impressions": 1, "clicks": 1, "spend": "999"}})))
        .await;
    assert_eq!(codes(&record), ["NOT_FOUND"]);
    let create = env
        .gql(
            &as_a,
            CREATE_AD,
            json!({"input": ad_input(&new_id().to_string(), &market_b.id.to_string())}),
        )
        .await;
    assert_eq!(
        the_error(&create),
        (
            "BAD_USER_INPUT".to_string(),
            Some("input.marketId".to_string())
        )
    );
    let market = env
        .gql(&as_a, CREATE_MARKET, json!({"input": {"organizationId": b.to_string(), "country": "FR", "currency": "EUR", "language": "fr"}}))
        .await;
    assert_eq!(codes(&market), ["NOT_FOUND"]);

    let everyone = promptsales_kit::context::TenantScope::All;
    assert_eq!(
        env.store.ads_by_id(everyone, &[ad_b.id]).await?,
        vec![ad_b.clone()]
    );
    let totals = env.store.totals_of_ads(everyone, &[ad_b.id]).await?;
    assert_eq!(totals[&ad_b.id], figures(1_000, 10, 10, 1, 100));
    assert_eq!(
        env.store
            .markets(promptsales_kit::context::TenantScope::Organization(b))
            .await?
            .len(),
        1
    );
    Ok(())
}

async fn media_assets_list_the_ads_that_show_them(env: &Env) -> Result<()> {
    let (org, other) = (new_id(), new_id());
    let me = tenant(org);
    let market = env.market(org, "ES", "EUR").await?.id.to_string();
    let theirs = env.market(other, "ES", "EUR").await?.id.to_string();
    let (x, y) = (new_id().to_string(), new_id().to_string());
    let create = |market: &str, name: &str, creatives: Vec<&str>| {
        let mut input = ad_input(&new_id().to_string(), market);
        input["name"] = json!(name);
        input["creativeIds"] = json!(creatives);
        json!({"input": input})
    };
    let first = env
        .gql_ok(&me, CREATE_AD, create(&market, "First", vec![&x, &y]))
        .await["createAd"]["id"]
        .clone();
    env.gql_ok(&me, CREATE_AD, create(&market, "Second", vec![&y]))
        .await;
    env.gql_ok(
        &tenant(other),
        CREATE_AD,
        create(&theirs, "Theirs", vec![&y]),
    )
    .await;
    let query = r#"query($reps: [_Any!]!) { _entities(representations: $reps) { ... on MediaAsset { id ads { name } } } }"#;
    let reps = json!({"reps": [{"__typename": "MediaAsset", "id": x}, {"__typename": "MediaAsset", "id": y}]});
    let names = |data: &Value, i: usize| -> Vec<String> {
        data["_entities"][i]["ads"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let data = env.gql_ok(&me, query, reps.clone()).await;
    assert_eq!(names(&data, 0), ["First"]);
    let mut y_ads = names(&data, 1);
    y_ads.sort();
    assert_eq!(y_ads, ["First", "Second"], "never another tenant's ad");
    // Changing an ad's creatives changes which assets list it.
    env.gql_ok(
        &me,
        UPDATE_AD,
        json!({"id": first, "input": {"creativeIds": [y]}}),
    )
    .await;
    let data = env.gql_ok(&me, query, reps).await;
    assert!(names(&data, 0).is_empty());
    assert_eq!(names(&data, 1).len(), 2);
    Ok(())
}

/// Issue 13: a tenant could give its ad another tenant's platform `externalId`, making that
/// platform's webhook batches ambiguous (409) for the other tenant. Ads m0004 makes the pair
/// (platform, externalId) unique across tenants: `createAd` and `updateAd` answer `CONFLICT`
/// and write nothing; the same id on another platform, or no id, is fine.
async fn an_external_id_is_unique_per_platform_across_tenants(env: &Env) -> Result<()> {
    let (org_a, org_b) = (new_id(), new_id());
    let market_a = env.market(org_a, "ES", "EUR").await?.id.to_string();
    let market_b = env.market(org_b, "ES", "EUR").await?.id.to_string();
    let with = |market: &str, platform: Option<&str>, external: Option<&str>| {
        let mut input = ad_input(&new_id().to_string(), market);
        input["platform"] = json!(platform);
        input["externalId"] = json!(external);
        json!({ "input": input })
    };
    env.gql_ok(
        &tenant(org_a),
        CREATE_AD,
        with(&market_a, Some("meta"), Some("120210000001")),
    )
    .await;
    let before = env.row_counts().await?;
    let taken = env
        .gql(
            &tenant(org_b),
            CREATE_AD,
            with(&market_b, Some("meta"), Some("120210000001")),
        )
        .await;
    assert_eq!(codes(&taken), ["CONFLICT"], "{taken:#}");
    assert!(
        !taken.to_string().contains(&org_a.to_string()),
        "the refusal says nothing of the other tenant: {taken}"
    );
    assert_eq!(env.row_counts().await?, before, "nothing written");
    // The same id on another platform, and an ad with no id, are other ads.
    env.gql_ok(
        &tenant(org_b),
        CREATE_AD,
        with(&market_b, Some("google_ads"), Some("120210000001")),
    )
    .await;
    let plain = env
        .gql_ok(&tenant(org_b), CREATE_AD, with(&market_b, None, None))
        .await;
    let plain_id = plain["createAd"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Taking it later through updateAd is refused the same way, and the ad is unchanged.
    let moved = env
        .gql(
            &tenant(org_b),
            UPDATE_AD,
            json!({"id": plain_id, "input": {"platform": "meta", "externalId": "120210000001"}}),
        )
        .await;
    assert_eq!(codes(&moved), ["CONFLICT"], "{moved:#}");
    let read = env
        .gql_ok(
            &tenant(org_b),
            r#"query($id: ID!) { ad(id: $id) { platform externalId } }"#,
            json!({"id": plain_id}),
        )
        .await;
    assert_eq!(read["ad"], json!({"platform": null, "externalId": null}));
    Ok(())
}
