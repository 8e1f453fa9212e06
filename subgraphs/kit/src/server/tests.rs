//! The transports every subgraph gets from the kit, exercised over real sockets.

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, Object, Schema, Subscription};
use futures::{SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{SubgraphApp, router, serve_on};
use crate::context::{ORGANIZATION_HEADER, RequestContext};

struct Query;

#[Object]
impl Query {
    async fn hello(&self, name: String) -> String {
        format!("hello {name}")
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
}

async fn start() -> String {
    let app = SubgraphApp {
        name: "test",
        schema: Schema::build(Query, EmptyMutation, Subscription).finish(),
        request_data: Arc::new(|_, _| {}),
        readiness: Arc::new(|| Box::pin(async { Ok(()) })),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(app).expect("router");
    tokio::spawn(serve_on(listener, app, futures::future::pending()));
    format!("127.0.0.1:{}", addr.port())
}

#[tokio::test]
async fn graphql_over_post_and_get_health_and_metrics() {
    let base = start().await;
    let client = reqwest::Client::new();
    let post: Value = client
        .post(format!("http://{base}/graphql"))
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

    let bad_tenant: Value = client
        .post(format!("http://{base}/graphql"))
        .header(ORGANIZATION_HEADER, "acme")
        .json(&json!({ "query": "{ hello(name: \"x\") }" }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(
        bad_tenant["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );

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
        metrics.contains("promptsales_graphql_requests_total{outcome=\"ok\",service=\"test\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("promptsales_graphql_requests_total{outcome=\"error\",service=\"test\"} 1"),
        "{metrics}"
    );
}

/// Subscribes to `ticks(n: 3)` over `graphql-transport-ws` and returns what arrived,
/// or the close reason when the connection is refused.
async fn subscribe(
    base: &str,
    header_tenant: Option<&str>,
    init_payload: Value,
) -> Result<Vec<String>, String> {
    let mut request = format!("ws://{base}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    if let Some(tenant) = header_tenant {
        request
            .headers_mut()
            .insert(ORGANIZATION_HEADER, tenant.parse().expect("header"));
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
            Some("next") => received.push(
                message["payload"]["data"]["ticks"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Some("complete") => return Ok(received),
            other => panic!("unexpected message {other:?}: {message}"),
        }
    }
}

#[tokio::test]
async fn subscriptions_run_as_the_identity_of_the_upgrade_or_the_connection_init_payload() {
    let base = start().await;
    let (a, b) = (
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
    );
    let ticks = |tenant: &str| vec!["1".to_string(), "2".into(), "3".into(), tenant.to_string()];
    // As the router forwards a subscriber's headers: fields of the payload.
    assert_eq!(
        subscribe(&base, None, json!({ ORGANIZATION_HEADER: a })).await,
        Ok(ticks(&a))
    );
    // As browser clients often send them.
    assert_eq!(
        subscribe(
            &base,
            None,
            json!({ "headers": { ORGANIZATION_HEADER: b } })
        )
        .await,
        Ok(ticks(&b))
    );
    // On the upgrade request; a payload that names a tenant wins.
    assert_eq!(subscribe(&base, Some(&a), json!({})).await, Ok(ticks(&a)));
    assert_eq!(
        subscribe(&base, Some(&a), json!({ ORGANIZATION_HEADER: b })).await,
        Ok(ticks(&b))
    );
    // A malformed identity refuses the connection, saying why.
    let refused = subscribe(&base, None, json!({ ORGANIZATION_HEADER: "acme" })).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|reason| reason.contains(ORGANIZATION_HEADER)),
        "{refused:?}"
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
