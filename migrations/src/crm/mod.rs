//! The crm store: customers (personal data encrypted at rest), leads and sales.

use sea_orm_migration::prelude::*;

mod m0001_init;
mod m0002_privacy_funnel_queue;
mod m0003_webhook_secrets;
mod m0004_rules_lead_scored_by;
mod m0050_etl_indexes;

/// The crm store's migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_init::Migration),
            Box::new(m0002_privacy_funnel_queue::Migration),
            Box::new(m0003_webhook_secrets::Migration),
            Box::new(m0004_rules_lead_scored_by::Migration),
            Box::new(m0050_etl_indexes::Migration),
        ]
    }
}
