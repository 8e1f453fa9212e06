//! The sales rules: validation, normalisation and derived values. Plain
//! Rust without I/O, so every rule is testable without a store.
//!
//! Validation errors are `kit::ApiError::BadInput` naming the GraphQL input
//! field at fault (`input.endDate`), because that is what a caller must fix.

pub mod access;
pub mod agenda;
pub mod agent_action;
pub mod campaign;
pub mod country;
pub mod dashboard;
pub mod error;
pub mod money;
pub mod objective;
pub mod organization;
pub mod planner;
pub mod product;
#[cfg(test)]
mod stored_names;
pub mod subscription;
pub mod text;
pub mod user;
pub mod workflow;

use chrono::{DateTime, SubsecRound, Utc};

/// The current instant at the precision every store keeps (microseconds),
/// so that a value returned after a write equals the one read back later.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
