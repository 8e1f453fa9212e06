//! The sea-orm view of the tables made by `promptsales_migrations::sales`.
//! Reads are explicit `IN (...)` batches, which keeps the statement count
//! visible; the one declared relation (link -> product) serves one join.

pub mod ads_reconcile;
pub mod agent_action_request;
pub mod approval;
pub mod audit_log;
pub mod budget_movement;
pub mod campaign;
pub mod campaign_plan;
pub mod campaign_product;
pub mod objective;
pub mod organization;
pub mod payment_method;
pub mod plan;
pub mod plan_feature;
pub mod product;
pub mod schedule_task;
pub mod subscription;
pub mod subscription_usage;
pub mod transaction;
pub mod user;
