//! Semantic search rules: what text of an asset is embedded, and what a query may be.

use promptsales_kit::ApiError;

use super::asset::{MediaAsset, NewMediaAsset};
use super::text::required_text;

/// The longest search description.
pub const MAX_QUERY_CHARS: usize = 500;

/// The text an asset's embedding is computed from: description, hashtags and category.
pub fn asset_text(asset: &MediaAsset) -> String {
    text_of(
        &asset.description,
        &asset.hashtags,
        asset.category.as_deref(),
    )
}

/// [`asset_text`] of an asset not yet stored.
pub fn new_asset_text(asset: &NewMediaAsset) -> String {
    text_of(
        &asset.description,
        &asset.hashtags,
        asset.category.as_deref(),
    )
}

fn text_of(description: &str, hashtags: &[String], category: Option<&str>) -> String {
    let mut text = description.to_string();
    for tag in hashtags {
        text.push_str(" #");
        text.push_str(tag);
    }
    if let Some(category) = category {
        text.push(' ');
        text.push_str(category);
    }
    text
}

/// Whether a change means the embedding must be computed again.
pub fn needs_new_embedding(before: &MediaAsset, after: &MediaAsset) -> bool {
    asset_text(before) != asset_text(after)
}

/// A search description: trimmed, 1..500 characters, with at least one letter or digit.
pub fn query(field: &str, raw: &str) -> Result<String, ApiError> {
    let text = required_text(field, raw, MAX_QUERY_CHARS)?;
    if !text.chars().any(char::is_alphanumeric) {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must contain at least one letter or digit"),
        ));
    }
    Ok(text)
}
