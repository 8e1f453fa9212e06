//! Migrations of the sales store (organizations, users, products, campaigns).

use sea_orm_migration::prelude::*;

mod columns;
mod m0001_init;
mod m0002_portal_workflow;
mod m0003_portal_money;
mod m0004_portal_results;
mod m0005_portal_plans;
mod m0006_portal_agenda;
mod m0020_identity;
mod m0030_portal_postgres;
mod m0031_refresh_scope;
mod m0050_etl;
mod m0060_agent_actions;
mod m0070_ads_reconcile_outbox;

/// Applies the sales store's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_init::Migration),
            Box::new(m0002_portal_workflow::Migration),
            Box::new(m0003_portal_money::Migration),
            Box::new(m0004_portal_results::Migration),
            Box::new(m0005_portal_plans::Migration),
            Box::new(m0006_portal_agenda::Migration),
            Box::new(m0020_identity::Migration),
            Box::new(m0030_portal_postgres::Migration),
            Box::new(m0031_refresh_scope::Migration),
            Box::new(m0050_etl::Migration),
            Box::new(m0060_agent_actions::Migration),
            Box::new(m0070_ads_reconcile_outbox::Migration),
        ]
    }

    // Every subgraph has an `m0001_init`; a table of its own keeps the
    // migrators apart should two stores ever share one database.
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_sales").into_iden()
    }
}
