//! PostgreSQL done properly (skipped on SQLite, which has no roles, triggers of
//! this kind or materialized views):
//!
//! - least-privilege roles: `promptsales_service` may read and write rows but
//!   owns nothing, so it cannot alter or drop the schema (nor touch the
//!   migrations table, nor rewrite the audit log); `promptsales_reporting`
//!   only reads. Login users are made members (`GRANT promptsales_service TO app`).
//! - `updated_at` triggers: a write that does not set `updated_at` (a manual
//!   fix, another tool) still moves it, so the ETL's watermark never misses a row;
//!   an explicit value (the application's optimistic-concurrency version) is kept.
//! - a balance trigger: a budget movement must record the campaign's totals as
//!   they are after it, so no movement exists without its campaign update.
//! - `dashboard_totals`, a materialized view of each organization's totals,
//!   with the unique index that lets it be refreshed CONCURRENTLY.
//!
//! Numbered after the identity migration so the grants cover its tables too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Roles, grants, triggers and the dashboard view.
#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- Roles need CREATEROLE: a migrator without it leaves them to the operator (a notice says so).
DO $$ BEGIN
  BEGIN
    CREATE ROLE promptsales_service NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE promptsales_reporting NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
  GRANT USAGE ON SCHEMA public TO promptsales_service, promptsales_reporting;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO promptsales_service;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO promptsales_service;
  GRANT SELECT ON ALL TABLES IN SCHEMA public TO promptsales_reporting;
  -- Migrations are the migrator's, not the service's; the audit log is append-only
  -- for the service (the purge deletes, nobody rewrites).
  REVOKE INSERT, UPDATE, DELETE ON seaql_migrations_sales FROM promptsales_service;
  REVOKE UPDATE ON audit_log FROM promptsales_service;
  -- Tables of later migrations get the same grants.
  ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO promptsales_service;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT ON TABLES TO promptsales_reporting;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'promptsales roles not created (the migrator lacks CREATEROLE); create promptsales_service and promptsales_reporting and rerun the grants';
END $$;

CREATE OR REPLACE FUNCTION promptsales_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := date_trunc('microseconds', clock_timestamp());
  END IF;
  RETURN NEW;
END $fn$;

DO $$
DECLARE t text;
BEGIN
  FOR t IN
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables tb ON tb.table_name = c.table_name AND tb.table_schema = c.table_schema
    WHERE c.table_schema = 'public' AND c.column_name = 'updated_at' AND tb.table_type = 'BASE TABLE'
  LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS trg_%1$s_updated_at ON %1$I', t);
    EXECUTE format('CREATE TRIGGER trg_%1$s_updated_at BEFORE UPDATE ON %1$I FOR EACH ROW EXECUTE FUNCTION promptsales_touch_updated_at()', t);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION promptsales_check_movement() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE c RECORD;
BEGIN
  SELECT budget_total, budget_spent INTO c FROM campaigns
   WHERE id = NEW.campaign_id AND organization_id = NEW.organization_id;
  IF NOT FOUND OR c.budget_total <> NEW.total_after OR c.budget_spent <> NEW.spent_after THEN
    RAISE EXCEPTION 'budget movement % does not match its campaign''s budget', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $fn$;
CREATE TRIGGER trg_budget_movements_balance BEFORE INSERT ON budget_movements
  FOR EACH ROW EXECUTE FUNCTION promptsales_check_movement();

CREATE MATERIALIZED VIEW dashboard_totals AS
  SELECT organization_id,
         count(*)::bigint AS campaigns,
         sum(spend)::bigint AS spend,
         sum(impressions)::bigint AS impressions,
         sum(clicks)::bigint AS clicks,
         sum(leads)::bigint AS leads,
         sum(customers)::bigint AS customers,
         sum(revenue)::bigint AS revenue
    FROM campaign_performance
   GROUP BY organization_id;
CREATE UNIQUE INDEX ux_dashboard_totals_organization ON dashboard_totals (organization_id);
DO $$ BEGIN
  GRANT SELECT ON dashboard_totals TO promptsales_service, promptsales_reporting;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN NULL;
END $$;
"#;

const DOWN: &str = r#"
DROP MATERIALIZED VIEW IF EXISTS dashboard_totals;
DROP TRIGGER IF EXISTS trg_budget_movements_balance ON budget_movements;
DROP FUNCTION IF EXISTS promptsales_check_movement();
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT table_name FROM information_schema.columns
            WHERE table_schema = 'public' AND column_name = 'updated_at'
  LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS trg_%1$s_updated_at ON %1$I', t);
  END LOOP;
END $$;
DROP FUNCTION IF EXISTS promptsales_touch_updated_at();
DO $$ BEGIN
  REVOKE ALL ON ALL TABLES IN SCHEMA public FROM promptsales_service, promptsales_reporting;
EXCEPTION WHEN undefined_object THEN NULL;
END $$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
