//! `promptsales bench router`: the router's throughput and latency in one run,
//! against a graph it starts itself (the demo data on SQLite in a temporary
//! folder, the four subgraphs in this process, the router as a child process
//! with Redis), for three scenarios of the same cross-subgraph query:
//!
//! - (a) uncached: every request executed across the subgraphs (sent with
//!   `Cache-Control: no-store`, which makes the router skip its cache);
//! - (b) cached: the same request served from the response cache;
//! - (c) persisted: the same operation sent by its APQ hash only (the text is
//!   read from Redis; the response comes from the cache as in (b)).
//!
//! It prints requests per second, p50 and p99 latency per scenario and the ratios.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use promptsales_kit::auth::jwks::RemoteJwks;
use promptsales_kit::auth::{AuthConfig, SigningKey, TokenType, Verifier};
use promptsales_sales::auth::{Issuer, Lifetimes};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// What to run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// How long each scenario runs (e.g. `10s`), unless `--requests` is given.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Requests per scenario instead of a duration.
    #[arg(long)]
    pub requests: Option<u64>,
    /// The Redis the router uses (a key prefix of its own keeps the run apart).
    #[arg(
        long,
        env = "PROMPTSALES_REDIS_URL",
        default_value = "redis://127.0.0.1:6379"
    )]
    pub redis_url: String,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    promptsales_router::settings::parse_duration(text)
}

/// The benchmarked operation: one organization's campaigns with their ads, leads and assets.
const OVERVIEW: &str = "query BenchOverview($org: ID!) { organization(id: $org) { name campaigns(first: 10) { edges { node { id name status budget { total { amount currency } } adTotals { impressions clicks spend conversions ctr } leadFunnel { iql mql sql opportunity won lost total } revenue { amount currency } assets(first: 3) { edges { node { id kind description hashtags } } } } } } } }";

const ALL_ADMIN: [&str; 4] = ["sales:admin", "ads:admin", "crm:admin", "content:admin"];

/// Runs the benchmark (`promptsales bench router`).
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.clients == 0 {
        bail!("--clients must be at least 1");
    }
    let data = tempfile::Builder::new()
        .prefix("promptsales-bench-")
        .tempdir()
        .context("creating a temporary data folder")?;
    // The crm store keeps its development key pair in the data folder.
    // SAFETY: no other thread exists yet (the runtime starts below).
    unsafe { std::env::set_var("PROMPTSALES_DATA_DIR", data.path()) };
    super::tokio_main(bench(args, data.path().to_path_buf()))
}

/// A demo graph this process started (also used by `promptsales eval ask`).
pub(super) struct Graph {
    /// The router's `/graphql`.
    pub(super) router_url: String,
    _router: Child,
    _subgraphs: Vec<tokio::task::JoinHandle<()>>,
    /// A platform operator's token with every role.
    pub(super) token: String,
    /// The issuer the sales subgraph signs with (more tokens: one per demo organization).
    pub(super) issuer: Arc<Issuer>,
}

async fn bench(args: BenchArgs, data: std::path::PathBuf) -> anyhow::Result<()> {
    ping_redis(&args.redis_url).await?;
    println!(
        "starting the graph (demo data on SQLite in {})...",
        data.display()
    );
    let graph = start_graph(&data, &args.redis_url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;

    let org = first_organization(&client, &graph).await?;
    let variables = json!({ "org": org });
    let plain = json!({ "query": OVERVIEW, "variables": variables });
    let hash = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(OVERVIEW.as_bytes()))
    };
    let persisted_ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let by_hash = json!({ "variables": variables, "extensions": persisted_ext });
    let register =
        json!({ "query": OVERVIEW, "variables": variables, "extensions": persisted_ext });

    // Warm up: plans cached, the response cached, the hash registered.
    let check = send(&client, &graph, &plain, false).await?;
    if !check.ok {
        bail!("the benchmark query fails: {}", check.body);
    }
    send(&client, &graph, &register, false).await?;
    let mut warm = false;
    for _ in 0..200 {
        if send(&client, &graph, &plain, false).await?.cache.as_deref() == Some("HIT") {
            warm = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if !warm {
        bail!(
            "the response cache never served the query: is Redis at {} working?",
            args.redis_url
        );
    }
    let hashed = send(&client, &graph, &by_hash, false).await?;
    if !hashed.ok {
        bail!("the persisted query fails: {}", hashed.body);
    }

    let plan = match args.requests {
        Some(n) => format!("{n} requests"),
        None => format!("{:?}", args.duration),
    };
    println!(
        "{} clients, {plan} per scenario, against {}\n",
        args.clients, graph.router_url
    );
    let graph = Arc::new(graph);
    let uncached = scenario(&args, &client, &graph, &plain, true).await;
    let cached = scenario(&args, &client, &graph, &plain, false).await;
    let persisted = scenario(&args, &client, &graph, &by_hash, false).await;

    println!(
        "{:<34} {:>9} {:>7} {:>10} {:>10} {:>10}",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms"
    );
    for (name, r) in [
        ("(a) uncached, cross-subgraph", &uncached),
        ("(b) from the response cache", &cached),
        ("(c) persisted query by hash", &persisted),
    ] {
        println!(
            "{name:<34} {:>9} {:>7} {:>10.0} {:>10.2} {:>10.2}",
            r.requests,
            r.errors,
            r.per_second(),
            ms(r.percentile(50.0)),
            ms(r.percentile(99.0))
        );
    }
    println!();
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    println!(
        "throughput: (b)/(a) = {:.1}x, (c)/(a) = {:.1}x, (c)/(b) = {:.2}x",
        ratio(cached.per_second(), uncached.per_second()),
        ratio(persisted.per_second(), uncached.per_second()),
        ratio(persisted.per_second(), cached.per_second()),
    );
    println!(
        "p50 latency: (a)/(b) = {:.1}x, (a)/(c) = {:.1}x; p99: (a)/(b) = {:.1}x, (a)/(c) = {:.1}x",
        ratio(ms(uncached.percentile(50.0)), ms(cached.percentile(50.0))),
        ratio(
            ms(uncached.percentile(50.0)),
            ms(persisted.percentile(50.0))
        ),
        ratio(ms(uncached.percentile(99.0)), ms(cached.percentile(99.0))),
        ratio(
            ms(uncached.percentile(99.0)),
            ms(persisted.percentile(99.0))
        ),
    );
    if cfg!(debug_assertions) {
        println!("(a debug build: build with --release for representative figures)");
    }
    if uncached.errors + cached.errors + persisted.errors > 0 {
        bail!("some requests failed (see the errors column)");
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One scenario's measurements.
struct Outcome {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }
}

async fn scenario(
    args: &BenchArgs,
    client: &reqwest::Client,
    graph: &Arc<Graph>,
    body: &Value,
    no_store: bool,
) -> Outcome {
    let budget = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = args
        .requests
        .is_none()
        .then(|| Instant::now() + args.duration);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (client, graph, body) = (client.clone(), graph.clone(), body.clone());
        let (budget, errors) = (budget.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                if budget
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_err()
                {
                    break;
                }
                let sent = Instant::now();
                let ok = send(&client, &graph, &body, no_store)
                    .await
                    .is_ok_and(|r| r.ok);
                latencies.push(sent.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        if let Ok(mut l) = task.await {
            latencies.append(&mut l);
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Outcome {
        requests: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies,
    }
}

struct Sent {
    ok: bool,
    cache: Option<String>,
    body: String,
}

async fn send(
    client: &reqwest::Client,
    graph: &Graph,
    body: &Value,
    no_store: bool,
) -> anyhow::Result<Sent> {
    let mut request = client
        .post(&graph.router_url)
        .header("accept", "application/json")
        .bearer_auth(&graph.token)
        .json(body);
    if no_store {
        request = request.header("cache-control", "no-store");
    }
    let response = request.send().await?;
    let status = response.status();
    let cache = response
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.text().await?;
    Ok(Sent {
        ok: status.is_success() && !body.contains("\"errors\""),
        cache,
        body,
    })
}

async fn first_organization(client: &reqwest::Client, graph: &Graph) -> anyhow::Result<String> {
    let response: Value = client
        .post(&graph.router_url)
        .bearer_auth(&graph.token)
        .json(&json!({ "query": "{ organizations(first: 1) { edges { node { id } } } }" }))
        .send()
        .await?
        .json()
        .await?;
    response["data"]["organizations"]["edges"][0]["node"]["id"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no organization in the demo data: {response}"))
}

async fn ping_redis(url: &str) -> anyhow::Result<()> {
    let attempt = async {
        let mut connection = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(3), attempt)
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))
        .and_then(|r| r)
        .with_context(|| {
            format!("the benchmark needs Redis at {url} (set PROMPTSALES_REDIS_URL or --redis-url)")
        })
}

/// The four subgraphs in this process on free ports, the router as a child process.
pub(super) async fn start_graph(data: &Path, redis_url: &str) -> anyhow::Result<Graph> {
    let url = |name: &str| format!("sqlite://{}/{name}.db?mode=rwc", data.display());
    let issuer = Arc::new(Issuer::new(
        SigningKey::generate()?,
        AuthConfig::default(),
        Lifetimes::default(),
    ));
    let mut subgraphs = Vec::new();
    let mut urls = Vec::new();

    let (sales, sales_db) = promptsales_sales::open_store(&url("sales")).await?;
    promptsales_sales::seed_demo(sales.as_ref()).await?;
    let (listener, sales_url) = bind().await?;
    let jwks_url = format!(
        "{}{}",
        sales_url.trim_end_matches("/graphql"),
        promptsales_kit::auth::JWKS_PATH
    );
    subgraphs.push(serve(
        listener,
        promptsales_sales::http_router(sales, sales_db, issuer.clone())?,
    ));
    urls.push(sales_url);
    let verifier = || {
        let config = AuthConfig {
            jwks_url: jwks_url.clone(),
            ..AuthConfig::default()
        };
        Arc::new(Verifier::with_remote(&config, RemoteJwks::new(&jwks_url)))
    };

    let (ads, ads_db) = promptsales_ads::open_store(&url("ads")).await?;
    promptsales_ads::seed_demo(ads.as_ref()).await?;
    let (listener, u) = bind().await?;
    subgraphs.push(serve(
        listener,
        promptsales_kit::server::router_with(promptsales_ads::app(ads, ads_db), verifier())?,
    ));
    urls.push(u);

    let (crm, crm_db) = promptsales_crm::open_store(&url("crm")).await?;
    promptsales_crm::seed_demo(crm.as_ref()).await?;
    let (listener, u) = bind().await?;
    subgraphs.push(serve(
        listener,
        promptsales_kit::server::router_with(promptsales_crm::app(crm, crm_db), verifier())?,
    ));
    urls.push(u);

    let (content, content_db) = promptsales_content::open_store(&url("content")).await?;
    promptsales_content::seed_demo(content.as_ref()).await?;
    let (listener, u) = bind().await?;
    subgraphs.push(serve(
        listener,
        promptsales_kit::server::router_with(
            promptsales_content::app(content, content_db),
            verifier(),
        )?,
    ));
    urls.push(u);

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let supergraph = supergraph_file(data)?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("router")
        .env("PROMPTSALES_ROUTER_PORT", port.to_string())
        .env(promptsales_router::SUPERGRAPH_ENV, &supergraph)
        .env("PROMPTSALES_ROUTER_LOG_LEVEL", "error")
        .env("PROMPTSALES_ROUTER_LABORATORY", "false")
        .env("PROMPTSALES_JWKS_URL", &jwks_url)
        .env("PROMPTSALES_REDIS_URL", redis_url)
        .env(
            "PROMPTSALES_REDIS_KEY_PREFIX",
            format!("bench:{}:", uuid::Uuid::now_v7().simple()),
        )
        .env("PROMPTSALES_RATE_LIMIT", "0")
        .env_remove("ROUTER_CONFIG_FILE_PATH")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, u) in ["SALES", "ADS", "CRM", "CONTENT"].iter().zip(&urls) {
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
    // A platform operator (no organization) with every role: it reads the demo tenants.
    let token = issuer
        .access_token(
            "promptsales-bench",
            TokenType::Client,
            None,
            ALL_ADMIN.iter().map(|r| r.to_string()).collect(),
        )?
        .token;
    Ok(Graph {
        router_url: format!("{base}/graphql"),
        _router: router,
        _subgraphs: subgraphs,
        token,
        issuer,
    })
}

pub(super) async fn bind() -> anyhow::Result<(tokio::net::TcpListener, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    Ok((listener, format!("http://127.0.0.1:{port}/graphql")))
}

pub(super) fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let never = futures::future::pending::<()>();
        if let Err(e) = promptsales_kit::server::serve_on(listener, router, never).await {
            eprintln!("subgraph server failed: {e}");
        }
    })
}

/// The repository's supergraph when run from it, else this build's copy written into `data`.
pub(super) fn supergraph_file(data: &Path) -> anyhow::Result<std::path::PathBuf> {
    let in_repo = Path::new(promptsales_router::DEFAULT_SUPERGRAPH_PATH);
    if in_repo.is_file() {
        return Ok(std::env::current_dir()?.join(in_repo));
    }
    let copy = data.join("supergraph.graphql");
    std::fs::write(&copy, include_str!("../../schema/supergraph.graphql"))?;
    Ok(copy)
}
