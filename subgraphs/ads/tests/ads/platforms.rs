//! Platform connectors: the Meta Marketing API client against a local axum server
//! speaking that API's shape, and the simulator platform through the GraphQL mutations.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use promptsales_ads::domain::{AdChannel, AdStatus};
use promptsales_ads::platforms::{AdPlatform, MetaAdsClient, MetaConfig, PlatformError, Platforms};
use promptsales_kit::new_id;
use serde_json::{Value, json};

use crate::harness::CampaignsIn;
use crate::harness::{Env, day_n, in_test_month, iso_n, tenant, test_services};
use crate::served::Served;
use promptsales_ads::AdsServices;
use promptsales_ads::domain::CampaignState;

on_each_backend!(
    publish_pause_and_sync_through_the_simulator_platform,
    an_end_date_moved_before_today_stops_the_ad_on_its_platform,
    sync_records_nothing_for_a_campaign_that_does_not_accept_spend,
);

const TOKEN: &str = "EAAB-test-token";

/// What the local Meta server was asked.
#[derive(Default)]
struct Seen {
    created: Vec<Vec<(String, String)>>,
    updated: Vec<(String, Vec<(String, String)>)>,
    insights: Vec<Vec<(String, String)>>,
    /// Answer updates with a server error (the platform down).
    updates_fail: bool,
}

type Shared = Arc<Mutex<Seen>>;

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn graph_error(status: StatusCode, message: &str, code: i64) -> Response {
    (
        status,
        axum::Json(json!({"error": {"message": message, "type": "OAuthException", "code": code}})),
    )
        .into_response()
}

async fn create_ad(
    State(seen): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorized(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, "Invalid OAuth access token.", 190);
    }
    if account != "act_42" {
        return graph_error(StatusCode::BAD_REQUEST, "Unsupported post request.", 100);
    }
    let mut seen = seen.lock().unwrap();
    seen.created.push(form);
    // Ids in creation order: the first is the one the insights handler knows.
    let id = 23_850_000_000_000u64 + seen.created.len() as u64;
    axum::Json(json!({"id": id.to_string()})).into_response()
}

async fn update_ad(
    State(seen): State<Shared>,
    Path(ad_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorized(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, "Invalid OAuth access token.", 190);
    }
    let mut seen = seen.lock().unwrap();
    if seen.updates_fail {
        return graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service temporarily unavailable",
            2,
        );
    }
    seen.updated.push((ad_id, form));
    axum::Json(json!({"success": true})).into_response()
}

/// Two pages: the first day, then (after `after=PAGE2`) the second, as Meta pages insights.
async fn insights(
    State(seen): State<Shared>,
    Path(ad_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if !authorized(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, "Invalid OAuth access token.", 190);
    }
    if ad_id != "23850000000001" {
        return graph_error(StatusCode::BAD_REQUEST, "Object does not exist.", 100);
    }
    let second = query.iter().any(|(k, v)| k == "after" && v == "PAGE2");
    seen.lock().unwrap().insights.push(query);
    let row = |day: &str,
               impressions: &str,
               clicks: &str,
               spend: &str,
               purchases: &str,
               value: &str| {
        json!({"date_start": day, "date_stop": day, "impressions": impressions, "reach": "900", "clicks": clicks, "spend": spend,
               "actions": [{"action_type": "post_engagement", "value": "77"}, {"action_type": "offsite_conversion.fb_pixel_purchase", "value": purchases}],
               "action_values": [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": value}]})
    };
    if second {
        axum::Json(
            json!({"data": [row(&iso_n(2), "2000", "40", "20.50", "3", "150.00")], "paging": {}}),
        )
        .into_response()
    } else {
        axum::Json(json!({
            "data": [row(&iso_n(1), "1500", "30", "12.34", "2", "99.90")],
            "paging": {"cursors": {"after": "PAGE2"}, "next": format!("http://{host}/v21.0/{ad_id}/insights?after=PAGE2")}
        }))
        .into_response()
    }
}

fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A local server speaking the Meta Marketing API's shape, and a client configured for it.
async fn local_meta_api(seen: &Shared) -> Result<(Served, MetaConfig)> {
    let api = axum::Router::new()
        .route("/v21.0/{id}/ads", post(create_ad))
        .route("/v21.0/{id}", post(update_ad))
        .route("/v21.0/{id}/insights", get(insights))
        .with_state(seen.clone());
    let served = Served::start(api).await?;
    let config = MetaConfig {
        api_url: format!("{}/v21.0", served.base),
        access_token: TOKEN.into(),
        ad_account_id: "42".into(),
        adset_id: "2385000000000".into(),
        creative_id: "2385000000999".into(),
        conversion_action: promptsales_ads::platforms::meta_default_conversion_action().into(),
    };
    Ok((served, config))
}

#[tokio::test]
async fn meta_client_against_local_meta_api_server() -> Result<()> {
    let seen: Shared = Arc::default();
    let (_served, config) = local_meta_api(&seen).await?;
    let meta = MetaAdsClient::new(config.clone());
    assert!(
        !format!("{config:?}").contains(TOKEN),
        "the token never reaches a log"
    );

    let env = Env::sqlite().await?;
    let market = env.market(new_id(), "ES", "EUR").await?;
    let ad = env
        .ad(&market, new_id(), AdChannel::Facebook, "Winter reel")
        .await?;
    let external = meta.publish(&ad).await?;
    assert_eq!(external, "23850000000001");
    meta.pause(&external).await?;
    let days = meta.pull_metrics(&external, day_n(1), day_n(2)).await?;
    {
        let seen = seen.lock().unwrap();
        let created = &seen.created[0];
        assert_eq!(form_value(created, "name"), Some("Winter reel"));
        assert_eq!(form_value(created, "adset_id"), Some("2385000000000"));
        assert_eq!(form_value(created, "status"), Some("ACTIVE"));
        let creative: Value =
            serde_json::from_str(form_value(created, "creative").unwrap_or("null"))?;
        assert_eq!(creative, json!({"creative_id": "2385000000999"}));
        assert_eq!(
            seen.updated,
            [(
                "23850000000001".to_string(),
                vec![("status".to_string(), "PAUSED".to_string())]
            )]
        );
        let first = &seen.insights[0];
        assert_eq!(form_value(first, "time_increment"), Some("1"));
        assert_eq!(
            form_value(first, "time_range"),
            Some(in_test_month(r#"{"since":"2026-10-01","until":"2026-10-02"}"#).as_str())
        );
        assert_eq!(seen.insights.len(), 2, "the second page was followed");
    }
    assert_eq!(days.len(), 2);
    let (d1, d2) = (&days[0].performance, &days[1].performance);
    assert_eq!(days[0].day, day_n(1));
    assert_eq!(
        (d1.impressions, d1.reach, d1.clicks, d1.engagement),
        (1500, 900, 30, 77)
    );
    assert_eq!(
        (
            d1.spend.to_string(),
            d1.conversions,
            d1.conversion_value.to_string()
        ),
        ("12.34".into(), 2, "99.90".into())
    );
    assert_eq!(
        (d2.clicks, d2.conversions, d2.spend.to_string()),
        (40, 3, "20.50".into())
    );

    // Meta's refusals come back as Refused with its message; a bad token is one.
    let stranger = MetaAdsClient::new(MetaConfig {
        access_token: "wrong".into(),
        ..config
    });
    let refused = stranger.pause("23850000000001").await;
    assert!(
        matches!(&refused, Err(PlatformError::Refused { message, .. }) if message.contains("Invalid OAuth access token") && message.contains("190")),
        "{refused:?}"
    );
    env.close().await
}

async fn publish_pause_and_sync_through_the_simulator_platform(env: &Env) -> Result<()> {
    let org = new_id();
    let me = tenant(org);
    let market = env.market(org, "ES", "EUR").await?;
    let ad = env
        .ad(&market, new_id(), AdChannel::Tiktok, "Trail")
        .await?;
    let id = ad.id.to_string();
    let update = r#"mutation($id: ID!, $input: UpdateAdInput!) { updateAd(id: $id, input: $input) { status } }"#;
    env.gql_ok(
        &me,
        update,
        // An ad runs only within its dates: these reach past today.
        json!({"id": id, "input": {"status": "SCHEDULED", "platform": "simulator",
               "endDate": (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string()}}),
    )
    .await;
    let publish = r#"mutation($id: ID!) { publishAd(id: $id) { status externalId } }"#;
    let published = env.gql_ok(&me, publish, json!({"id": id})).await["publishAd"].clone();
    assert_eq!(published["status"], "RUNNING");
    assert_eq!(published["externalId"], format!("sim-{}", ad.id.simple()));
    let pause = r#"mutation($id: ID!) { pauseAd(id: $id) { status externalId } }"#;
    let paused = env.gql_ok(&me, pause, json!({"id": id})).await["pauseAd"].clone();
    assert_eq!(
        paused,
        json!({"status": "PAUSED", "externalId": published["externalId"]})
    );
    let again = env.gql_ok(&me, pause, json!({"id": id})).await["pauseAd"].clone();
    assert_eq!(again["status"], "PAUSED", "pausing is idempotent");

    let sync = &in_test_month(
        r#"mutation($id: ID!) { syncAdMetrics(id: $id, from: "2026-10-01", to: "2026-10-07") { day impressions clicks } }"#,
    );
    let first = env.gql_ok(&me, sync, json!({"id": id})).await["syncAdMetrics"].clone();
    let second = env.gql_ok(&me, sync, json!({"id": id})).await["syncAdMetrics"].clone();
    assert_eq!(first.as_array().map(Vec::len), Some(7));
    assert_eq!(
        first, second,
        "the simulator is deterministic and a pull replaces its days"
    );
    assert_eq!(env.row_counts().await?.2, 7);

    let meta_ad = env
        .ad(&market, new_id(), AdChannel::Facebook, "No connector")
        .await?;
    env.gql_ok(
        &me,
        update,
        json!({"id": meta_ad.id.to_string(), "input": {"status": "SCHEDULED", "platform": "meta"}}),
    )
    .await;
    let unconfigured = env
        .gql(&me, publish, json!({"id": meta_ad.id.to_string()}))
        .await;
    assert_eq!(
        unconfigured["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{unconfigured:#}"
    );
    let never_published = env
        .gql(&me, pause, json!({"id": meta_ad.id.to_string()}))
        .await;
    assert_eq!(
        never_published["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "a scheduled ad cannot pause: {never_published:#}"
    );
    Ok(())
}

/// Moving a running ad's end date before today ends it through the same stop as a pause: its
/// platform (Meta's API, on a local server) is told to stop serving it first, and while the
/// platform cannot be reached the change is refused and nothing moves. A draft's end date moves
/// freely: it never ran.
async fn an_end_date_moved_before_today_stops_the_ad_on_its_platform(env: &Env) -> Result<()> {
    let seen: Shared = Arc::default();
    let (_served, config) = local_meta_api(&seen).await?;
    let app = env.app_with(AdsServices {
        platforms: Platforms::none().with(Arc::new(MetaAdsClient::new(config))),
        ..test_services()
    });
    let org = new_id();
    let me = tenant(org);
    let market = env.market(org, "ES", "EUR").await?;
    // Its days: 1 to 31 of the tests' month, today being day 28.
    let ad = env
        .ad(&market, new_id(), AdChannel::Facebook, "Winter reel")
        .await?;
    let id = ad.id.to_string();
    let gql = |query: &'static str, variables: Value| {
        let (app, me) = (&app, &me);
        async move { crate::harness::gql_on(app, me, query, variables).await }
    };
    let update = r#"mutation($id: ID!, $input: UpdateAdInput!) { updateAd(id: $id, input: $input) { status endDate externalId } }"#;
    let read = r#"query($id: ID!) { ad(id: $id) { status endDate externalId } }"#;
    let scheduled = gql(
        update,
        json!({"id": id, "input": {"status": "SCHEDULED", "platform": "meta"}}),
    )
    .await;
    assert_eq!(
        scheduled["data"]["updateAd"]["status"], "SCHEDULED",
        "{scheduled:#}"
    );
    let published = gql(
        r#"mutation($id: ID!) { publishAd(id: $id) { status externalId } }"#,
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        published["data"]["publishAd"],
        json!({"status": "RUNNING", "externalId": "23850000000001"}),
        "{published:#}"
    );

    seen.lock().unwrap().updates_fail = true;
    let refused = gql(update, json!({"id": id, "input": {"endDate": iso_n(26)}})).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "the platform could not be told: {refused:#}"
    );
    assert_eq!(
        gql(read, json!({"id": id})).await["data"]["ad"],
        json!({"status": "RUNNING", "endDate": iso_n(31), "externalId": "23850000000001"}),
        "a refused change moves nothing"
    );
    assert!(seen.lock().unwrap().updated.is_empty());

    seen.lock().unwrap().updates_fail = false;
    let ended = gql(update, json!({"id": id, "input": {"endDate": iso_n(26)}})).await;
    assert_eq!(
        ended["data"]["updateAd"],
        json!({"status": "ENDED", "endDate": iso_n(26), "externalId": "23850000000001"}),
        "{ended:#}"
    );
    assert_eq!(
        seen.lock().unwrap().updated,
        [(
            "23850000000001".to_string(),
            vec![("status".to_string(), "PAUSED".to_string())]
        )],
        "the platform stopped serving it"
    );
    let stored = env
        .store
        .ads_by_id(promptsales_kit::context::TenantScope::All, &[ad.id])
        .await?;
    assert_eq!(
        stored.first().map(|a| a.written_status),
        Some(AdStatus::Ended),
        "ENDED is written, not only read from the dates"
    );

    let draft = env
        .ad(&market, new_id(), AdChannel::Facebook, "Draft")
        .await?;
    let moved = gql(
        update,
        json!({"id": draft.id.to_string(), "input": {"endDate": iso_n(26)}}),
    )
    .await;
    assert_eq!(
        moved["data"]["updateAd"]["status"], "DRAFT",
        "a draft never ran: {moved:#}"
    );
    assert_eq!(seen.lock().unwrap().updated.len(), 1, "nothing else told");
    Ok(())
}

/// `syncAdMetrics` pulls spend from the platform: like `recordAdMetrics`, it records it only
/// while the ad's campaign is ACTIVE with its launch approved (CONFLICT otherwise, nothing written).
async fn sync_records_nothing_for_a_campaign_that_does_not_accept_spend(env: &Env) -> Result<()> {
    let org = new_id();
    let me = tenant(org);
    let market = env.market(org, "ES", "EUR").await?;
    let ad = env
        .ad(&market, new_id(), AdChannel::Tiktok, "Paused campaign")
        .await?;
    let id = ad.id.to_string();
    let update = r#"mutation($id: ID!, $input: UpdateAdInput!) { updateAd(id: $id, input: $input) { status } }"#;
    env.gql_ok(
        &me,
        update,
        json!({"id": id, "input": {"status": "SCHEDULED", "platform": "simulator",
               "endDate": (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string()}}),
    )
    .await;
    env.gql_ok(
        &me,
        r#"mutation($id: ID!) { publishAd(id: $id) { status } }"#,
        json!({"id": id}),
    )
    .await;
    let sync = &in_test_month(
        r#"mutation($id: ID!) { syncAdMetrics(id: $id, from: "2026-10-01", to: "2026-10-03") { day } }"#,
    );
    let before = env.row_counts().await?;
    for state in [
        CampaignState::Paused,
        CampaignState::Cancelled,
        CampaignState::PendingApproval,
    ] {
        let app = env.app_with(AdsServices {
            directory: Arc::new(CampaignsIn(state)),
            ..test_services()
        });
        let refused = crate::harness::gql_on(&app, &me, sync, json!({"id": id})).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "CONFLICT",
            "{state:?}: {refused:#}"
        );
    }
    assert_eq!(env.row_counts().await?, before, "nothing recorded");
    let synced = env.gql_ok(&me, sync, json!({"id": id})).await;
    assert_eq!(synced["syncAdMetrics"].as_array().map(Vec::len), Some(3));
    Ok(())
}
