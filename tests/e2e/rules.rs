//! The platform's promises across subgraphs, through the router: nothing runs before it is
//! approved, stopping a campaign stops its ads, one budget.

use serde_json::{Value, json};
use uuid::Uuid;

use super::fixture::{self, Fixture};
use super::harness::{bearer, error_codes};

/// Everything the marketer and the approver do in org A, through the router.
struct Walk {
    f: Fixture,
    marketer: Vec<(&'static str, String)>,
    approver: Vec<(&'static str, String)>,
    market: String,
}

async fn call(f: &Fixture, who: &[(&'static str, String)], query: &str, vars: Value) -> Value {
    f.router
        .post(query, vars, who)
        .await
        .expect("the router answers")
}

fn code(response: &Value) -> String {
    error_codes(response).first().cloned().unwrap_or_default()
}

fn ok(response: Value) -> Value {
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"].clone()
}

const ROLES: [&str; 4] = ["sales:write", "ads:write", "crm:write", "content:write"];

impl Walk {
    async fn start() -> Walk {
        let f = fixture::start().await.expect("the graph starts");
        let marketer = bearer(&f.user_token(f.marketer_a, f.org_a, &ROLES));
        let operator = bearer(&f.token(Some(f.org_a), &["sales:admin"]));
        let created = ok(call(
            &f,
            &operator,
            "mutation($org: ID!) { createUser(input: {organizationId: $org, email: \"ana@acme.example\", name: \"Ana Approver\", userType: ADMIN}) { id } }",
            json!({"org": f.org_a.to_string()}),
        )
        .await);
        let approver_id: Uuid = created["createUser"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("a user id");
        let approver = bearer(&f.user_token(
            approver_id,
            f.org_a,
            &["sales:admin", "ads:write", "crm:write", "content:write"],
        ));
        let markets = ok(call(&f, &marketer, "{ markets { id country } }", json!({})).await);
        let market = markets["markets"][0]["id"]
            .as_str()
            .expect("org A's market")
            .to_string();
        Walk {
            f,
            marketer,
            approver,
            market,
        }
    }

    async fn as_marketer(&self, query: &str, vars: Value) -> Value {
        call(&self.f, &self.marketer, query, vars).await
    }

    async fn as_approver(&self, query: &str, vars: Value) -> Value {
        call(&self.f, &self.approver, query, vars).await
    }

    /// A campaign of `budget` EUR from today for 30 days, submitted for approval.
    async fn submitted_campaign(&self, budget: &str) -> String {
        let today = chrono::Utc::now().date_naive();
        let created = ok(self
            .as_marketer(
                "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
                json!({"input": {
                    "organizationId": self.f.org_a.to_string(), "ownerId": self.f.marketer_a.to_string(),
                    "name": format!("Aneto {budget}"), "budget": budget, "currency": "EUR",
                    "startDate": today.to_string(), "endDate": (today + chrono::Duration::days(29)).to_string(),
                    "keyMessage": "Climb before the snow", "targetCountries": ["ES"]
                }}),
            )
            .await);
        let id = created["createCampaign"]["id"]
            .as_str()
            .expect("campaign id")
            .to_string();
        self.status(&id, "PENDING_APPROVAL").await;
        id
    }

    async fn status(&self, id: &str, status: &str) -> Value {
        ok(self
            .as_marketer(
                "mutation($id: ID!, $s: CampaignStatus!) { changeCampaignStatus(id: $id, status: $s) { status } }",
                json!({"id": id, "s": status}),
            )
            .await)
    }

    /// Grants the campaign's pending approvals of `kinds` (as the approver).
    async fn grant(&self, campaign: &str, kinds: &[&str]) {
        let approvals = ok(self
            .as_approver(
                "query($id: ID!) { campaign(id: $id) { approvals { id kind status } } }",
                json!({"id": campaign}),
            )
            .await);
        for a in approvals["campaign"]["approvals"]
            .as_array()
            .expect("approvals")
        {
            if a["status"] == "PENDING" && kinds.contains(&a["kind"].as_str().unwrap_or_default()) {
                ok(self
                    .as_approver(
                        "mutation($id: ID!) { resolveApproval(id: $id, decision: GRANT) { status } }",
                        json!({"id": a["id"]}),
                    )
                    .await);
            }
        }
    }

    fn ad(&self, daily: &str, name: &str) -> Value {
        let today = chrono::Utc::now().date_naive();
        json!({"marketId": self.market, "channel": "INSTAGRAM", "name": name, "dailyBudget": daily,
               "startDate": today.to_string(), "endDate": (today + chrono::Duration::days(29)).to_string(),
               "platform": "simulator"})
    }

    async fn launch(&self, campaign: &str, ads: Value) -> Value {
        self.as_marketer(
            "mutation($c: ID!, $ads: [AdLaunchInput!]!) { launchAds(campaignId: $c, ads: $ads) { id status } }",
            json!({"c": campaign, "ads": ads}),
        )
        .await
    }

    /// The ad's status as the ads subgraph holds it (asked directly: the router's response
    /// cache is not what this test is about).
    async fn ad_status(&self, id: &str) -> String {
        let read = super::harness::post_graphql(
            &reqwest::Client::new(),
            &self.f.subgraph_urls[1],
            "query($id: ID!) { ad(id: $id) { status } }",
            json!({"id": id}),
            &self.marketer,
        )
        .await
        .expect("ads answers");
        read["data"]["ad"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

const CREATE_AD: &str =
    "mutation($input: CreateAdInput!) { createAd(input: $input) { id status } }";
const UPDATE_STATUS: &str =
    "mutation($id: ID!, $s: AdStatus!) { updateAd(id: $id, input: {status: $s}) { id status } }";
const PUBLISH: &str = "mutation($id: ID!) { publishAd(id: $id) { id status externalId } }";
const RECORD: &str =
    "mutation($input: [AdDayMetricsInput!]!) { recordAdMetrics(input: $input) { day } }";

fn spend_today(ad: &str, spend: &str) -> Value {
    json!([{"adId": ad, "day": chrono::Utc::now().date_naive().to_string(), "impressions": 100,
            "reach": 90, "clicks": 5, "engagement": 7, "spend": spend, "conversions": 0,
            "conversionValue": "0"}])
}

#[tokio::test]
async fn nothing_is_scheduled_runs_or_spends_before_launch_approval_and_stopping_a_campaign_stops_its_ads()
 {
    let w = Walk::start().await;
    let campaign = w.submitted_campaign("8000").await;

    // Pending approval: the marketer cannot move its budget (a budget change needs approval).
    let deposit = w
        .as_marketer(
            "mutation($c: ID!) { recordBudgetMovement(input: {campaignId: $c, kind: DEPOSIT, amount: \"50000\"}) { id } }",
            json!({"c": campaign}),
        )
        .await;
    assert_eq!(code(&deposit), "FORBIDDEN", "{deposit:#}");

    // A draft ad on a campaign waiting for approval: no schedule, no run, no publication.
    let mut input = w.ad("1000", "Early bird");
    input["campaignId"] = json!(campaign);
    let draft = ok(w.as_marketer(CREATE_AD, json!({"input": input})).await);
    let draft = draft["createAd"]["id"].as_str().expect("ad id").to_string();
    let scheduled = w
        .as_marketer(UPDATE_STATUS, json!({"id": draft, "s": "SCHEDULED"}))
        .await;
    assert_eq!(code(&scheduled), "CONFLICT", "{scheduled:#}");
    let running = w
        .as_marketer(UPDATE_STATUS, json!({"id": draft, "s": "RUNNING"}))
        .await;
    assert_eq!(code(&running), "BAD_USER_INPUT", "{running:#}");
    let published = w.as_marketer(PUBLISH, json!({"id": draft})).await;
    assert_eq!(code(&published), "BAD_USER_INPUT", "{published:#}");
    assert_eq!(w.ad_status(&draft).await, "DRAFT");

    // BUDGET, CONTENT and SCHEDULE granted, LAUNCH pending: approved, yet nothing launches.
    w.grant(&campaign, &["BUDGET", "CONTENT", "SCHEDULE"]).await;
    let early = w.launch(&campaign, json!([w.ad("40", "Reel A")])).await;
    assert_eq!(code(&early), "CONFLICT", "{early:#}");
    let scheduled = w
        .as_marketer(UPDATE_STATUS, json!({"id": draft, "s": "SCHEDULED"}))
        .await;
    assert_eq!(code(&scheduled), "CONFLICT", "{scheduled:#}");

    // LAUNCH granted and the campaign active: the launch schedules, publishing runs.
    w.grant(&campaign, &["LAUNCH"]).await;
    w.status(&campaign, "ACTIVE").await;
    // Two ads of 130 a day for 30 days commit 7,800 of the 8,000.
    let launched = ok(w
        .launch(
            &campaign,
            json!([w.ad("130", "Reel A"), w.ad("130", "Reel B")]),
        )
        .await);
    let ids: Vec<String> = launched["launchAds"]
        .as_array()
        .expect("ads")
        .iter()
        .map(|a| a["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let running = ok(w.as_marketer(PUBLISH, json!({"id": ids[0]})).await);
    assert_eq!(running["publishAd"]["status"], "RUNNING");
    ok(
        w.as_marketer(RECORD, json!({"input": spend_today(&ids[0], "199.40")}))
            .await,
    );
    // One budget: recorded spend is not subtracted twice; 7 a day for 30 days is 10 too many.
    let over = w.launch(&campaign, json!([w.ad("7", "Reel C")])).await;
    assert_eq!(code(&over), "CONFLICT", "{over:#}");
    let message = over["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("10.00 EUR short"), "{message}");
    ok(w.launch(&campaign, json!([w.ad("6.66", "Reel D")])).await);
    // Tomorrow has no figures yet.
    let mut tomorrow = spend_today(&ids[0], "1");
    tomorrow[0]["day"] =
        json!((chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string());
    let future = w.as_marketer(RECORD, json!({"input": tomorrow})).await;
    assert_eq!(code(&future), "BAD_USER_INPUT", "{future:#}");
    assert_eq!(
        future["errors"][0]["extensions"]["field"], "input[0].day",
        "{future:#}"
    );

    // Pausing the campaign pauses its running ad; no spend is accepted meanwhile.
    w.status(&campaign, "PAUSED").await;
    assert_eq!(w.ad_status(&ids[0]).await, "PAUSED");
    assert_eq!(w.ad_status(&ids[1]).await, "SCHEDULED");
    let paused_spend = w
        .as_marketer(RECORD, json!({"input": spend_today(&ids[0], "20")}))
        .await;
    assert_eq!(code(&paused_spend), "CONFLICT", "{paused_spend:#}");
    let resume = w.as_marketer(PUBLISH, json!({"id": ids[0]})).await;
    assert_eq!(code(&resume), "CONFLICT", "{resume:#}");

    // Cancelling ends every ad.
    w.status(&campaign, "CANCELLED").await;
    for id in ids.iter().chain([&draft]) {
        assert_eq!(w.ad_status(id).await, "ENDED", "ad {id}");
    }
    let late = w
        .as_marketer(RECORD, json!({"input": spend_today(&ids[0], "20")}))
        .await;
    assert_eq!(code(&late), "CONFLICT", "{late:#}");
}

/// Ad totals, funnel and revenue hang off the campaign (three subgraphs).
const FIGURES: &str = r#"
query Figures($id: ID!) {
  campaign(id: $id) {
    id
    adTotals { impressions spend }
    leadFunnel { total iql mql won }
    revenue { amount }
    salesCount
  }
}"#;

/// The same cached query right after a mutation that changed the campaign's figures is a
/// MISS with the new figures: the mutation names `Campaign:<id>` in its cache tags.
#[tokio::test]
async fn figures_are_fresh_right_after_metrics_leads_stage_moves_and_sales() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = super::edge::shared_redis_url().await;
    let (router, _prefix) = super::edge::router(&f, &redis_url, &[])
        .await
        .expect("router");
    let auth = f.as_org_a();
    let body = super::edge::query(FIGURES, json!({ "id": f.campaign_1.to_string() }));
    let mutate = |query: &'static str, vars: Value| {
        let (url, auth) = (router.url.clone(), auth.clone());
        async move {
            let reply = super::edge::post(&url, super::edge::query(query, vars), &auth)
                .await
                .expect("mutation");
            assert!(reply.codes().is_empty(), "{:#?}", reply.body);
            reply.body["data"].clone()
        }
    };
    let fresh = |what: &'static str| {
        let (url, auth, body) = (router.url.clone(), auth.clone(), body.clone());
        async move {
            super::edge::until_hit(&url, &body, &auth)
                .await
                .expect("a hit before the mutation");
            let _ = what;
        }
    };
    let after = || {
        let (url, auth, body) = (router.url.clone(), auth.clone(), body.clone());
        async move { super::edge::post(&url, body, &auth).await.expect("query") }
    };

    // Ad metrics (ads).
    fresh("metrics").await;
    let ads = ok(call(
        &f,
        &auth,
        "query($id: ID!) { campaign(id: $id) { ads(first: 1) { edges { node { id } } } } }",
        json!({"id": f.campaign_1.to_string()}),
    )
    .await);
    let ad = ads["campaign"]["ads"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("an ad of campaign 1")
        .to_string();
    mutate(
        RECORD,
        json!({"input": [{"adId": ad, "day": fixture::iso(20), "impressions": 1000, "reach": 900,
                          "clicks": 1, "engagement": 1, "spend": "1", "conversions": 0, "conversionValue": "0"}]}),
    )
    .await;
    let reply = after().await;
    assert_eq!(
        reply.cache(),
        "MISS",
        "after recordAdMetrics: {:#?}",
        reply.body
    );
    assert_eq!(
        reply.body["data"]["campaign"]["adTotals"]["impressions"], 4500,
        "{:#?}",
        reply.body
    );

    // A captured lead (crm).
    fresh("capture").await;
    let captured = mutate(
        "mutation($input: CaptureLeadInput!) { captureLead(input: $input) { lead { id version } customer { id } } }",
        json!({"input": {"campaignId": f.campaign_1.to_string(), "email": "fresh.figures@example.test",
                         "fullName": "Fresh Figures", "source": "EMAIL"}}),
    )
    .await;
    let reply = after().await;
    assert_eq!(
        reply.cache(),
        "MISS",
        "after captureLead: {:#?}",
        reply.body
    );
    let before_total = reply.body["data"]["campaign"]["leadFunnel"]["total"].clone();

    // A stage move.
    fresh("move").await;
    let lead = &captured["captureLead"]["lead"];
    mutate(
        "mutation($input: MoveLeadStageInput!) { moveLeadStage(input: $input) { id stage } }",
        json!({"input": {"leadId": lead["id"], "expectedVersion": lead["version"], "stage": "MQL"}}),
    )
    .await;
    let reply = after().await;
    assert_eq!(
        reply.cache(),
        "MISS",
        "after moveLeadStage: {:#?}",
        reply.body
    );
    assert_eq!(
        reply.body["data"]["campaign"]["leadFunnel"]["total"],
        before_total
    );

    // A sale.
    fresh("sale").await;
    let sales_before = reply.body["data"]["campaign"]["salesCount"]
        .as_i64()
        .unwrap_or(-1);
    mutate(
        "mutation($input: CreateSaleInput!) { createSale(input: $input) { id } }",
        json!({"input": {"customerId": captured["captureLead"]["customer"]["id"],
                         "campaignId": f.campaign_1.to_string(), "amount": "100", "currency": "EUR"}}),
    )
    .await;
    let reply = after().await;
    assert_eq!(reply.cache(), "MISS", "after createSale: {:#?}", reply.body);
    assert_eq!(
        reply.body["data"]["campaign"]["salesCount"].as_i64(),
        Some(sales_before + 1),
        "{:#?}",
        reply.body
    );
}

/// Ads unreachable when a campaign is paused: the pause stands, its answer says the ads are
/// not stopped yet, and the campaign shows the pending stop (written with the status change).
/// Once ads answers again, sales' reconcile sweep pauses the running ad with no further user
/// action, acting as the campaign's organization, and the pending stop is gone.
#[tokio::test]
async fn a_pause_that_could_not_reach_ads_is_retried_until_its_ads_are_paused() {
    let w = Walk::start().await;
    let campaign = w.submitted_campaign("8000").await;
    w.grant(&campaign, &["BUDGET", "CONTENT", "SCHEDULE", "LAUNCH"])
        .await;
    w.status(&campaign, "ACTIVE").await;
    let launched = ok(w.launch(&campaign, json!([w.ad("40", "Reel A")])).await);
    let ad = launched["launchAds"][0]["id"]
        .as_str()
        .expect("ad id")
        .to_string();
    let running = ok(w.as_marketer(PUBLISH, json!({"id": ad})).await);
    assert_eq!(running["publishAd"]["status"], "RUNNING");

    // Ads unreachable (a closed port) for sales' calls.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("addr").port();
        format!("http://127.0.0.1:{port}/graphql")
    };
    // SAFETY: every nextest test is its own process; sales reads the variable per call.
    unsafe { std::env::set_var(promptsales_sales::ads_link::ADS_URL_ENV, &dead) };
    let paused = w
        .as_marketer(
            "mutation($id: ID!) { changeCampaignStatus(id: $id, status: PAUSED) { status } }",
            json!({"id": campaign}),
        )
        .await;
    assert_eq!(
        paused["data"]["changeCampaignStatus"]["status"], "PAUSED",
        "{paused:#}"
    );
    assert_eq!(code(&paused), "SERVICE_UNAVAILABLE", "{paused:#}");
    assert_eq!(w.ad_status(&ad).await, "RUNNING", "ads did not hear of it");
    let pending = || async {
        let read = super::harness::post_graphql(
            &reqwest::Client::new(),
            &w.f.subgraph_urls[0],
            "query($id: ID!) { campaign(id: $id) { adsStopPending { status attempts } } }",
            json!({"id": campaign}),
            &w.marketer,
        )
        .await
        .expect("sales answers");
        read["data"]["campaign"]["adsStopPending"].clone()
    };
    assert_eq!(pending().await["status"], "PAUSED", "the stop is owed");

    // Ads back: the sweep delivers the stop (first retry 10 s after the change).
    // SAFETY: as above.
    unsafe {
        std::env::set_var(
            promptsales_sales::ads_link::ADS_URL_ENV,
            &w.f.subgraph_urls[1],
        )
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while w.ad_status(&ad).await != "PAUSED" {
        assert!(
            std::time::Instant::now() < deadline,
            "the ad was not paused by the sweep; pending: {}",
            pending().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    while !pending().await.is_null() {
        assert!(
            std::time::Instant::now() < deadline,
            "the stop stays pending after ads confirmed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
