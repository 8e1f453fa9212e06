//! The content rules: plain Rust, no I/O. Validation names the input field at fault.

pub mod asset;
pub mod channel;
pub mod generation;
pub mod hashtags;
pub mod input;
pub mod language;
pub mod outreach;
pub mod request_log;
pub mod review;
pub mod search;
pub mod semantic;
pub mod services;
pub mod template;
pub mod text;

#[cfg(test)]
mod stored_names;

pub use asset::{
    AssetKind, MediaAsset, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights,
};
