//! The crm's rules: what a valid customer, lead and sale is, and how inputs
//! are normalized before they are stored. Plain Rust, no I/O.

pub mod capture;
pub mod copilot;
pub mod country;
pub mod customer;
pub mod funnel;
pub mod geo;
pub mod interaction;
pub mod lead;
pub mod queue;
pub mod sale;
pub mod scoring;
pub mod webhook;

#[cfg(test)]
mod stored_names;

use promptsales_kit::ApiError;

/// A refused input value, naming the input field at fault (`input.email`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The GraphQL input path of the field.
    pub field: String,
    /// What a person should change.
    pub message: String,
}

impl Invalid {
    /// A refusal of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(err: Invalid) -> Self {
        ApiError::bad_input(err.field, err.message)
    }
}

/// How far in the future a reported instant may be: clocks of callers drift.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Trims optional free text; blank means absent (forms send `""` for an empty field).
pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, Invalid> {
    let Some(value) = value else { return Ok(None) };
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    required_text(field, trimmed, max_chars).map(Some)
}

/// [`optional_text`] for other crates' layers (the schema's free-text inputs).
pub fn optional_text_pub(
    field: &str,
    value: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, Invalid> {
    optional_text(field, value, max_chars)
}

/// Trims required text and checks its length and characters.
pub(crate) fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(field, format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("{field} must be at most {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(trimmed.to_string())
}
