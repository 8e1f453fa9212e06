//! The content rules: plain Rust, no I/O. Validation names the input field at fault.

pub mod asset;
pub mod hashtags;
pub mod input;
pub mod review;
pub mod search;
pub mod text;

pub use asset::{
    AssetKind, MediaAsset, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights,
};
