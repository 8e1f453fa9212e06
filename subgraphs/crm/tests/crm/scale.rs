//! Scale on PostgreSQL: 50,000 customers and leads loaded in batches; the plans of the blind-index
//! look-up, the agent queue and the distance box use their indexes. Timings are printed, not asserted.

use std::time::Instant;

use anyhow::{Context as _, Result};
use promptsales_crm::store::NewCustomer;
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use super::support::{Backend, Harness};

const CUSTOMERS: i64 = 50_000;
const BATCH: i64 = 10_000;
const ORGS: usize = 10;
const AGENTS: usize = 20;

fn sql_array(ids: &[Uuid]) -> String {
    let items: Vec<String> = ids.iter().map(|id| format!("'{id}'::uuid")).collect();
    format!("ARRAY[{}]", items.join(","))
}

async fn plan(h: &Harness, sql: &str) -> Result<String> {
    let rows = h.rows(&format!("EXPLAIN {sql}")).await?;
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.try_get::<String>("", "QUERY PLAN")?);
        text.push('\n');
    }
    Ok(text)
}

async fn timed<F, Fut, T>(label: &str, runs: u32, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let started = Instant::now();
    let mut last = None;
    for _ in 0..runs {
        last = Some(f().await?);
    }
    let mean = started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!("scale: {label}: {mean:.2} ms mean over {runs} runs");
    last.context("no run")
}

#[tokio::test]
async fn postgres_plans_use_the_indexes_with_50k_customers() -> Result<()> {
    let h = Harness::new(Backend::Postgres).await?;
    let orgs: Vec<Uuid> = (0..ORGS).map(|_| new_id()).collect();
    let agents: Vec<Uuid> = (0..AGENTS).map(|_| new_id()).collect();
    let campaigns: Vec<Uuid> = (0..40).map(|_| new_id()).collect();
    let backend = h.db.get_database_backend();
    let started = Instant::now();
    // Generated rows carry placeholder envelopes: plans and timings need volume, not secrets,
    // and they sit far from the real customers below so no read ever opens them.
    for start in (1..=CUSTOMERS).step_by(BATCH as usize) {
        let end = start + BATCH - 1;
        h.db.execute(Statement::from_string(
            backend,
            format!(
                "INSERT INTO customers (id, organization_id, full_name_enc, email_enc, email_index, country, latitude, longitude, \
                   lifetime_value, data_key_id, created_at, updated_at) \
                 SELECT gen_random_uuid(), ({orgs})[1 + (i % {ORGS})], 'x', 'x', md5(i::text) || md5((i + 7)::text), 'AU', \
                   -40 + random() * 10, 140 + random() * 10, 0, 'generated', now(), now() \
                 FROM generate_series({start}, {end}) AS i",
                orgs = sql_array(&orgs)
            ),
        ))
        .await?;
        h.db.execute(Statement::from_string(
            backend,
            format!(
                "INSERT INTO leads (id, organization_id, customer_id, campaign_id, source, stage, score, purchase_intent, \
                   assigned_agent_id, version, estimated_value, ad_clicks, queue_key, captures, created_at, updated_at) \
                 SELECT gen_random_uuid(), c.organization_id, c.id, ({campaigns})[1 + floor(random() * 40)::int], 'WEB', \
                   (ARRAY['IQL','MQL','SQL','OPPORTUNITY','WON','LOST'])[1 + floor(random() * 6)::int], 0, random(), \
                   CASE WHEN random() < 0.8 THEN ({agents})[1 + floor(random() * {AGENTS})::int] END, 1, 0, 0, \
                   random() * 100 - 490000, 1, now(), now() \
                 FROM customers c WHERE c.email_index IN (SELECT md5(i::text) || md5((i + 7)::text) FROM generate_series({start}, {end}) AS i)",
                campaigns = sql_array(&campaigns),
                agents = sql_array(&agents)
            ),
        ))
        .await?;
    }
    let org = orgs[0];
    // Real, encrypted customers the timed store calls read.
    for (n, (lat, lon)) in [(40.4168, -3.7038), (40.45, -3.69), (39.8628, -4.0273)]
        .into_iter()
        .enumerate()
    {
        h.store
            .insert_customer(NewCustomer {
                organization_id: org,
                full_name: format!("Real {n}"),
                email: format!("real{n}@example.com"),
                latitude: Some(lat),
                longitude: Some(lon),
                ..Default::default()
            })
            .await?;
    }
    for table in ["customers", "leads"] {
        h.db.execute(Statement::from_string(backend, format!("ANALYZE {table}")))
            .await?;
    }
    println!(
        "scale: loaded {} customers and {} leads in {:.1} s",
        h.count("customers").await?,
        h.count("leads").await?,
        started.elapsed().as_secs_f64()
    );
    assert!(h.count("customers").await? >= CUSTOMERS);
    assert!(h.count("leads").await? >= CUSTOMERS);

    let lookup = plan(
        &h,
        &format!(
            "SELECT * FROM customers WHERE organization_id = '{org}' AND email_index = '{}'",
            "ab".repeat(32)
        ),
    )
    .await?;
    assert!(
        lookup.contains("ux_customers_org_email"),
        "blind-index look-up:\n{lookup}"
    );
    let queue = plan(
        &h,
        &format!(
            "SELECT * FROM leads WHERE organization_id = '{org}' AND assigned_agent_id = '{}' \
             AND stage NOT IN ('WON', 'LOST') AND queue_key IS NOT NULL ORDER BY queue_key DESC, id ASC LIMIT 20",
            agents[0]
        ),
    )
    .await?;
    assert!(queue.contains("ix_leads_queue"), "agent queue:\n{queue}");
    let pool = plan(
        &h,
        &format!(
            "SELECT * FROM leads WHERE organization_id = '{org}' AND assigned_agent_id IS NULL \
             AND stage NOT IN ('WON', 'LOST') AND queue_key IS NOT NULL AND claimed_at IS NULL \
             ORDER BY queue_key DESC, id ASC LIMIT 16"
        ),
    )
    .await?;
    assert!(pool.contains("ix_leads_queue"), "unassigned pool:\n{pool}");
    let near = plan(
        &h,
        &format!(
            "SELECT * FROM customers WHERE organization_id = '{org}' AND erased_at IS NULL \
             AND latitude BETWEEN 39.5 AND 41.3 AND longitude BETWEEN -4.9 AND -2.5"
        ),
    )
    .await?;
    assert!(
        near.contains("ix_customers_org_lat_lon"),
        "distance box:\n{near}"
    );
    println!("scale: agent queue plan:\n{queue}");

    let scope = TenantScope::Organization(org);
    let found = timed("customer by e-mail (blind index)", 50, || async {
        Ok(h.store
            .customers_by_email(scope, "real1@example.com")
            .await?)
    })
    .await?;
    assert_eq!(found.len(), 1);
    let queue = timed("agent queue (20 leads)", 50, || async {
        Ok(h.store.agent_queue(org, agents[0], 20).await?)
    })
    .await?;
    assert_eq!(queue.len(), 20);
    let keys: Vec<f64> = queue.iter().filter_map(|l| l.queue_key).collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "priority order");
    timed("claim next lead", 20, || async {
        Ok(h.store.claim_next_lead(org, agents[1]).await?)
    })
    .await?;
    let near = timed("customers within 100 km", 50, || async {
        Ok(h.store
            .customers_near(
                scope,
                promptsales_crm::store::Point {
                    latitude: 40.4168,
                    longitude: -3.7038,
                },
                100.0,
                20,
            )
            .await?)
    })
    .await?;
    assert_eq!(near.len(), 3);
    timed("conversion ranking (one organization)", 10, || async {
        Ok(h.store.campaign_conversion_ranking(scope).await?)
    })
    .await?;
    timed("campaign totals (ETL, whole store)", 5, || async {
        Ok(h.store
            .campaign_totals(TenantScope::All, None, 1000)
            .await?)
    })
    .await?;
    Ok(())
}
