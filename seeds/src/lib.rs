//! The data generator behind `promptsales seed`.
//!
//! - **demo**: the small coherent set `promptsales up` loads; each subgraph
//!   keeps its own demo seeder (`subgraphs/*/src/seed.rs`, skeleton in
//!   `kit::demo`), and this crate runs them in order.
//! - **full**: the demo set plus a generated one at the platform's sizing:
//!   500,000 crm customers (sealed and blind-indexed with crm's own key
//!   ring), 1,000 campaigns over the last 24 months with their targets,
//!   approvals and schedule, ads with daily figures inside their budgets,
//!   leads with a noisy funnel, interactions, sales, media assets, and
//!   subscriptions. One plan ([`plan`]) decides every figure that two stores
//!   share, so ids resolve across stores and the totals agree.
//!
//! Deterministic for a seed (ids and figures are drawn per row from
//! `(seed, kind, index)`), idempotent (a store that holds the set's last row
//! is skipped; a partial one is completed without duplicates), and bulk
//! loaded ([`load`]).

pub mod load;
pub mod plan;
pub mod progress;
pub mod rng;
pub mod rows;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDate;
use promptsales_crm::crypto::KeyEncryptionKey;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

pub use load::StoreReport;
pub use plan::{Plan, Sizes};
pub use progress::Progress;

/// Customers of the full scale.
pub const FULL_CUSTOMERS: u64 = 500_000;
/// Campaigns of the full scale.
pub const FULL_CAMPAIGNS: u64 = 1_000;
/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// Which set to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// The small demo set only.
    #[default]
    Demo,
    /// The demo set plus the generated set.
    Full,
}

/// The four stores' database URLs, and how crm's keys are found.
#[derive(Clone)]
pub struct Targets {
    /// sales.
    pub sales: String,
    /// ads.
    pub ads: String,
    /// crm.
    pub crm: String,
    /// content.
    pub content: String,
    /// crm's certificate key pair; `None` loads the configured one as the crm subgraph does.
    pub crm_kek: Option<KeyEncryptionKey>,
}

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Targets")
            .field("sales", &promptsales_kit::db::redacted(&self.sales))
            .field("ads", &promptsales_kit::db::redacted(&self.ads))
            .field("crm", &promptsales_kit::db::redacted(&self.crm))
            .field("content", &promptsales_kit::db::redacted(&self.content))
            .finish_non_exhaustive()
    }
}

/// What a full-scale run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per store, in the order sales, ads, crm, content.
    pub stores: Vec<StoreReport>,
    /// Time to build the plan.
    pub planning: Duration,
    /// Wall time of the whole run (planning included).
    pub total: Duration,
    /// Digest of the generated rows (ciphertexts excluded): equal for equal seeds and sizes.
    pub digest: String,
}

impl Report {
    /// Rows written in all stores.
    pub fn written(&self) -> u64 {
        self.stores.iter().map(|s| s.written).sum()
    }
}

/// Loads the demo set into every store that lacks it; returns, per store, whether it wrote.
pub async fn demo(targets: &Targets) -> anyhow::Result<Vec<(&'static str, bool)>> {
    let (sales, _db) = promptsales_sales::open_store(&targets.sales).await?;
    let s = promptsales_sales::seed_demo(sales.as_ref()).await?;
    let (ads, _db) = promptsales_ads::open_store(&targets.ads).await?;
    let a = promptsales_ads::seed_demo(ads.as_ref()).await?;
    let (crm, _db) = open_crm(targets).await?;
    let c = promptsales_crm::seed_demo(&crm).await?;
    let (content, _db) = promptsales_content::open_store(&targets.content).await?;
    let n = promptsales_content::seed_demo(content.as_ref()).await?;
    Ok(vec![
        (promptsales_sales::NAME, s),
        (promptsales_ads::NAME, a),
        (promptsales_crm::NAME, c),
        (promptsales_content::NAME, n),
    ])
}

async fn open_crm(
    targets: &Targets,
) -> anyhow::Result<(promptsales_crm::store::sea::SeaCrmStore, DatabaseConnection)> {
    match &targets.crm_kek {
        Some(kek) => promptsales_crm::open_sea_store(&targets.crm, kek.clone(), None).await,
        None => promptsales_crm::open_configured_sea_store(&targets.crm).await,
    }
}

/// The sizes of the full scale for `seed`, today.
pub fn full_sizes(seed: u64, today: NaiveDate) -> Sizes {
    Sizes {
        seed,
        customers: FULL_CUSTOMERS,
        campaigns: FULL_CAMPAIGNS,
        today,
    }
}

/// The catalogue plans subscriptions can name, by code order.
async fn catalog(db: &DatabaseConnection) -> anyhow::Result<Vec<rows::CatalogPlan>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT id, subsystem FROM plans WHERE active = TRUE ORDER BY code".to_string(),
        ))
        .await
        .context("cannot read the plan catalogue")?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get_by_index::<uuid::Uuid>(0)?,
                row.try_get_by_index::<String>(1)?,
            ))
        })
        .collect()
}

/// Loads the generated set of `sizes` (the stores are migrated first; run [`demo`] first for
/// the plan catalogue subscriptions name). Stores load concurrently.
pub async fn generated(
    targets: &Targets,
    sizes: Sizes,
    progress: &Progress,
) -> anyhow::Result<Report> {
    anyhow::ensure!(
        sizes.customers > 0 && sizes.campaigns > 0,
        "the generated set needs at least one customer and one campaign"
    );
    let started = Instant::now();
    let (_sales, sales_db) = promptsales_sales::open_store(&targets.sales).await?;
    let (_ads, ads_db) = promptsales_ads::open_store(&targets.ads).await?;
    let (crm, crm_db) = open_crm(targets).await?;
    let (_content, content_db) = promptsales_content::open_store(&targets.content).await?;
    let catalog = catalog(&sales_db).await?;
    if catalog.is_empty() {
        tracing::warn!(
            "no plan catalogue in sales: the generated organizations get no subscriptions"
        );
    }

    let planning = Instant::now();
    let plan = Arc::new(tokio::task::spawn_blocking(move || plan::plan(sizes)).await?);
    let planning = planning.elapsed();
    tracing::info!(
        seconds = planning.as_secs_f64(),
        campaigns = plan.campaigns.len(),
        ads = plan.ads.len(),
        metric_days = plan.metrics.len(),
        leads = plan.leads.len(),
        "planned"
    );

    let ring = crm.key_ring();
    // Each store on a task of its own (the runtime's workers drive the writers, not the caller).
    let spawn = |store: &'static str, db: &DatabaseConnection, tables: Vec<load::Table>| {
        let (db, progress) = (db.clone(), progress.clone());
        tokio::spawn(async move { load::load_store(store, &db, tables, &progress).await })
    };
    let tasks = [
        spawn(
            promptsales_sales::NAME,
            &sales_db,
            rows::sales(&plan, catalog),
        ),
        spawn(promptsales_ads::NAME, &ads_db, rows::ads(&plan)),
        spawn(promptsales_crm::NAME, &crm_db, rows::crm(&plan, ring)),
        spawn(promptsales_content::NAME, &content_db, rows::content(&plan)),
    ];
    let mut stores = Vec::new();
    for task in tasks {
        stores.push(task.await.context("a store's load stopped")??);
    }
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    for store in &stores {
        sha2::Digest::update(&mut hasher, store.store.as_bytes());
        sha2::Digest::update(&mut hasher, store.digest.as_bytes());
    }
    let digest = if stores.iter().any(|s| s.digest.is_empty() && s.rows > 0) {
        String::new()
    } else {
        hex::encode(sha2::Digest::finalize(hasher))
    };
    for db in [sales_db, ads_db, crm_db, content_db] {
        let _ = db.close().await;
    }
    Ok(Report {
        stores,
        planning,
        total: started.elapsed(),
        digest,
    })
}

/// `promptsales seed`: the demo set, and for [`Scale::Full`] the generated set of `sizes` too.
pub async fn seed(
    targets: &Targets,
    scale: Scale,
    sizes: Sizes,
    progress: &Progress,
) -> anyhow::Result<Option<Report>> {
    for (store, wrote) in demo(targets).await? {
        tracing::info!(store, wrote, "demo set");
    }
    match scale {
        Scale::Demo => Ok(None),
        Scale::Full => generated(targets, sizes, progress).await.map(Some),
    }
}
