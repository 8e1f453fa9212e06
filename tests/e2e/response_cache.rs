//! The response cache through the router, against a real Redis: hints decide
//! the lifetime, scopes keep tenants apart, mutations invalidate by entity.

use serde_json::json;

use super::edge;
use super::fixture::{self, ALL_WRITE};
use super::harness::bearer;

/// Crosses all four subgraphs; the shortest hint is crm's Campaign (30 s).
const OVERVIEW: &str = r#"
query Overview($id: ID!) {
  campaign(id: $id) {
    id name
    adTotals { impressions spend }
    leadFunnel { total won }
    assets(first: 5) { edges { node { id kind } } }
  }
}"#;

const CAMPAIGN_NAME: &str = "query Name($id: ID!) { campaign(id: $id) { id name } }";

const RENAME: &str = r#"
mutation Rename($id: ID!, $name: String!) {
  updateCampaign(id: $id, input: { name: $name }) { id name }
}"#;

#[tokio::test]
async fn a_query_misses_then_hits_with_age_and_hint_headers() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    let auth = f.as_org_a();
    let body = edge::query(OVERVIEW, json!({ "id": f.campaign_1.to_string() }));

    let first = edge::post(&router.url, body.clone(), &auth)
        .await
        .expect("query");
    assert_eq!(first.cache(), "MISS", "{first:#?}");
    assert_eq!(first.body["data"]["campaign"]["name"], "Winter Summit");
    assert_eq!(
        first.body["data"]["campaign"]["adTotals"]["impressions"],
        3500
    );
    assert_eq!(
        first.header("cache-control"),
        Some("private, max-age=30"),
        "the shortest hint of the four subgraphs, private to the token holder"
    );
    assert!(first.header("age").is_none());

    let hit = edge::until_hit(&router.url, &body, &auth)
        .await
        .expect("a hit");
    assert_eq!(hit.body, first.body, "the cached response is the response");
    let age: u64 = hit
        .header("age")
        .expect("an Age header")
        .parse()
        .expect("Age in seconds");
    assert!(age <= 30, "age {age} within the max-age");
    assert_eq!(hit.header("cache-control"), Some("private, max-age=30"));

    // Tagged by the entities it holds.
    let mut redis = edge::redis_connection(&redis_url).await.expect("redis");
    let tagged: Vec<String> = ::redis::cmd("SMEMBERS")
        .arg(format!("{prefix}rc:tag:Campaign:{}", f.campaign_1))
        .query_async(&mut redis)
        .await
        .expect("SMEMBERS");
    assert_eq!(tagged.len(), 1, "one cached response holds campaign 1");

    // A response with errors is never cached.
    let broken = edge::query(
        CAMPAIGN_NAME,
        json!({ "id": uuid::Uuid::now_v7().to_string() }),
    );
    for _ in 0..3 {
        let reply = edge::post(&router.url, broken.clone(), &auth)
            .await
            .expect("query");
        assert!(!reply.codes().is_empty(), "{reply:#?}");
        assert_eq!(reply.cache(), "MISS");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn two_tenants_with_the_same_query_never_share_a_cached_response() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    let list = edge::query(
        "{ campaigns(first: 10) { edges { node { id name } } } }",
        json!({}),
    );
    let names = |reply: &edge::Reply| -> Vec<String> {
        reply.body["data"]["campaigns"]["edges"]
            .as_array()
            .map(|edges| {
                let mut names: Vec<String> = edges
                    .iter()
                    .filter_map(|e| e["node"]["name"].as_str().map(str::to_string))
                    .collect();
                names.sort();
                names
            })
            .unwrap_or_default()
    };

    let tenant_a = f.as_org_a();
    edge::post(&router.url, list.clone(), &tenant_a)
        .await
        .expect("query");
    let a_hit = edge::until_hit(&router.url, &list, &tenant_a)
        .await
        .expect("a hit");
    assert_eq!(names(&a_hit), vec!["Spring Trails", "Winter Summit"]);

    let tenant_b = bearer(&f.token(Some(f.org_b), &ALL_WRITE));
    let b_first = edge::post(&router.url, list.clone(), &tenant_b)
        .await
        .expect("query");
    assert_eq!(b_first.cache(), "MISS", "{b_first:#?}");
    assert_eq!(names(&b_first), vec!["Rival Launch"]);
    let b_hit = edge::until_hit(&router.url, &list, &tenant_b)
        .await
        .expect("b hit");
    assert_eq!(names(&b_hit), vec!["Rival Launch"]);

    // A forged token claiming tenant A (its signature replaced) never reads A's cached response.
    let genuine = f.token(Some(f.org_a), &ALL_WRITE);
    let (signed, _signature) = genuine.rsplit_once('.').expect("a JWT");
    let forged = bearer(&format!("{signed}.AAAA"));
    let attacker = edge::post(&router.url, list.clone(), &forged)
        .await
        .expect("query");
    assert_eq!(attacker.cache(), "BYPASS", "{attacker:#?}");
    assert!(names(&attacker).is_empty(), "{attacker:#?}");

    // Same tenant, fewer roles: a scope of its own too.
    let reader_a = bearer(&f.token(Some(f.org_a), &["sales:read"]));
    let reader = edge::post(&router.url, list.clone(), &reader_a)
        .await
        .expect("query");
    assert_eq!(reader.cache(), "MISS");
}

#[tokio::test]
async fn a_mutation_invalidates_exactly_the_responses_holding_its_entity() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    let auth = f.as_org_a();
    let one = edge::query(CAMPAIGN_NAME, json!({ "id": f.campaign_1.to_string() }));
    let two = edge::query(CAMPAIGN_NAME, json!({ "id": f.campaign_2.to_string() }));
    let list = edge::query(
        "{ campaigns(first: 10) { edges { node { id name } } } }",
        json!({}),
    );
    for body in [&one, &two, &list] {
        edge::post(&router.url, body.clone(), &auth)
            .await
            .expect("query");
        edge::until_hit(&router.url, body, &auth)
            .await
            .expect("cached");
    }

    let renamed = edge::post(
        &router.url,
        edge::query(
            RENAME,
            json!({ "id": f.campaign_1.to_string(), "name": "Winter Summit II" }),
        ),
        &auth,
    )
    .await
    .expect("mutation");
    assert_eq!(
        renamed.body["data"]["updateCampaign"]["name"], "Winter Summit II",
        "{renamed:#?}"
    );
    assert_eq!(renamed.cache(), "BYPASS", "mutations are never cached");
    assert_eq!(renamed.header("cache-control"), Some("no-store"));

    // The response holding campaign 1 is gone: the next read is fresh.
    let after = edge::post(&router.url, one.clone(), &auth)
        .await
        .expect("query");
    assert_eq!(after.cache(), "MISS", "{after:#?}");
    assert_eq!(after.body["data"]["campaign"]["name"], "Winter Summit II");
    // The one holding only campaign 2 is untouched.
    let other = edge::post(&router.url, two.clone(), &auth)
        .await
        .expect("query");
    assert_eq!(other.cache(), "HIT", "{other:#?}");
    assert_eq!(other.body["data"]["campaign"]["name"], "Spring Trails");
    // A list of campaigns may change with any campaign mutation (a rename here, a creation
    // elsewhere): list responses carry `Campaign:*` and are invalidated too.
    let listed = edge::post(&router.url, list.clone(), &auth)
        .await
        .expect("query");
    assert_eq!(listed.cache(), "MISS", "{listed:#?}");
    assert!(
        listed.body.to_string().contains("Winter Summit II"),
        "{listed:#?}"
    );
}
