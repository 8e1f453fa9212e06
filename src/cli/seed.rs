//! `promptsales seed` (the demo set, or the full scale) and `promptsales bench seed`.

use std::time::Instant;

use anyhow::Context as _;
use promptsales_seeds::{Progress, Report, Scale, Sizes, Targets};
use sea_orm::ConnectionTrait;

use super::Component;
use super::components;

/// Which set `promptsales seed` loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScaleArg {
    /// The small demo set (what `promptsales up` loads).
    Demo,
    /// The demo set plus 500,000 customers, 1,000 campaigns and everything they imply.
    Full,
}

/// Arguments of `promptsales seed`.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Subgraphs whose stores get the demo set; all when none is named (the full scale loads all four).
    pub names: Vec<Component>,
    /// Which set.
    #[arg(long, value_enum, default_value = "demo")]
    pub scale: ScaleArg,
    /// The seed of the generated set (same seed, same rows).
    #[arg(long, default_value_t = promptsales_seeds::DEFAULT_SEED)]
    pub seed: u64,
    /// Customers of the generated set (implies `--scale full`).
    #[arg(long)]
    pub customers: Option<u64>,
    /// Campaigns of the generated set (implies `--scale full`).
    #[arg(long)]
    pub campaigns: Option<u64>,
}

impl SeedArgs {
    fn scale(&self) -> Scale {
        if self.scale == ScaleArg::Full || self.customers.is_some() || self.campaigns.is_some() {
            Scale::Full
        } else {
            Scale::Demo
        }
    }

    fn sizes(&self) -> Sizes {
        Sizes {
            seed: self.seed,
            customers: self.customers.unwrap_or(promptsales_seeds::FULL_CUSTOMERS),
            campaigns: self.campaigns.unwrap_or(promptsales_seeds::FULL_CAMPAIGNS),
            today: chrono::Utc::now().date_naive(),
        }
    }
}

/// Arguments of `promptsales bench seed`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchSeedArgs {
    /// Which set to time.
    #[arg(long, value_enum, default_value = "demo")]
    pub scale: ScaleArg,
    /// The PostgreSQL server to time against (fresh databases are made there and dropped after).
    #[arg(
        long,
        env = "PROMPTSALES_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres: String,
    /// Skip PostgreSQL (time SQLite only).
    #[arg(long)]
    pub no_postgres: bool,
    /// Skip SQLite (time PostgreSQL only).
    #[arg(long)]
    pub no_sqlite: bool,
    /// The seed.
    #[arg(long, default_value_t = promptsales_seeds::DEFAULT_SEED)]
    pub seed: u64,
    /// Customers (implies `--scale full`).
    #[arg(long)]
    pub customers: Option<u64>,
    /// Campaigns (implies `--scale full`).
    #[arg(long)]
    pub campaigns: Option<u64>,
}

fn targets_from_env() -> anyhow::Result<Targets> {
    let url = |c: Component| c.config().map(|c| c.database_url);
    Ok(Targets {
        sales: url(Component::Sales)?,
        ads: url(Component::Ads)?,
        crm: url(Component::Crm)?,
        content: url(Component::Content)?,
        crm_kek: None,
    })
}

/// `promptsales seed`.
pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    match args.scale() {
        // As before: one line per store, no logs (scripts read them).
        Scale::Demo => super::stores::seed(components::or_all(args.names)).await,
        Scale::Full => {
            promptsales_kit::telemetry::init();
            if !args.names.is_empty() {
                anyhow::bail!("the full scale seeds all four stores: name none");
            }
            let targets = targets_from_env()?;
            let report =
                promptsales_seeds::seed(&targets, Scale::Full, args.sizes(), &Progress::auto())
                    .await?
                    .context("the full scale reported nothing")?;
            print_report("configured", &report);
            Ok(())
        }
    }
}

fn print_report(backend: &str, report: &Report) {
    println!(
        "{:<10} {:<8} {:>10} {:>10} {:>9} {:>12}",
        "backend", "store", "rows", "written", "seconds", "rows/s"
    );
    for store in &report.stores {
        println!(
            "{:<10} {:<8} {:>10} {:>10} {:>9.2} {:>12.0}",
            backend,
            store.store,
            store.rows,
            store.written,
            store.elapsed.as_secs_f64(),
            store.rows_per_second()
        );
        for (table, n) in &store.tables {
            println!("{:<10}   {:<22} {:>10}", "", table, n);
        }
    }
    println!(
        "{:<10} {:<8} {:>10} {:>10} {:>9.2} {:>12.0}   (planning {:.2} s; digest {})",
        backend,
        "total",
        report.stores.iter().map(|s| s.rows).sum::<u64>(),
        report.written(),
        report.total.as_secs_f64(),
        report.written() as f64 / report.total.as_secs_f64().max(1e-9),
        report.planning.as_secs_f64(),
        if report.digest.is_empty() {
            "-"
        } else {
            &report.digest[..16]
        },
    );
}

/// `promptsales bench seed`.
pub fn bench(args: BenchSeedArgs) -> anyhow::Result<()> {
    let data = tempfile::Builder::new()
        .prefix("promptsales-bench-seed-")
        .tempdir()
        .context("creating a temporary data folder")?;
    // SAFETY: no other thread exists yet (the runtime starts below).
    unsafe { std::env::set_var("PROMPTSALES_DATA_DIR", data.path()) };
    super::tokio_main(async move {
        promptsales_kit::telemetry::init();
        let scale =
            if args.scale == ScaleArg::Full || args.customers.is_some() || args.campaigns.is_some()
            {
                Scale::Full
            } else {
                Scale::Demo
            };
        let sizes = Sizes {
            seed: args.seed,
            customers: args.customers.unwrap_or(promptsales_seeds::FULL_CUSTOMERS),
            campaigns: args.campaigns.unwrap_or(promptsales_seeds::FULL_CAMPAIGNS),
            today: chrono::Utc::now().date_naive(),
        };
        // One key pair for both runs (generating it is not what is measured).
        let (kek, _, _) = promptsales_crm::crypto::KeyEncryptionKey::generate(2048)?;
        println!(
            "seeding {} on {} cores{}",
            match scale {
                Scale::Demo => "the demo set".to_string(),
                Scale::Full => format!(
                    "the demo set and {} customers, {} campaigns (seed {})",
                    sizes.customers, sizes.campaigns, sizes.seed
                ),
            },
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            if cfg!(debug_assertions) {
                " (debug build: use --release for figures)"
            } else {
                ""
            }
        );
        if !args.no_sqlite {
            let dir = data.path().join("sqlite");
            let url = |name: &str| format!("sqlite://{}/{name}.db?mode=rwc", dir.display());
            let targets = Targets {
                sales: url("sales"),
                ads: url("ads"),
                crm: url("crm"),
                content: url("content"),
                crm_kek: Some(kek.clone()),
            };
            once("sqlite", &targets, scale, sizes).await?;
            std::fs::remove_dir_all(&dir).ok();
        }
        if !args.no_postgres {
            let admin = promptsales_kit::db::connect(&args.postgres)
                .await
                .with_context(|| {
                    format!(
                        "cannot reach {}",
                        promptsales_kit::db::redacted(&args.postgres)
                    )
                })?;
            let suffix = uuid::Uuid::now_v7().simple().to_string();
            let names: Vec<String> = ["sales", "ads", "crm", "content"]
                .iter()
                .map(|s| format!("bench_seed_{s}_{suffix}"))
                .collect();
            for name in &names {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
            }
            let targets = Targets {
                sales: database_url(&args.postgres, &names[0]),
                ads: database_url(&args.postgres, &names[1]),
                crm: database_url(&args.postgres, &names[2]),
                content: database_url(&args.postgres, &names[3]),
                crm_kek: Some(kek.clone()),
            };
            let result = once("postgres", &targets, scale, sizes).await;
            for name in &names {
                if let Err(e) = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                {
                    eprintln!("could not drop {name}: {e}");
                }
            }
            result?;
        }
        Ok(())
    })
}

async fn once(backend: &str, targets: &Targets, scale: Scale, sizes: Sizes) -> anyhow::Result<()> {
    let started = Instant::now();
    let demo = promptsales_seeds::demo(targets).await?;
    println!(
        "{backend}: demo set in {:.2} s ({} stores written)",
        started.elapsed().as_secs_f64(),
        demo.iter().filter(|(_, wrote)| *wrote).count()
    );
    if scale == Scale::Full {
        let report = promptsales_seeds::generated(targets, sizes, &Progress::auto()).await?;
        print_report(backend, &report);
    }
    Ok(())
}

/// `admin` with its database replaced by `name`.
fn database_url(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}
