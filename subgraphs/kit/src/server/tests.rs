//! The transports every subgraph gets from the kit, exercised over real sockets.

use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Context, Object, Subscription};
use futures::{SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::transport::ServerLimits;
use super::{RequestMeta, SubgraphApp, router_with, router_with_limits, serve_on};
use crate::auth::{AuthConfig, Claims, SigningKey, TokenType, Verifier};
use crate::context::RequestContext;

/// The header a client might send to impersonate a tenant: it must change nothing.
const FORGED_TENANT_HEADER: &str = "x-promptsales-organization";

struct Query;

#[Object]
impl Query {
    async fn hello(&self, name: String) -> String {
        format!("hello {name}")
    }

    /// What the request data hook saw of the transport (see [`Seen`]).
    async fn seen(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.data_opt::<Seen>().map(|seen| seen.0.clone())
    }
}

/// What the test app's request data hook records: `<bearer>|<peer ip>|<user agent>`.
struct Seen(String);

fn record_what_the_hook_sees(
    _: &RequestContext,
    meta: &RequestMeta,
    data: &mut async_graphql::Data,
) {
    data.insert(Seen(format!(
        "{}|{}|{}",
        meta.bearer().unwrap_or_default(),
        meta.peer().map(|p| p.ip().to_string()).unwrap_or_default(),
        meta.header("user-agent").unwrap_or_default(),
    )));
}

/// How many times `bump` ran, per test server (each test has its own counter).
#[derive(Default)]
struct Bumps(AtomicUsize);

struct Mutation;

#[Object]
impl Mutation {
    /// A write: the transport tests check it never runs from a request a browser could forge.
    async fn bump(&self, ctx: &Context<'_>) -> i32 {
        let bumps = ctx.data_unchecked::<Arc<Bumps>>();
        (bumps.0.fetch_add(1, Ordering::SeqCst) + 1) as i32
    }
}

struct Subscription;

#[Subscription]
impl Subscription {
    /// Counts to `n`, then says which tenant asked (the context reaches subscriptions too).
    async fn ticks(&self, ctx: &Context<'_>, n: i32) -> impl Stream<Item = String> {
        let tenant = ctx
            .data::<RequestContext>()
            .ok()
            .and_then(|c| c.organization)
            .map(|o| o.to_string())
            .unwrap_or_default();
        futures::stream::iter(
            (1..=n)
                .map(|i| i.to_string())
                .chain(std::iter::once(tenant)),
        )
    }

    /// Once, what the request data hook saw of the connection (see [`Seen`]).
    async fn seen(&self, ctx: &Context<'_>) -> impl Stream<Item = String> {
        let seen = ctx
            .data_opt::<Seen>()
            .map(|seen| seen.0.clone())
            .unwrap_or_default();
        futures::stream::iter(std::iter::once(seen))
    }
}

/// A token for `org` with `roles`, signed by `key`.
fn token(key: &SigningKey, org: Option<uuid::Uuid>, roles: &[&str]) -> String {
    let now = chrono::Utc::now().timestamp();
    key.sign(&Claims {
        iss: "promptsales".into(),
        aud: "promptsales-api".into(),
        sub: uuid::Uuid::now_v7().to_string(),
        org,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        typ: TokenType::User,
        exp: now + 300,
        iat: now,
        jti: uuid::Uuid::now_v7().to_string(),
    })
    .expect("sign")
}

/// Serves the test schema as the `sales` subgraph, verifying with `key`'s public half.
async fn start_with(key: &SigningKey) -> String {
    start_limited(key, None).await.0
}

/// Like [`start_with`], within `limits` (`None`: the environment's), with the mutation counter.
async fn start_limited(key: &SigningKey, limits: Option<ServerLimits>) -> (String, Arc<Bumps>) {
    let bumps = Arc::new(Bumps::default());
    let app = SubgraphApp {
        name: "sales",
        schema: crate::schema::subgraph_schema(Query, Mutation, Subscription)
            .data(bumps.clone())
            .finish(),
        request_data: Arc::new(record_what_the_hook_sees),
        readiness: Arc::new(|| Box::pin(async { Ok(()) })),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let verifier = Arc::new(Verifier::local(&AuthConfig::default(), &key.jwks()));
    let app = match limits {
        Some(limits) => router_with_limits(app, verifier, limits),
        None => router_with(app, verifier),
    }
    .expect("router");
    tokio::spawn(serve_on(listener, app, futures::future::pending()));
    (format!("127.0.0.1:{}", addr.port()), bumps)
}

async fn start() -> (String, SigningKey) {
    let key = SigningKey::generate().expect("key");
    (start_with(&key).await, key)
}

#[tokio::test]
async fn graphql_over_post_and_get_health_and_metrics() {
    let (base, key) = start().await;
    let reader = format!("Bearer {}", token(&key, None, &["sales:read"]));
    let client = reqwest::Client::new();
    let post: Value = client
        .post(format!("http://{base}/graphql"))
        .header("authorization", &reader)
        .json(&json!({ "query": "{ hello(name: \"post\") }" }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(post["data"]["hello"], "hello post");

    let get: Value = client
        .get(format!("http://{base}/graphql"))
        .header("authorization", &reader)
        .query(&[("query", "{ hello(name: \"get\") }")])
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(get["data"]["hello"], "hello get");

    let broken = client
        .post(format!("http://{base}/graphql"))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .expect("post");
    assert_eq!(broken.status(), 400);
    let broken: Value = broken.json().await.expect("a GraphQL error body");
    assert_eq!(broken["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    // No token (whatever identity headers come along): refused before any resolver.
    let anonymous: Value = client
        .post(format!("http://{base}/graphql"))
        .header(FORGED_TENANT_HEADER, uuid::Uuid::now_v7().to_string())
        .header("x-promptsales-roles", "sales:admin")
        .json(&json!({ "query": "{ hello(name: \"x\") }" }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(anonymous["data"], Value::Null, "{anonymous}");

    for path in ["/health/live", "/health/ready"] {
        let status = client
            .get(format!("http://{base}{path}"))
            .send()
            .await
            .expect(path)
            .status();
        assert_eq!(status, 200, "{path}");
    }
    let metrics = client
        .get(format!("http://{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("promptsales_graphql_requests_total{outcome=\"ok\",service=\"sales\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("promptsales_graphql_requests_total{outcome=\"error\",service=\"sales\"} 1"),
        "{metrics}"
    );
}

/// Subscribes to `ticks(n: 3)` over `graphql-transport-ws` and returns what arrived,
/// or the close reason when the connection is refused.
async fn subscribe(
    base: &str,
    header_token: Option<&str>,
    init_payload: Value,
) -> Result<Vec<String>, String> {
    let mut request = format!("ws://{base}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    if let Some(token) = header_token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(
            json!({ "type": "connection_init", "payload": init_payload }),
        ))
        .await
        .expect("init");
    match socket.next().await.expect("a message").expect("no error") {
        Message::Text(text) => {
            let ack: Value = serde_json::from_str(&text).expect("json");
            assert_eq!(ack["type"], "connection_ack");
        }
        Message::Close(frame) => {
            return Err(frame.map(|f| f.reason.to_string()).unwrap_or_default());
        }
        other => panic!("unexpected {other:?}"),
    }
    socket
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { ticks(n: 3) }" } })))
        .await
        .expect("subscribe");
    let mut received = Vec::new();
    loop {
        let message = next_json(&mut socket).await;
        match message["type"].as_str() {
            Some("next") if message["payload"]["errors"].is_array() => {
                return Err(message["payload"]["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string());
            }
            Some("next") => received.push(
                message["payload"]["data"]["ticks"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Some("complete") => return Ok(received),
            Some("error") => {
                return Err(message["payload"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string());
            }
            other => panic!("unexpected message {other:?}: {message}"),
        }
    }
}

#[tokio::test]
async fn subscriptions_run_as_the_token_of_the_connection_init_payload_or_the_upgrade() {
    let (base, key) = start().await;
    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let token_a = token(&key, Some(a), &["sales:read"]);
    let token_b = token(&key, Some(b), &["sales:read"]);
    let ticks =
        |tenant: uuid::Uuid| vec!["1".to_string(), "2".into(), "3".into(), tenant.to_string()];
    // As the router forwards a subscriber's headers: fields of the payload.
    assert_eq!(
        subscribe(
            &base,
            None,
            json!({ "authorization": format!("Bearer {token_a}") })
        )
        .await,
        Ok(ticks(a))
    );
    // As browser clients often send them.
    assert_eq!(
        subscribe(
            &base,
            None,
            json!({ "headers": { "Authorization": format!("Bearer {token_b}") } })
        )
        .await,
        Ok(ticks(b))
    );
    // On the upgrade request; a payload that carries a token wins.
    assert_eq!(
        subscribe(&base, Some(&token_a), json!({})).await,
        Ok(ticks(a))
    );
    assert_eq!(
        subscribe(
            &base,
            Some(&token_a),
            json!({ "authorization": format!("Bearer {token_b}") })
        )
        .await,
        Ok(ticks(b))
    );
    // Identity headers in the payload count for nothing: without a token, refused.
    assert_eq!(
        subscribe(&base, None, json!({ FORGED_TENANT_HEADER: a.to_string() })).await,
        Err("UNAUTHENTICATED".into())
    );
    // A token without the subsystem's role: refused per operation.
    let ads_only = token(&key, Some(a), &["ads:admin"]);
    assert_eq!(
        subscribe(&base, Some(&ads_only), json!({})).await,
        Err("FORBIDDEN".into())
    );
    // A token that fails verification refuses the connection, saying why.
    let stranger = SigningKey::generate().expect("key");
    let forged = token(&stranger, Some(a), &["sales:admin"]);
    let refused = subscribe(
        &base,
        None,
        json!({ "authorization": format!("Bearer {forged}") }),
    )
    .await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|reason| reason.contains("not one of the issuer's keys")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_request_data_hook_sees_the_callers_authorization_and_address_over_websocket_and_http()
{
    let (base, key) = start().await;
    let reader = token(&key, None, &["sales:read"]);
    let expected = format!("{reader}|127.0.0.1|agent/7");

    let over_http: Value = reqwest::Client::new()
        .post(format!("http://{base}/graphql"))
        .bearer_auth(&reader)
        .header("user-agent", "agent/7")
        .json(&json!({ "query": "{ seen }" }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(over_http["data"]["seen"], expected.as_str(), "{over_http}");

    // Over WebSocket: the agent on the upgrade request, the token in `connection_init`
    // (as the router sends it); the operation runs in the socket's own task.
    let mut request = format!("ws://{base}/graphql")
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    headers.insert("user-agent", "agent/7".parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init",
                           "payload": { "Authorization": format!("Bearer {reader}") } })))
        .await
        .expect("init");
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    for (id, query) in [("1", "{ seen }"), ("2", "subscription { seen }")] {
        socket
            .send(send(
                json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
            ))
            .await
            .expect("subscribe");
        let answer = next_json(&mut socket).await;
        assert_eq!(answer["type"], "next", "{answer}");
        assert_eq!(
            answer["payload"]["data"]["seen"],
            expected.as_str(),
            "{query}: {answer}"
        );
        assert_eq!(next_json(&mut socket).await["type"], "complete");
    }
}

#[tokio::test]
async fn http_requests_need_a_valid_token_and_the_subsystem_role_but_introspection_is_open() {
    let (base, key) = start().await;
    let client = reqwest::Client::new();
    let post = |query: &'static str, bearer: Option<String>| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let mut request = client
                .post(format!("http://{base}/graphql"))
                .json(&json!({ "query": query }));
            if let Some(bearer) = bearer {
                request = request.header("authorization", bearer);
            }
            let body: Value = request
                .send()
                .await
                .expect("post")
                .json()
                .await
                .expect("json");
            body
        }
    };
    let code = |body: &Value| {
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_string)
    };
    let hello = "{ hello(name: \"x\") }";

    let no_role = post(
        hello,
        Some(format!("Bearer {}", token(&key, None, &["ads:admin"]))),
    )
    .await;
    assert_eq!(code(&no_role).as_deref(), Some("FORBIDDEN"), "{no_role}");
    assert!(
        no_role["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("sales:read"))
    );

    let stranger = SigningKey::generate().expect("key");
    let forged = post(
        hello,
        Some(format!(
            "Bearer {}",
            token(&stranger, None, &["sales:admin"])
        )),
    )
    .await;
    assert_eq!(
        code(&forged).as_deref(),
        Some("UNAUTHENTICATED"),
        "{forged}"
    );

    let basic = post(hello, Some("Basic dXNlcjpwYXNz".into())).await;
    assert_eq!(code(&basic).as_deref(), Some("UNAUTHENTICATED"), "{basic}");

    let missing = post(hello, None).await;
    assert!(
        missing["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("bearer token")),
        "{missing}"
    );

    // Schema questions need no token: GraphiQL and composition work without one.
    let schema = post("{ __schema { queryType { name } } }", None).await;
    assert_eq!(
        schema["data"]["__schema"]["queryType"]["name"], "Query",
        "{schema}"
    );
    let sdl = post("{ _service { sdl } }", None).await;
    assert!(
        sdl["data"]["_service"]["sdl"]
            .as_str()
            .is_some_and(|s| s.contains("hello")),
        "{sdl}"
    );
}

/// The next text frame as JSON, skipping pings and pongs.
async fn next_json<S>(socket: &mut S) -> Value
where
    S: Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match socket.next().await.expect("a message").expect("no error") {
            Message::Text(text) => return serde_json::from_str(&text).expect("json"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// The `Content-Type` of a response, without parameters.
fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn responses_follow_graphql_over_http_media_types() {
    let (base, key) = start().await;
    let url = format!("http://{base}/graphql");
    let auth = format!("Bearer {}", token(&key, None, &["sales:read"]));
    let client = reqwest::Client::new();
    let ask = |accept: Option<&'static str>, query: &'static str| {
        let mut request = client
            .post(&url)
            .header("authorization", &auth)
            .json(&json!({ "query": query }));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send()
    };

    // A document that runs: 200 in the media type asked for (application/json by default).
    for (accept, expected) in [
        (None, "application/json"),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (
            Some("application/graphql-response+json"),
            "application/graphql-response+json",
        ),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            "application/graphql-response+json",
        ),
    ] {
        let response = ask(accept, "{ hello(name: \"x\") }").await.expect("post");
        assert_eq!(response.status(), 200, "{accept:?}");
        assert_eq!(content_type(&response), expected, "{accept:?}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["data"]["hello"], "hello x");
    }

    // A document that does not parse or validate: with the GraphQL response type, HTTP 400
    // and no `data` entry at all; with application/json, 200 (the spec's legacy rule).
    for query in ["{ hello(name: ", "{ nope }", "{ hello }"] {
        let strict = ask(Some("application/graphql-response+json"), query)
            .await
            .expect("post");
        assert_eq!(strict.status(), 400, "{query}");
        assert_eq!(content_type(&strict), "application/graphql-response+json");
        let body: Value = strict.json().await.expect("json");
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{body}"
        );

        let legacy = ask(Some("application/json"), query).await.expect("post");
        assert_eq!(legacy.status(), 200, "{query}");
        assert_eq!(content_type(&legacy), "application/json");
        let body: Value = legacy.json().await.expect("json");
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{body}"
        );
    }

    // An execution error is not a request error: 200 with `data`, in either type.
    let anonymous = client
        .post(&url)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ hello(name: \"x\") }" }))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), 200);
    let body: Value = anonymous.json().await.expect("json");
    assert!(body.get("data").is_some(), "{body}");
}

#[tokio::test]
async fn requests_a_browser_could_forge_never_execute() {
    let key = SigningKey::generate().expect("key");
    let (base, bumps) = start_limited(&key, None).await;
    let url = format!("http://{base}/graphql");
    let auth = format!("Bearer {}", token(&key, None, &["sales:write"]));
    let client = reqwest::Client::new();
    let mutation = json!({ "query": "mutation { bump }" }).to_string();

    // No mutation over GET: 405 with a JSON error, and the resolver never runs.
    let get = client
        .get(&url)
        .header("authorization", &auth)
        .query(&[("query", "mutation { bump }")])
        .send()
        .await
        .expect("get");
    assert_eq!(get.status(), 405);
    assert!(get.headers().get("allow").is_some());
    let body: Value = get.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );

    // POST bodies a cross-site form or `fetch` without preflight can send: 415, not run.
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = client
            .post(&url)
            .header("authorization", &auth)
            .body(mutation.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.expect("post");
        assert_eq!(response.status(), 415, "{content_type:?}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE",
            "{content_type:?}"
        );
    }
    assert_eq!(bumps.0.load(Ordering::SeqCst), 0, "no forged request ran");

    // The same mutation, POSTed as JSON, runs.
    let ok: Value = client
        .post(&url)
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(mutation)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(ok["data"]["bump"], 1, "{ok}");
}

#[tokio::test]
async fn every_refusal_is_a_json_error_with_a_code() {
    let key = SigningKey::generate().expect("key");
    let limits = ServerLimits {
        max_body_size: 4_096,
        ..ServerLimits::default()
    };
    let (base, bumps) = start_limited(&key, Some(limits)).await;
    let url = format!("http://{base}/graphql");
    let auth = format!("Bearer {}", token(&key, None, &["sales:write"]));
    let client = reqwest::Client::new();
    let deep_doc = format!("{}{}", "{ hello ".repeat(60), "}".repeat(60));
    let deep_json = format!(
        r#"{{"query":"{{ hello(name: \"x\") }}","extensions":{{"x":{}1{}}}}}"#,
        "[".repeat(60),
        "]".repeat(60)
    );
    let big =
        json!({ "query": "{ hello(name: \"x\") }", "variables": { "pad": "x".repeat(10_000) } })
            .to_string();
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "too large",
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(big),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "nested document",
            client.post(&url).json(&json!({ "query": deep_doc })),
            400,
            "MAX_DEPTH_EXCEEDED",
        ),
        (
            "nested JSON",
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(deep_json),
            400,
            "MAX_JSON_DEPTH_EXCEEDED",
        ),
        (
            "batch",
            client
                .post(&url)
                .json(&json!([{ "query": "mutation { bump }" }])),
            400,
            "BAD_REQUEST",
        ),
        (
            "no query",
            client.post(&url).json(&json!({ "variables": {} })),
            400,
            "BAD_REQUEST",
        ),
        (
            "invalid UTF-8",
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(vec![b'{', b'"', 0xff, 0xfe, b'"', b'}']),
            400,
            "BAD_REQUEST",
        ),
        (
            "PUT",
            client.put(&url).json(&json!({ "query": "{ a }" })),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "unknown path",
            client.get(format!("http://{base}/graphql%00")),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown path",
            client.get(format!("http://{base}/nope")),
            404,
            "NOT_FOUND",
        ),
    ];
    for (what, request, status, code) in cases {
        let response = request
            .header("authorization", &auth)
            .send()
            .await
            .expect(what);
        assert_eq!(response.status().as_u16(), status, "{what}");
        assert_eq!(content_type(&response), "application/json", "{what}");
        let body: Value = response.json().await.expect(what);
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{what}: {body}"
        );
    }
    assert_eq!(
        bumps.0.load(Ordering::SeqCst),
        0,
        "the batched mutation never ran"
    );
}
