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
//!
//! With `--stock PATH` (stock Hive Router's `hive_router` binary, built by the
//! `promptsales-stock-router` crate: `cargo build --release --workspace --all-features --bin promptsales --bin hive_router`),
//! the same run also starts stock Hive Router with our `router.yaml` minus its
//! `plugins:` block against the same subgraphs, and prints the table of issue 18:
//! stock uncached, ours uncached, ours from the cache, at 32 and 4 clients, the
//! ratios, over `--rounds` rounds (ranges), with the machine's load average.
//!
//! The load comes from `wrk` when it is installed (`apt-get install wrk`), else from
//! a client in this process (which then competes with the subgraphs for the CPU).

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
    /// Concurrent clients; several (`32,4`) measure each (default 32, and 32,4 with `--stock`).
    #[arg(long, value_delimiter = ',')]
    pub clients: Option<Vec<usize>>,
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
    /// Stock Hive Router's binary (`target/release/hive_router`): measured in the same run as the baseline.
    #[arg(long)]
    pub stock: Option<std::path::PathBuf>,
    /// Rounds of every measurement (default 1, and 2 with `--stock`); the table gives the range.
    #[arg(long)]
    pub rounds: Option<u32>,
    /// The load generator: `wrk` if installed (`auto`), `wrk`, or `builtin` (a client in this process).
    #[arg(long, value_enum, default_value_t = Load::Auto)]
    pub load: Load,
}

/// Which client sends the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Load {
    /// `wrk` when it is on the PATH, else the built-in client.
    Auto,
    /// `wrk` (an error when it is missing, or with `--requests`).
    Wrk,
    /// The built-in client (reqwest, in this process).
    Builtin,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    promptsales_router::settings::parse_duration(text)
}

/// The benchmarked operation: one organization's campaigns with their ads, leads and assets.
const OVERVIEW: &str = "query BenchOverview($org: ID!) { organization(id: $org) { name campaigns(first: 10) { edges { node { id name status budget { total { amount currency } } adTotals { impressions clicks spend conversions ctr } leadFunnel { iql mql sql opportunity won lost total } revenue { amount currency } assets(first: 3) { edges { node { id kind description hashtags } } } } } } } }";

const ALL_ADMIN: [&str; 4] = ["sales:admin", "ads:admin", "crm:admin", "content:admin"];

/// Runs the benchmark (`promptsales bench router`).
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args
        .clients
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.contains(&0))
    {
        bail!("--clients must be at least 1");
    }
    if args.rounds == Some(0) {
        bail!("--rounds must be at least 1");
    }
    if let Some(stock) = &args.stock
        && !stock.is_file()
    {
        bail!(
            "--stock {}: no such file (build it with `cargo build --release --workspace --all-features --bin promptsales --bin hive_router`)",
            stock.display()
        );
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
    /// Stock Hive Router's URL, when `--stock` was given.
    stock: Option<(String, Child)>,
    _subgraphs: Vec<tokio::task::JoinHandle<()>>,
    /// A platform operator's token with every role.
    pub(super) token: String,
    /// The issuer the sales subgraph signs with (more tokens: one per demo organization).
    pub(super) issuer: Arc<Issuer>,
}

/// One kind of request sent to one router.
struct Target<'a> {
    url: &'a str,
    body: &'a Value,
    /// Sent with `Cache-Control: no-store` (our router then skips its cache).
    no_store: bool,
}

async fn bench(args: BenchArgs, data: std::path::PathBuf) -> anyhow::Result<()> {
    ping_redis(&args.redis_url).await?;
    let wrk = match (args.load, args.requests) {
        (Load::Builtin, _) => false,
        (Load::Wrk, Some(_)) => {
            bail!("wrk runs for a duration: drop --requests or use --load builtin")
        }
        (Load::Wrk, None) => {
            if !wrk_installed().await {
                bail!("wrk is not installed (apt-get install wrk)");
            }
            true
        }
        (Load::Auto, requests) => requests.is_none() && wrk_installed().await,
    };
    let clients = args.clients.clone().unwrap_or_else(|| {
        if args.stock.is_some() {
            vec![32, 4]
        } else {
            vec![32]
        }
    });
    let rounds = args
        .rounds
        .unwrap_or(if args.stock.is_some() { 2 } else { 1 });
    println!(
        "starting the graph (demo data on SQLite in {})...",
        data.display()
    );
    let graph = start_graphs(
        &data,
        &args.redis_url,
        args.stock.as_deref(),
        promptsales_kit::demo::demo_today(),
    )
    .await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients.iter().copied().max().unwrap_or(1))
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
    let check = send(&client, &graph.token, &graph.router_url, &plain, false).await?;
    if !check.ok {
        bail!("the benchmark query fails: {}", check.body);
    }
    if let Some((stock_url, _)) = &graph.stock {
        let stock = send(&client, &graph.token, stock_url, &plain, true).await?;
        if !stock.ok {
            bail!(
                "the benchmark query fails on stock Hive Router: {}",
                stock.body
            );
        }
        if stock.body != check.body {
            bail!(
                "stock Hive Router answers differently:\n ours: {}\nstock: {}",
                check.body,
                stock.body
            );
        }
    }
    send(&client, &graph.token, &graph.router_url, &register, false).await?;
    ensure_cached(&client, &graph, &plain, &args.redis_url).await?;
    let hashed = send(&client, &graph.token, &graph.router_url, &by_hash, false).await?;
    if !hashed.ok {
        bail!("the persisted query fails: {}", hashed.body);
    }

    let plan = match args.requests {
        Some(n) => format!("{n} requests"),
        None => format!("{:?}", args.duration),
    };
    println!(
        "clients {clients:?}, {plan} per measurement, {rounds} round(s), load from {}, against {}{}\n",
        if wrk { "wrk" } else { "the built-in client" },
        graph.router_url,
        graph
            .stock
            .as_ref()
            .map(|(url, _)| format!(" and stock Hive Router at {url}"))
            .unwrap_or_default()
    );
    let mut bench = Bencher {
        args: &args,
        client: &client,
        token: &graph.token,
        wrk,
        data: &data,
        failed: false,
    };
    // Connections to the subgraphs opened and the allocator warmed, on both routers.
    let max_clients = clients.iter().copied().max().unwrap_or(1);
    let uncached = Target {
        url: &graph.router_url,
        body: &plain,
        no_store: true,
    };
    bench.warm_up(&uncached, max_clients).await?;
    if let Some((stock_url, _)) = &graph.stock {
        let stock = Target {
            url: stock_url,
            body: &plain,
            no_store: true,
        };
        bench.warm_up(&stock, max_clients).await?;
    }

    match &graph.stock {
        Some((stock_url, _)) => {
            let stock = Target {
                url: stock_url,
                body: &plain,
                no_store: true,
            };
            let hit = Target {
                url: &graph.router_url,
                body: &plain,
                no_store: false,
            };
            bench
                .compare(&clients, rounds, &stock, &uncached, &hit)
                .await?
        }
        None => {
            let cached = Target {
                url: &graph.router_url,
                body: &plain,
                no_store: false,
            };
            let persisted = Target {
                url: &graph.router_url,
                body: &by_hash,
                no_store: false,
            };
            for round in 1..=rounds {
                for &n in &clients {
                    bench
                        .scenarios(round, n, &uncached, &cached, &persisted)
                        .await?;
                }
            }
        }
    }
    if cfg!(debug_assertions) {
        println!("(a debug build: build with --release for representative figures)");
    }
    if bench.failed {
        bail!("some requests failed (see the errors column)");
    }
    Ok(())
}

/// Stores the benchmark response in the cache (and waits until it is served from there).
async fn ensure_cached(
    client: &reqwest::Client,
    graph: &Graph,
    body: &Value,
    redis_url: &str,
) -> anyhow::Result<()> {
    for _ in 0..200 {
        let sent = send(client, &graph.token, &graph.router_url, body, false).await?;
        if sent.cache.as_deref() == Some("HIT") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("the response cache never served the query: is Redis at {redis_url} working?")
}

/// What the measurements share.
struct Bencher<'a> {
    args: &'a BenchArgs,
    client: &'a reqwest::Client,
    token: &'a str,
    wrk: bool,
    data: &'a Path,
    failed: bool,
}

impl Bencher<'_> {
    /// Two seconds of load, not measured.
    async fn warm_up(&mut self, target: &Target<'_>, clients: usize) -> anyhow::Result<()> {
        let quick = BenchArgs {
            duration: Duration::from_secs(2),
            requests: self.args.requests.map(|n| n.min(200)),
            ..self.args.clone()
        };
        self.measure_with(&quick, target, clients).await.map(|_| ())
    }

    /// One measurement of `target` with `clients` connections.
    async fn measure(&mut self, target: &Target<'_>, clients: usize) -> anyhow::Result<Outcome> {
        let args = self.args;
        self.measure_with(args, target, clients).await
    }

    async fn measure_with(
        &mut self,
        args: &BenchArgs,
        target: &Target<'_>,
        clients: usize,
    ) -> anyhow::Result<Outcome> {
        let outcome = if self.wrk {
            wrk(args, self.data, self.token, target, clients).await?
        } else {
            scenario(args, self.client, self.token, target, clients).await
        };
        if outcome.errors > 0 {
            self.failed = true;
        }
        Ok(outcome)
    }

    /// Our router's three scenarios (no stock baseline).
    async fn scenarios(
        &mut self,
        round: u32,
        clients: usize,
        uncached: &Target<'_>,
        cached: &Target<'_>,
        persisted: &Target<'_>,
    ) -> anyhow::Result<()> {
        let load_before = load_average();
        let uncached = self.measure(uncached, clients).await?;
        let cached = self.measure(cached, clients).await?;
        let persisted = self.measure(persisted, clients).await?;
        let load_after = load_average();
        println!("round {round}, {clients} clients (load average {load_before} -> {load_after})");
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
                r.per_second,
                ms(r.p50),
                ms(r.p99)
            );
        }
        println!(
            "throughput: (b)/(a) = {:.1}x, (c)/(a) = {:.1}x, (c)/(b) = {:.2}x",
            ratio(cached.per_second, uncached.per_second),
            ratio(persisted.per_second, uncached.per_second),
            ratio(persisted.per_second, cached.per_second),
        );
        println!(
            "p50 latency: (a)/(b) = {:.1}x, (a)/(c) = {:.1}x; p99: (a)/(b) = {:.1}x, (a)/(c) = {:.1}x\n",
            ratio(ms(uncached.p50), ms(cached.p50)),
            ratio(ms(uncached.p50), ms(persisted.p50)),
            ratio(ms(uncached.p99), ms(cached.p99)),
            ratio(ms(uncached.p99), ms(persisted.p99)),
        );
        Ok(())
    }

    /// Stock Hive Router against ours, uncached and from the cache: issue 18's table.
    async fn compare(
        &mut self,
        clients: &[usize],
        rounds: u32,
        stock: &Target<'_>,
        uncached: &Target<'_>,
        hit: &Target<'_>,
    ) -> anyhow::Result<()> {
        // [clients][round] = (stock, ours uncached, ours hit)
        let mut rows: Vec<Vec<[Outcome; 3]>> = clients.iter().map(|_| Vec::new()).collect();
        println!(
            "{:<6} {:>7} {:<22} {:>9} {:>7} {:>9} {:>8} {:>8}  load average",
            "round", "clients", "measurement", "requests", "errors", "req/s", "p50 ms", "p99 ms"
        );
        for round in 1..=rounds {
            for (i, &n) in clients.iter().enumerate() {
                let mut three = Vec::with_capacity(3);
                for (name, target) in [
                    ("stock, uncached", stock),
                    ("ours, uncached", uncached),
                    ("ours, cache hit", hit),
                ] {
                    let before = load_average();
                    let r = self.measure(target, n).await?;
                    println!(
                        "{round:<6} {n:>7} {name:<22} {:>9} {:>7} {:>9.0} {:>8.2} {:>8.2}  {before} -> {}",
                        r.requests,
                        r.errors,
                        r.per_second,
                        ms(r.p50),
                        ms(r.p99),
                        load_average()
                    );
                    three.push(r);
                }
                let Ok(three) = <[Outcome; 3]>::try_from(three) else {
                    bail!("three measurements expected");
                };
                rows[i].push(three);
            }
        }
        println!();
        println!(
            "| clients | stock, uncached | ours, uncached (`Cache-Control: no-store`) | ours / stock | ours, cache hit | hit / uncached |"
        );
        println!("|---|---|---|---|---|---|");
        for (&n, runs) in clients.iter().zip(&rows) {
            let column = |k: usize| {
                let rps: Vec<f64> = runs.iter().map(|r| r[k].per_second).collect();
                let p99: Vec<f64> = runs.iter().map(|r| ms(r[k].p99)).collect();
                format!(
                    "{} req/s, p99 {} ms",
                    range(&rps, 0),
                    range(&p99, if p99.iter().all(|v| *v >= 10.0) { 0 } else { 1 })
                )
            };
            let ours_vs_stock: Vec<f64> = runs
                .iter()
                .map(|r| ratio(r[1].per_second, r[0].per_second))
                .collect();
            let hit_vs_uncached: Vec<f64> = runs
                .iter()
                .map(|r| ratio(r[2].per_second, r[1].per_second))
                .collect();
            println!(
                "| {n} | {} | {} | {} | {} | {}x |",
                column(0),
                column(1),
                range(&ours_vs_stock, 2),
                column(2),
                range(&hit_vs_uncached, 1)
            );
        }
        println!("\nlatency p50 (ms), per round:");
        for (&n, runs) in clients.iter().zip(&rows) {
            for (round, r) in runs.iter().enumerate() {
                println!(
                    "  {n} clients, round {}: stock {:.2}, ours uncached {:.2}, ours hit {:.2}",
                    round + 1,
                    ms(r[0].p50),
                    ms(r[1].p50),
                    ms(r[2].p50)
                );
            }
        }
        Ok(())
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// `a-b` (or `a` when all are equal at that precision), with thousands separators for whole numbers.
fn range(values: &[f64], decimals: usize) -> String {
    let fmt = |v: f64| {
        if decimals == 0 {
            thousands(v.round() as u64)
        } else {
            format!("{v:.decimals$}")
        }
    };
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (fmt(min), fmt(max));
    if lo == hi { lo } else { format!("{lo}-{hi}") }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), for the record: others may be building.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_string())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One measurement.
struct Outcome {
    requests: u64,
    errors: u64,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn wrk_installed() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok()
}

/// One measurement with `wrk` (its own threads, outside this process).
async fn wrk(
    args: &BenchArgs,
    data: &Path,
    token: &str,
    target: &Target<'_>,
    clients: usize,
) -> anyhow::Result<Outcome> {
    let body = serde_json::to_string(target.body)?;
    let mut script = String::from("wrk.method = \"POST\"\n");
    script.push_str(&format!("wrk.body = {}\n", lua_string(&body)));
    script.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
    script.push_str("wrk.headers[\"Accept\"] = \"application/json\"\n");
    script.push_str(&format!(
        "wrk.headers[\"Authorization\"] = {}\n",
        lua_string(&format!("Bearer {token}"))
    ));
    if target.no_store {
        script.push_str("wrk.headers[\"Cache-Control\"] = \"no-store\"\n");
    }
    let path = data.join("bench.lua");
    std::fs::write(&path, script)?;
    let seconds = args.duration.as_secs().max(1);
    let output = Command::new("wrk")
        .arg(format!("-t{}", clients.clamp(1, 2)))
        .arg(format!("-c{clients}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg("-s")
        .arg(&path)
        .arg(target.url)
        .stdin(Stdio::null())
        .output()
        .await
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("cannot read wrk's report:\n{text}"))
}

/// A Lua long string holding `text` exactly.
fn lua_string(text: &str) -> String {
    let mut level = 0;
    while text.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let eq = "=".repeat(level);
    format!("[{eq}[{text}]{eq}]")
}

/// Reads wrk's `--latency` report: requests, non-2xx responses and socket errors, req/s, p50, p99.
fn parse_wrk(text: &str) -> Option<Outcome> {
    let mut requests = None;
    let mut per_second = None;
    let (mut p50, mut p99) = (None, None);
    let mut errors = 0u64;
    for line in text.lines() {
        let line = line.trim();
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("50%"), Some(v)) => p50 = wrk_duration(v),
            (Some("99%"), Some(v)) => p99 = wrk_duration(v),
            (Some("Requests/sec:"), Some(v)) => per_second = v.parse::<f64>().ok(),
            (Some(n), Some("requests")) if line.contains(" requests in ") => {
                requests = n.parse::<u64>().ok()
            }
            _ => {}
        }
        if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            errors += rest.trim().parse::<u64>().unwrap_or(0);
        }
        if let Some(rest) = line.strip_prefix("Socket errors:") {
            errors += rest
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Some(Outcome {
        requests: requests?,
        errors,
        per_second: per_second?,
        p50: p50?,
        p99: p99?,
    })
}

/// wrk's durations: `812.00us`, `4.90ms`, `1.02s`, `2.00m`.
fn wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

async fn scenario(
    args: &BenchArgs,
    client: &reqwest::Client,
    token: &str,
    target: &Target<'_>,
    clients: usize,
) -> Outcome {
    let budget = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = args
        .requests
        .is_none()
        .then(|| Instant::now() + args.duration);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, token, url, body) = (
            client.clone(),
            token.to_string(),
            target.url.to_string(),
            target.body.clone(),
        );
        let no_store = target.no_store;
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
                let ok = send(&client, &token, &url, &body, no_store)
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
        per_second: latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
    }
}

struct Sent {
    ok: bool,
    cache: Option<String>,
    body: String,
}

async fn send(
    client: &reqwest::Client,
    token: &str,
    url: &str,
    body: &Value,
    no_store: bool,
) -> anyhow::Result<Sent> {
    let mut request = client
        .post(url)
        .header("accept", "application/json")
        .bearer_auth(token)
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

/// The four subgraphs in this process on free ports, the router as a child process; the demo
/// data seeded as of `day` (its dates are relative to it).
pub(super) async fn start_graph(
    data: &Path,
    redis_url: &str,
    day: chrono::NaiveDate,
) -> anyhow::Result<Graph> {
    start_graphs(data, redis_url, None, day).await
}

/// [`start_graph`], and stock Hive Router (the binary `stock`) beside our router when given.
async fn start_graphs(
    data: &Path,
    redis_url: &str,
    stock: Option<&Path>,
    day: chrono::NaiveDate,
) -> anyhow::Result<Graph> {
    let url = |name: &str| format!("sqlite://{}/{name}.db?mode=rwc", data.display());
    let issuer = Arc::new(Issuer::new(
        SigningKey::generate()?,
        AuthConfig::default(),
        Lifetimes::default(),
    ));
    let mut subgraphs = Vec::new();
    let mut urls = Vec::new();

    let (sales, sales_db) = promptsales_sales::open_store(&url("sales")).await?;
    promptsales_sales::seed_demo_on(sales.as_ref(), day).await?;
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
    promptsales_ads::seed_demo_on(ads.as_ref(), day).await?;
    let (listener, u) = bind().await?;
    subgraphs.push(serve(
        listener,
        promptsales_kit::server::router_with(promptsales_ads::app(ads, ads_db), verifier())?,
    ));
    urls.push(u);

    let (crm, crm_db) = promptsales_crm::open_store(&url("crm")).await?;
    promptsales_crm::seed_demo_on(crm.as_ref(), day).await?;
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

    let supergraph = supergraph_file(data)?;
    let env = |command: &mut Command, port: u16| {
        command
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
            // Counted as in production (one counter per subject), never refused.
            .env("PROMPTSALES_RATE_LIMIT", "1000000000")
            .env_remove("ROUTER_CONFIG_FILE_PATH")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (name, u) in ["SALES", "ADS", "CRM", "CONTENT"].iter().zip(&urls) {
            command.env(format!("PROMPTSALES_{name}_URL"), u);
        }
    };
    let port = free_port()?;
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("router");
    env(&mut command, port);
    let router = command.spawn().context("starting the router")?;
    let router = wait_ready(router, port, "the router").await?;
    let stock = match stock {
        Some(binary) => {
            // Our config without its `plugins:` block: the same subgraphs, JWT validation,
            // headers, limits and telemetry, none of our plugins.
            let config = data.join("router-stock.yaml");
            std::fs::write(&config, without_plugins(promptsales_router::DEFAULT_CONFIG))?;
            let port = free_port()?;
            let mut command = Command::new(binary);
            env(&mut command, port);
            command.env(promptsales_router::CONFIG_PATH_ENV, &config);
            let child = command.spawn().context("starting stock Hive Router")?;
            let child = wait_ready(child, port, "stock Hive Router").await?;
            Some((format!("http://127.0.0.1:{port}/graphql"), child))
        }
        None => None,
    };
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
        router_url: format!("http://127.0.0.1:{port}/graphql"),
        _router: router,
        stock,
        _subgraphs: subgraphs,
        token,
        issuer,
    })
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Waits until the router on `port` answers `/readiness`.
async fn wait_ready(mut router: Child, port: u16, name: &str) -> anyhow::Result<Child> {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/readiness")).send().await
            && r.status().is_success()
        {
            return Ok(router);
        }
        if let Some(status) = router.try_wait()? {
            bail!("{name} exited ({status}) while starting");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("{name} did not become ready")
}

/// A router config without its top-level `plugins:` block (stock Hive Router knows none of them).
fn without_plugins(config: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in config.lines() {
        let top_level = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#');
        if top_level {
            skipping = line.starts_with("plugins:");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
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
