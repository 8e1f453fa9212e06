//! The indexes the delta ETL reads ad metrics through (see `etl_indexes`).

use sea_orm_migration::prelude::*;

use crate::etl_indexes::{EtlIndex, etl_index_migration};

etl_index_migration![EtlIndex {
    name: "ix_ad_metrics_etl_watermark",
    table: "ad_metrics",
    columns: &["updated_at", "id"],
}];
