//! Live metrics: a subscriber on one instance receives what another instance ingests,
//! over the kit's WebSocket server and Redis pub/sub; Redis down never fails ingestion.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::{SinkExt, Stream, StreamExt};
use promptsales_ads::AdsServices;
use promptsales_ads::domain::AdChannel;
use promptsales_ads::live::LiveMetrics;
use promptsales_kit::new_id;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{Env, gql_on, iso_n, tenant, test_services};
use crate::served::{Served, Tokens};

const RECORD: &str =
    r#"mutation($input: [AdDayMetricsInput!]!) { recordAdMetrics(input: $input) { id } }"#;

async fn next_json<S>(socket: &mut S) -> Result<Value>
where
    S: Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match socket.next().await.context("the socket closed")?? {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("unexpected frame {other:?}"),
        }
    }
}

/// Waits (without a deadline: the test runner's own timeout applies) until `live` has `n` subscribers.
async fn until_subscribed(live: &LiveMetrics, n: usize) {
    while live.subscribers() < n {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_subscriber_on_another_instance_receives_an_ingested_metric_over_websocket_and_redis()
-> Result<()> {
    let env = Env::sqlite().await?;
    let redis = promptsales_kit::testing::redis().await;
    let prefix = redis.fresh_prefix();
    // Two instances over one store, as two replicas would be: A ingests, B serves the subscriber.
    let live_a = LiveMetrics::with_redis(redis.url(), &prefix)?;
    let live_b = LiveMetrics::with_redis(redis.url(), &prefix)?;
    let app_a = env.app_with(AdsServices {
        live: live_a.clone(),
        ..test_services()
    });
    let tokens = Tokens::new()?;
    let app_b = env.app_with(AdsServices {
        live: live_b.clone(),
        ..test_services()
    });
    let served_b = Served::start(promptsales_kit::server::router_with(
        app_b,
        tokens.verifier(),
    )?)
    .await?;

    let org = new_id();
    let campaign = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let ad = env
        .ad(&market, campaign, AdChannel::Instagram, "Live")
        .await?;
    let elsewhere = env
        .ad(&market, new_id(), AdChannel::Google, "Other campaign")
        .await?;

    let mut request =
        format!("{}/graphql", served_b.base.replace("http://", "ws://")).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let token = tokens.token(org, &["ads:read"])?;
    socket
        .send(Message::Text(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}).to_string().into()))
        .await?;
    assert_eq!(next_json(&mut socket).await?["type"], "connection_ack");
    let subscription = format!(
        r#"subscription {{ campaignMetrics(campaignId: "{campaign}") {{ campaignId adId channel currency day totals {{ impressions clicks spend ctr }} }} }}"#
    );
    socket
        .send(Message::Text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": subscription}})
                .to_string()
                .into(),
        ))
        .await?;
    until_subscribed(&live_b, 1).await;
    live_b.listening().await;
    live_a.listening().await;

    // A day of another campaign first: the subscriber must not get it.
    let day = |ad_id: uuid::Uuid, impressions: i64| json!({"input": [{"adId": ad_id.to_string(), "day": iso_n(5), "impressions": impressions, "clicks": 25, "spend": "12.50"}]});
    let me = tenant(org);
    let other = gql_on(&app_a, &me, RECORD, day(elsewhere.id, 999)).await;
    assert!(other.get("errors").is_none(), "{other:#}");
    let recorded = gql_on(&app_a, &me, RECORD, day(ad.id, 1000)).await;
    assert!(recorded.get("errors").is_none(), "{recorded:#}");

    let message = next_json(&mut socket).await?;
    assert_eq!(message["type"], "next", "{message:#}");
    assert_eq!(
        message["payload"]["data"]["campaignMetrics"],
        json!({"campaignId": campaign.to_string(), "adId": ad.id.to_string(), "channel": "INSTAGRAM", "currency": "EUR",
               "day": iso_n(5), "totals": {"impressions": 1000, "clicks": 25, "spend": "12.50", "ctr": 0.025}})
    );
    env.close().await
}

#[tokio::test]
async fn redis_down_never_fails_ingestion_and_local_subscribers_still_hear() -> Result<()> {
    let env = Env::sqlite().await?;
    // A port nothing listens on: Redis is down for this instance from the start.
    let down = format!(
        "redis://127.0.0.1:{}",
        promptsales_kit::testing::free_port()
    );
    let live = LiveMetrics::with_redis(&down, "test:")?;
    let app = env.app_with(AdsServices {
        live: live.clone(),
        ..test_services()
    });
    let org = new_id();
    let campaign = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let ad = env
        .ad(&market, campaign, AdChannel::Email, "Newsletter")
        .await?;
    let mut receiver = live.subscribe();
    let response = gql_on(
        &app,
        &tenant(org),
        RECORD,
        json!({"input": [{"adId": ad.id.to_string(), "day": iso_n(5), "impressions": 10, "clicks": 1, "spend": "1"}]}),
    )
    .await;
    assert!(response.get("errors").is_none(), "{response:#}");
    let event = receiver.recv().await?;
    assert_eq!(
        (event.ad_id, event.campaign_id, event.impressions),
        (ad.id, campaign, 10)
    );
    assert_eq!(env.row_counts().await?.2, 1);
    env.close().await
}
