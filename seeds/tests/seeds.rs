//! The generator against real stores (SQLite files and PostgreSQL databases from the
//! kit's harness), at a small size: determinism, idempotence, references across the
//! four stores, spend within budgets, and crm's sealing and e-mail look-up.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use promptsales_crm::crypto::KeyEncryptionKey;
use promptsales_crm::store::CrmStore;
use promptsales_kit::context::TenantScope;
use promptsales_seeds::{Progress, Report, Scale, Sizes, Targets};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

fn sizes(seed: u64) -> Sizes {
    Sizes {
        seed,
        customers: 2_000,
        campaigns: 20,
        today: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
    }
}

fn kek() -> KeyEncryptionKey {
    match KeyEncryptionKey::generate(2048) {
        Ok((kek, _, _)) => kek,
        Err(e) => panic!("cannot generate a key pair: {e}"),
    }
}

struct Stores {
    targets: Targets,
    postgres: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Stores {
    fn sqlite(kek: &KeyEncryptionKey) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = |n: &str| format!("sqlite://{}/{n}.db?mode=rwc", dir.path().display());
        Ok(Self {
            targets: Targets {
                sales: url("sales"),
                ads: url("ads"),
                crm: url("crm"),
                content: url("content"),
                crm_kek: Some(kek.clone()),
            },
            postgres: Vec::new(),
            _dir: Some(dir),
        })
    }

    async fn postgres(kek: &KeyEncryptionKey) -> Result<Self> {
        let pg = promptsales_kit::testing::postgres().await;
        let mut urls = Vec::new();
        for store in ["seed_sales", "seed_ads", "seed_crm", "seed_content"] {
            urls.push(pg.fresh_database(store).await?);
        }
        let names = urls
            .iter()
            .map(|u| {
                u.rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        Ok(Self {
            targets: Targets {
                sales: urls[0].clone(),
                ads: urls[1].clone(),
                crm: urls[2].clone(),
                content: urls[3].clone(),
                crm_kek: Some(kek.clone()),
            },
            postgres: names,
            _dir: None,
        })
    }

    async fn seed(&self, seed: u64) -> Result<Report> {
        promptsales_seeds::seed(&self.targets, Scale::Full, sizes(seed), &Progress::lines())
            .await?
            .context("a full-scale run reports")
    }

    async fn connect(&self, url: &str) -> Result<DatabaseConnection> {
        Ok(promptsales_kit::db::connect(url).await?)
    }

    async fn close(self) -> Result<()> {
        let pg = promptsales_kit::testing::postgres().await;
        for name in &self.postgres {
            pg.drop_database(name).await?;
        }
        Ok(())
    }
}

async fn uuids(db: &DatabaseConnection, sql: &str) -> Result<Vec<Uuid>> {
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get_by_index::<Uuid>(0)?))
        .collect()
}

async fn count(db: &DatabaseConnection, table: &str) -> Result<i64> {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await?
        .context("a count")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Every row count of every seeded table.
async fn counts(stores: &Stores) -> Result<Vec<(String, i64)>> {
    let t = &stores.targets;
    let mut out = Vec::new();
    for (url, tables) in [
        (
            &t.sales,
            &[
                "organizations",
                "users",
                "campaigns",
                "campaign_objectives",
                "approvals",
                "schedule_tasks",
                "subscriptions",
            ][..],
        ),
        (
            &t.ads,
            &["markets", "ads", "ad_creatives", "ad_metrics"][..],
        ),
        (&t.crm, &["customers", "leads", "interactions", "sales"][..]),
        (&t.content, &["media_assets", "campaign_assets"][..]),
    ] {
        let db = stores.connect(url).await?;
        for table in tables {
            out.push((table.to_string(), count(&db, table).await?));
        }
        db.close().await?;
    }
    Ok(out)
}

fn assert_subset(what: &str, refs: &[Uuid], owners: &HashSet<Uuid>) {
    let missing: Vec<&Uuid> = refs
        .iter()
        .filter(|r| !owners.contains(r))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: ids not found in the owning store: {missing:?}"
    );
}

/// Ids one store references exist in the store that owns them.
async fn check_references(stores: &Stores) -> Result<()> {
    let t = &stores.targets;
    let sales = stores.connect(&t.sales).await?;
    let ads = stores.connect(&t.ads).await?;
    let crm = stores.connect(&t.crm).await?;
    let content = stores.connect(&t.content).await?;
    let set = |v: Vec<Uuid>| v.into_iter().collect::<HashSet<Uuid>>();

    let organizations = set(uuids(&sales, "SELECT id FROM organizations").await?);
    let campaigns = set(uuids(&sales, "SELECT id FROM campaigns").await?);
    let users = set(uuids(&sales, "SELECT id FROM users").await?);
    let plans = set(uuids(&sales, "SELECT id FROM plans").await?);
    let ad_ids = set(uuids(&ads, "SELECT id FROM ads").await?);
    let assets = set(uuids(&content, "SELECT id FROM media_assets").await?);
    let customers = set(uuids(&crm, "SELECT id FROM customers").await?);

    assert_subset(
        "campaigns.owner_id",
        &uuids(&sales, "SELECT owner_id FROM campaigns").await?,
        &users,
    );
    assert_subset(
        "subscriptions.plan_id",
        &uuids(&sales, "SELECT plan_id FROM subscriptions").await?,
        &plans,
    );
    assert_subset(
        "ads.campaign_id",
        &uuids(&ads, "SELECT campaign_id FROM ads").await?,
        &campaigns,
    );
    assert_subset(
        "ads.organization_id",
        &uuids(&ads, "SELECT organization_id FROM ads").await?,
        &organizations,
    );
    assert_subset(
        "ad_creatives.asset_id",
        &uuids(&ads, "SELECT asset_id FROM ad_creatives").await?,
        &assets,
    );
    assert_subset(
        "leads.campaign_id",
        &uuids(&crm, "SELECT campaign_id FROM leads").await?,
        &campaigns,
    );
    assert_subset(
        "leads.source_ad_id",
        &uuids(
            &crm,
            "SELECT source_ad_id FROM leads WHERE source_ad_id IS NOT NULL",
        )
        .await?,
        &ad_ids,
    );
    assert_subset(
        "leads.assigned_agent_id",
        &uuids(
            &crm,
            "SELECT assigned_agent_id FROM leads WHERE assigned_agent_id IS NOT NULL",
        )
        .await?,
        &users,
    );
    assert_subset(
        "leads.customer_id",
        &uuids(&crm, "SELECT customer_id FROM leads").await?,
        &customers,
    );
    assert_subset(
        "sales.campaign_id",
        &uuids(&crm, "SELECT campaign_id FROM sales").await?,
        &campaigns,
    );
    assert_subset(
        "customers.organization_id",
        &uuids(&crm, "SELECT organization_id FROM customers").await?,
        &organizations,
    );
    assert_subset(
        "campaign_assets.campaign_id",
        &uuids(&content, "SELECT campaign_id FROM campaign_assets").await?,
        &campaigns,
    );
    assert_subset(
        "media_assets.organization_id",
        &uuids(&content, "SELECT organization_id FROM media_assets").await?,
        &organizations,
    );
    // A lead's ad belongs to the lead's campaign.
    let ad_campaign: HashMap<Uuid, Uuid> = {
        let rows = ads
            .query_all(Statement::from_string(
                ads.get_database_backend(),
                "SELECT id, campaign_id FROM ads".to_string(),
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index::<Uuid>(0)?,
                    r.try_get_by_index::<Uuid>(1)?,
                ))
            })
            .collect::<Result<_>>()?
    };
    let rows = crm
        .query_all(Statement::from_string(
            crm.get_database_backend(),
            "SELECT source_ad_id, campaign_id FROM leads WHERE source_ad_id IS NOT NULL"
                .to_string(),
        ))
        .await?;
    for r in rows {
        let (ad, campaign) = (
            r.try_get_by_index::<Uuid>(0)?,
            r.try_get_by_index::<Uuid>(1)?,
        );
        assert_eq!(
            ad_campaign.get(&ad),
            Some(&campaign),
            "lead's ad {ad} is not of its campaign"
        );
    }
    for db in [sales, ads, crm, content] {
        db.close().await?;
    }
    Ok(())
}

async fn pairs_i64(db: &DatabaseConnection, sql: &str) -> Result<HashMap<Uuid, i64>> {
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<Uuid>(0)?,
                r.try_get_by_index::<i64>(1)?,
            ))
        })
        .collect()
}

/// No day above its ad's budget, no campaign above its budget, and the spent budget in sales
/// is what the ads recorded; revenue targets' progress is crm's sales.
async fn check_figures(stores: &Stores) -> Result<()> {
    let t = &stores.targets;
    let sales = stores.connect(&t.sales).await?;
    let ads = stores.connect(&t.ads).await?;
    let crm = stores.connect(&t.crm).await?;
    let over = count(
        &ads,
        "ad_metrics m JOIN ads a ON a.id = m.ad_id WHERE m.spend > a.daily_budget",
    )
    .await?;
    assert_eq!(over, 0, "metric days spent above their ad's daily budget");
    let spent = pairs_i64(
        &ads,
        "SELECT a.campaign_id, CAST(SUM(m.spend) AS BIGINT) FROM ad_metrics m JOIN ads a ON a.id = m.ad_id GROUP BY a.campaign_id",
    )
    .await?;
    let budget = pairs_i64(&sales, "SELECT id, budget_total FROM campaigns").await?;
    let recorded = pairs_i64(&sales, "SELECT id, budget_spent FROM campaigns").await?;
    assert!(!spent.is_empty());
    for (campaign, spend) in &spent {
        let total = budget
            .get(campaign)
            .copied()
            .context("a campaign with ads")?;
        assert!(
            *spend <= total,
            "campaign {campaign} spent {spend} of {total}"
        );
        assert_eq!(
            recorded.get(campaign),
            Some(spend),
            "budget_spent of {campaign}"
        );
    }
    let revenue = pairs_i64(
        &crm,
        "SELECT campaign_id, CAST(SUM(amount) AS BIGINT) FROM sales GROUP BY campaign_id",
    )
    .await?;
    let progress = pairs_i64(
        &sales,
        "SELECT campaign_id, \"current\" FROM campaign_objectives WHERE metric = 'revenue'",
    )
    .await?;
    let generated_campaigns: Vec<&Uuid> = progress.keys().collect();
    let mut compared = 0;
    for campaign in generated_campaigns {
        // Demo objectives are plans, not results; the generated ones are the results.
        if let Some(sold) = revenue.get(campaign) {
            if progress.get(campaign) == Some(sold) {
                compared += 1;
            }
        }
    }
    assert!(compared > 0, "revenue objectives agree with crm's sales");
    for db in [sales, ads, crm] {
        db.close().await?;
    }
    Ok(())
}

/// Personal data is sealed in the table and opens through crm's own look-up by e-mail.
async fn check_sealing(stores: &Stores) -> Result<()> {
    let t = &stores.targets;
    let (store, db) =
        promptsales_crm::open_sea_store(&t.crm, t.crm_kek.clone().context("a key pair")?, None)
            .await?;
    let plan = promptsales_seeds::plan::plan(sizes(7));
    for i in [0u64, 1, 1_234, 1_999] {
        let expected = promptsales_seeds::rows::customer(&plan, i);
        let email = expected.email.to_lowercase();
        let found = store.customers_by_email(TenantScope::All, &email).await?;
        assert_eq!(found.len(), 1, "customer {i} by {email}");
        assert_eq!(Some(found[0].id), expected.id);
        assert_eq!(found[0].full_name, expected.full_name);
        assert_eq!(found[0].lifetime_value, expected.lifetime_value);
        let row = db
            .query_one(Statement::from_sql_and_values(
                db.get_database_backend(),
                match db.get_database_backend() {
                    sea_orm::DatabaseBackend::Postgres => {
                        "SELECT full_name_enc, email_enc, email_index FROM customers WHERE id = $1"
                    }
                    _ => "SELECT full_name_enc, email_enc, email_index FROM customers WHERE id = ?",
                },
                [found[0].id.into()],
            ))
            .await?
            .context("the row")?;
        let name: String = row.try_get_by_index(0)?;
        let sealed_email: String = row.try_get_by_index(1)?;
        let index: String = row.try_get_by_index(2)?;
        assert!(name.starts_with("v2.") && !name.contains(&expected.full_name));
        assert!(sealed_email.starts_with("v2.") && !sealed_email.contains(&email));
        assert_eq!(index.len(), 64);
    }
    db.close().await?;
    Ok(())
}

async fn load_twice_and_check(stores: &Stores) -> Result<Report> {
    let first = stores.seed(7).await?;
    for store in &first.stores {
        assert!(store.rows > 0, "{} has rows", store.store);
        assert_eq!(
            store.written, store.rows,
            "{} wrote its whole set",
            store.store
        );
    }
    assert!(!first.digest.is_empty());
    let before = counts(stores).await?;
    let second = stores.seed(7).await?;
    assert_eq!(second.written(), 0, "a second run adds nothing");
    assert_eq!(counts(stores).await?, before);
    check_references(stores).await?;
    check_figures(stores).await?;
    check_sealing(stores).await?;
    Ok(first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_is_deterministic_idempotent_and_coherent() -> Result<()> {
    let kek = kek();
    let a = Stores::sqlite(&kek)?;
    let first = load_twice_and_check(&a).await?;

    // Another folder, the same seed: the same rows (ciphertexts aside).
    let b = Stores::sqlite(&kek)?;
    assert_eq!(b.seed(7).await?.digest, first.digest);
    // Another seed: other rows.
    let c = Stores::sqlite(&kek)?;
    assert_ne!(c.seed(8).await?.digest, first.digest);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_is_idempotent_and_coherent_with_the_same_digest() -> Result<()> {
    let kek = kek();
    let stores = Stores::postgres(&kek).await?;
    let result = load_twice_and_check(&stores).await;
    // Rows go in by COPY on PostgreSQL and by INSERT on SQLite: the same set either way.
    let sqlite = Stores::sqlite(&kek)?;
    let same = sqlite.seed(7).await;
    stores.close().await?;
    let report = result?;
    assert_eq!(same?.digest, report.digest);
    Ok(())
}

/// `url` with `sslmode=require` when the server offers TLS (as Debian's PostgreSQL does), so
/// the COPY below goes through the TLS socket where the driver used to deadlock.
async fn over_tls_if_offered(url: &str) -> Result<(String, bool)> {
    let plain = promptsales_kit::db::connect(url).await?;
    let offered = plain
        .query_one(Statement::from_string(
            plain.get_database_backend(),
            "SELECT setting FROM pg_settings WHERE name = 'ssl'".to_string(),
        ))
        .await?
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .is_some_and(|s| s == "on");
    let _ = plain.close().await;
    if !offered {
        return Ok((url.to_string(), false));
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok((format!("{url}{separator}sslmode=require"), true))
}

/// The full-scale seed hung in crm's customers COPY: over TLS, when a write would block,
/// rustls also tries to read, and sqlx-core 0.8.6 then waited for the socket to be writable
/// *and then readable*; a server in COPY sends nothing, so once writability came back before
/// the wait began, the writer slept for ever (vendor/sqlx-core/PROMPTSALES.md). Here the
/// server stalls on the first row (a trigger sleeps) while ~50 MB in three builder chunks
/// (more than the writer's channel holds) are streamed at it over TLS: the load must finish.
/// The hang is a race; this guard did not hit it in three runs on the unpatched driver, where
/// `promptsales bench seed --no-sqlite --customers 150000` did (see issue 14's closing note).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_copy_over_tls_survives_a_server_that_falls_behind() -> Result<()> {
    use std::sync::Arc;
    use std::time::Duration;

    use promptsales_seeds::load::{CHUNK, Cell, Table, load_store};

    let pg = promptsales_kit::testing::postgres().await;
    let url = pg.fresh_database("seed_copy").await?;
    let name = url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let outcome = async {
        let (url, tls) = over_tls_if_offered(&url).await?;
        let db = promptsales_kit::db::connect(&url).await?;
        if tls {
            let row = db
                .query_one(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()".to_string(),
                ))
                .await?
                .context("pg_stat_ssl has this connection")?;
            assert!(row.try_get_by_index::<bool>(0)?, "the connection uses TLS");
        } else {
            eprintln!("the server offers no TLS: this run cannot reach the TLS deadlock");
        }
        db.execute_unprepared(
            "CREATE TABLE bulk (id BIGINT PRIMARY KEY, body TEXT NOT NULL);
             CREATE FUNCTION bulk_stall() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.id = 0 THEN PERFORM pg_sleep(3); END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER bulk_stall BEFORE INSERT ON bulk
               FOR EACH ROW EXECUTE FUNCTION bulk_stall();",
        )
        .await?;
        let items = CHUNK * 5 / 2;
        let body = "x".repeat(1_000);
        let table = Table {
            name: "bulk",
            columns: &["id", "body"],
            key: &[0],
            items,
            rows: items as u64,
            build: Arc::new(move |range| {
                Ok(range
                    .map(|i| vec![Cell::Int(i as i64), Cell::Text(body.clone())])
                    .collect())
            }),
        };
        let report = tokio::time::timeout(
            Duration::from_secs(120),
            load_store("bulk", &db, vec![table], &Progress::lines()),
        )
        .await
        .context("the COPY hung: the writer waits on a server that waits for data")??;
        assert_eq!(report.written, items as u64);
        assert_eq!(count(&db, "bulk").await?, items as i64);
        let _ = db.close().await;
        anyhow::Ok(())
    }
    .await;
    pg.drop_database(&name).await?;
    outcome
}
