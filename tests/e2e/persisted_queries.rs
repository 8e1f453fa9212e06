//! Automatic persisted queries (Apollo's protocol) through the router, and the
//! trusted-documents mode, against a real Redis.

use serde_json::{Value, json};

use super::edge::{self, Reply};
use super::fixture;

const QUERY: &str = "query CampaignName($id: ID!) { campaign(id: $id) { id name } }";

fn sha256(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn name_of(reply: &Reply) -> &Value {
    &reply.body["data"]["campaign"]["name"]
}

#[tokio::test]
async fn apq_round_trip_registers_then_serves_by_hash_over_post_and_get() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    let auth = f.as_org_a();
    let hash = sha256(QUERY);
    let variables = json!({ "id": f.campaign_1.to_string() });

    // 1. Hash only, unknown: Apollo's PersistedQueryNotFound, so the client resends the text.
    let miss = edge::post(
        &router.url,
        json!({ "variables": variables, "extensions": persisted(&hash) }),
        &auth,
    )
    .await
    .expect("hash-only request");
    assert_eq!(miss.codes(), vec!["PERSISTED_QUERY_NOT_FOUND"], "{miss:#?}");
    assert_eq!(miss.body["errors"][0]["message"], "PersistedQueryNotFound");

    // 2. Text and hash: runs, and registers the text under pq:{hash}.
    let registered = edge::post(
        &router.url,
        json!({ "query": QUERY, "variables": variables, "extensions": persisted(&hash) }),
        &auth,
    )
    .await
    .expect("registering request");
    assert_eq!(name_of(&registered), "Winter Summit", "{registered:#?}");
    let mut redis = edge::redis_connection(&redis_url).await.expect("redis");
    let stored: Option<String> = ::redis::cmd("GET")
        .arg(format!("{prefix}pq:{hash}"))
        .query_async(&mut redis)
        .await
        .expect("GET");
    assert_eq!(stored.as_deref(), Some(QUERY));
    let ttl: i64 = ::redis::cmd("TTL")
        .arg(format!("{prefix}pq:{hash}"))
        .query_async(&mut redis)
        .await
        .expect("TTL");
    assert!(
        ttl > 29 * 24 * 3600,
        "kept for 30 days by default, TTL {ttl}"
    );

    // 3. Hash only again: served from Redis.
    let by_hash = edge::post(
        &router.url,
        json!({ "variables": variables, "extensions": persisted(&hash) }),
        &auth,
    )
    .await
    .expect("hash-only request");
    assert_eq!(name_of(&by_hash), "Winter Summit", "{by_hash:#?}");

    // 4. The same over GET, hash only, as Apollo Client sends queries with useGETForHashedQueries.
    let over_get = edge::get(
        &router.url,
        &[
            ("variables", variables.to_string()),
            ("extensions", persisted(&hash).to_string()),
        ],
        &auth,
    )
    .await
    .expect("GET by hash");
    assert_eq!(over_get.status, 200, "{over_get:#?}");
    assert_eq!(name_of(&over_get), "Winter Summit", "{over_get:#?}");
}

#[tokio::test]
async fn apq_refuses_a_hash_that_does_not_match_its_query() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    let auth = f.as_org_a();
    let wrong = sha256("query Other { __typename }");
    let variables = json!({ "id": f.campaign_1.to_string() });
    let refused = edge::post(
        &router.url,
        json!({ "query": QUERY, "variables": variables, "extensions": persisted(&wrong) }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(refused.status, 400, "{refused:#?}");
    assert_eq!(refused.codes(), vec!["PERSISTED_QUERY_HASH_MISMATCH"]);
    assert!(refused.body["data"].is_null());
    // Nothing was registered under the wrong hash.
    let after = edge::post(
        &router.url,
        json!({ "variables": variables, "extensions": persisted(&wrong) }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(after.codes(), vec!["PERSISTED_QUERY_NOT_FOUND"]);
    // A version other than 1 is refused by name.
    let version = edge::post(
        &router.url,
        json!({ "query": QUERY, "variables": variables,
                "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(QUERY) } } }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(
        version.codes(),
        vec!["PERSISTED_QUERY_VERSION_NOT_SUPPORTED"]
    );
}

#[tokio::test]
async fn trusted_documents_refuse_operations_outside_the_manifest() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let dir = tempfile::tempdir().expect("a folder");
    let manifest = dir.path().join("persisted-query-manifest.json");
    let id = sha256(QUERY);
    std::fs::write(
        &manifest,
        json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": id, "name": "CampaignName", "type": "query", "body": QUERY }]
        })
        .to_string(),
    )
    .expect("manifest written");
    let (router, _prefix) = edge::router(
        &f,
        &redis_url,
        &[(
            "PROMPTSALES_TRUSTED_DOCUMENTS",
            manifest.display().to_string(),
        )],
    )
    .await
    .expect("router");
    let auth = f.as_org_a();
    let variables = json!({ "id": f.campaign_1.to_string() });

    let by_id = edge::post(
        &router.url,
        json!({ "variables": variables, "extensions": persisted(&id) }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(name_of(&by_id), "Winter Summit", "{by_id:#?}");
    let by_document_id = edge::post(
        &router.url,
        json!({ "documentId": id, "variables": variables }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(
        name_of(&by_document_id),
        "Winter Summit",
        "{by_document_id:#?}"
    );

    let free_text = edge::post(
        &router.url,
        edge::query("{ campaigns { edges { node { name } } } }", json!({})),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(free_text.status, 400);
    assert_eq!(
        free_text.codes(),
        vec!["PERSISTED_QUERY_REQUIRED"],
        "{free_text:#?}"
    );
    assert!(free_text.body["data"].is_null());

    let unknown = edge::post(
        &router.url,
        json!({ "extensions": persisted(&sha256("query X { __typename }")) }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(
        unknown.codes(),
        vec!["PERSISTED_QUERY_NOT_IN_LIST"],
        "{unknown:#?}"
    );

    // APQ registration is off: sending text with its own hash does not make it trusted.
    let other = "query Sneaky { campaigns { edges { node { name } } } }";
    let register = edge::post(
        &router.url,
        json!({ "query": other, "extensions": persisted(&sha256(other)) }),
        &auth,
    )
    .await
    .expect("request");
    assert_eq!(
        register.codes(),
        vec!["PERSISTED_QUERY_NOT_IN_LIST"],
        "{register:#?}"
    );
}
