//! The ads rules: enums, validation, status transitions and derived ratios. Plain Rust, no I/O.

pub mod ad;
pub mod bid_strategy;
pub mod channel;
pub mod market;
pub mod performance;
pub mod status;

pub use ad::{AdFields, AdPatch, Patch};
pub use bid_strategy::BidStrategy;
pub use channel::AdChannel;
pub use market::MarketFields;
pub use performance::Performance;
pub use status::AdStatus;
