//! Migrations of the ads store: markets, ads and their daily metrics.

use sea_orm_migration::prelude::*;

mod m0001_init;

/// Applies the ads store's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_init::Migration)]
    }
}
