//! Ingestion: batches recorded idempotently (a day sent twice replaces, never adds),
//! all or none; and the platforms' signed webhook.

use anyhow::Result;
use promptsales_ads::domain::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use promptsales_ads::domain::{AdChannel, AdStatus};
use promptsales_ads::http::WebhookConfig;
use promptsales_ads::store::AdChanges;
use promptsales_kit::context::{Role, TenantScope};
use promptsales_kit::new_id;
use promptsales_kit::server::transport::ServerLimits;
use serde_json::{Value, json};

use std::sync::Arc;

use promptsales_ads::AdsServices;
use promptsales_ads::domain::CampaignState;

use crate::harness::{CampaignsIn, Env, day_n, gql_on, iso_n, tenant, tenant_with, test_services};
use crate::served::{Served, Tokens};

on_each_backend!(
    recording_a_batch_twice_never_double_counts,
    the_signed_webhook_records_days_and_refuses_the_rest,
    a_platform_webhook_writes_only_to_the_ads_its_ids_name,
    the_webhook_records_spend_only_for_running_ads,
    the_webhook_takes_the_subgraphs_body_limit,
);

const RECORD: &str = r#"mutation($input: [AdDayMetricsInput!]!) {
  recordAdMetrics(input: $input) { id adId day impressions clicks spend }
}"#;

const TOTALS: &str = r#"query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Campaign { adTotals { impressions clicks spend conversions } } }
}"#;

fn day(ad: &str, d: &str, impressions: i64, clicks: i64, spend: &str) -> Value {
    json!({"adId": ad, "day": d, "impressions": impressions, "clicks": clicks, "spend": spend, "conversions": 1})
}

async fn totals(env: &Env, org: uuid::Uuid, campaign: uuid::Uuid) -> Value {
    let reps = json!({"reps": [{"__typename": "Campaign", "id": campaign.to_string()}]});
    env.gql_ok(&tenant(org), TOTALS, reps).await["_entities"][0]["adTotals"].clone()
}

async fn recording_a_batch_twice_never_double_counts(env: &Env) -> Result<()> {
    let org = new_id();
    let campaign = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let a = env
        .ad(&market, campaign, AdChannel::Instagram, "A")
        .await?
        .id
        .to_string();
    let b = env
        .ad(&market, campaign, AdChannel::Google, "B")
        .await?
        .id
        .to_string();
    let me = tenant(org);
    let batch = json!({"input": [
        day(&a, &iso_n(1), 1000, 10, "5.00"),
        day(&a, &iso_n(2), 2000, 20, "10.00"),
        day(&b, &iso_n(1), 500, 5, "2.50"),
    ]});
    let first = env.gql_ok(&me, RECORD, batch.clone()).await["recordAdMetrics"].clone();
    let again = env.gql_ok(&me, RECORD, batch).await["recordAdMetrics"].clone();
    assert_eq!(first.as_array().map(Vec::len), Some(3));
    assert_eq!(first, again, "the same days, the same rows");
    assert_eq!(
        totals(env, org, campaign).await,
        json!({"impressions": 3500, "clicks": 35, "spend": "17.50", "conversions": 3})
    );
    // A corrected day replaces the first report of it.
    env.gql_ok(
        &me,
        RECORD,
        json!({"input": [day(&a, &iso_n(1), 4000, 40, "20")]}),
    )
    .await;
    assert_eq!(
        totals(env, org, campaign).await,
        json!({"impressions": 6500, "clicks": 65, "spend": "32.50", "conversions": 3})
    );

    // All or none: one impossible day refuses the batch, naming it.
    let before = env.row_counts().await?;
    let bad = env
        .gql(
            &me,
            RECORD,
            json!({"input": [day(&a, &iso_n(3), 10, 1, "1"), day(&b, &iso_n(3), 10, 11, "1")]}),
        )
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["field"], "input[1].clicks",
        "{bad:#}"
    );
    let twice = env
        .gql(
            &me,
            RECORD,
            json!({"input": [day(&a, &iso_n(4), 10, 1, "1"), day(&a, &iso_n(4), 10, 2, "1")]}),
        )
        .await;
    assert_eq!(
        twice["errors"][0]["extensions"]["field"], "input[1].day",
        "{twice:#}"
    );
    let reader = env
        .gql(
            &tenant_with(org, Some(Role::Read)),
            RECORD,
            json!({"input": [day(&a, &iso_n(5), 10, 1, "1")]}),
        )
        .await;
    assert_eq!(
        reader["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{reader:#}"
    );
    assert_eq!(
        env.row_counts().await?,
        before,
        "refused batches wrote nothing"
    );
    Ok(())
}

async fn the_signed_webhook_records_days_and_refuses_the_rest(env: &Env) -> Result<()> {
    let org = new_id();
    let campaign = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let mut ids = Vec::new();
    for (n, external) in ["120001", "120002"].into_iter().enumerate() {
        let ad = env
            .ad(&market, campaign, AdChannel::Facebook, &format!("ad {n}"))
            .await?;
        env.store
            .update_ad(
                TenantScope::All,
                ad.id,
                AdChanges {
                    name: ad.name.clone(),
                    // Published: the webhook takes spend for RUNNING ads only.
                    status: AdStatus::Running,
                    audience_segment_id: None,
                    creative_ids: vec![],
                    daily_budget: ad.daily_budget,
                    bid_strategy: ad.bid_strategy,
                    start_date: ad.start_date,
                    end_date: ad.end_date,
                    platform: Some("meta".into()),
                    external_id: Some(external.into()),
                },
            )
            .await?;
        ids.push(ad.id);
    }
    let secret = b"meta-webhook-secret".to_vec();
    let webhook = Webhook::serve(env, &[("meta", &secret)], ServerLimits::default()).await?;
    let post = |platform: &str, body: String, timestamp: i64, signature: String| {
        webhook.post_as(platform, body, timestamp, signature)
    };
    let body = json!({"metrics": [
        {"externalId": "120001", "day": iso_n(1), "impressions": 1000, "reach": 800, "clicks": 30, "spend": "12.50", "conversions": 2, "conversionValue": "80"},
        {"externalId": "120002", "day": iso_n(1), "impressions": 400, "clicks": 4, "spend": "3"},
    ]})
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let signature = sign(&secret, now, body.as_bytes());
    for _ in 0..2 {
        // The replay (within the window) re-records the same days: nothing doubles.
        let response = post("meta", body.clone(), now, signature.clone()).await?;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await?, json!({"recorded": 2}));
    }
    let days = env
        .store
        .metrics_of_ads(TenantScope::All, &ids, day_n(1), day_n(1))
        .await?;
    let figures: Vec<(i64, String)> = days
        .iter()
        .map(|d| (d.performance.impressions, d.performance.spend.to_string()))
        .collect();
    assert_eq!(figures.len(), 2);
    assert!(figures.contains(&(1000, "12.50".into())) && figures.contains(&(400, "3.00".into())));

    let before = env.row_counts().await?;
    let changed = json!({"metrics": [{"externalId": "120001", "day": iso_n(2), "impressions": 1, "clicks": 0, "spend": "1"}]}).to_string();
    let forged = post("meta", changed.clone(), now, signature.clone()).await?;
    assert_eq!(forged.status(), 401, "a signature over another body");
    let stale = post(
        "meta",
        changed.clone(),
        now - 301,
        sign(&secret, now - 301, changed.as_bytes()),
    )
    .await?;
    assert_eq!(stale.status(), 401, "outside the replay window");
    let unknown_platform = post(
        "tiktok",
        changed.clone(),
        now,
        sign(&secret, now, changed.as_bytes()),
    )
    .await?;
    assert_eq!(unknown_platform.status(), 404);
    let unknown_ad = json!({"metrics": [
        {"externalId": "120001", "day": iso_n(3), "impressions": 1, "clicks": 0, "spend": "1"},
        {"externalId": "999", "day": iso_n(3), "impressions": 1, "clicks": 0, "spend": "1"},
    ]})
    .to_string();
    let refused = post(
        "meta",
        unknown_ad.clone(),
        now,
        sign(&secret, now, unknown_ad.as_bytes()),
    )
    .await?;
    assert_eq!(refused.status(), 422);
    let error = refused.json::<Value>().await?;
    assert_eq!(
        error["error"]["field"], "metrics[1].externalId",
        "{error:#}"
    );
    assert_eq!(
        env.row_counts().await?,
        before,
        "refused webhooks wrote nothing"
    );
    Ok(())
}

/// The ads HTTP surface (GraphQL beside the platforms' metrics webhook) served with each
/// platform's secret within `limits`, and a client of its webhook.
struct Webhook {
    served: Served,
    http: reqwest::Client,
}

impl Webhook {
    async fn serve(env: &Env, secrets: &[(&str, &[u8])], limits: ServerLimits) -> Result<Self> {
        let config = WebhookConfig {
            secrets: secrets
                .iter()
                .map(|(platform, secret)| (platform.to_string(), secret.to_vec()))
                .collect(),
            tolerance_secs: 300,
        };
        let services = test_services();
        let graphql = promptsales_kit::server::router_with_limits(
            env.app_with(services.clone()),
            Tokens::new()?.verifier(),
            limits,
        )?;
        let served = Served::start(promptsales_ads::http_router_within(
            graphql,
            env.store.clone(),
            &services,
            config,
            &limits,
        ))
        .await?;
        Ok(Self {
            served,
            http: reqwest::Client::new(),
        })
    }

    /// Posts `body` to `platform`'s webhook with these timestamp and signature headers.
    fn post_as(
        &self,
        platform: &str,
        body: String,
        timestamp: i64,
        signature: String,
    ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + use<> {
        self.http
            .post(format!("{}/webhooks/ads/{platform}", self.served.base))
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
    }

    /// Posts `body` to `platform`'s webhook signed now with `secret`.
    fn post(
        &self,
        platform: &str,
        secret: &[u8],
        body: &str,
    ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + use<> {
        let now = chrono::Utc::now().timestamp();
        self.post_as(
            platform,
            body.to_string(),
            now,
            sign(secret, now, body.as_bytes()),
        )
    }
}

/// Gives `ad` the platform, platform id and RUNNING status a publication would.
async fn on_platform(
    env: &Env,
    ad: &promptsales_ads::store::Ad,
    platform: &str,
    external: &str,
) -> Result<()> {
    env.store
        .update_ad(
            TenantScope::All,
            ad.id,
            AdChanges {
                name: ad.name.clone(),
                status: AdStatus::Running,
                audience_segment_id: None,
                creative_ids: vec![],
                daily_budget: ad.daily_budget,
                bid_strategy: ad.bid_strategy,
                start_date: ad.start_date,
                end_date: ad.end_date,
                platform: Some(platform.into()),
                external_id: Some(external.into()),
            },
        )
        .await?;
    Ok(())
}

/// The organization of webhook metrics is never the caller's to say: each day goes to the ad
/// that the signing platform's own id names, whichever tenant runs it.
async fn a_platform_webhook_writes_only_to_the_ads_its_ids_name(env: &Env) -> Result<()> {
    let (a, b) = (new_id(), new_id());
    let (campaign_a, campaign_b) = (new_id(), new_id());
    let market_a = env.market(a, "ES", "EUR").await?;
    let market_b = env.market(b, "PT", "EUR").await?;
    let meta_a = env
        .ad(&market_a, campaign_a, AdChannel::Facebook, "A on meta")
        .await?;
    let meta_b = env
        .ad(&market_b, campaign_b, AdChannel::Facebook, "B on meta")
        .await?;
    // Same id string as A's meta ad, on another platform.
    let google_b = env
        .ad(&market_b, campaign_b, AdChannel::Google, "B on google")
        .await?;
    on_platform(env, &meta_a, "meta", "300001").await?;
    on_platform(env, &meta_b, "meta", "300002").await?;
    on_platform(env, &google_b, "google_ads", "300001").await?;
    let (meta_secret, google_secret) = (b"meta-secret".to_vec(), b"google-secret".to_vec());
    let webhook = Webhook::serve(
        env,
        &[("meta", &meta_secret), ("google_ads", &google_secret)],
        ServerLimits::default(),
    )
    .await?;
    let post = |platform: &str, secret: &[u8], body: &str| webhook.post(platform, secret, body);
    // A body that claims B's organization changes nothing: the ids decide.
    let body = json!({"organizationId": b, "metrics": [
        {"externalId": "300001", "day": iso_n(21), "impressions": 700, "clicks": 7, "spend": "7"},
    ]})
    .to_string();
    let response = post("meta", &meta_secret, &body).await?;
    assert_eq!(response.status(), 200);
    let day = day_n(21);
    let written = |ids: Vec<uuid::Uuid>| {
        let store = env.store.clone();
        async move {
            anyhow::Ok(
                store
                    .metrics_of_ads(TenantScope::All, &ids, day, day)
                    .await?
                    .iter()
                    .map(|m| (m.ad_id, m.performance.impressions))
                    .collect::<Vec<_>>(),
            )
        }
    };
    assert_eq!(written(vec![meta_a.id]).await?, vec![(meta_a.id, 700)]);
    assert!(
        written(vec![meta_b.id, google_b.id]).await?.is_empty(),
        "nothing reached B, not even its google ad with the same id string"
    );
    // One platform's secret does not sign for another platform's ads.
    let google_body = json!({"metrics": [
        {"externalId": "300001", "day": iso_n(21), "impressions": 9, "clicks": 0, "spend": "1"},
    ]})
    .to_string();
    let forged = post("google_ads", &meta_secret, &google_body).await?;
    assert_eq!(forged.status(), 401);
    assert!(written(vec![google_b.id]).await?.is_empty());
    // A platform's id names one ad there: another organization cannot claim it, so a
    // webhook's id is never ambiguous.
    let claimed = on_platform(env, &meta_b, "meta", "300001").await;
    assert!(
        claimed.is_err(),
        "a second ad with meta's id 300001 was accepted"
    );
    let stays = json!({"metrics": [
        {"externalId": "300001", "day": iso_n(22), "impressions": 1, "clicks": 0, "spend": "1"},
    ]})
    .to_string();
    let response = post("meta", &meta_secret, &stays).await?;
    assert_eq!(response.status(), 200);
    Ok(())
}

/// The webhook has no caller whose token could ask sales about the campaign: an ad stored
/// RUNNING is what says its campaign spends (stopping a campaign pauses or ends its ads).
/// A day for a PAUSED, ENDED or never-published ad is refused with 409 CONFLICT, nothing written.
async fn the_webhook_records_spend_only_for_running_ads(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let campaign = new_id();
    let running = env
        .ad(&market, campaign, AdChannel::Facebook, "running")
        .await?;
    on_platform(env, &running, "meta", "510001").await?;
    let mut stopped = Vec::new();
    for (n, status) in [AdStatus::Paused, AdStatus::Ended, AdStatus::Scheduled]
        .into_iter()
        .enumerate()
    {
        let ad = env
            .ad(
                &market,
                campaign,
                AdChannel::Facebook,
                &format!("stopped {n}"),
            )
            .await?;
        let external = format!("51001{n}");
        on_platform(env, &ad, "meta", &external).await?;
        env.store
            .update_ad(
                TenantScope::All,
                ad.id,
                AdChanges {
                    name: ad.name.clone(),
                    status,
                    audience_segment_id: None,
                    creative_ids: vec![],
                    daily_budget: ad.daily_budget,
                    bid_strategy: ad.bid_strategy,
                    start_date: ad.start_date,
                    end_date: ad.end_date,
                    platform: Some("meta".into()),
                    external_id: Some(external.clone()),
                },
            )
            .await?;
        stopped.push((external, status));
    }
    let secret = b"meta-secret".to_vec();
    let webhook = Webhook::serve(env, &[("meta", &secret)], ServerLimits::default()).await?;
    let post = |body: String| webhook.post("meta", &secret, &body);
    let before = env.row_counts().await?;
    for (external, status) in &stopped {
        // The running ad's day first: the batch is all or nothing.
        let body = json!({"metrics": [
            {"externalId": "510001", "day": iso_n(5), "impressions": 100, "clicks": 1, "spend": "2"},
            {"externalId": external, "day": iso_n(5), "impressions": 100, "clicks": 1, "spend": "2"},
        ]})
        .to_string();
        let response = post(body).await?;
        assert_eq!(response.status(), 409, "{status:?}");
        let error = response.json::<Value>().await?;
        assert_eq!(error["error"]["code"], "CONFLICT", "{error:#}");
        assert_eq!(
            error["error"]["field"], "metrics[1].externalId",
            "{error:#}"
        );
    }
    assert_eq!(
        env.row_counts().await?,
        before,
        "refused days wrote nothing"
    );
    let body = json!({"metrics": [
        {"externalId": "510001", "day": iso_n(5), "impressions": 100, "clicks": 1, "spend": "2"},
    ]})
    .to_string();
    assert_eq!(post(body).await?.status(), 200, "a running ad records");

    // An ad that ran to its end date (written RUNNING, its last day two days ago, so it reads
    // ENDED): its platform's late report of that day is recorded, a day after its end is not.
    let other_campaign = new_id();
    let mut ran = env
        .ad(
            &market,
            other_campaign,
            AdChannel::Facebook,
            "ran to its end",
        )
        .await?;
    ran.end_date = day_n(26);
    on_platform(env, &ran, "meta", "510020").await?;
    let late = |d: i64| {
        json!({"metrics": [
            {"externalId": "510020", "day": iso_n(d), "impressions": 100, "clicks": 1, "spend": "2"},
        ]})
        .to_string()
    };
    assert_eq!(post(late(26)).await?.status(), 200, "its last day, late");
    let after_end = post(late(27)).await?;
    assert_eq!(after_end.status(), 422);
    let error = after_end.json::<Value>().await?;
    assert_eq!(error["error"]["field"], "metrics[0].day", "{error:#}");

    // Its campaign stopped: reconciling records ENDED on it, and its platform's reports are
    // refused from then on.
    let cancelled = env.app_with(AdsServices {
        directory: Arc::new(CampaignsIn(CampaignState::Cancelled)),
        ..test_services()
    });
    let reconciled = gql_on(
        &cancelled,
        &tenant(org),
        r#"mutation($c: ID!) { reconcileCampaignAds(campaignId: $c) { id status } }"#,
        json!({"c": other_campaign.to_string()}),
    )
    .await;
    assert_eq!(
        reconciled["data"]["reconcileCampaignAds"],
        json!([{"id": ran.id.to_string(), "status": "ENDED"}]),
        "{reconciled:#}"
    );
    let refused = post(late(26)).await?;
    assert_eq!(
        refused.status(),
        409,
        "a stopped campaign's ad takes no figures"
    );
    Ok(())
}

/// Issue 12: the webhook is merged beside the GraphQL router and used to keep axum's own
/// 2 MB limit; it now takes the subgraph's (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`): a signed
/// body over it is refused with 413 and a JSON code, and nothing is written.
async fn the_webhook_takes_the_subgraphs_body_limit(env: &Env) -> Result<()> {
    let secret = b"meta-webhook-secret".to_vec();
    let limits = ServerLimits {
        max_body_size: 4_096,
        ..ServerLimits::default()
    };
    let webhook = Webhook::serve(env, &[("meta", &secret)], limits).await?;
    let post = |body: String| webhook.post("meta", &secret, &body);
    let before = env.row_counts().await?;
    let over = json!({"metrics": [], "padding": "x".repeat(8_000)}).to_string();
    let response = post(over).await?;
    assert_eq!(response.status(), 413);
    let answer: Value = response.json().await?;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{answer}"
    );
    // The same kind of body under the limit reaches the webhook: the size refused it.
    let under = json!({"metrics": [], "padding": "x".repeat(1_000)}).to_string();
    let response = post(under).await?;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    assert_eq!(env.row_counts().await?, before);
    Ok(())
}
