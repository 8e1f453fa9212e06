//! A market: a country with the currency ads there spend in and the language they speak.

use promptsales_kit::ApiError;
use promptsales_kit::money::validate_currency;

/// A market as a client states it, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketFields {
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// ISO 639-1 language.
    pub language: String,
}

impl MarketFields {
    /// Normalises letter case and checks the codes' shapes, naming fields under `prefix`.
    pub fn validated(self, prefix: &str) -> Result<Self, ApiError> {
        let country = self.country.trim().to_ascii_uppercase();
        let currency = self.currency.trim().to_ascii_uppercase();
        let language = self.language.trim().to_ascii_lowercase();
        let two_letters = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic());
        if !two_letters(&country) {
            return Err(ApiError::bad_input(
                format!("{prefix}.country"),
                format!(
                    "country must be an ISO 3166-1 alpha-2 code such as ES, got {:?}",
                    self.country
                ),
            ));
        }
        validate_currency(&format!("{prefix}.currency"), &currency)?;
        if !two_letters(&language) {
            return Err(ApiError::bad_input(
                format!("{prefix}.language"),
                format!(
                    "language must be an ISO 639-1 code such as es, got {:?}",
                    self.language
                ),
            ));
        }
        Ok(Self {
            country,
            currency,
            language,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(country: &str, currency: &str, language: &str) -> MarketFields {
        MarketFields {
            country: country.into(),
            currency: currency.into(),
            language: language.into(),
        }
    }

    #[test]
    fn codes_are_normalised_and_checked() {
        let m = fields(" es", "eur", "ES").validated("input").unwrap();
        assert_eq!(m, fields("ES", "EUR", "es"));
        for (bad, field) in [
            (fields("ESP", "EUR", "es"), "input.country"),
            (fields("ES", "EURO", "es"), "input.currency"),
            (fields("ES", "EUR", "e1"), "input.language"),
        ] {
            assert!(
                matches!(bad.validated("input"), Err(ApiError::BadInput { field: f, .. }) if f == field)
            );
        }
    }
}
