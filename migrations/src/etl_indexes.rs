//! Indexes the delta ETL reads the source stores through (ads, crm, content):
//! `(updated_at, id)` for its changes since a watermark, and `(campaign, UTC day)`
//! for recomputing a summary key from source truth. Day expressions are written
//! per backend, exactly as the stores' ETL queries write them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// One index: its name, table, and columns (`day(<column>)` means the column's UTC day).
pub(crate) struct EtlIndex {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

fn column_sql(backend: DatabaseBackend, column: &str) -> String {
    match column
        .strip_prefix("day(")
        .and_then(|c| c.strip_suffix(')'))
    {
        Some(inner) => match backend {
            DatabaseBackend::Postgres => format!("(({inner} AT TIME ZONE 'UTC')::date)"),
            _ => format!("date({inner})"),
        },
        None => column.to_string(),
    }
}

/// Creates `indexes` (if absent).
pub(crate) async fn create(manager: &SchemaManager<'_>, indexes: &[EtlIndex]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    for index in indexes {
        let columns: Vec<String> = index
            .columns
            .iter()
            .map(|c| column_sql(backend, c))
            .collect();
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                index.name,
                index.table,
                columns.join(", ")
            ))
            .await?;
        tracing::info!(index = index.name, table = index.table, "ETL index ready");
    }
    Ok(())
}

/// Drops `indexes` (if present).
pub(crate) async fn drop(manager: &SchemaManager<'_>, indexes: &[EtlIndex]) -> Result<(), DbErr> {
    for index in indexes {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {}", index.name))
            .await?;
    }
    Ok(())
}

/// The migration of one store: its name and its indexes.
macro_rules! etl_index_migration {
    ($($index:expr),* $(,)?) => {
        /// Adds the indexes the delta ETL reads this store through.
        #[derive(DeriveMigrationName)]
        pub struct Migration;

        const INDEXES: &[crate::etl_indexes::EtlIndex] = &[$($index),*];

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::etl_indexes::create(manager, INDEXES).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::etl_indexes::drop(manager, INDEXES).await
            }
        }
    };
}
pub(crate) use etl_index_migration;
