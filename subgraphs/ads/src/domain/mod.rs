//! The ads rules: enums, validation, status transitions, launches, derived
//! ratios, signatures and budget suggestions. Plain Rust, no I/O.

pub mod ad;
pub mod allocation;
pub mod availability;
pub mod bid_strategy;
pub mod channel;
pub mod launch;
pub mod market;
#[cfg(test)]
mod model_test;
pub mod performance;
pub mod signature;
pub mod status;
#[cfg(test)]
mod stored_names;

pub use ad::{AdFields, AdPatch, Patch};
pub use bid_strategy::BidStrategy;
pub use channel::AdChannel;
pub use launch::{CampaignFacts, CampaignState};
pub use market::MarketFields;
pub use performance::Performance;
pub use status::{AdMove, AdStatus, DatesOn};
