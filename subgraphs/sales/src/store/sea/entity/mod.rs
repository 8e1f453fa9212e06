//! The sea-orm view of the tables made by `promptsales_migrations::sales`.
//! Reads are explicit `IN (...)` batches, which keeps the statement count
//! visible; the one declared relation (link -> product) serves one join.

pub mod campaign;
pub mod campaign_product;
pub mod objective;
pub mod organization;
pub mod product;
pub mod user;
