//! Checks on free text and URLs shared by the asset inputs.

use promptsales_kit::ApiError;

/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// Trims `raw` and requires 1..=`max` characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let text = raw.trim();
    let length = text.chars().count();
    if length == 0 {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if length > max {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must have at most {max} characters, got {length}"),
        ));
    }
    Ok(text.to_string())
}

/// [`required_text`] for an optional value.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    raw.map(|r| required_text(field, r, max)).transpose()
}

/// An absolute `http` or `https` URL with a host and no whitespace.
pub fn http_url(field: &str, raw: &str) -> Result<String, ApiError> {
    let url = required_text(field, raw, MAX_URL_CHARS)?;
    let refuse = || {
        ApiError::bad_input(
            field,
            format!("{field} must be an http:// or https:// URL, got {raw:?}"),
        )
    };
    let lower = url.to_ascii_lowercase();
    let rest_at = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return Err(refuse());
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse());
    }
    let authority = url[rest_at..].split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        // A port, unless the colon is inside an IPv6 literal.
        Some((h, port)) if !host.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    if host.is_empty() || host.starts_with('.') {
        return Err(refuse());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_http_urls_with_a_host() {
        for good in [
            "https://assets.promptsales.example/a/b.jpg",
            "HTTP://cdn.example:8080/x?y=1",
            "https://[::1]/x",
        ] {
            assert!(http_url("input.url", good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://x/y",
            "https://",
            "https:///path",
            "javascript:alert(1)",
            "https://a b/c",
            "",
            "  ",
        ] {
            let err = http_url("input.url", bad).err();
            assert_eq!(err.map(|e| e.code()), Some("BAD_USER_INPUT"), "{bad:?}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(required_text("f", "  hi ", 5).ok().as_deref(), Some("hi"));
        assert!(required_text("f", "   ", 5).is_err());
        assert!(required_text("f", "toolong", 5).is_err());
    }
}
