//! PostgreSQL done properly: least-privilege roles, triggers, the dashboard view.

use promptsales_kit::context::TenantScope;
use promptsales_kit::demo::demo_plan;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, TransactionTrait};

use crate::portal_support::Team;
use crate::support::Harness;

/// Runs `sql` as `role` in a transaction that is rolled back either way.
async fn as_role(h: &Harness, role: &str, sql: &str) -> Result<(), DbErr> {
    let txn = h.db.begin().await?;
    txn.execute_unprepared(&format!("SET LOCAL ROLE {role}"))
        .await?;
    let outcome = txn.execute_unprepared(sql).await.map(|_| ());
    txn.rollback().await?;
    outcome
}

fn refused(outcome: Result<(), DbErr>, what: &str) {
    let message = format!("{outcome:?}").to_lowercase();
    assert!(
        outcome.is_err()
            && (message.contains("permission denied") || message.contains("must be owner")),
        "{what} should be refused for lack of privilege: {message}"
    );
}

/// The service role reads and writes rows but cannot drop or alter a table, create one,
/// touch the migrations or rewrite the audit log; the reporting role only reads.
pub async fn the_service_role_cannot_change_the_schema_and_reporting_only_reads(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Roles").await?;
    let service = "promptsales_service";
    as_role(h, service, "SELECT count(*) FROM campaigns").await?;
    as_role(
        h,
        service,
        &format!(
            "UPDATE campaigns SET name = 'renamed' WHERE id = '{}'",
            team.campaign.id
        ),
    )
    .await?;
    as_role(
        h,
        service,
        "DELETE FROM audit_log WHERE occurred_at < now() - interval '90 days'",
    )
    .await?;
    refused(
        as_role(h, service, "DROP TABLE campaigns").await,
        "DROP TABLE",
    );
    refused(
        as_role(h, service, "ALTER TABLE campaigns ADD COLUMN x int").await,
        "ALTER TABLE",
    );
    refused(
        as_role(h, service, "TRUNCATE budget_movements").await,
        "TRUNCATE",
    );
    refused(
        as_role(h, service, "CREATE TABLE intruder (id int)").await,
        "CREATE TABLE",
    );
    refused(
        as_role(h, service, "DELETE FROM seaql_migrations_sales").await,
        "touching migrations",
    );
    refused(
        as_role(h, service, "UPDATE audit_log SET action = 'nothing'").await,
        "rewriting the audit log",
    );
    let reporting = "promptsales_reporting";
    as_role(h, reporting, "SELECT count(*) FROM budget_movements").await?;
    as_role(h, reporting, "SELECT * FROM dashboard_totals").await?;
    refused(
        as_role(
            h,
            reporting,
            &format!(
                "UPDATE campaigns SET name = 'x' WHERE id = '{}'",
                team.campaign.id
            ),
        )
        .await,
        "a reporting write",
    );
    refused(
        as_role(h, reporting, "DROP TABLE campaigns").await,
        "a reporting DROP",
    );
    Ok(())
}

/// A write that forgets `updated_at` still moves it (an explicit one is kept), a movement
/// that disagrees with its campaign is refused, and the dashboard view refreshes
/// concurrently with totals that match the summaries.
pub async fn triggers_guard_the_watermark_and_the_balance_and_the_view_refreshes(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Triggers").await?;
    let id = team.campaign.id;
    let before = team.campaign.updated_at;
    h.db.execute_unprepared(&format!(
        "UPDATE campaigns SET name = 'manual fix' WHERE id = '{id}'"
    ))
    .await?;
    let after = h.store.campaigns_by_ids(TenantScope::All, &[id]).await?[0].updated_at;
    assert!(
        after > before,
        "the trigger moved updated_at: {before} -> {after}"
    );
    h.db.execute(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "UPDATE campaigns SET name = 'versioned', updated_at = $1 WHERE id = $2",
        [before.into(), id.into()],
    ))
    .await?;
    assert_eq!(
        h.store.campaigns_by_ids(TenantScope::All, &[id]).await?[0].updated_at,
        before,
        "an explicit value is kept"
    );

    // Totals that do not match the campaign (1000 total, nothing spent): refused by the trigger.
    let inconsistent = h
        .db
        .execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "INSERT INTO budget_movements (id, organization_id, campaign_id, kind, amount, total_after, spent_after, balance_after, source_subsystem, created_at, updated_at) \
             VALUES ($1, $2, $3, 'deposit', 10000, 5000000, 0, 5000000, 'sales', now(), now())",
            [uuid::Uuid::now_v7().into(), team.org.id.into(), id.into()],
        ))
        .await;
    let message = format!("{inconsistent:?}");
    assert!(message.contains("does not match its campaign"), "{message}");

    promptsales_sales::seed_demo(h.store.as_ref()).await?;
    // The plan's figures written straight in (the ETL's own tests cover deriving them).
    promptsales_sales::seed::seed_plan_summaries(h.store.as_ref()).await?;
    let plan = demo_plan();
    let aurora = plan.organizations[0].id;
    h.store.refresh_dashboard_totals().await?;
    let row =
        h.db.query_one(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT campaigns, spend FROM dashboard_totals WHERE organization_id = $1",
            [aurora.into()],
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no totals for the demo organization"))?;
    let (campaigns, spend): (i64, i64) = (row.try_get("", "campaigns")?, row.try_get("", "spend")?);
    let spent: i64 = h
        .store
        .campaigns_by_ids(
            TenantScope::All,
            &plan.campaigns.iter().map(|c| c.id).collect::<Vec<_>>(),
        )
        .await?
        .iter()
        .filter(|c| c.organization_id == aurora)
        .map(|c| c.budget.spent.raw())
        .sum();
    assert_eq!(spend, spent);
    assert_eq!(campaigns, 4, "the draft has no results");
    Ok(())
}
