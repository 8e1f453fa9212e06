//! `launchAds` all or none, checked against the campaign as the REAL sales subgraph
//! (served in-process) reports it; and the campaign directory's HTTP client.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use promptsales_ads::directory::{
    Caller, CampaignDirectory, DirectoryError, SalesCampaignDirectory,
};
use promptsales_ads::domain::CampaignState;
use promptsales_kit::Decimal4;
use promptsales_kit::context::Role;
use promptsales_kit::demo::demo_plan;
use serde_json::{Value, json};

use crate::harness::{Env, gql_authorized, gql_on, tenant, tenant_with, test_services};
use crate::sales::Sales;

on_each_backend!(
    a_launch_is_all_or_none_against_the_real_sales_subgraph,
    two_concurrent_launches_over_the_budget_exactly_one_succeeds,
    create_ad_names_a_campaign_of_the_callers_tenant_in_sales,
    a_launch_sees_a_budget_lowered_in_sales_at_once
);

const LAUNCH: &str = r#"mutation($campaignId: ID!, $ads: [AdLaunchInput!]!) {
  launchAds(campaignId: $campaignId, ads: $ads) { id status channel campaign { id } dailyBudget { amount currency } market { country } }
}"#;

fn ad(market: &str, channel: &str, daily: &str, start: &str, end: &str) -> Value {
    json!({"marketId": market, "channel": channel, "name": format!("{channel} {start}"),
           "dailyBudget": daily, "startDate": start, "endDate": end})
}

async fn a_launch_is_all_or_none_against_the_real_sales_subgraph(env: &Env) -> Result<()> {
    let sales = Sales::start().await?;
    let plan = demo_plan();
    // Demo campaign 1: active, EUR, ES and FR, 61 days from five weeks ago.
    let campaign = &plan.campaigns[0];
    let (start, end) = (
        campaign.start_date.to_string(),
        campaign.end_date.to_string(),
    );
    // Ads that have not ended (an ended ad reads ENDED and commits nothing more).
    let today = promptsales_kit::demo::demo_today();
    let from_today = |days: i64| (today + chrono::Duration::days(days)).to_string();
    // Ads counts the budget from its own ads (none yet here): the whole total is available.
    let available = campaign.budget_total;
    let org = campaign.organization_id;
    let es = env.market(org, "ES", "EUR").await?.id.to_string();
    let fr = env.market(org, "FR", "EUR").await?.id.to_string();
    let us = env.market(org, "US", "USD").await?.id.to_string();
    let app = env.app_with(promptsales_ads::AdsServices {
        directory: Arc::new(SalesCampaignDirectory::new(
            &sales.url,
            Duration::from_secs(30),
        )),
        ..test_services()
    });
    let bearer = sales.bearer(org, &["sales:read", "ads:write"])?;
    let launch = |ads: Value| {
        let (app, bearer) = (&app, bearer.clone());
        let vars = json!({"campaignId": campaign.id.to_string(), "ads": ads});
        async move { gql_authorized(app, &tenant(org), &bearer, LAUNCH, vars).await }
    };
    let field_of = |response: &Value| {
        response["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    // Two ads of 10.00 x 10 days = 200; the third, over 61 days, one cent a day too many.
    let first_two = [
        ad(&es, "INSTAGRAM", "10", &from_today(0), &from_today(9)),
        ad(&fr, "FACEBOOK", "10", &from_today(10), &from_today(19)),
    ];
    let room = available.0 - Decimal4::from_units(200).0;
    let fits = Decimal4(room / 61 / 100 * 100);
    let too_much = Decimal4(fits.0 + 100);
    let over = launch(json!([
        first_two[0],
        first_two[1],
        ad(&es, "GOOGLE", &too_much.to_string(), &start, &end)
    ]))
    .await;
    assert_eq!(
        over["errors"][0]["extensions"]["code"], "CONFLICT",
        "{over:#}"
    );
    let message = over["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("ads[2].dailyBudget") && message.contains("EUR short"),
        "the refusal names the shortfall: {message}"
    );
    assert_eq!(
        env.row_counts().await?.0,
        0,
        "one bad ad leaves no ads behind"
    );

    let day_before = (campaign.start_date - chrono::Duration::days(1)).to_string();
    let early = launch(json!([
        first_two[0],
        ad(&fr, "FACEBOOK", "1", &day_before, &start)
    ]))
    .await;
    assert_eq!(field_of(&early), "ads[1].startDate", "{early:#}");
    let dollars = launch(json!([ad(&us, "GOOGLE", "1", &start, &start)])).await;
    assert_eq!(field_of(&dollars), "ads[0].marketId", "{dollars:#}");
    assert_eq!(env.row_counts().await?.0, 0);

    let ok = launch(json!([
        first_two[0],
        first_two[1],
        ad(&es, "GOOGLE", &fits.to_string(), &start, &end)
    ]))
    .await;
    assert!(ok.get("errors").is_none(), "{ok:#}");
    let launched = ok["data"]["launchAds"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(launched.len(), 3);
    assert!(
        launched.iter().all(|a| a["status"] == "SCHEDULED"
            && a["campaign"]["id"] == campaign.id.to_string().as_str())
    );
    assert_eq!(
        launched[2]["dailyBudget"],
        json!({"amount": fits.to_string(), "currency": "EUR"})
    );
    assert_eq!(env.row_counts().await?.0, 3);

    // What is launched stays committed: less than 0.61 is left now.
    let more = launch(json!([ad(
        &es,
        "EMAIL",
        "1",
        &from_today(0),
        &from_today(0)
    )]))
    .await;
    assert_eq!(
        more["errors"][0]["extensions"]["code"], "CONFLICT",
        "{more:#}"
    );
    assert_eq!(env.row_counts().await?.0, 3);

    // Another tenant's campaign does not exist for the caller; a reader may not launch.
    let other_org = plan.organizations[1].id;
    let other = gql_authorized(
        &app,
        &tenant(other_org),
        &sales.bearer(other_org, &["sales:read", "ads:write"])?,
        LAUNCH,
        json!({"campaignId": campaign.id.to_string(), "ads": [first_two[0]]}),
    )
    .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{other:#}"
    );
    let reader = gql_on(
        &app,
        &tenant_with(org, Some(Role::Read)),
        LAUNCH,
        json!({"campaignId": campaign.id.to_string(), "ads": [first_two[0]]}),
    )
    .await;
    assert_eq!(
        reader["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{reader:#}"
    );
    assert_eq!(env.row_counts().await?.0, 3);
    Ok(())
}

#[tokio::test]
async fn sales_campaign_directory_against_the_real_sales_subgraph() -> Result<()> {
    let mut sales = Sales::start().await?;
    let plan = demo_plan();
    let campaign = &plan.campaigns[0];
    let org = campaign.organization_id;
    let caller = |authorization: Option<String>, organization| Caller {
        context: tenant(organization),
        authorization,
    };
    let me = caller(Some(sales.bearer(org, &["sales:read"])?), org);
    let directory = SalesCampaignDirectory::new(&sales.url, Duration::from_secs(3600));
    let facts = directory
        .campaign(&me, campaign.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo campaign 1 not found"))?;
    assert_eq!(facts.id, campaign.id);
    assert_eq!(facts.organization_id, org);
    assert_eq!(facts.state, CampaignState::Active);
    assert_eq!(facts.currency, "EUR");
    assert_eq!(
        (facts.start_date, facts.end_date),
        (campaign.start_date, campaign.end_date)
    );
    assert_eq!(facts.total, campaign.budget_total);
    assert!(facts.launch_approved, "an active campaign was launched");
    assert_eq!(facts.target_countries, ["ES", "FR"]);

    // Sales scopes by the forwarded token: another tenant's campaign is absent, no token is refused.
    let stranger = plan.organizations[1].id;
    let theirs = caller(Some(sales.bearer(stranger, &["sales:read"])?), stranger);
    assert_eq!(directory.campaign(&theirs, campaign.id).await?, None);
    let anonymous = directory.campaign(&caller(None, org), campaign.id).await;
    assert!(
        matches!(&anonymous, Err(DirectoryError::Refused { code, .. }) if code == "UNAUTHENTICATED"),
        "{anonymous:?}"
    );

    // The figure is cached for the TTL: with sales gone, the cached answer still serves;
    // without a cache the same question fails as unavailable.
    sales.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(directory.campaign(&me, campaign.id).await?, Some(facts));
    let uncached = SalesCampaignDirectory::new(&sales.url, Duration::ZERO);
    let gone = uncached.campaign(&me, campaign.id).await;
    assert!(
        matches!(gone, Err(DirectoryError::Unavailable(_))),
        "{gone:?}"
    );
    Ok(())
}

/// Two ads instances (replicas) each remember an active campaign's facts; one is told the
/// campaign changed (`reconcileCampaignAds` forgets it): the other stops answering from its
/// memory at once, through Redis, instead of when its entry expires, so no replica accepts
/// spend on a campaign stopped through another. Sales is stopped first, so an answer that
/// does not come from memory fails: that is how the test sees the entry is gone.
#[tokio::test]
async fn a_campaign_forgotten_by_one_instance_is_forgotten_by_every_instance() -> Result<()> {
    use promptsales_ads::directory::FORGET_CHANNEL;
    use promptsales_kit::bus::Bus;
    let mut sales = Sales::start().await?;
    let redis = promptsales_kit::testing::redis().await;
    let channel = format!("{}{FORGET_CHANNEL}", redis.fresh_prefix());
    let plan = demo_plan();
    let campaign = &plan.campaigns[0];
    let org = campaign.organization_id;
    let me = Caller {
        context: tenant(org),
        authorization: Some(sales.bearer(org, &["sales:read"])?),
    };
    let replica = || -> Result<(SalesCampaignDirectory, Bus<uuid::Uuid>)> {
        let bus = Bus::with_redis(redis.url(), &channel)?;
        let directory = SalesCampaignDirectory::new(&sales.url, Duration::from_secs(3600))
            .sharing_forgets(bus.clone());
        Ok((directory, bus))
    };
    let (a, bus_a) = replica()?;
    let (b, bus_b) = replica()?;
    for bus in [&bus_a, &bus_b] {
        tokio::time::timeout(Duration::from_secs(10), bus.listening()).await?;
    }
    // The organization's other active campaign, which nobody forgets.
    let other = &plan.campaigns[1];
    for directory in [&a, &b] {
        assert!(directory.campaign(&me, campaign.id).await?.is_some());
    }
    let remembered_other = b.campaign(&me, other.id).await?;
    assert!(
        remembered_other
            .as_ref()
            .is_some_and(|f| f.state == CampaignState::Active && f.launch_approved),
        "demo campaign 2 is active and launched: {remembered_other:?}"
    );

    sales.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        b.campaign(&me, campaign.id).await?.is_some(),
        "B answers from memory while sales is away"
    );
    a.forget(campaign.id);
    let mut forgotten = false;
    for _ in 0..100 {
        if matches!(
            b.campaign(&me, campaign.id).await,
            Err(DirectoryError::Unavailable(_))
        ) {
            forgotten = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(forgotten, "B forgot the campaign A forgot");
    assert_eq!(
        b.campaign(&me, other.id).await?,
        remembered_other,
        "only that campaign is forgotten"
    );
    Ok(())
}

/// A launch checks the budget as sales has it now, not as the directory remembered it: after
/// a first launch (which the directory remembers for an hour here), a downward adjustment of
/// the total in sales makes the next launch that no longer fits a CONFLICT at once.
async fn a_launch_sees_a_budget_lowered_in_sales_at_once(env: &Env) -> Result<()> {
    let sales = Sales::start().await?;
    let plan = demo_plan();
    let campaign = &plan.campaigns[0];
    let org = campaign.organization_id;
    let es = env.market(org, "ES", "EUR").await?.id.to_string();
    let app = env.app_with(promptsales_ads::AdsServices {
        directory: Arc::new(SalesCampaignDirectory::new(
            &sales.url,
            Duration::from_secs(3600),
        )),
        ..test_services()
    });
    let bearer = sales.bearer(org, &["sales:write", "ads:write"])?;
    let today = promptsales_kit::demo::demo_today();
    let days = |from: i64, to: i64| {
        (
            (today + chrono::Duration::days(from)).to_string(),
            (today + chrono::Duration::days(to)).to_string(),
        )
    };
    let launch = |daily: String, (start, end): (String, String)| {
        let (app, bearer) = (&app, bearer.clone());
        let vars = json!({"campaignId": campaign.id.to_string(),
                          "ads": [ad(&es, "INSTAGRAM", &daily, &start, &end)]});
        async move { gql_authorized(app, &tenant(org), &bearer, LAUNCH, vars).await }
    };
    let sales_graphql = |query: &'static str, variables: Value| {
        let (url, bearer) = (sales.url.clone(), bearer.clone());
        async move {
            let answer: Value = reqwest::Client::new()
                .post(url)
                .header("authorization", bearer)
                .json(&json!({"query": query, "variables": variables}))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(answer)
        }
    };

    // 10.00 a day for 10 days: 100 committed, remembered with the campaign.
    let first = launch("10".into(), days(0, 9)).await;
    assert!(first["errors"].is_null(), "{first:#}");
    let budget = sales_graphql(
        "query($id: ID!) { campaign(id: $id) { budget { total { amount } spent { amount } } } }",
        json!({"id": campaign.id.to_string()}),
    )
    .await?;
    let amount = |path: &str| -> Result<Decimal4> {
        budget["data"]["campaign"]["budget"][path]["amount"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("budget.{path}: {budget:#}"))?
            .parse::<Decimal4>()
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    let (total, spent) = (amount("total")?, amount("spent")?);
    // The lowest total sales allows (what it has spent), and at least 200: 100 left for ads.
    let lowered = Decimal4(spent.0.max(Decimal4::from_units(200).0));
    // The second launch: what is left under the lowered total, and one more cent a day.
    let second = Decimal4((lowered.0 - Decimal4::from_units(100).0) / 10 / 100 * 100 + 100);
    assert!(
        Decimal4::from_units(100).0 + second.0 * 10 <= total.0,
        "under the old total the second launch fits: the test means something"
    );
    let adjusted = sales_graphql(
        "mutation($input: BudgetMovementInput!) { recordBudgetMovement(input: $input) { kind } }",
        json!({"input": {"campaignId": campaign.id.to_string(), "kind": "ADJUSTMENT",
                         "amount": Decimal4(lowered.0 - total.0).to_string()}}),
    )
    .await?;
    assert!(adjusted["errors"].is_null(), "{adjusted:#}");

    let over = launch(second.to_string(), days(10, 19)).await;
    assert_eq!(
        over["errors"][0]["extensions"]["code"], "CONFLICT",
        "the lowered total counts at once: {over:#}"
    );
    let fits = launch(Decimal4(second.0 - 100).to_string(), days(10, 19)).await;
    assert!(
        fits["errors"].is_null(),
        "what is left still launches: {fits:#}"
    );
    Ok(())
}

/// Two launches on one campaign, each within its budget alone but not together, sent at
/// once: the campaign's lock lets exactly one pass the budget check.
async fn two_concurrent_launches_over_the_budget_exactly_one_succeeds(env: &Env) -> Result<()> {
    let sales = Sales::start().await?;
    let plan = demo_plan();
    let campaign = &plan.campaigns[0];
    let org = campaign.organization_id;
    let es = env.market(org, "ES", "EUR").await?.id.to_string();
    let app = env.app_with(promptsales_ads::AdsServices {
        directory: Arc::new(SalesCampaignDirectory::new(
            &sales.url,
            Duration::from_secs(30),
        )),
        ..test_services()
    });
    let bearer = sales.bearer(org, &["sales:read", "ads:write"])?;
    // 60% of the budget each, over the campaign's 61 days.
    let daily = Decimal4(campaign.budget_total.0 * 6 / 10 / 61 / 100 * 100).to_string();
    let (start, end) = (
        campaign.start_date.to_string(),
        campaign.end_date.to_string(),
    );
    let launch = |name: &'static str| {
        let (app, bearer, es, daily) = (&app, bearer.clone(), es.clone(), daily.clone());
        let vars = json!({"campaignId": campaign.id.to_string(),
                          "ads": [ad(&es, "GOOGLE", &daily, &start, &end)]});
        async move {
            let _ = name;
            gql_authorized(app, &tenant(org), &bearer, LAUNCH, vars).await
        }
    };
    let (a, b) = tokio::join!(launch("a"), launch("b"));
    let refused: Vec<&Value> = [&a, &b]
        .into_iter()
        .filter(|r| r.get("errors").is_some())
        .collect();
    assert_eq!(refused.len(), 1, "exactly one is refused: {a:#} {b:#}");
    assert_eq!(
        refused[0]["errors"][0]["extensions"]["code"], "CONFLICT",
        "{:#}",
        refused[0]
    );
    assert_eq!(env.row_counts().await?.0, 1, "one launch's ad only");
    Ok(())
}

const CREATE_AD: &str = "mutation($input: CreateAdInput!) { createAd(input: $input) { id } }";

/// Issue 13: `createAd`'s `campaignId` is checked against the REAL sales with the caller's
/// token (`kit::references`): another tenant's campaign is `NOT_FOUND` exactly like a missing
/// one, nothing is written, the caller's own passes, and with sales down nothing is written
/// either (`SERVICE_UNAVAILABLE`).
async fn create_ad_names_a_campaign_of_the_callers_tenant_in_sales(env: &Env) -> Result<()> {
    let mut sales = Sales::start().await?;
    promptsales_kit::testing::references_to(promptsales_kit::references::Owner::Sales, &sales.url);
    let plan = demo_plan();
    let mine = &plan.campaigns[0];
    let org = mine.organization_id;
    let theirs = plan
        .campaigns
        .iter()
        .find(|c| c.organization_id != org)
        .expect("a campaign of another demo organization");
    let es = env.market(org, "ES", "EUR").await?.id.to_string();
    let bearer = sales.bearer(org, &["sales:read", "ads:write"])?;
    let later = |days: i64| {
        (promptsales_kit::demo::demo_today() + chrono::Duration::days(days)).to_string()
    };
    let create = |campaign: String| {
        let vars = json!({"input": {"marketId": es, "campaignId": campaign, "channel": "INSTAGRAM",
            "name": "Checked", "dailyBudget": "1", "startDate": later(30), "endDate": later(31)}});
        let (app, bearer) = (&env.app, bearer.clone());
        async move { gql_authorized(app, &tenant(org), &bearer, CREATE_AD, vars).await }
    };
    let foreign = create(theirs.id.to_string()).await;
    let missing_id = uuid::Uuid::now_v7();
    let missing = create(missing_id.to_string()).await;
    for answer in [&foreign, &missing] {
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{answer:#}"
        );
    }
    assert_eq!(
        foreign["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&theirs.id.to_string(), "ID")),
        missing["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&missing_id.to_string(), "ID")),
        "the same answer as for an id that does not exist"
    );
    assert_eq!(env.row_counts().await?.0, 0, "nothing written");
    let own = create(mine.id.to_string()).await;
    assert!(own.get("errors").is_none(), "{own:#}");
    assert_eq!(env.row_counts().await?.0, 1);
    sales.stop();
    let down = create(mine.id.to_string()).await;
    assert_eq!(
        down["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{down:#}"
    );
    assert_eq!(
        env.row_counts().await?.0,
        1,
        "nothing written without sales"
    );
    Ok(())
}
