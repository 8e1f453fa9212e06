//! Converting source money into a campaign's currency.
//!
//! Reference rates per euro, from a small built-in table that
//! `PROMPTSALES_ETL_RATES` (`USD=1.08,GBP=0.85`) overrides or extends. Money in a
//! currency the table lacks cannot be converted: the row is recorded as failed.
//! Same-currency amounts are never touched, so they stay exact.

use std::collections::HashMap;

/// The environment variable of the rates.
pub const RATES_VAR: &str = "PROMPTSALES_ETL_RATES";

/// Units of each currency per euro, in millionths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rates(HashMap<String, i128>);

const BUILT_IN: [(&str, f64); 10] = [
    ("EUR", 1.0),
    ("USD", 1.08),
    ("GBP", 0.85),
    ("CAD", 1.47),
    ("MXN", 18.5),
    ("BRL", 5.4),
    ("CHF", 0.95),
    ("AUD", 1.65),
    ("JPY", 160.0),
    ("COP", 4_300.0),
];

/// Why rates could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{RATES_VAR}: {0}")]
pub struct RatesError(String);

fn millionths(rate: f64) -> i128 {
    (rate * 1_000_000.0).round() as i128
}

impl Default for Rates {
    fn default() -> Self {
        Self(
            BUILT_IN
                .iter()
                .map(|(c, r)| (c.to_string(), millionths(*r)))
                .collect(),
        )
    }
}

impl Rates {
    /// The built-in table with `spec` (`CODE=rate,...`) applied.
    pub fn parse(spec: &str) -> Result<Self, RatesError> {
        let mut rates = Self::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (code, rate) = item
                .split_once('=')
                .ok_or_else(|| RatesError(format!("{item:?} is not CODE=rate")))?;
            let rate: f64 = rate
                .trim()
                .parse()
                .map_err(|_| RatesError(format!("{item:?} has no number")))?;
            if !(rate.is_finite() && rate > 0.0) {
                return Err(RatesError(format!("{item:?} is not a positive rate")));
            }
            rates
                .0
                .insert(code.trim().to_ascii_uppercase(), millionths(rate));
        }
        Ok(rates)
    }

    /// From `PROMPTSALES_ETL_RATES` (the built-in table when unset).
    pub fn from_env() -> Result<Self, RatesError> {
        Self::parse(&std::env::var(RATES_VAR).unwrap_or_default())
    }

    /// `raw` (ten-thousandths of `from`) in ten-thousandths of `to`; `None` when either is unknown.
    pub fn convert(&self, raw: i64, from: &str, to: &str) -> Option<i64> {
        if from.eq_ignore_ascii_case(to) {
            return Some(raw);
        }
        let (f, t) = (
            self.0.get(&from.to_ascii_uppercase())?,
            self.0.get(&to.to_ascii_uppercase())?,
        );
        let value = i128::from(raw) * t;
        // Rounded half away from zero.
        let half = f / 2;
        let rounded = if value >= 0 {
            (value + half) / f
        } else {
            (value - half) / f
        };
        i64::try_from(rounded).ok()
    }

    /// Whether `from` can be converted to `to`.
    pub fn can_convert(&self, from: &str, to: &str) -> bool {
        self.convert(0, from, to).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_currency_is_exact_and_others_go_through_the_euro() {
        let rates = Rates::default();
        assert_eq!(rates.convert(123_456_789, "EUR", "EUR"), Some(123_456_789));
        assert_eq!(rates.convert(1_080_000, "USD", "EUR"), Some(1_000_000));
        assert_eq!(rates.convert(1_000_000, "EUR", "GBP"), Some(850_000));
        assert_eq!(rates.convert(1, "XXX", "EUR"), None);
        let custom = Rates::parse("XXX=2, usd=1.5").unwrap();
        assert_eq!(custom.convert(20_000, "XXX", "USD"), Some(15_000));
        assert!(Rates::parse("USD").is_err());
        assert!(Rates::parse("USD=-1").is_err());
    }
}
