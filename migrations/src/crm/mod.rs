//! The crm store: customers (personal data encrypted at rest), leads and sales.

use sea_orm_migration::prelude::*;

mod m0001_init;

/// The crm store's migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_init::Migration)]
    }
}
