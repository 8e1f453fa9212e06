//! A subgraph down or slow, Redis down: the router still answers, with what it has.

use std::time::Duration;

use promptsales_kit::testing::throwaway_redis;
use serde_json::{Value, json};

use super::edge;
use super::fixture;

/// Sales and ads for the campaign, content for a media asset (a nullable root field).
const MIXED: &str = r#"
query Mixed($id: ID!, $asset: ID!) {
  campaign(id: $id) { name adTotals { impressions spend } }
  mediaAsset(id: $asset) { id kind }
}"#;

fn variables(f: &fixture::Fixture) -> Value {
    json!({ "id": f.campaign_1.to_string(), "asset": uuid::Uuid::now_v7().to_string() })
}

/// A URL where nothing listens (a stopped subgraph).
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/graphql")
}

fn assert_partial(reply: &edge::Reply) {
    let data = &reply.body["data"];
    assert_eq!(data["campaign"]["name"], "Winter Summit", "{reply:#?}");
    assert_eq!(data["campaign"]["adTotals"]["impressions"], 3500);
    assert!(data["mediaAsset"].is_null(), "{reply:#?}");
    let errors = reply.body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty());
    assert!(
        errors.iter().all(|e| e["extensions"]["code"].is_string()),
        "every error has a code: {errors:#?}"
    );
    assert_eq!(reply.cache(), "MISS");
    assert_eq!(
        reply.header("cache-control"),
        Some("no-store"),
        "partial data is not cached"
    );
}

#[tokio::test]
async fn a_stopped_subgraph_leaves_partial_data_and_errors_for_its_fields() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) =
        edge::router(&f, &redis_url, &[("PROMPTSALES_CONTENT_URL", dead_url())])
            .await
            .expect("router");
    let reply = edge::post(
        &router.url,
        edge::query(MIXED, variables(&f)),
        &f.as_org_a(),
    )
    .await
    .expect("query");
    assert_eq!(reply.status, 200);
    assert_partial(&reply);
    assert_unavailable(&reply, "content");
}

/// One stable code for a subgraph that cannot be reached, naming it.
fn assert_unavailable(reply: &edge::Reply, subgraph: &str) {
    let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
                && e["extensions"]["service"] == subgraph),
        "{errors:#?}"
    );
}

#[tokio::test]
async fn with_ads_down_a_campaign_list_keeps_its_sales_data_and_nulls_only_the_ads_fields() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(&f, &redis_url, &[("PROMPTSALES_ADS_URL", dead_url())])
        .await
        .expect("router");
    let reply = edge::post(
        &router.url,
        edge::query(
            "{ campaigns(first: 10) { edges { node { name adTotals { impressions } } } } }",
            json!({}),
        ),
        &f.as_org_a(),
    )
    .await
    .expect("query");
    assert_eq!(reply.status, 200);
    let edges = reply.body["data"]["campaigns"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut names: Vec<&str> = edges
        .iter()
        .filter_map(|e| e["node"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, vec!["Spring Trails", "Winter Summit"], "{reply:#?}");
    assert!(
        edges.iter().all(|e| e["node"]["adTotals"].is_null()),
        "{reply:#?}"
    );
    let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{reply:#?}");
    assert!(
        errors.iter().all(|e| e["extensions"]["code"].is_string()),
        "{errors:#?}"
    );
    assert_unavailable(&reply, "ads");
}

#[tokio::test]
async fn a_slow_subgraph_is_cut_off_by_the_timeout_into_partial_data() {
    let f = fixture::start().await.expect("the graph starts");
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hang = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(
        &f,
        &redis_url,
        &[
            (
                "PROMPTSALES_CONTENT_URL",
                format!("http://127.0.0.1:{port}/graphql"),
            ),
            ("PROMPTSALES_SUBGRAPH_TIMEOUT", "1s".to_string()),
        ],
    )
    .await
    .expect("router");
    let reply = edge::post(
        &router.url,
        edge::query(MIXED, variables(&f)),
        &f.as_org_a(),
    )
    .await
    .expect("the router answers (the client waits up to 60 s)");
    assert_partial(&reply);
    hang.abort();
}

#[tokio::test]
async fn redis_stopped_mid_test_every_request_is_still_answered() {
    let f = fixture::start().await.expect("the graph starts");
    let mut redis = throwaway_redis().await.expect("a private redis");
    let (router, _prefix) = edge::router(
        &f,
        &redis.url(),
        &[("PROMPTSALES_RATE_LIMIT", "1000".to_string())],
    )
    .await
    .expect("router");
    let auth = f.as_org_a();
    let query = edge::query(
        "query Name($id: ID!) { campaign(id: $id) { id name } }",
        json!({ "id": f.campaign_1.to_string() }),
    );
    let hash = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(
            query["query"].as_str().expect("text").as_bytes(),
        ))
    };
    let apq = |with_text: bool| {
        let mut body = json!({
            "variables": query["variables"],
            "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }
        });
        if with_text {
            body["query"] = query["query"].clone();
        }
        body
    };

    edge::post(&router.url, query.clone(), &auth)
        .await
        .expect("query");
    edge::until_hit(&router.url, &query, &auth)
        .await
        .expect("cached while redis runs");

    redis.stop().await.expect("redis stops");
    for _ in 0..5 {
        let reply = edge::post(&router.url, query.clone(), &auth)
            .await
            .expect("answered");
        assert_eq!(reply.status, 200, "{reply:#?}");
        assert_eq!(reply.body["data"]["campaign"]["name"], "Winter Summit");
        assert_eq!(reply.cache(), "BYPASS", "served without the cache");
        let registered = edge::post(&router.url, apq(true), &auth)
            .await
            .expect("answered");
        assert_eq!(
            registered.body["data"]["campaign"]["name"], "Winter Summit",
            "{registered:#?}"
        );
        let by_hash = edge::post(&router.url, apq(false), &auth)
            .await
            .expect("answered");
        assert_eq!(
            by_hash.codes(),
            vec!["PERSISTED_QUERY_NOT_FOUND"],
            "the client resends the text"
        );
    }
    let metrics = reqwest::get(router.url.replace("/graphql", "/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let failures: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("promptsales_router_redis_failures{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(failures >= 5.0, "outage counted: {failures} in\n{metrics}");

    // Back: the cache works again (the connection manager reconnects by itself).
    redis.start().await.expect("redis starts");
    let mut back = false;
    for _ in 0..100 {
        let reply = edge::post(&router.url, query.clone(), &auth)
            .await
            .expect("answered");
        assert_eq!(reply.body["data"]["campaign"]["name"], "Winter Summit");
        if reply.cache() == "HIT" {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "the cache serves again once redis is back");
}
