//! Identity end to end, through the router: real tokens from the sales
//! subgraph's `/oauth/token`, verified by the router and by every subgraph.

use serde_json::{Value, json};
use uuid::Uuid;

use super::fixture;
use super::harness::{bearer, data, error_codes, post_graphql};

const CAMPAIGN: &str = "query($id: ID!) { campaign(id: $id) { name } }";

/// A token signed by a key that is not the issuer's, with the claims a real one would have.
fn forged_token() -> String {
    let key = promptsales_kit::auth::SigningKey::generate().expect("key");
    let now = chrono::Utc::now().timestamp();
    key.sign(&promptsales_kit::auth::Claims {
        iss: "promptsales".into(),
        aud: "promptsales-api".into(),
        sub: "intruder".into(),
        org: None,
        roles: vec!["sales:admin".into(), "ads:admin".into()],
        typ: promptsales_kit::auth::TokenType::Client,
        exp: now + 600,
        iat: now,
        jti: Uuid::now_v7().to_string(),
    })
    .expect("sign")
}

/// The claims of a valid token, changed by `edit`, signed with the real issuer key.
fn issued_with(
    f: &fixture::Fixture,
    edit: impl FnOnce(&mut promptsales_kit::auth::Claims),
) -> String {
    let mut claims = f
        .issuer
        .access_token(
            "e2e",
            promptsales_kit::auth::TokenType::Client,
            Some(f.org_a),
            vec!["sales:read".into()],
        )
        .expect("sign")
        .claims;
    edit(&mut claims);
    f.issuer.key().sign(&claims).expect("sign")
}

#[tokio::test]
async fn without_a_valid_token_every_data_field_is_unauthenticated_but_introspection_works() {
    let f = fixture::start().await.expect("the graph starts");
    let id = json!({ "id": f.campaign_1.to_string() });

    let anonymous = f
        .router
        .post(CAMPAIGN, id.clone(), &[])
        .await
        .expect("query");
    assert_eq!(
        error_codes(&anonymous),
        vec!["UNAUTHENTICATED"],
        "{anonymous:#}"
    );
    assert!(!anonymous.to_string().contains("Winter"), "{anonymous:#}");

    let expired = issued_with(&f, |c| {
        c.exp = chrono::Utc::now().timestamp() - 3600;
        c.iat = c.exp - 900;
    });
    let wrong_audience = issued_with(&f, |c| c.aud = "another-api".into());
    let wrong_issuer = issued_with(&f, |c| c.iss = "someone-else".into());
    for (what, token) in [
        ("forged", forged_token()),
        ("expired", expired),
        ("wrong audience", wrong_audience),
        ("wrong issuer", wrong_issuer),
        ("garbage", "not.a.jwt".to_string()),
    ] {
        let refused = f
            .router
            .post(CAMPAIGN, id.clone(), &bearer(&token))
            .await
            .expect("query");
        assert_eq!(
            error_codes(&refused),
            vec!["UNAUTHENTICATED"],
            "{what}: {refused:#}"
        );
        assert!(
            !refused.to_string().contains("Winter"),
            "{what}: {refused:#}"
        );
    }

    // Identity headers a client sends are ignored: without a token they grant nothing...
    let spoofed = f
        .router
        .post(
            CAMPAIGN,
            id.clone(),
            &[
                ("x-promptsales-organization", f.org_a.to_string()),
                ("x-promptsales-roles", "sales:admin".to_string()),
            ],
        )
        .await
        .expect("query");
    assert_eq!(
        error_codes(&spoofed),
        vec!["UNAUTHENTICATED"],
        "{spoofed:#}"
    );
    // ...and with a token for org A they cannot widen it to org B.
    let mut headers = f.as_org_a();
    headers.push(("x-promptsales-organization", f.org_b.to_string()));
    let other = f
        .router
        .post(
            CAMPAIGN,
            json!({ "id": f.campaign_b.to_string() }),
            &headers,
        )
        .await
        .expect("query");
    assert_eq!(error_codes(&other), vec!["NOT_FOUND"], "{other:#}");
    let own = f.router.post(CAMPAIGN, id, &headers).await.expect("query");
    assert_eq!(data(&own)["campaign"]["name"], "Winter Summit");

    // Developers' GraphiQL still loads the schema without a token.
    let schema = f
        .router
        .post("{ __schema { queryType { name } } }", json!({}), &[])
        .await
        .expect("introspection");
    assert_eq!(data(&schema)["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn a_user_without_the_ads_role_gets_sales_data_and_forbidden_ads_fields() {
    let f = fixture::start().await.expect("the graph starts");
    let token = f.user_token(f.marketer_a, f.org_a, &["sales:read"]);
    let sales_only = f
        .router
        .post(
            "{ campaigns(first: 10) { edges { node { name } } } }",
            json!({}),
            &bearer(&token),
        )
        .await
        .expect("query");
    let mut names: Vec<String> = data(&sales_only)["campaigns"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert_eq!(
        names,
        vec!["Spring Trails", "Winter Summit"],
        "{sales_only:#}"
    );

    // The ads fields are refused by the ads subgraph itself: FORBIDDEN and no ads figure,
    // while the sales data of the same campaigns still arrives (the ads fields are nullable).
    let response = f
        .router
        .post(
            "{ campaigns(first: 10) { edges { node { name adTotals { impressions } } } } }",
            json!({}),
            &bearer(&token),
        )
        .await
        .expect("query");
    let errors = response["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{response:#}");
    for error in &errors {
        assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{response:#}");
        assert_eq!(error["extensions"]["service"], "ads", "{response:#}");
    }
    assert!(
        !response.to_string().contains("3500"),
        "no ads figure leaks: {response:#}"
    );
    let edges = response["data"]["campaigns"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut partial: Vec<&str> = edges
        .iter()
        .filter_map(|e| e["node"]["name"].as_str())
        .collect();
    partial.sort_unstable();
    assert_eq!(
        partial,
        vec!["Spring Trails", "Winter Summit"],
        "{response:#}"
    );
    assert!(
        edges.iter().all(|e| e["node"]["adTotals"].is_null()),
        "{response:#}"
    );

    // With the ads role the same query has the figures.
    let token = f.user_token(f.marketer_a, f.org_a, &["sales:read", "ads:read"]);
    let response = f
        .router
        .post(
            "{ campaigns(first: 10) { edges { node { name adTotals { impressions } } } } }",
            json!({}),
            &bearer(&token),
        )
        .await
        .expect("query");
    let impressions: Vec<i64> = data(&response)["campaigns"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["adTotals"]["impressions"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    assert!(impressions.contains(&3500), "{response:#}");

    // Reading is not writing: a sales:read token cannot create a campaign.
    let create = f
        .router
        .post(
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": {
                "organizationId": f.org_a.to_string(), "ownerId": f.marketer_a.to_string(),
                "name": "Sneaky", "budget": "1", "currency": "EUR",
                "startDate": "2026-10-01", "endDate": "2026-10-02" } }),
            &bearer(&token),
        )
        .await
        .expect("mutation");
    assert_eq!(error_codes(&create), vec!["FORBIDDEN"], "{create:#}");
}

#[tokio::test]
async fn another_tenants_id_gets_the_same_answer_as_a_nonexistent_one() {
    let f = fixture::start().await.expect("the graph starts");
    let headers = f.as_org_a();
    let strip = |v: &Value, id: Uuid| v.to_string().replace(&id.to_string(), "<id>");
    let foreign = f
        .router
        .post(
            CAMPAIGN,
            json!({ "id": f.campaign_b.to_string() }),
            &headers,
        )
        .await
        .expect("query");
    let nowhere = Uuid::now_v7();
    let missing = f
        .router
        .post(CAMPAIGN, json!({ "id": nowhere.to_string() }), &headers)
        .await
        .expect("query");
    assert_eq!(error_codes(&foreign), vec!["NOT_FOUND"]);
    assert_eq!(strip(&foreign, f.campaign_b), strip(&missing, nowhere));
}

/// Logs in through the sales subgraph's token endpoint (as the portal does).
async fn password_login(f: &fixture::Fixture, email: &str, password: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", f.sales_base))
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_password_login_from_the_token_endpoint_works_through_the_router() {
    let f = fixture::start().await.expect("the graph starts");
    let password = "e2e password, long enough";
    f.set_password(f.marketer_a, password)
        .await
        .expect("password set");
    f.grant(f.marketer_a, f.org_a, &["sales:read", "ads:read"])
        .await
        .expect("granted");

    let (status, wrong) = password_login(&f, "marketer@es.example", "nope").await;
    assert_eq!(
        (status, wrong["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let (status, tokens) = password_login(&f, "marketer@es.example", password).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().expect("access token");
    let response = f
        .router
        .post(
            "{ campaigns(first: 10) { edges { node { name adTotals { clicks } } } } }",
            json!({}),
            &bearer(access),
        )
        .await
        .expect("query");
    let edges = data(&response)["campaigns"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 2, "{response:#}");
}

#[tokio::test]
async fn with_require_auth_the_router_itself_refuses_requests_without_a_valid_token() {
    let f = fixture::start().await.expect("the graph starts");
    let urls = [
        f.subgraph_urls[0].as_str(),
        f.subgraph_urls[1].as_str(),
        f.subgraph_urls[2].as_str(),
        f.subgraph_urls[3].as_str(),
    ];
    let strict = super::harness::Router::start_with_env(
        urls,
        &f.jwks_url,
        &[("PROMPTSALES_ROUTER_REQUIRE_AUTH", "true".to_string())],
    )
    .await
    .expect("a strict router starts");
    let client = reqwest::Client::new();
    let status = |token: Option<String>| {
        let client = client.clone();
        let url = strict.url.clone();
        async move {
            let mut request = client.post(url).json(&json!({ "query": "{ __typename }" }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send().await.expect("post").status().as_u16()
        }
    };
    // Refused at the router, before any subgraph: even a schema question.
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some(forged_token())).await, 403);
    let expired = issued_with(&f, |c| {
        c.exp = chrono::Utc::now().timestamp() - 3600;
        c.iat = c.exp - 900;
    });
    assert_eq!(status(Some(expired)).await, 403);
    assert_eq!(
        status(Some(issued_with(&f, |c| c.aud = "another-api".into()))).await,
        403
    );
    // A valid token passes the router, and the subgraphs still check the role.
    let ok = strict
        .post(
            CAMPAIGN,
            json!({ "id": f.campaign_1.to_string() }),
            &f.as_org_a(),
        )
        .await
        .expect("query");
    assert_eq!(data(&ok)["campaign"]["name"], "Winter Summit");
}

/// The next text frame of a WebSocket as JSON, skipping pings.
async fn next_frame<S>(socket: &mut S) -> Option<Value>
where
    S: futures::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            _ => return None,
        }
    }
}

/// Opens a `graphql-transport-ws` connection to the router with `payload` in
/// `connection_init`, and subscribes to the campaign's live metrics.
async fn subscribe_via_router(
    f: &fixture::Fixture,
    payload: Value,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = f
        .router
        .url
        .replace("http://", "ws://")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the router accepts WebSocket");
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(
            json!({ "type": "connection_init", "payload": payload }),
        ))
        .await
        .expect("init");
    let ack = next_frame(&mut socket)
        .await
        .expect("an answer to connection_init");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let query = format!(
        "subscription {{ campaignMetrics(campaignId: \"{}\") {{ adId day }} }}",
        f.campaign_1
    );
    socket
        .send(send(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
        ))
        .await
        .expect("subscribe");
    socket
}

#[tokio::test]
async fn subscriptions_through_the_router_run_as_the_token_in_connection_init() {
    let f = fixture::start().await.expect("the graph starts");
    let headers = f.as_org_a();
    let ads = f
        .router
        .post(
            "query($id: ID!) { campaign(id: $id) { ads(first: 1) { edges { node { id } } } } }",
            json!({ "id": f.campaign_1.to_string() }),
            &headers,
        )
        .await
        .expect("query");
    let ad_id = data(&ads)["campaign"]["ads"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("an ad of campaign 1")
        .to_string();

    // Without a token the subscription is refused by the ads subgraph.
    let mut anonymous = subscribe_via_router(&f, json!({})).await;
    let refused = next_frame(&mut anonymous).await.expect("an answer");
    assert!(refused.to_string().contains("UNAUTHENTICATED"), "{refused}");

    // With org A's token in connection_init, the router forwards it and metrics arrive.
    let (_, token) = &headers[0];
    let mut socket = subscribe_via_router(&f, json!({ "Authorization": token })).await;
    // The upstream subscription starts asynchronously: record days until one is pushed.
    let mut received = None;
    for day in 1..=28 {
        let recorded = f
            .router
            .post(
                "mutation($i: [AdDayMetricsInput!]!) { recordAdMetrics(input: $i) { id } }",
                json!({ "i": [{ "adId": ad_id, "day": fixture::iso(day), "impressions": 10, "clicks": 1, "spend": "1.00" }] }),
                &headers,
            )
            .await
            .expect("mutation");
        data(&recorded);
        if let Ok(frame) = tokio::time::timeout(
            std::time::Duration::from_millis(500),
            next_frame(&mut socket),
        )
        .await
        {
            received = frame;
            break;
        }
    }
    let frame = received.expect("a metric pushed over the router's WebSocket");
    assert_eq!(frame["type"], "next", "{frame}");
    assert_eq!(
        frame["payload"]["data"]["campaignMetrics"]["adId"],
        ad_id.as_str(),
        "{frame}"
    );
}

const ADS: &str = "{ ads(first: 1) { edges { node { id } } } }";

#[tokio::test]
async fn a_rotated_signing_key_is_picked_up_by_the_other_subgraphs_without_a_restart() {
    let f = fixture::start().await.expect("the graph starts");
    let client = reqwest::Client::new();
    let ads_url = f.subgraph_urls[1].clone();
    let sales_url = f.subgraph_urls[0].clone();
    let roles = ["sales:read", "ads:read"];
    let old_token = f.token(Some(f.org_a), &roles);
    let old_kid = f.issuer.key().kid().to_string();

    // The ads subgraph fetches the issuer's keys on first use and caches them.
    let first = post_graphql(&client, &ads_url, ADS, json!({}), &bearer(&old_token))
        .await
        .expect("query");
    assert!(error_codes(&first).is_empty(), "{first:#}");

    // Rotation, signing at once (what `promptsales signing-key rotate --activate-in 0` does
    // to the files, which a running sales subgraph re-reads).
    let next = promptsales_kit::auth::SigningKey::generate().expect("key");
    let new_kid = next.kid().to_string();
    let only_new = promptsales_kit::auth::Verifier::local(
        &promptsales_kit::auth::AuthConfig::default(),
        &next.jwks(),
    );
    f.issuer
        .rotate(next, std::time::Duration::ZERO)
        .expect("rotated");
    let new_token = f.token(Some(f.org_a), &roles);
    // Signed with the new key.
    assert!(only_new.verify(&new_token).await.is_ok());
    assert!(only_new.verify(&old_token).await.is_err());
    let published = |set: &Value| {
        let mut kids: Vec<String> = set["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["kid"].as_str().map(str::to_string))
            .collect();
        kids.sort();
        kids
    };
    let jwks: Value = client
        .get(&f.jwks_url)
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let mut both = vec![old_kid.clone(), new_kid.clone()];
    both.sort();
    assert_eq!(published(&jwks), both);

    // The ads subgraph meets an unknown kid and refetches the keys itself (rate-limited,
    // so it may take a few seconds), long before its 10-minute cache would expire.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let answer = post_graphql(&client, &ads_url, ADS, json!({}), &bearer(&new_token))
            .await
            .expect("query");
        if error_codes(&answer).is_empty() {
            break;
        }
        assert_eq!(error_codes(&answer), vec!["UNAUTHENTICATED"], "{answer:#}");
        assert!(
            std::time::Instant::now() < deadline,
            "the new key was never picked up: {answer:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // A token signed before the rotation still verifies, on the subgraphs and through the router.
    let old_on_ads = post_graphql(&client, &ads_url, ADS, json!({}), &bearer(&old_token))
        .await
        .expect("query");
    assert!(error_codes(&old_on_ads).is_empty(), "{old_on_ads:#}");
    let id = json!({ "id": f.campaign_1.to_string() });
    let routed = f
        .router
        .post(CAMPAIGN, id.clone(), &bearer(&old_token))
        .await
        .expect("query");
    assert_eq!(data(&routed)["campaign"]["name"], "Winter Summit");

    // Retired: no longer published, and the issuer's own subgraph refuses its tokens at once.
    f.issuer.retire(&old_kid).expect("retired");
    let jwks: Value = client
        .get(&f.jwks_url)
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert_eq!(published(&jwks), vec![new_kid.clone()]);
    let refused = post_graphql(
        &client,
        &sales_url,
        CAMPAIGN,
        id.clone(),
        &bearer(&old_token),
    )
    .await
    .expect("query");
    assert_eq!(
        error_codes(&refused),
        vec!["UNAUTHENTICATED"],
        "{refused:#}"
    );
    let accepted = post_graphql(&client, &sales_url, CAMPAIGN, id, &bearer(&new_token))
        .await
        .expect("query");
    assert_eq!(data(&accepted)["campaign"]["name"], "Winter Summit");
}

/// Runs `promptsales signing-key <args>` on the key files in `dir`; its stdout.
async fn signing_key_command(dir: &std::path::Path, args: &[&str]) -> String {
    let output = tokio::process::Command::new(super::harness::promptsales_bin())
        .arg("signing-key")
        .args(args)
        .env(
            "PROMPTSALES_JWT_PRIVATE_KEY_FILE",
            dir.join("jwt-signing.pem"),
        )
        .env_remove("PROMPTSALES_JWT_ROTATION_FILE")
        .env_remove("PROMPTSALES_JWT_KEY_ACTIVATION_DELAY")
        .output()
        .await
        .expect("runs promptsales signing-key");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "signing-key {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_signing_key_command_rotates_and_retires_keys_a_running_issuer_reloads() {
    use promptsales_sales::auth::keys::KeyFiles;
    let dir = tempfile::tempdir().expect("temp dir");
    let files = KeyFiles::beside(dir.path().join("jwt-signing.pem"));
    let issuer = promptsales_sales::auth::Issuer::with_ring(
        files.load_or_create().expect("first key"),
        Some(files.clone()),
        promptsales_kit::auth::AuthConfig::default(),
        promptsales_sales::auth::Lifetimes::default(),
    );
    let old = issuer.key().kid().to_string();
    let old_token = issuer
        .access_token(
            "agent",
            promptsales_kit::auth::TokenType::Client,
            None,
            vec![],
        )
        .expect("sign")
        .token;
    let verifier = issuer.verifier();
    let kids = |issuer: &promptsales_sales::auth::Issuer| {
        let mut kids: Vec<String> = issuer
            .jwks()
            .keys
            .into_iter()
            .filter_map(|k| k.common.key_id)
            .collect();
        kids.sort();
        kids
    };

    // The default rotation only publishes the new key (it signs 11 minutes later).
    let out = signing_key_command(dir.path(), &["rotate"]).await;
    issuer.reload();
    let pending = kids(&issuer);
    assert_eq!(pending.len(), 2, "{out}");
    assert_eq!(issuer.key().kid(), old, "not signing yet: {out}");
    let next = pending
        .iter()
        .find(|k| **k != old)
        .cloned()
        .unwrap_or_default();
    assert!(out.contains(&format!("next:     {next}")), "{out}");
    // A second rotation is refused while one is pending; retiring the pending key cancels it.
    let refused = tokio::process::Command::new(super::harness::promptsales_bin())
        .args(["signing-key", "rotate"])
        .env(
            "PROMPTSALES_JWT_PRIVATE_KEY_FILE",
            dir.path().join("jwt-signing.pem"),
        )
        .output()
        .await
        .expect("runs");
    assert!(!refused.status.success());
    signing_key_command(dir.path(), &["retire", &next]).await;

    // An emergency rotation signs at once; the old key stays published for its tokens.
    let out = signing_key_command(dir.path(), &["rotate", "--activate-in", "0"]).await;
    issuer.reload();
    let new = issuer.key().kid().to_string();
    assert_ne!(new, old, "{out}");
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(kids(&issuer), both);
    assert!(verifier.verify(&old_token).await.is_ok());
    let new_token = issuer
        .access_token(
            "agent",
            promptsales_kit::auth::TokenType::Client,
            None,
            vec![],
        )
        .expect("sign")
        .token;
    assert!(verifier.verify(&new_token).await.is_ok());
    let status = signing_key_command(dir.path(), &["status"]).await;
    assert!(status.contains(&format!("signing:  {new}")), "{status}");
    assert!(status.contains(&format!("previous: {old}")), "{status}");

    // Retiring the old key: the running issuer drops it on its next reload.
    signing_key_command(dir.path(), &["retire", &old]).await;
    issuer.reload();
    assert_eq!(kids(&issuer), vec![new.clone()]);
    assert!(verifier.verify(&old_token).await.is_err());
    assert!(verifier.verify(&new_token).await.is_ok());
}
