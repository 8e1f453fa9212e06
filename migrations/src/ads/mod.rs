//! Migrations of the ads store: markets, ads and their daily metrics.

use sea_orm_migration::prelude::*;

mod m0001_init;
mod m0002_platform_lookup;
mod m0003_ad_creatives;
mod m0004_rules_external_id_unique;
mod m0050_etl_indexes;

/// Applies the ads store's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_init::Migration),
            Box::new(m0002_platform_lookup::Migration),
            Box::new(m0003_ad_creatives::Migration),
            Box::new(m0004_rules_external_id_unique::Migration),
            Box::new(m0050_etl_indexes::Migration),
        ]
    }
}
