//! `promptsales bench load`: many concurrent clients on a mix of portal queries, mutations
//! and subscriptions through the router, then the same with faults injected mid-run.
//!
//! Three runs, each on a graph of its own (the demo data in fresh PostgreSQL databases,
//! the four subgraphs in this process, the router as a child process, a Redis server of
//! its own on a free port so that stopping it touches nothing else):
//!
//! - `normal`: nothing is stopped;
//! - `redis-down`: the Redis server is killed a third of the way in: the router skips its
//!   cache and rate limit, the subgraphs their buses; no request may fail;
//! - `subgraph-down`: the content subgraph is stopped a third of the way in: queries that
//!   reach it get partial data (the other subgraphs' fields, and an error for its own).
//!
//! Every client loops over the mix (60% queries, 25% mutations, 15% subscriptions). Each
//! run prints throughput, p50/p99 latency and failures per kind, and checks that every
//! mutation the router acknowledged is in the store afterwards (read from the sales
//! subgraph directly, past any cache). The command fails when a check fails.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use promptsales_kit::auth::jwks::RemoteJwks;
use promptsales_kit::auth::{AuthConfig, SigningKey, TokenType, Verifier};
use promptsales_sales::auth::{Issuer, Lifetimes};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// What to run.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadBenchArgs {
    /// Concurrent clients (the seeds' concurrent users).
    #[arg(long, default_value_t = 300)]
    pub clients: usize,
    /// How long each run lasts (e.g. `60s`).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// The runs, comma-separated: `normal`, `redis-down`, `subgraph-down`.
    #[arg(long, default_value = "normal,redis-down,subgraph-down")]
    pub runs: String,
    /// The PostgreSQL server the runs create their databases on (its maintenance database).
    #[arg(
        long,
        env = "PROMPTSALES_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// The `redis-server` binary each run starts its own Redis with.
    #[arg(long, default_value = "redis-server")]
    pub redis_server: String,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    promptsales_router::settings::parse_duration(text)
}

/// The fault a run injects a third of the way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    RedisDown,
    SubgraphDown,
}

impl Fault {
    fn parse(name: &str) -> anyhow::Result<Self> {
        Ok(match name.trim() {
            "normal" => Self::None,
            "redis-down" => Self::RedisDown,
            "subgraph-down" => Self::SubgraphDown,
            other => bail!("unknown run {other:?} (normal, redis-down, subgraph-down)"),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::None => "normal",
            Self::RedisDown => "redis-down",
            Self::SubgraphDown => "subgraph-down",
        }
    }
}

/// The portal's dashboard: one organization's campaigns with their ads, leads and assets
/// (sales, ads, crm and content in one request).
const OVERVIEW: &str = "query LoadOverview($org: ID!) { organization(id: $org) { name campaigns(first: 10) { edges { node { id name status adTotals { impressions clicks spend } leadFunnel { total won } assets(first: 3) { edges { node { id kind } } } } } } } }";
/// The campaign list (sales only).
const CAMPAIGNS: &str = "query LoadCampaigns($org: ID!) { organization(id: $org) { campaigns(first: 20) { edges { node { id name status budget { total { amount currency } } } } } } }";
/// The mutation each client sends: a product, whose id is checked afterwards.
const CREATE_PRODUCT: &str =
    "mutation LoadProduct($input: CreateProductInput!) { createProduct(input: $input) { id } }";
/// The subscription each client opens (sales).
const SUBSCRIPTION: &str = "subscription LoadLive($org: ID!) { campaignPerformanceUpdated(organizationId: $org) { campaignIds } }";

const ALL_ADMIN: [&str; 4] = ["sales:admin", "ads:admin", "crm:admin", "content:admin"];

/// Runs the benchmark (`promptsales bench load`).
pub fn run(args: LoadBenchArgs) -> anyhow::Result<()> {
    if args.clients == 0 {
        bail!("--clients must be at least 1");
    }
    let faults = args
        .runs
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .map(Fault::parse)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let data = tempfile::Builder::new()
        .prefix("promptsales-bench-load-")
        .tempdir()
        .context("creating a temporary data folder")?;
    // Every run's Redis listens on this one port (restarted between runs), so the
    // subgraphs in this process read one PROMPTSALES_REDIS_URL for their whole life.
    let redis_port = free_port()?;
    // SAFETY: no other thread exists yet (the runtime starts below).
    unsafe {
        std::env::set_var("PROMPTSALES_DATA_DIR", data.path());
        std::env::set_var(
            "PROMPTSALES_REDIS_URL",
            format!("redis://127.0.0.1:{redis_port}"),
        );
    }
    super::tokio_main(async move {
        let mut failed = Vec::new();
        for fault in faults {
            match run_one(&args, fault, redis_port, data.path()).await {
                Ok(problems) => failed.extend(problems),
                Err(e) => failed.push(format!("{}: {e:#}", fault.name())),
            }
        }
        if cfg!(debug_assertions) {
            println!("(a debug build: build with --release for representative figures)");
        }
        if failed.is_empty() {
            println!("\nevery check passed");
            Ok(())
        } else {
            bail!("checks failed:\n{}", failed.join("\n"))
        }
    })
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One kind of request's measurements.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// No answer, an error status, no data, or (with nothing stopped) any error.
    failed: u64,
    /// Data with errors, all from the stopped subgraph.
    partial: u64,
    /// Failures after the fault, of requests that needed the stopped subgraph.
    failed_needing_stopped: u64,
    examples: Vec<String>,
}

impl Tally {
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
    }

    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.failed += other.failed;
        self.partial += other.partial;
        self.failed_needing_stopped += other.failed_needing_stopped;
        for e in other.examples {
            if self.examples.len() < 5 {
                self.examples.push(e);
            }
        }
    }
}

/// What one client measured.
#[derive(Default)]
struct ClientTally {
    queries: Tally,
    mutations: Tally,
    subscriptions: Tally,
    acknowledged: Vec<String>,
}

/// A running graph.
struct Graph {
    router_url: String,
    sales_url: String,
    token: String,
    organization: String,
    _router: Child,
    redis: Option<Child>,
    subgraphs: Vec<tokio::task::JoinHandle<()>>,
    /// Stops the content subgraph (graceful: in-flight requests finish, then it refuses).
    stop_content: Option<tokio::sync::oneshot::Sender<()>>,
    databases: Vec<String>,
}

impl Drop for Graph {
    fn drop(&mut self) {
        for task in &self.subgraphs {
            task.abort();
        }
    }
}

async fn run_one(
    args: &LoadBenchArgs,
    fault: Fault,
    redis_port: u16,
    data: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    println!("\n== run {}: starting its graph...", fault.name());
    let mut graph = start_graph(args, redis_port, data, fault).await?;
    let outcome = load(args, fault, &mut graph).await;
    // The stores go whatever happened.
    if let Some(mut redis) = graph.redis.take() {
        let _ = redis.kill().await;
    }
    let databases = std::mem::take(&mut graph.databases);
    drop(graph);
    let admin = sea_orm::Database::connect(args.postgres_url.as_str()).await?;
    for name in databases {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
    outcome
}

async fn load(
    args: &LoadBenchArgs,
    fault: Fault,
    graph: &mut Graph,
) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .timeout(Duration::from_secs(30))
        .build()?;
    let started = Instant::now();
    let deadline = started + args.duration;
    let fault_at = args.duration / 3;
    let faulted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let shared = Arc::new((
        client.clone(),
        graph.router_url.clone(),
        graph.token.clone(),
        graph.organization.clone(),
    ));
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for n in 0..args.clients {
        let (shared, faulted, counter, results) = (
            shared.clone(),
            faulted.clone(),
            counter.clone(),
            results.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (client, router, token, org) = &*shared;
            let mut tally = ClientTally::default();
            let mut step = n;
            while Instant::now() < deadline {
                step += 1;
                let after_fault = faulted.load(Ordering::SeqCst);
                match step % 20 {
                    0..=11 => {
                        // The dashboard reaches content; the list does not.
                        let (query, needs_content) = if step % 2 == 0 {
                            (OVERVIEW, true)
                        } else {
                            (CAMPAIGNS, false)
                        };
                        let no_store = step % 4 < 2;
                        let sent = Instant::now();
                        let verdict = query_once(client, router, token, query, org, no_store).await;
                        tally.queries.latencies.push(sent.elapsed());
                        judge(
                            &mut tally.queries,
                            verdict,
                            fault,
                            after_fault,
                            needs_content,
                        );
                    }
                    12..=16 => {
                        let k = counter.fetch_add(1, Ordering::Relaxed);
                        let sent = Instant::now();
                        let made = create_product(client, router, token, org, k).await;
                        tally.mutations.latencies.push(sent.elapsed());
                        match made {
                            Ok(id) => tally.acknowledged.push(id),
                            Err(e) => {
                                tally.mutations.failed += 1;
                                if tally.mutations.examples.len() < 3 {
                                    tally.mutations.examples.push(e);
                                }
                            }
                        }
                    }
                    _ => {
                        let sent = Instant::now();
                        let opened = subscribe_once(router, token, org).await;
                        tally.subscriptions.latencies.push(sent.elapsed());
                        if let Err(e) = opened {
                            tally.subscriptions.failed += 1;
                            if tally.subscriptions.examples.len() < 3 {
                                tally.subscriptions.examples.push(e);
                            }
                        }
                    }
                }
            }
            results.lock().await.push(tally);
        }));
    }

    // The fault, a third of the way in.
    tokio::time::sleep_until((started + fault_at).into()).await;
    match fault {
        Fault::None => {}
        Fault::RedisDown => {
            if let Some(redis) = graph.redis.as_mut() {
                redis.kill().await.context("stopping Redis")?;
                let _ = redis.wait().await;
            }
            faulted.store(true, Ordering::SeqCst);
            println!("Redis stopped at {:?}", started.elapsed());
        }
        Fault::SubgraphDown => {
            if let Some(stop) = graph.stop_content.take() {
                let _ = stop.send(());
            }
            faulted.store(true, Ordering::SeqCst);
            println!("the content subgraph stopped at {:?}", started.elapsed());
        }
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed();

    let mut queries = Tally::default();
    let mut mutations = Tally::default();
    let mut subscriptions = Tally::default();
    let mut acknowledged = Vec::new();
    for tally in results.lock().await.drain(..) {
        queries.merge(tally.queries);
        mutations.merge(tally.mutations);
        subscriptions.merge(tally.subscriptions);
        acknowledged.extend(tally.acknowledged);
    }

    println!(
        "{} clients for {:?} ({}):",
        args.clients,
        args.duration,
        fault.name()
    );
    println!(
        "{:<14} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9}",
        "kind", "requests", "failed", "partial", "req/s", "p50 ms", "p99 ms"
    );
    let mut all = Tally::default();
    for (name, tally) in [
        ("queries", &queries),
        ("mutations", &mutations),
        ("subscriptions", &subscriptions),
    ] {
        println!(
            "{name:<14} {:>9} {:>7} {:>8} {:>9.1} {:>9.1} {:>9.1}",
            tally.latencies.len(),
            tally.failed,
            tally.partial,
            tally.latencies.len() as f64 / elapsed.as_secs_f64(),
            tally.percentile(50.0),
            tally.percentile(99.0),
        );
        all.latencies.extend(tally.latencies.iter().copied());
        all.failed += tally.failed;
        all.partial += tally.partial;
    }
    println!(
        "{:<14} {:>9} {:>7} {:>8} {:>9.1} {:>9.1} {:>9.1}",
        "all",
        all.latencies.len(),
        all.failed,
        all.partial,
        all.latencies.len() as f64 / elapsed.as_secs_f64(),
        all.percentile(50.0),
        all.percentile(99.0),
    );
    for (name, tally) in [
        ("query", &queries),
        ("mutation", &mutations),
        ("subscription", &subscriptions),
    ] {
        for example in &tally.examples {
            println!("  a failed {name}: {example:.300}");
        }
    }

    // Every acknowledged mutation is in the store, read from sales itself.
    let stored = stored_products(&client, &graph.sales_url, &graph.token, &graph.organization)
        .await
        .context("reading the products back")?;
    let missing = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .count();
    println!(
        "acknowledged mutations: {}, in the store afterwards: {}",
        acknowledged.len(),
        acknowledged.len() - missing
    );

    let mut problems = Vec::new();
    let run = fault.name();
    if missing > 0 {
        problems.push(format!(
            "{run}: {missing} acknowledged mutations are missing"
        ));
    }
    match fault {
        Fault::None | Fault::RedisDown => {
            if all.failed > 0 {
                problems.push(format!("{run}: {} requests failed", all.failed));
            }
        }
        Fault::SubgraphDown => {
            // Only what needed the stopped subgraph may lose a part; nothing else may fail.
            let unexplained = all.failed - queries.failed_needing_stopped;
            if unexplained > 0 {
                problems.push(format!(
                    "{run}: {unexplained} requests failed that did not need the stopped subgraph"
                ));
            }
            if queries.failed_needing_stopped > 0 {
                problems.push(format!(
                    "{run}: {} queries needing the stopped subgraph got no partial data",
                    queries.failed_needing_stopped
                ));
            }
            if queries.partial == 0 {
                problems.push(format!("{run}: no query got partial data"));
            }
        }
    }
    Ok(problems)
}

/// How one query went.
enum QueryVerdict {
    Ok,
    /// Data, with errors.
    Partial(String),
    Failed(String),
}

fn judge(tally: &mut Tally, verdict: QueryVerdict, fault: Fault, after: bool, needs_content: bool) {
    let stopped_matters = fault == Fault::SubgraphDown && after && needs_content;
    match verdict {
        QueryVerdict::Ok => {}
        // Data, and every error names the stopped subgraph (a request in flight when it
        // stopped counts too, whenever it was sent).
        QueryVerdict::Partial(why)
            if fault == Fault::SubgraphDown && needs_content && only_content_errors(&why) =>
        {
            tally.partial += 1;
        }
        QueryVerdict::Partial(why) | QueryVerdict::Failed(why) => {
            tally.failed += 1;
            if stopped_matters {
                tally.failed_needing_stopped += 1;
            }
            if tally.examples.len() < 3 {
                tally.examples.push(why);
            }
        }
    }
}

/// Whether every error of `errors` (JSON) is the content subgraph's absence.
fn only_content_errors(errors: &str) -> bool {
    serde_json::from_str::<Value>(errors)
        .ok()
        .and_then(|e| e.as_array().cloned())
        .is_some_and(|errors| {
            !errors.is_empty()
                && errors
                    .iter()
                    .all(|e| e["extensions"]["service"] == "content")
        })
}

async fn query_once(
    client: &reqwest::Client,
    router: &str,
    token: &str,
    query: &str,
    org: &str,
    no_store: bool,
) -> QueryVerdict {
    let mut request = client
        .post(router)
        .bearer_auth(token)
        .header("accept", "application/json")
        .json(&json!({ "query": query, "variables": { "org": org } }));
    if no_store {
        request = request.header("cache-control", "no-store");
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return QueryVerdict::Failed(format!("no answer: {e}")),
    };
    let status = response.status();
    let body: Value = match response.json().await {
        Ok(b) => b,
        Err(e) => return QueryVerdict::Failed(format!("HTTP {status}, not JSON: {e}")),
    };
    let has_data = body["data"]["organization"].is_object();
    let errors = body
        .get("errors")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    match (status.is_success(), has_data, errors) {
        (true, true, false) => QueryVerdict::Ok,
        (true, true, true) => QueryVerdict::Partial(body["errors"].to_string()),
        _ => QueryVerdict::Failed(format!("HTTP {status}: {body}")),
    }
}

async fn create_product(
    client: &reqwest::Client,
    router: &str,
    token: &str,
    org: &str,
    k: u64,
) -> Result<String, String> {
    let input = json!({ "input": {
        "organizationId": org,
        "name": format!("Load product {k}"),
        "price": "9.90",
        "currency": "EUR",
    }});
    let response = client
        .post(router)
        .bearer_auth(token)
        .header("accept", "application/json")
        .json(&json!({ "query": CREATE_PRODUCT, "variables": input }))
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, not JSON: {e}"))?;
    body["data"]["createProduct"]["id"]
        .as_str()
        .filter(|_| body.get("errors").is_none())
        .map(str::to_string)
        .ok_or_else(|| format!("HTTP {status}: {body}"))
}

/// Opens a subscription through the router's WebSocket (graphql-transport-ws): acknowledged,
/// and no error within a moment. Then completes it.
async fn subscribe_once(router: &str, token: &str, org: &str) -> Result<(), String> {
    let exchange = async {
        let mut request = router
            .replacen("http://", "ws://", 1)
            .into_client_request()
            .map_err(|e| e.to_string())?;
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws"
                .parse()
                .map_err(|_| "header".to_string())?,
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| format!("no WebSocket: {e}"))?;
        let send = |v: Value| Message::Text(v.to_string().into());
        socket
            .send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })))
            .await
            .map_err(|e| e.to_string())?;
        let ack = next_text(&mut socket, Duration::from_secs(10)).await?;
        if ack["type"] != "connection_ack" {
            return Err(format!("not acknowledged: {ack}"));
        }
        socket
            .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "org": org } } })))
            .await
            .map_err(|e| e.to_string())?;
        // A refusal comes at once; silence is a live subscription.
        match next_text(&mut socket, Duration::from_millis(200)).await {
            Err(e) if e == "silent" => {}
            Err(e) => return Err(e),
            Ok(frame) if frame["type"] == "error" || frame["payload"]["errors"].is_array() => {
                return Err(format!("refused: {frame}"));
            }
            Ok(_) => {}
        }
        let _ = socket
            .send(send(json!({ "id": "1", "type": "complete" })))
            .await;
        let _ = socket.close(None).await;
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| "no answer within 30 s".to_string())?
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text frame within `wait`; `Err("silent")` when none came.
async fn next_text(socket: &mut Socket, wait: Duration) -> Result<Value, String> {
    let read = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).map_err(|e| e.to_string());
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => return Err(format!("unexpected frame {other:?}")),
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("the socket closed".into()),
            }
        }
    };
    tokio::time::timeout(wait, read)
        .await
        .map_err(|_| "silent".to_string())?
}

/// The ids of the organization's products, from the sales subgraph itself.
async fn stored_products(
    client: &reqwest::Client,
    sales_url: &str,
    token: &str,
    org: &str,
) -> anyhow::Result<std::collections::HashSet<String>> {
    let body: Value = client
        .post(sales_url)
        .bearer_auth(token)
        .json(&json!({ "query": "query($org: ID!) { organization(id: $org) { products { id } } }", "variables": { "org": org } }))
        .send()
        .await?
        .json()
        .await?;
    let products = body["data"]["organization"]["products"]
        .as_array()
        .with_context(|| format!("no products in {body}"))?;
    Ok(products
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect())
}

/// A graph of its own: fresh databases with the demo data, Redis, the subgraphs, the router.
async fn start_graph(
    args: &LoadBenchArgs,
    redis_port: u16,
    data: &std::path::Path,
    fault: Fault,
) -> anyhow::Result<Graph> {
    let redis = Command::new(&args.redis_server)
        .args([
            "--port",
            &redis_port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (--redis-server)", args.redis_server))?;
    let redis_url = format!("redis://127.0.0.1:{redis_port}");
    wait_for_redis(&redis_url).await?;

    let admin = sea_orm::Database::connect(args.postgres_url.as_str())
        .await
        .with_context(|| format!("connecting to {}", args.postgres_url))?;
    let stamp = uuid::Uuid::now_v7().simple().to_string();
    let base = args
        .postgres_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .context("the PostgreSQL URL names no database")?;
    let mut databases = Vec::new();
    let mut urls = Vec::new();
    for store in ["sales", "ads", "crm", "content"] {
        let name = format!(
            "bench_load_{store}_{}_{}",
            fault.name().replace('-', "_"),
            &stamp[20..]
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        urls.push(format!("{base}/{name}"));
        databases.push(name);
    }

    let issuer = Arc::new(Issuer::new(
        SigningKey::generate()?,
        AuthConfig::default(),
        Lifetimes::default(),
    ));
    let mut subgraphs = Vec::new();
    let mut graphql_urls = Vec::new();
    let (sales, sales_db) = promptsales_sales::open_store(&urls[0]).await?;
    promptsales_sales::seed_demo(sales.as_ref()).await?;
    let (listener, sales_url) = super::bench::bind().await?;
    let jwks_url = format!(
        "{}{}",
        sales_url.trim_end_matches("/graphql"),
        promptsales_kit::auth::JWKS_PATH
    );
    subgraphs.push(super::bench::serve(
        listener,
        promptsales_sales::http_router(sales, sales_db, issuer.clone())?,
    ));
    graphql_urls.push(sales_url.clone());
    let verifier = || {
        let config = AuthConfig {
            jwks_url: jwks_url.clone(),
            ..AuthConfig::default()
        };
        Arc::new(Verifier::with_remote(&config, RemoteJwks::new(&jwks_url)))
    };
    let (ads, ads_db) = promptsales_ads::open_store(&urls[1]).await?;
    promptsales_ads::seed_demo(ads.as_ref()).await?;
    let (listener, u) = super::bench::bind().await?;
    subgraphs.push(super::bench::serve(
        listener,
        promptsales_kit::server::router_with(promptsales_ads::app(ads, ads_db), verifier())?,
    ));
    graphql_urls.push(u);
    let (crm, crm_db) = promptsales_crm::open_store(&urls[2]).await?;
    promptsales_crm::seed_demo(crm.as_ref()).await?;
    let (listener, u) = super::bench::bind().await?;
    subgraphs.push(super::bench::serve(
        listener,
        promptsales_kit::server::router_with(promptsales_crm::app(crm, crm_db), verifier())?,
    ));
    graphql_urls.push(u);
    let (content, content_db) = promptsales_content::open_store(&urls[3]).await?;
    promptsales_content::seed_demo(content.as_ref()).await?;
    let (listener, u) = super::bench::bind().await?;
    let (stop_content, stopped) = tokio::sync::oneshot::channel::<()>();
    let content_router = promptsales_kit::server::router_with(
        promptsales_content::app(content, content_db),
        verifier(),
    )?;
    subgraphs.push(tokio::spawn(async move {
        let stop = async {
            let _ = stopped.await;
        };
        if let Err(e) = promptsales_kit::server::serve_on(listener, content_router, stop).await {
            eprintln!("the content subgraph failed: {e}");
        }
    }));
    graphql_urls.push(u);

    let port = free_port()?;
    let supergraph = super::bench::supergraph_file(data)?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("router")
        .env("PROMPTSALES_ROUTER_PORT", port.to_string())
        .env(promptsales_router::SUPERGRAPH_ENV, &supergraph)
        .env("PROMPTSALES_ROUTER_LOG_LEVEL", "error")
        .env("PROMPTSALES_ROUTER_LABORATORY", "false")
        .env("PROMPTSALES_JWKS_URL", &jwks_url)
        .env("PROMPTSALES_REDIS_URL", &redis_url)
        // One client address sends everything here: the rate limit would measure itself.
        .env("PROMPTSALES_RATE_LIMIT", "0")
        .env_remove("ROUTER_CONFIG_FILE_PATH")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, u) in ["SALES", "ADS", "CRM", "CONTENT"].iter().zip(&graphql_urls) {
        command.env(format!("PROMPTSALES_{name}_URL"), u);
    }
    let mut router = command.spawn().context("starting the router")?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/readiness")).send().await
            && r.status().is_success()
        {
            ready = true;
            break;
        }
        if let Some(status) = router.try_wait()? {
            bail!("the router exited ({status}) while starting");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !ready {
        bail!("the router did not become ready");
    }
    let token = issuer
        .access_token(
            "promptsales-bench-load",
            TokenType::Client,
            None,
            ALL_ADMIN.iter().map(|r| r.to_string()).collect(),
        )?
        .token;
    let answer: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ organizations(first: 1) { edges { node { id } } } }" }))
        .send()
        .await?
        .json()
        .await?;
    let organization = answer["data"]["organizations"]["edges"][0]["node"]["id"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no organization in the demo data: {answer}"))?;
    Ok(Graph {
        router_url: format!("{base}/graphql"),
        sales_url,
        token,
        organization,
        _router: router,
        redis: Some(redis),
        subgraphs,
        stop_content: Some(stop_content),
        databases,
    })
}

async fn wait_for_redis(url: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        let attempt = async {
            let mut connection = redis::Client::open(url)?
                .get_multiplexed_async_connection()
                .await?;
            let _: String = redis::cmd("PING").query_async(&mut connection).await?;
            anyhow::Ok(())
        };
        if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(1), attempt).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the benchmark's Redis at {url} did not start")
}
