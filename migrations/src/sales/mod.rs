//! Migrations of the sales store (organizations, users, products, campaigns).

use sea_orm_migration::prelude::*;

mod m0001_init;

/// Applies the sales store's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_init::Migration)]
    }

    // Every subgraph has an `m0001_init`; a table of its own keeps the
    // migrators apart should two stores ever share one database.
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_sales").into_iden()
    }
}
