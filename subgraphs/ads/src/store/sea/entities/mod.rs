//! sea-orm models of the ads tables (see `migrations/src/ads`).

pub mod ad;
pub mod ad_creative;
pub mod ad_metric;
pub mod market;
