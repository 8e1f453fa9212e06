//! The response cache through the router, against a real Redis: hints decide
//! the lifetime, scopes keep tenants (and, for private hints, users) apart,
//! mutations invalidate by entity and by their own tenant's lists.

use promptsales_kit::cache_tags::{entity_tag, response_key, tag_key};
use serde_json::{Value, json};

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
        .arg(tag_key(
            &prefix,
            Some(f.org_a.to_string().as_str()),
            &entity_tag("Campaign", &f.campaign_1.to_string()),
        ))
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

const CAMPAIGN_LIST: &str = "{ campaigns(first: 10) { edges { node { id name } } } }";

const CREATE_CAMPAIGN: &str = r#"
mutation Create($input: CreateCampaignInput!) { createCampaign(input: $input) { id name } }"#;

/// The names in a `campaigns` connection, sorted.
fn campaign_names(reply: &edge::Reply) -> Vec<String> {
    let mut names: Vec<String> = reply.body["data"]["campaigns"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn new_campaign(organization: uuid::Uuid, owner: uuid::Uuid, name: &str) -> Value {
    json!({ "input": {
        "organizationId": organization.to_string(),
        "ownerId": owner.to_string(),
        "name": name,
        "budget": "1000",
        "currency": "EUR",
        "startDate": "2026-11-01",
        "endDate": "2026-11-30",
    }})
}

#[tokio::test]
async fn a_tenants_mutation_invalidates_its_own_lists_and_keeps_other_tenants_lists() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, _prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    let list = edge::query(CAMPAIGN_LIST, json!({}));
    let tenant_a = f.as_org_a();
    let tenant_b = bearer(&f.token(Some(f.org_b), &ALL_WRITE));
    for auth in [&tenant_a, &tenant_b] {
        edge::post(&router.url, list.clone(), auth)
            .await
            .expect("query");
    }
    let b_cached = edge::until_hit(&router.url, &list, &tenant_b)
        .await
        .expect("b cached");
    assert_eq!(campaign_names(&b_cached), vec!["Rival Launch"]);
    edge::until_hit(&router.url, &list, &tenant_a)
        .await
        .expect("a cached");

    // A creation: the new campaign is in no cached response yet, only its type's lists can go.
    let created = edge::post(
        &router.url,
        edge::query(
            CREATE_CAMPAIGN,
            new_campaign(f.org_a, f.marketer_a, "Autumn Peaks"),
        ),
        &tenant_a,
    )
    .await
    .expect("mutation");
    assert_eq!(
        created.body["data"]["createCampaign"]["name"], "Autumn Peaks",
        "{created:#?}"
    );

    let a_after = edge::post(&router.url, list.clone(), &tenant_a)
        .await
        .expect("query");
    assert_eq!(a_after.cache(), "MISS", "{a_after:#?}");
    assert_eq!(
        campaign_names(&a_after),
        vec!["Autumn Peaks", "Spring Trails", "Winter Summit"]
    );
    let b_after = edge::post(&router.url, list.clone(), &tenant_b)
        .await
        .expect("query");
    assert_eq!(
        b_after.cache(),
        "HIT",
        "another tenant's mutation keeps B's list: {b_after:#?}"
    );
    assert_eq!(b_after.body, b_cached.body);

    // A platform operator acts for every tenant: its creation in B reaches B's cached list.
    let owner = edge::post(
        &router.url,
        edge::query(
            "query Owner($id: ID!) { campaign(id: $id) { owner { id } } }",
            json!({ "id": f.campaign_b.to_string() }),
        ),
        &tenant_b,
    )
    .await
    .expect("query");
    let owner_b: uuid::Uuid = owner.body["data"]["campaign"]["owner"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("B's marketer: {owner:#?}"));
    let platform = bearer(&f.token(None, &ALL_WRITE));
    let platform_created = edge::post(
        &router.url,
        edge::query(
            CREATE_CAMPAIGN,
            new_campaign(f.org_b, owner_b, "Rival Encore"),
        ),
        &platform,
    )
    .await
    .expect("mutation");
    assert_eq!(
        platform_created.body["data"]["createCampaign"]["name"], "Rival Encore",
        "{platform_created:#?}"
    );
    let b_fresh = edge::post(&router.url, list.clone(), &tenant_b)
        .await
        .expect("query");
    assert_eq!(b_fresh.cache(), "MISS", "{b_fresh:#?}");
    assert_eq!(
        campaign_names(&b_fresh),
        vec!["Rival Encore", "Rival Launch"]
    );
}

const AGENT_QUEUE: &str = "{ agentQueue(first: 10) { priority lead { id } } }";

/// The lead ids of an `agentQueue` reply, in queue order.
fn queued_leads(reply: &edge::Reply) -> Vec<String> {
    reply.body["data"]["agentQueue"]
        .as_array()
        .map(|queue| {
            queue
                .iter()
                .filter_map(|q| q["lead"]["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn two_users_of_one_tenant_never_share_a_private_response_and_each_gets_a_hit() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (router, prefix) = edge::router(&f, &redis_url, &[]).await.expect("router");
    // Same tenant, same roles: only the user tells their keys apart.
    let alice = bearer(&f.user_token(f.marketer_a, f.org_a, &["crm:write"]));
    let bob = bearer(&f.user_token(uuid::Uuid::now_v7(), f.org_a, &["crm:write"]));

    // Alice claims a lead: it is in her queue now, and no longer in the pool Bob sees.
    let claimed = edge::post(
        &router.url,
        edge::query("mutation { claimNextLead { id } }", json!({})),
        &alice,
    )
    .await
    .expect("mutation");
    let claimed = claimed.body["data"]["claimNextLead"]["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("a lead to claim: {claimed:#?}"));

    let queue = edge::query(AGENT_QUEUE, json!({}));
    let alice_first = edge::post(&router.url, queue.clone(), &alice)
        .await
        .expect("query");
    assert_eq!(alice_first.cache(), "MISS", "{alice_first:#?}");
    assert_eq!(
        alice_first.header("cache-control"),
        Some("private, max-age=10"),
        "the queue's private hint"
    );
    let alice_queue = queued_leads(&alice_first);
    assert!(alice_queue.contains(&claimed), "{alice_first:#?}");
    let alice_hit = edge::until_hit(&router.url, &queue, &alice)
        .await
        .expect("alice's hit");
    assert_eq!(queued_leads(&alice_hit), alice_queue);

    // Bob sends the very same request: not Alice's cached queue.
    let bob_first = edge::post(&router.url, queue.clone(), &bob)
        .await
        .expect("query");
    assert_eq!(bob_first.cache(), "MISS", "{bob_first:#?}");
    let bob_queue = queued_leads(&bob_first);
    assert!(!bob_queue.is_empty(), "the pool: {bob_first:#?}");
    assert!(!bob_queue.contains(&claimed), "{bob_first:#?}");
    assert_eq!(bob_queue.len() + 1, alice_queue.len());
    let bob_hit = edge::until_hit(&router.url, &queue, &bob)
        .await
        .expect("bob's hit");
    assert_eq!(queued_leads(&bob_hit), bob_queue);

    // And Alice still gets her own.
    let alice_again = edge::until_hit(&router.url, &queue, &alice)
        .await
        .expect("alice's hit");
    assert_eq!(queued_leads(&alice_again), alice_queue);

    // Each user's response has a key of its own; the shared key only says "private".
    let mut redis = edge::redis_connection(&redis_url).await.expect("redis");
    let personal: Vec<String> = ::redis::cmd("KEYS")
        .arg(response_key(
            &prefix,
            Some(f.org_a.to_string().as_str()),
            "*:u:*",
        ))
        .query_async(&mut redis)
        .await
        .expect("KEYS");
    assert!(!personal.is_empty(), "no per-user key under {prefix}");
}

#[tokio::test]
async fn a_mutation_through_one_replica_reaches_the_memory_of_another() {
    let f = fixture::start().await.expect("the graph starts");
    let redis_url = edge::shared_redis_url().await;
    let (a, prefix) = edge::router(&f, &redis_url, &[]).await.expect("router a");
    // A second replica on the same Redis keys.
    let (b, _) = edge::router(
        &f,
        &redis_url,
        &[("PROMPTSALES_REDIS_KEY_PREFIX", prefix.clone())],
    )
    .await
    .expect("router b");
    let auth = f.as_org_a();
    let one = edge::query(CAMPAIGN_NAME, json!({ "id": f.campaign_1.to_string() }));
    let two = edge::query(CAMPAIGN_NAME, json!({ "id": f.campaign_2.to_string() }));
    for body in [&one, &two] {
        edge::post(&a.url, body.clone(), &auth)
            .await
            .expect("query");
        edge::until_hit(&a.url, body, &auth).await.expect("cached");
    }

    // Hits from memory: with its Redis keys gone (deleted behind the cache's back, so
    // nothing is published), router a still answers campaign 2 from its memory.
    let mut redis = edge::redis_connection(&redis_url).await.expect("redis");
    let org = f.org_a.to_string();
    let tagged = |id: uuid::Uuid| {
        let key = tag_key(
            &prefix,
            Some(org.as_str()),
            &entity_tag("Campaign", &id.to_string()),
        );
        ::redis::cmd("SMEMBERS").arg(key).clone()
    };
    let two_keys: Vec<String> = tagged(f.campaign_2)
        .query_async(&mut redis)
        .await
        .expect("SMEMBERS");
    assert_eq!(two_keys.len(), 1, "{two_keys:?}");
    let _: () = ::redis::cmd("DEL")
        .arg(&two_keys[0])
        .query_async(&mut redis)
        .await
        .expect("DEL");
    let from_memory = edge::post(&a.url, two.clone(), &auth).await.expect("query");
    assert_eq!(from_memory.cache(), "HIT", "{from_memory:#?}");
    assert_eq!(
        from_memory.body["data"]["campaign"]["name"],
        "Spring Trails"
    );

    // A rename through router b: router a drops campaign 1's response from its memory
    // as Redis deletes it (b's invalidation runs after b answers, hence the retries).
    let renamed = edge::post(
        &b.url,
        edge::query(
            RENAME,
            json!({ "id": f.campaign_1.to_string(), "name": "Winter Summit III" }),
        ),
        &auth,
    )
    .await
    .expect("mutation");
    assert_eq!(
        renamed.body["data"]["updateCampaign"]["name"], "Winter Summit III",
        "{renamed:#?}"
    );
    let mut fresh = None;
    for _ in 0..100 {
        let reply = edge::post(&a.url, one.clone(), &auth).await.expect("query");
        if reply.body["data"]["campaign"]["name"] == "Winter Summit III" {
            fresh = Some(reply);
            break;
        }
        assert_eq!(reply.cache(), "HIT", "{reply:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let fresh = fresh.expect("router a never saw the rename made through router b");
    assert_eq!(fresh.cache(), "MISS", "{fresh:#?}");
    edge::until_hit(&a.url, &one, &auth)
        .await
        .expect("cached again");
}
