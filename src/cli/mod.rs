//! Subcommands of `promptsales`.

mod bench;
mod bench_etl;
mod bench_load;
mod bench_search;
mod components;
mod etl;
mod eval;
mod eval_ask;
mod mcp;
mod models;
mod platform;
mod schema;
mod seed;
mod status;
mod stores;
mod supervisor;
mod token;
mod up;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use components::Component;

/// PromptSales: the AI-driven marketing and sales platform.
#[derive(Debug, Parser)]
#[command(name = "promptsales", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Starts the four subgraphs and the router on the embedded default (SQLite in the data folder), with demo data.
    Up {
        /// Do not load the demo data into empty stores.
        #[arg(long)]
        no_seed: bool,
    },
    /// Shows which components of `promptsales up` answer their health endpoints (exit status 1 when any is down).
    Status,
    /// Runs one subgraph (sales, ads, crm or content), configured from the environment.
    Subgraph {
        /// Which subgraph.
        name: Component,
    },
    /// Runs the router (Hive Router with the PromptSales plugins).
    Router {
        /// A router config file instead of the embedded default.
        #[arg(long, env = "ROUTER_CONFIG_FILE_PATH")]
        config: Option<PathBuf>,
        /// The supergraph SDL file.
        #[arg(long, env = "PROMPTSALES_SUPERGRAPH")]
        supergraph: Option<PathBuf>,
    },
    /// Applies pending migrations to the stores (all, or the ones named).
    Migrate {
        /// Subgraphs whose stores to migrate; all when none is named.
        names: Vec<Component>,
    },
    /// Loads the demo data into the stores that do not have it yet (`--scale full`: the platform's sizing).
    Seed(seed::SeedArgs),
    /// Writes each subgraph's SDL to `schema/<name>.graphql`.
    ExportSchema {
        /// The folder to write into.
        #[arg(long, default_value = "schema")]
        dir: PathBuf,
    },
    /// Benchmarks a component against a graph it starts itself.
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
    /// Runs the MCP adapter: streamable HTTP at `/mcp` (port 4010), or stdio with `--stdio`.
    Mcp {
        /// Serve one client over stdin/stdout (with the service credential) instead of HTTP.
        #[arg(long)]
        stdio: bool,
    },
    /// Prints an access token from the running sales subgraph (`--email` for a user, else the demo client).
    Token(token::TokenArgs),
    /// Rotates or retires the sales subgraph's token signing keys (its key files).
    SigningKey(token::SigningKeyArgs),
    /// Measures the AI parts on the demo data: search recall@5/MRR per embedder, AI cache savings, lead-scoring AUC/Brier.
    Eval(eval::EvalArgs),
    /// Manages the local AI models (`fetch` brings the sentence embedder into the data folder).
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// The delta ETL: content, ads and crm changes into the sales summaries (`run`, `serve`, `rebuild`, `status`).
    Etl {
        #[command(subcommand)]
        command: etl::EtlCommand,
    },
    /// Exports the SDLs and composes `schema/supergraph.graphql` (needs node and npm).
    Compose {
        /// The folder holding the SDLs and the supergraph.
        #[arg(long, default_value = "schema")]
        dir: PathBuf,
        /// Only check that the committed files are current; change nothing.
        #[arg(long)]
        check: bool,
    },
}

/// What `promptsales bench` measures.
#[derive(Debug, Subcommand)]
enum BenchTarget {
    /// The router: uncached, cached and persisted-query throughput and latency (needs Redis).
    Router(bench::BenchArgs),
    /// Semantic search: embedding throughput (batch 32) and search latency p50/p99 over 100,000 (generated) assets.
    Search(bench_search::SearchBenchArgs),
    /// The delta ETL: a cold full rebuild, then one cycle after 1% of the source rows changed.
    Etl(bench_etl::EtlBenchArgs),
    /// The seed generator: rows per second per store and the total, on SQLite and PostgreSQL.
    Seed(seed::BenchSeedArgs),
    /// The graph under load: 300 clients on queries, mutations and subscriptions, then with
    /// Redis and then a subgraph stopped mid-run (throughput, p50/p99, failures, lost writes).
    Load(bench_load::LoadBenchArgs),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            // The router runs on its own (ntex) runtime; everything else on tokio.
            // The router installs its own logging (from its config), so no kit telemetry here.
            Command::Router { config, supergraph } => {
                // RouterError holds hive-router's non-Send errors; its message is what matters here.
                promptsales_router::run(promptsales_router::RouterOptions {
                    config_path: config,
                    supergraph_path: supergraph,
                })
                .map_err(|e| anyhow::anyhow!("router: {e}"))
            }
            Command::Up { no_seed } => up::run(!no_seed),
            Command::Status => status::run(),
            Command::Subgraph { name } => tokio_main(async move {
                promptsales_kit::telemetry::init();
                components::run_subgraph(name).await
            }),
            Command::Migrate { names } => tokio_main(stores::migrate(components::or_all(names))),
            Command::Seed(args) => tokio_main(seed::run(args)),
            Command::ExportSchema { dir } => schema::export(&dir),
            Command::Compose { dir, check } => schema::compose(&dir, check),
            Command::Mcp { stdio } => mcp::run(stdio),
            Command::Models(command) => models::run(command),
            Command::Eval(args) => eval::run(args),
            Command::Etl { command } => tokio_main(async move {
                promptsales_kit::telemetry::init();
                etl::run(command).await
            }),
            Command::Token(args) => token::run(args),
            Command::SigningKey(args) => token::signing_key(args),
            Command::Bench {
                target: BenchTarget::Router(args),
            } => bench::run(args),
            Command::Bench {
                target: BenchTarget::Search(args),
            } => bench_search::run(args),
            Command::Bench {
                target: BenchTarget::Etl(args),
            } => {
                promptsales_kit::telemetry::init();
                bench_etl::run(args)
            }
            Command::Bench {
                target: BenchTarget::Seed(args),
            } => seed::bench(args),
            Command::Bench {
                target: BenchTarget::Load(args),
            } => bench_load::run(args),
        }
    }
}

fn tokio_main<F: std::future::Future<Output = anyhow::Result<()>>>(
    future: F,
) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}
