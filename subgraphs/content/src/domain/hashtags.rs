//! Hashtag normalisation: one spelling per tag, so that filters and search match exactly.

use promptsales_kit::ApiError;

/// The longest hashtag, in characters.
pub const MAX_HASHTAG_CHARS: usize = 50;
/// The most hashtags an asset may carry.
pub const MAX_HASHTAGS: usize = 30;

/// `#Trail_Running` -> `trail_running`; refuses anything but 1..50 letters, digits or underscores.
pub fn normalize_hashtag(field: &str, raw: &str) -> Result<String, ApiError> {
    let tag = raw.trim().trim_start_matches('#').to_lowercase();
    let length = tag.chars().count();
    if length == 0 || length > MAX_HASHTAG_CHARS {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field}: hashtag {raw:?} must have 1 to {MAX_HASHTAG_CHARS} characters after the '#'"
            ),
        ));
    }
    if !tag
        .chars()
        .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '_')
    {
        return Err(ApiError::bad_input(
            field,
            format!("{field}: hashtag {raw:?} may hold only letters, digits and underscores"),
        ));
    }
    Ok(tag)
}

/// Normalises a list, dropping duplicates but keeping the first-seen order.
pub fn normalize_hashtags(field: &str, raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    for item in raw {
        let tag = normalize_hashtag(field, item)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_HASHTAGS {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} may hold at most {MAX_HASHTAGS} distinct hashtags, got {}",
                tags.len()
            ),
        ));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lower_cased_stripped_and_deduplicated() {
        let raw = ["#Hiking", "hiking", "  ##Trail_Running ", "Montaña"].map(String::from);
        assert_eq!(
            normalize_hashtags("input.hashtags", &raw).ok(),
            Some(vec![
                "hiking".to_string(),
                "trail_running".to_string(),
                "montaña".to_string()
            ])
        );
    }

    #[test]
    fn refuses_empty_long_or_punctuated_tags() {
        for bad in ["#", "", "two words", "dash-tag", &"a".repeat(51)] {
            let err = normalize_hashtag("input.hashtags", bad).err();
            assert_eq!(err.map(|e| e.code()), Some("BAD_USER_INPUT"), "{bad:?}");
        }
        assert!(normalize_hashtag("x", &"a".repeat(50)).is_ok());
    }
}
