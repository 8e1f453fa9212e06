//! Migrations of the content store (media assets and their campaign links; AI, templates, outreach,
//! services; resumable outreach batches).

use sea_orm_migration::prelude::*;

mod m0001_init;
mod m0002_ai;
mod m0003_outreach_resume;
mod m0010_embedding_dimensions;
mod m0050_etl_indexes;

/// The content store's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_init::Migration),
            Box::new(m0002_ai::Migration),
            Box::new(m0003_outreach_resume::Migration),
            Box::new(m0010_embedding_dimensions::Migration),
            Box::new(m0050_etl_indexes::Migration),
        ]
    }

    // Each store has its own database, but a shared one (a single PostgreSQL
    // for a small deployment) must not mix the four migrators' histories.
    fn migration_table_name() -> DynIden {
        Alias::new("content_seaql_migrations").into_iden()
    }
}
