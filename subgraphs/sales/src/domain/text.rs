//! Shared checks of plain input values: texts, amounts, currencies.

use promptsales_kit::{ApiError, ApiResult, Decimal4};

/// A required text: trimmed, not empty, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    within(field, trimmed, max)?;
    Ok(trimmed.to_string())
}

/// An optional text: trimmed; blank means absent; at most `max` characters.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            within(field, v, max)?;
            Ok(Some(v.to_string()))
        }
    }
}

fn within(field: &str, value: &str, max: usize) -> ApiResult<()> {
    let length = value.chars().count();
    if length > max {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must be at most {max} characters, got {length}"),
        ));
    }
    Ok(())
}

/// An amount that may not be negative (budgets, prices, targets).
pub fn non_negative(field: &str, amount: Decimal4) -> ApiResult<Decimal4> {
    if amount.is_negative() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be negative, got {amount}"),
        ));
    }
    Ok(amount)
}

/// An ISO 4217 currency code; lower case is accepted and upper-cased.
pub fn currency(field: &str, code: &str) -> ApiResult<String> {
    let code = code.trim().to_ascii_uppercase();
    promptsales_kit::money::validate_currency(field, &code)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(
            required("input.name", "  Acme ", 10).ok(),
            Some("Acme".to_string())
        );
        assert!(required("input.name", "   ", 10).is_err());
        assert!(required("input.name", "elevenchars", 10).is_err());
        assert_eq!(optional("input.x", Some("  "), 10).ok(), Some(None));
        assert_eq!(
            currency("input.currency", "eur").ok(),
            Some("EUR".to_string())
        );
        assert!(currency("input.currency", "EURO").is_err());
        assert!(non_negative("input.budget", Decimal4(-1)).is_err());
    }
}
