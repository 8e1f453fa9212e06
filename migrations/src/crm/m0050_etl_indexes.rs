//! The indexes the delta ETL reads leads and sales through (see `etl_indexes`).

use sea_orm_migration::prelude::*;

use crate::etl_indexes::{EtlIndex, etl_index_migration};

etl_index_migration![
    EtlIndex {
        name: "ix_leads_etl_watermark",
        table: "leads",
        columns: &["updated_at", "id"],
    },
    EtlIndex {
        name: "ix_leads_etl_campaign_day",
        table: "leads",
        columns: &["campaign_id", "day(created_at)"],
    },
    EtlIndex {
        name: "ix_sales_etl_watermark",
        table: "sales",
        columns: &["updated_at", "id"],
    },
    EtlIndex {
        name: "ix_sales_etl_campaign_day",
        table: "sales",
        columns: &["campaign_id", "day(closed_at)"],
    },
];
