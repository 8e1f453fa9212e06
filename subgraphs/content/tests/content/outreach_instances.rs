//! Outreach batches across instances: progress published through Redis reaches a subscriber
//! on another instance, a Redis outage never stalls a batch, and a batch interrupted by a stop
//! is taken over once and finished with only its remaining items.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_graphql::{Request, Variables};
use futures::StreamExt;
use promptsales_content::ContentEngine;
use promptsales_content::domain::channel::Channel;
use promptsales_content::domain::outreach::{Pitch, Prospect};
use promptsales_content::engine::EngineConfig;
use promptsales_content::engine::jobs::ProgressBus;
use promptsales_content::engine::outreach::{BatchRequest, open};
use promptsales_content::store::{JobStatus, OutreachFilter, OutreachStatus, SealedOutreach};
use promptsales_kit::PageRequest;
use promptsales_kit::ai::{AiGateway, HashingEmbedder};
use promptsales_kit::context::TenantScope;
use promptsales_kit::server::SubgraphApp;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::openai_server::OpenAiServer;
use crate::support::{Backend, Harness, code, offline_gateway, tenant, test_cipher};

contract!(an_interrupted_batch_is_taken_over_once_and_writes_only_its_remaining_items);

/// How long a test waits for something that normally takes milliseconds.
const PATIENCE: Duration = Duration::from_secs(60);

const START: &str = "mutation($input: StartOutreachBatchInput!) { startOutreachBatch(input: $input) { id status total done } }";
const PROGRESS: &str =
    "subscription($id: ID!) { outreachJobProgress(id: $id) { status total done succeeded } }";

type App = SubgraphApp<
    promptsales_content::Query,
    promptsales_content::Mutation,
    promptsales_content::Subscription,
>;

/// A process of its own, as far as tasks go: a runtime that can be stopped at any point.
struct Instance(Option<tokio::runtime::Runtime>);

impl Instance {
    fn new() -> anyhow::Result<Self> {
        Ok(Self(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
        )))
    }

    fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.0 {
            Some(runtime) => runtime.spawn(task),
            None => panic!("the instance was stopped"),
        }
    }

    /// Drops every task at once, as when the process is killed.
    fn stop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Instance {
    // A runtime must not block the test's runtime while it winds down.
    fn drop(&mut self) {
        self.stop();
    }
}

/// One more content service over the database at `url`: its own connection pool, engine and bus.
async fn instance(
    url: &str,
    gateway: AiGateway,
    config: EngineConfig,
    progress: Arc<ProgressBus>,
) -> anyhow::Result<(App, Arc<ContentEngine>)> {
    let db = promptsales_kit::db::connect(url).await?;
    let store = promptsales_content::store_on(db.clone());
    let engine =
        ContentEngine::with_progress(store.clone(), gateway, test_cipher(), config, progress);
    Ok((
        promptsales_content::app_with(store, db, engine.clone()),
        engine,
    ))
}

fn gateway(server: &OpenAiServer) -> anyhow::Result<AiGateway> {
    Ok(AiGateway::new(
        Arc::new(server.client()?),
        Arc::new(HashingEmbedder::default()),
    ))
}

fn prospects(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"name": format!("Prospect {i}"), "role": "CTO", "company": "Acme Trail Co"}))
            .collect(),
    )
}

async fn start(app: &App, organization: Uuid, n: usize) -> anyhow::Result<String> {
    let request = Request::new(START)
        .variables(Variables::from_json(json!({"input": {"channel": "LINKEDIN", "prospects": prospects(n), "offer": "A pilot of our route planner."}})));
    let response = promptsales_kit::server::execute_as(app, tenant(organization), request).await;
    let value = serde_json::to_value(&response)?;
    value["data"]["startOutreachBatch"]["id"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("a started batch: {value:#}"))
}

fn follow(
    app: &App,
    organization: Uuid,
    job_id: &str,
) -> impl futures::Stream<Item = async_graphql::Response> + Unpin + use<> {
    let request = Request::new(PROGRESS)
        .variables(Variables::from_json(json!({"id": job_id})))
        .data(tenant(organization))
        .data(promptsales_kit::Subsystem::Content);
    app.schema.execute_stream(request)
}

/// The next snapshot (`null` once the subscription ended), waiting at most [`PATIENCE`].
async fn next_snapshot(
    stream: &mut (impl futures::Stream<Item = async_graphql::Response> + Unpin),
) -> anyhow::Result<Value> {
    let next = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .context("no progress snapshot came")?;
    Ok(match next {
        Some(response) => {
            let value = serde_json::to_value(&response)?;
            anyhow::ensure!(value.get("errors").is_none(), "{value}");
            value["data"]["outreachJobProgress"].clone()
        }
        None => Value::Null,
    })
}

/// A subscriber on instance B follows, item by item, a batch that instance A writes: both share one
/// PostgreSQL and one Redis, and what B's bus hears of the batch can only have come through Redis.
#[tokio::test]
async fn progress_of_a_batch_on_one_instance_reaches_a_subscriber_on_another() -> anyhow::Result<()>
{
    let h = Harness::new(Backend::Postgres).await?;
    let redis = promptsales_kit::testing::redis().await;
    let prefix = redis.fresh_prefix();
    let server = OpenAiServer::start(true).await?;
    let config = EngineConfig {
        outreach_concurrency: 1,
        ..EngineConfig::default()
    };
    let bus_a = ProgressBus::with_redis(redis.url(), &prefix)?;
    let bus_b = ProgressBus::with_redis(redis.url(), &prefix)?;
    let (app_a, _engine_a) = instance(&h.url, gateway(&server)?, config, bus_a.clone()).await?;
    let (app_b, _engine_b) = instance(&h.url, offline_gateway(), config, bus_b.clone()).await?;
    tokio::time::timeout(PATIENCE, async {
        bus_a.listening().await;
        bus_b.listening().await;
    })
    .await
    .context("the buses never subscribed to Redis")?;
    // B runs nothing: whatever reaches its bus came from A through Redis.
    let mut heard_on_b = bus_b.subscribe();

    let org = Uuid::now_v7();
    let job_id = start(&app_a, org, 3).await?;
    let mut progress = follow(&app_b, org, &job_id);
    let first = next_snapshot(&mut progress).await?;
    assert_eq!(
        first,
        json!({"status": "RUNNING", "total": 3, "done": 0, "succeeded": 0}),
        "every answer is held, so nothing is done yet"
    );
    for released in 1..=3 {
        server.release(1);
        let snapshot = next_snapshot(&mut progress).await?;
        assert_eq!(snapshot["done"], released, "{snapshot}");
        let status = if released == 3 {
            "COMPLETED"
        } else {
            "RUNNING"
        };
        assert_eq!(snapshot["status"], status, "{snapshot}");
    }
    assert_eq!(
        next_snapshot(&mut progress).await?,
        Value::Null,
        "the subscription ends with the batch"
    );

    let mut dones = BTreeSet::new();
    tokio::time::timeout(PATIENCE, async {
        while dones.len() < 3 {
            if let Ok(job) = heard_on_b.recv().await
                && job.id.to_string() == job_id
            {
                dones.insert(job.done());
            }
        }
    })
    .await
    .with_context(|| format!("B's bus heard only {dones:?} through Redis"))?;
    assert_eq!(dones, BTreeSet::from([1, 2, 3]));

    // Another tenant cannot follow the batch from either instance.
    let mut foreign = follow(&app_b, Uuid::now_v7(), &job_id);
    let denied = foreign
        .next()
        .await
        .map(|r| serde_json::to_value(&r))
        .transpose()?;
    assert_eq!(
        denied.as_ref().and_then(code),
        Some("NOT_FOUND"),
        "{denied:?}"
    );
    Ok(())
}

/// A Redis that accepts connections and never answers: the batch still runs to the end and the
/// subscribers on its own instance hear every item.
#[tokio::test]
async fn a_redis_that_never_answers_neither_fails_nor_stalls_a_batch() -> anyhow::Result<()> {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let silent_url = format!("redis://{}", silent.local_addr()?);
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let h = Harness::new(Backend::Postgres).await?;
    let server = OpenAiServer::start(true).await?;
    let config = EngineConfig {
        outreach_concurrency: 1,
        ..EngineConfig::default()
    };
    let (app, _engine) = instance(
        &h.url,
        gateway(&server)?,
        config,
        ProgressBus::with_redis(&silent_url, "")?,
    )
    .await?;
    let org = Uuid::now_v7();
    let job_id = start(&app, org, 3).await?;
    let mut progress = follow(&app, org, &job_id);
    assert_eq!(next_snapshot(&mut progress).await?["done"], 0);
    for released in 1..=3 {
        server.release(1);
        let snapshot = next_snapshot(&mut progress).await?;
        assert_eq!(snapshot["done"], released, "{snapshot}");
    }
    assert_eq!(next_snapshot(&mut progress).await?, Value::Null);
    let job = h
        .store
        .job(TenantScope::All, job_id.parse()?)
        .await?
        .context("the batch")?;
    assert_eq!(
        (job.status, job.succeeded, job.failed),
        (JobStatus::Completed, 3, 0)
    );
    held.abort();
    Ok(())
}

/// Instance A starts a batch of five, writes two items and stops mid-way (its runtime is shut down,
/// as a process is killed). Two other instances sweep at the same time: exactly one takes the batch
/// over once A's lease ran out, and it writes items 2 to 4 only: three model calls, five messages in
/// all, one per position; a late duplicate of a finished position is neither stored nor counted.
async fn an_interrupted_batch_is_taken_over_once_and_writes_only_its_remaining_items(
    backend: Backend,
) -> anyhow::Result<()> {
    let server_a = OpenAiServer::start(true).await?;
    let server_b = OpenAiServer::start(false).await?;
    // B and C hold long leases, so neither takes the batch from the other while it runs.
    let steady = EngineConfig {
        outreach_concurrency: 2,
        outreach_lease: Duration::from_secs(60),
        ..EngineConfig::default()
    };
    let h = Harness::with_gateway(backend, gateway(&server_b)?, steady).await?;
    let org = Uuid::now_v7();

    let mut runtime_a = Instance::new()?;
    let (url, client_a) = (h.url.clone(), server_a.client()?);
    let engine_a = runtime_a
        .spawn(async move {
            let db = promptsales_kit::db::connect(&url).await?;
            let gateway = AiGateway::new(Arc::new(client_a), Arc::new(HashingEmbedder::default()));
            // A short lease, so that the others may take over soon after A stops.
            let config = EngineConfig {
                outreach_concurrency: 1,
                outreach_lease: Duration::from_millis(300),
                ..EngineConfig::default()
            };
            anyhow::Ok(ContentEngine::new(
                promptsales_content::store_on(db),
                gateway,
                test_cipher(),
                config,
            ))
        })
        .await??;
    let request = BatchRequest {
        channel: Channel::Linkedin,
        templates: Vec::new(),
        pitch: Pitch {
            offer: "A pilot of our route planner.".into(),
            sender_name: Some("Maya".into()),
        },
        prospects: (0..5)
            .map(|i| Prospect {
                name: format!("Prospect {i}"),
                role: Some("CTO".into()),
                company: Some("Acme Trail Co".into()),
                notes: None,
            })
            .collect(),
    };
    let starter = engine_a.clone();
    let job = runtime_a
        .spawn(async move { starter.start_batch(org, request).await })
        .await?
        .map_err(|e| anyhow::anyhow!("{}: {}", e.code(), e.message()))?;
    server_a.release(2);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = h
            .store
            .job(TenantScope::All, job.id)
            .await?
            .context("the batch")?;
        if now.done() == 2 {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "A never wrote two items: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A stops while its third item waits for the model: nothing of A runs any more.
    runtime_a.stop();
    drop(engine_a);

    let c_db = promptsales_kit::db::connect(&h.url).await?;
    let engine_c = ContentEngine::new(
        promptsales_content::store_on(c_db),
        gateway(&server_b)?,
        test_cipher(),
        steady,
    );
    let mut resumed = 0;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while resumed == 0 {
        let (b, c) = tokio::join!(
            h.engine.resume_orphaned_batches(),
            engine_c.resume_orphaned_batches()
        );
        resumed += b + c;
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "nobody took the batch over"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(resumed, 1, "exactly one instance takes the batch over");
    let finished = loop {
        let now = h
            .store
            .job(TenantScope::All, job.id)
            .await?
            .context("the batch")?;
        if now.status == JobStatus::Completed {
            break now;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the batch never finished: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!((finished.succeeded, finished.failed), (5, 0));
    assert_eq!(server_a.calls(), 2, "A answered two items");
    assert_eq!(
        server_b.calls(),
        3,
        "the take-over wrote the remaining three only"
    );
    let (b, c) = tokio::join!(
        h.engine.resume_orphaned_batches(),
        engine_c.resume_orphaned_batches()
    );
    assert_eq!(b + c, 0, "a finished batch is not taken again");
    let kept: Vec<Option<String>> = {
        use sea_orm::{ConnectionTrait, Statement};
        let rows =
            h.db.query_all(Statement::from_string(
                h.db.get_database_backend(),
                // The only batch of this fresh database.
                "SELECT request_enc FROM outreach_jobs",
            ))
            .await?;
        rows.iter()
            .map(|r| r.try_get::<Option<String>>("", "request_enc"))
            .collect::<Result<_, _>>()?
    };
    assert_eq!(
        kept,
        [None],
        "a finished batch keeps no copy of its prospects"
    );

    let filter = OutreachFilter {
        job_id: Some(job.id),
        ..OutreachFilter::default()
    };
    let page = PageRequest {
        first: 100,
        after: None,
    };
    let rows = h
        .store
        .list_outreach(TenantScope::All, &filter, &page)
        .await?
        .items;
    let cipher = test_cipher().get().map_err(|e| anyhow::anyhow!(e))?;
    let mut positions = Vec::new();
    for row in rows.clone() {
        let message = open(&cipher, row).map_err(|e| anyhow::anyhow!("{}", e.code()))?;
        assert_eq!(message.status, OutreachStatus::Generated);
        assert_eq!(
            message.prospect.name,
            format!("Prospect {}", message.item_index)
        );
        let text = message.text.unwrap_or_default();
        assert!(text.contains(&message.prospect.name), "{text}");
        positions.push(message.item_index);
    }
    positions.sort_unstable();
    assert_eq!(positions, [0, 1, 2, 3, 4], "one message per position");

    let first: SealedOutreach = rows.first().cloned().context("a message")?;
    let late = SealedOutreach {
        id: Uuid::now_v7(),
        ..first
    };
    let after = h
        .store
        .record_job_item(job.id, &late)
        .await?
        .context("the batch")?;
    assert_eq!((after.succeeded, after.failed), (5, 0), "not counted twice");
    let again = h
        .store
        .list_outreach(TenantScope::All, &filter, &page)
        .await?
        .items;
    assert_eq!(again.len(), 5, "not stored twice");
    Ok(())
}
