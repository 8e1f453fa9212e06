//! Routed subscriptions: a client subscribed through the router's WebSocket
//! (graphql-transport-ws) receives what a mutation sent through the router caused,
//! for each subgraph that pushes live data to dashboards and agents: ads metrics, crm's
//! agent queue, content's outreach progress and sales' agenda reminders.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::fixture;
use super::harness::bearer;

/// A client's WebSocket to the router.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame as JSON (pings and pongs skipped).
pub async fn next_json(socket: &mut Socket) -> Result<Value> {
    loop {
        match socket.next().await.context("the socket closed")?? {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("unexpected frame {other:?}"),
        }
    }
}

/// Opens a subscription through the router as the holder of `token`.
pub async fn subscribe(router_url: &str, token: &str, query: &str) -> Result<Socket> {
    let mut request = router_url
        .replace("http://", "ws://")
        .into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::Text(
            json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
                .to_string()
                .into(),
        ))
        .await?;
    assert_eq!(next_json(&mut socket).await?["type"], "connection_ack");
    socket
        .send(Message::Text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": query}})
                .to_string()
                .into(),
        ))
        .await?;
    Ok(socket)
}

/// Runs `cause` until the subscription delivers a message, and returns that message.
///
/// The router opens its own subscription to the subgraph when it gets ours, and
/// nothing tells the client when that is done, so the cause is repeated. The pause
/// is a poll interval, not a limit on how long this may take.
async fn first_message<F, Fut>(socket: &mut Socket, mut cause: F) -> Result<Value>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    loop {
        cause().await?;
        if let Ok(message) =
            tokio::time::timeout(Duration::from_millis(500), next_json(socket)).await
        {
            return message;
        }
    }
}

#[tokio::test]
async fn ads_a_routed_subscription_receives_a_metric_recorded_through_the_router() -> Result<()> {
    let f = fixture::start().await?;
    let writer = bearer(&f.token(Some(f.org_a), &["ads:write", "sales:read"]));
    let ads = f
        .router
        .post(
            r#"query($c: ID!) { ads(filter: {campaignId: $c}) { edges { node { id } } } }"#,
            json!({"c": f.campaign_1.to_string()}),
            &writer,
        )
        .await?;
    let ad_id = ads["data"]["ads"]["edges"][0]["node"]["id"]
        .as_str()
        .with_context(|| format!("an ad of campaign 1: {ads:#}"))?
        .to_string();

    let reader = f.token(Some(f.org_a), &["ads:read"]);
    let subscription = format!(
        r#"subscription {{ campaignMetrics(campaignId: "{}") {{ adId day totals {{ impressions spend }} }} }}"#,
        f.campaign_1
    );
    let mut socket = subscribe(&f.router.url, &reader, &subscription).await?;

    // Recording a day again replaces it, so repeating the cause changes nothing else.
    let record =
        r#"mutation($input: [AdDayMetricsInput!]!) { recordAdMetrics(input: $input) { id } }"#;
    let day = json!({"input": [{"adId": ad_id, "day": fixture::iso(20), "impressions": 4321, "clicks": 12, "spend": "6.50"}]});
    let message = first_message(&mut socket, || async {
        let recorded = f.router.post(record, day.clone(), &writer).await?;
        assert!(recorded.get("errors").is_none(), "{recorded:#}");
        Ok(())
    })
    .await?;
    assert_eq!(message["type"], "next", "{message:#}");
    assert_eq!(
        message["payload"]["data"]["campaignMetrics"],
        json!({"adId": ad_id, "day": fixture::iso(20), "totals": {"impressions": 4321, "spend": "6.50"}})
    );
    Ok(())
}

#[tokio::test]
async fn crm_an_agent_subscribed_through_the_router_hears_of_a_lead_captured_through_it()
-> Result<()> {
    let f = fixture::start().await?;
    // sales:read too: crm checks the campaign a capture names with sales, as the caller.
    let agent = f.user_token(f.marketer_a, f.org_a, &["crm:write", "sales:read"]);
    let mut socket = subscribe(
        &f.router.url,
        &agent,
        "subscription { leadQueueUpdates { kind leadId } }",
    )
    .await?;

    // Capturing the same person again merges into their open lead, so repeating the
    // cause makes one lead, and every capture is an event about that lead.
    let capture =
        r#"mutation($input: CaptureLeadInput!) { captureLead(input: $input) { lead { id } } }"#;
    let input = json!({"input": {
        "campaignId": f.campaign_1.to_string(),
        "email": "routed.subscriber@example.test",
        "fullName": "Routed Subscriber",
        "source": "EMAIL",
    }});
    let writer = bearer(&agent);
    let message = first_message(&mut socket, || async {
        let captured = f.router.post(capture, input.clone(), &writer).await?;
        assert!(captured.get("errors").is_none(), "{captured:#}");
        Ok(())
    })
    .await?;
    // One more capture merges into the same open lead and names it.
    let again = f.router.post(capture, input.clone(), &writer).await?;
    let lead_id = again["data"]["captureLead"]["lead"]["id"]
        .as_str()
        .with_context(|| format!("the lead's id: {again:#}"))?;
    assert_eq!(message["type"], "next", "{message:#}");
    let event = &message["payload"]["data"]["leadQueueUpdates"];
    assert_eq!(event["leadId"], json!(lead_id), "{message:#}");
    assert!(event["kind"].is_string(), "{message:#}");
    Ok(())
}

/// How long a routed test waits for a frame that normally comes within milliseconds.
const PATIENCE: Duration = Duration::from_secs(60);

/// The next frame, waiting at most [`PATIENCE`].
async fn next_frame(socket: &mut Socket) -> Result<Value> {
    tokio::time::timeout(PATIENCE, next_json(socket))
        .await
        .context("no frame came")?
}

#[tokio::test]
async fn content_a_routed_subscription_follows_an_outreach_batch_started_through_the_router()
-> Result<()> {
    let f = fixture::start().await?;
    let writer = bearer(&f.token(Some(f.org_a), &["content:write"]));
    // Enough items that the subscriber usually joins while some are still being written.
    let prospects: Vec<Value> = (0..120)
        .map(|i| json!({"name": format!("Routed Prospect {i}"), "role": "CTO", "company": "Acme Outdoor"}))
        .collect();
    let started = f
        .router
        .post(
            "mutation($input: StartOutreachBatchInput!) { startOutreachBatch(input: $input) { id status total } }",
            json!({"input": {"channel": "EMAIL", "offer": "A pilot of our route planner.", "prospects": prospects}}),
            &writer,
        )
        .await?;
    let job = &started["data"]["startOutreachBatch"];
    assert_eq!(job["total"], 120, "{started:#}");
    let job_id = job["id"]
        .as_str()
        .with_context(|| format!("the batch's id: {started:#}"))?;

    let reader = f.token(Some(f.org_a), &["content:read"]);
    let mut socket = subscribe(
        &f.router.url,
        &reader,
        &format!(
            r#"subscription {{ outreachJobProgress(id: "{job_id}") {{ status total done succeeded failed }} }}"#
        ),
    )
    .await?;
    // The current state first, then every newer snapshot, until the batch completes and the
    // subscription ends.
    let mut snapshots = Vec::new();
    loop {
        let frame = next_frame(&mut socket).await?;
        match frame["type"].as_str() {
            Some("next") => {
                assert!(frame["payload"].get("errors").is_none(), "{frame:#}");
                snapshots.push(frame["payload"]["data"]["outreachJobProgress"].clone());
            }
            Some("complete") => break,
            _ => bail!("unexpected frame {frame:#}"),
        }
    }
    let dones: Vec<i64> = snapshots
        .iter()
        .filter_map(|s| s["done"].as_i64())
        .collect();
    assert!(
        dones.windows(2).all(|w| w[0] < w[1]),
        "progress only moves forward: {dones:?}"
    );
    assert_eq!(
        snapshots.last(),
        Some(
            &json!({"status": "COMPLETED", "total": 120, "done": 120, "succeeded": 120, "failed": 0})
        ),
        "{snapshots:#?}"
    );
    assert!(
        snapshots[..snapshots.len() - 1]
            .iter()
            .all(|s| s["status"] == "RUNNING"),
        "only the last snapshot is complete: {snapshots:#?}"
    );

    // Another tenant cannot follow it.
    let rival = f.token(Some(f.org_b), &["content:read"]);
    let mut foreign = subscribe(
        &f.router.url,
        &rival,
        &format!(r#"subscription {{ outreachJobProgress(id: "{job_id}") {{ status }} }}"#),
    )
    .await?;
    let denied = next_frame(&mut foreign).await?;
    assert_eq!(denied["type"], "next", "{denied:#}");
    assert_eq!(
        denied["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{denied:#}"
    );
    Ok(())
}

#[tokio::test]
async fn sales_a_routed_subscription_hears_the_reminder_of_a_task_created_through_the_router()
-> Result<()> {
    let f = fixture::start().await?;
    let marketer = f.user_token(f.marketer_a, f.org_a, &["sales:write"]);
    let mut socket = subscribe(
        &f.router.url,
        &marketer,
        &format!(
            r#"subscription {{ agendaNotifications(campaignId: "{}") {{ kind title taskId campaignId }} }}"#,
            f.campaign_1
        ),
    )
    .await?;

    // A task due within a day is reminded at once, so the scheduler's next tick fires it. A
    // reminder fires once only, and nothing tells the client when the router's own subscription
    // to the subgraph is open, so another task is created until one reminder arrives. The pause is
    // a poll interval, not a limit on how long this may take.
    let create = r#"mutation($input: ScheduleTaskInput!) { createScheduleTask(input: $input) { id remindAt } }"#;
    let writer = bearer(&marketer);
    let mut created = Vec::new();
    let message = loop {
        let due = chrono::Utc::now() + chrono::Duration::hours(2);
        let task = f
            .router
            .post(
                create,
                json!({"input": {
                    "campaignId": f.campaign_1.to_string(),
                    "kind": "REPORT",
                    "title": format!("Routed report {}", created.len()),
                    "dueAt": due.to_rfc3339(),
                }}),
                &writer,
            )
            .await?;
        let id = task["data"]["createScheduleTask"]["id"]
            .as_str()
            .with_context(|| format!("a created task: {task:#}"))?;
        created.push(id.to_string());
        if let Ok(message) =
            tokio::time::timeout(Duration::from_secs(2), next_json(&mut socket)).await
        {
            break message?;
        }
        anyhow::ensure!(created.len() < 30, "no reminder came for {created:?}");
    };
    assert_eq!(message["type"], "next", "{message:#}");
    let notification = &message["payload"]["data"]["agendaNotifications"];
    assert_eq!(notification["kind"], "reminder", "{message:#}");
    assert_eq!(
        notification["campaignId"],
        json!(f.campaign_1.to_string()),
        "{message:#}"
    );
    let task_id = notification["taskId"].as_str().unwrap_or_default();
    let position = created
        .iter()
        .position(|id| id == task_id)
        .with_context(|| format!("a reminder of a task created here: {message:#}"))?;
    assert_eq!(
        notification["title"],
        json!(format!("Routed report {position}")),
        "{message:#}"
    );
    Ok(())
}

/// The errors a refused subscription gets: an `error` message (its payload the errors) or a
/// `next` whose payload holds `errors`; anything else (data, silence) is `None`.
async fn refusal(socket: &mut Socket) -> Result<Option<Vec<Value>>> {
    let frame = next_frame(socket).await?;
    let errors = match frame["type"].as_str() {
        Some("error") => frame["payload"].as_array().cloned(),
        Some("next") => frame["payload"]["errors"].as_array().cloned(),
        _ => None,
    };
    Ok(errors)
}

/// Issue 12: tenant A subscribing to tenant B's ids over WebSocket was acknowledged (and
/// left open). Each subscription naming another tenant's organization, campaign or agent is
/// refused at subscribe time with `NOT_FOUND`, through the router, as a query would be.
#[tokio::test]
async fn a_subscription_to_another_tenants_ids_is_refused_with_not_found() -> Result<()> {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

    let f = fixture::start().await?;
    // An agent crm knows from org B's leads only.
    let agent_b = uuid::Uuid::now_v7();
    let crm = Database::connect(f.database_urls[2].as_str()).await?;
    crm.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE leads SET assigned_agent_id = $1 WHERE organization_id = $2",
        [agent_b.into(), f.org_b.into()],
    ))
    .await?;
    let _ = crm.close().await;

    let reader = f.user_token(
        f.marketer_a,
        f.org_a,
        &["sales:read", "ads:read", "crm:read", "content:read"],
    );
    let (org_a, org_b, campaign_b) = (f.org_a, f.org_b, f.campaign_b);
    let foreign = [
        format!(
            r#"subscription {{ campaignPerformanceUpdated(organizationId: "{org_b}") {{ campaignIds }} }}"#
        ),
        format!(
            r#"subscription {{ campaignPerformanceUpdated(organizationId: "{org_a}", campaignIds: ["{campaign_b}"]) {{ campaignIds }} }}"#
        ),
        format!(r#"subscription {{ campaignMetrics(campaignId: "{campaign_b}") {{ adId }} }}"#),
        format!(
            r#"subscription {{ agendaNotifications(campaignId: "{campaign_b}") {{ campaignId }} }}"#
        ),
        format!(r#"subscription {{ leadQueueUpdates(organizationId: "{org_b}") {{ leadId }} }}"#),
        format!(r#"subscription {{ leadQueueUpdates(agentId: "{agent_b}") {{ leadId }} }}"#),
    ];
    let mut failures = Vec::new();
    for query in &foreign {
        let mut socket = subscribe(&f.router.url, &reader, query).await?;
        match refusal(&mut socket).await? {
            Some(errors)
                if !errors.is_empty()
                    && errors
                        .iter()
                        .all(|e| e["extensions"]["code"] == "NOT_FOUND") => {}
            other => failures.push(format!("{query}: {other:?}")),
        }
    }
    // The same subscriptions with the caller's own ids are acknowledged (no refusal within
    // a moment): what is refused is the other tenant's ids, not the subscription.
    let own = format!(
        r#"subscription {{ campaignPerformanceUpdated(organizationId: "{org_a}", campaignIds: ["{}"]) {{ campaignIds }} }}"#,
        f.campaign_1
    );
    let mut socket = subscribe(&f.router.url, &reader, &own).await?;
    if let Ok(frame) = tokio::time::timeout(Duration::from_secs(2), next_json(&mut socket)).await {
        failures.push(format!("{own}: refused {frame:?}"));
    }

    // `campaignMetrics` on a campaign with no ads (ads cannot tell its tenant from its
    // rows; sales is asked): org B's, and one that never existed, are NOT_FOUND; org A's
    // own is acknowledged.
    let ads = Database::connect(f.database_urls[1].as_str()).await?;
    for campaign in [f.campaign_b, f.campaign_2] {
        ads.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE ads SET campaign_id = $1 WHERE campaign_id = $2",
            [uuid::Uuid::now_v7().into(), campaign.into()],
        ))
        .await?;
    }
    let _ = ads.close().await;
    for campaign in [f.campaign_b, uuid::Uuid::now_v7()] {
        let query =
            format!(r#"subscription {{ campaignMetrics(campaignId: "{campaign}") {{ adId }} }}"#);
        let mut socket = subscribe(&f.router.url, &reader, &query).await?;
        match refusal(&mut socket).await? {
            Some(errors)
                if !errors.is_empty()
                    && errors
                        .iter()
                        .all(|e| e["extensions"]["code"] == "NOT_FOUND") => {}
            other => failures.push(format!("no ads, {query}: {other:?}")),
        }
    }
    let own = format!(
        r#"subscription {{ campaignMetrics(campaignId: "{}") {{ adId }} }}"#,
        f.campaign_2
    );
    let mut socket = subscribe(&f.router.url, &reader, &own).await?;
    if let Ok(frame) = tokio::time::timeout(Duration::from_secs(2), next_json(&mut socket)).await {
        failures.push(format!("no ads, {own}: refused {frame:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}
