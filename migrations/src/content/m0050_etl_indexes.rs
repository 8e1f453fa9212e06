//! The indexes the delta ETL reads assets and generated content through (see `etl_indexes`).

use sea_orm_migration::prelude::*;

use crate::etl_indexes::{EtlIndex, etl_index_migration};

etl_index_migration![
    EtlIndex {
        name: "ix_media_assets_etl_watermark",
        table: "media_assets",
        columns: &["updated_at", "id"],
    },
    EtlIndex {
        name: "ix_campaign_assets_etl_asset",
        table: "campaign_assets",
        columns: &["asset_id"],
    },
    EtlIndex {
        name: "ix_generated_contents_etl_watermark",
        table: "generated_contents",
        columns: &["updated_at", "id"],
    },
    EtlIndex {
        name: "ix_generated_contents_etl_campaign_day",
        table: "generated_contents",
        columns: &["campaign_id", "day(created_at)"],
    },
];
