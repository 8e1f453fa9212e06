//! Limits at the router's edge: the Redis rate limit per subject, and the
//! depth, alias, token and body-size limits of the router's configuration.

use serde_json::json;

use super::edge;
use super::fixture::{self, ALL_WRITE};
use super::harness::bearer;

const NAME: &str = "query Name($id: ID!) { campaign(id: $id) { name } }";

#[tokio::test]
async fn the_rate_limit_trips_per_subject_with_a_retry_delay() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    // A long window, so the test never straddles two.
    let (router, _prefix) = edge::router(
        &f,
        &redis_url,
        &[
            ("PROMPTSALES_RATE_LIMIT", "3".to_string()),
            ("PROMPTSALES_RATE_LIMIT_WINDOW", "1h".to_string()),
        ],
    )
    .await
    .expect("router");
    let body = edge::query(NAME, json!({ "id": f.campaign_1.to_string() }));
    let marketer = bearer(&f.user_token(f.marketer_a, f.org_a, &ALL_WRITE));

    for n in 1..=3 {
        let ok = edge::post(&router.url, body.clone(), &marketer)
            .await
            .expect("query");
        assert_eq!(ok.status, 200, "request {n}: {ok:#?}");
        assert_eq!(ok.body["data"]["campaign"]["name"], "Winter Summit");
    }
    let limited = edge::post(&router.url, body.clone(), &marketer)
        .await
        .expect("query");
    assert_eq!(limited.status, 429, "{limited:#?}");
    assert_eq!(limited.codes(), vec!["RATE_LIMITED"]);
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(
        (1..=3600).contains(&retry_after),
        "retry after {retry_after}"
    );
    assert_eq!(
        limited.body["errors"][0]["extensions"]["retryAfter"],
        json!(retry_after)
    );
    assert!(limited.body["data"].is_null());

    // Another subject has its own budget.
    let client = bearer(&f.token(Some(f.org_a), &ALL_WRITE));
    let other = edge::post(&router.url, body.clone(), &client)
        .await
        .expect("query");
    assert_eq!(other.status, 200, "{other:#?}");
}

#[tokio::test]
async fn limits_refuse_deep_aliased_long_and_oversized_operations() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(
        &f,
        &redis_url,
        &[
            ("PROMPTSALES_ROUTER_MAX_DEPTH", "4".to_string()),
            ("PROMPTSALES_ROUTER_MAX_ALIASES", "2".to_string()),
            ("PROMPTSALES_ROUTER_MAX_TOKENS", "200".to_string()),
            ("PROMPTSALES_ROUTER_MAX_BODY_SIZE", "4KB".to_string()),
        ],
    )
    .await
    .expect("router");
    let auth = f.as_org_a();
    let id = f.campaign_1.to_string();

    let within = edge::post(&router.url, edge::query(NAME, json!({ "id": id })), &auth)
        .await
        .expect("query");
    assert_eq!(
        within.body["data"]["campaign"]["name"], "Winter Summit",
        "{within:#?}"
    );

    let deep = "{ organizations { edges { node { campaigns { edges { node { name } } } } } } }";
    let reply = edge::post(&router.url, edge::query(deep, json!({})), &auth)
        .await
        .expect("query");
    assert!(reply.body["data"].is_null(), "{reply:#?}");
    assert!(!reply.codes().is_empty());
    assert!(
        reply.codes().iter().all(|c| c == "MAX_DEPTH_EXCEEDED"),
        "a depth code: {:?}",
        reply.codes()
    );

    let aliased = format!(
        "{{ a: campaign(id: \"{id}\") {{ name }} b: campaign(id: \"{id}\") {{ name }} c: campaign(id: \"{id}\") {{ name }} }}"
    );
    let reply = edge::post(&router.url, edge::query(&aliased, json!({})), &auth)
        .await
        .expect("query");
    assert!(reply.body["data"].is_null(), "{reply:#?}");
    assert!(
        reply.codes().iter().any(|c| c == "MAX_ALIASES_EXCEEDED"),
        "an alias code: {:?}",
        reply.codes()
    );

    let long = format!("{{ {} }}", vec!["__typename"; 250].join(" "));
    let reply = edge::post(&router.url, edge::query(&long, json!({})), &auth)
        .await
        .expect("query");
    assert!(reply.body["data"].is_null(), "{reply:#?}");
    assert!(
        reply.codes().iter().any(|c| c == "TOKEN_LIMIT_EXCEEDED"),
        "a token code: {:?}",
        reply.codes()
    );

    let padding = " ".repeat(8 * 1024);
    let oversized = json!({ "query": format!("{{ __typename {padding} }}") });
    let response = reqwest::Client::new()
        .post(&router.url)
        .header("accept", "application/json")
        .json(&oversized)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 413);
}
