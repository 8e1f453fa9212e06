//! Money and other exact decimals: an integer count of ten-thousandths.
//!
//! Four decimal places is SQL Server's `money` scale, enough for unit prices
//! and per-click costs; an `i64` of ten-thousandths reaches ±922 trillion.
//! Stored as a `BIGINT` in every store, so sums stay exact in SQL and the
//! embedded SQLite default never rounds through a float.

use std::fmt;
use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// Ten-thousandths per unit.
pub const SCALE: i64 = 10_000;

/// An exact decimal with four fractional digits; GraphQL scalar `Decimal` (a string such as `"1250.50"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal4(pub i64);

/// Why a decimal text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a plain decimal number.
    #[error(
        "{0:?} is not a decimal number (expected digits with an optional sign and point, e.g. \"1250.50\")"
    )]
    Syntax(String),
    /// More than four fractional digits: refused rather than silently rounded.
    #[error("{0:?} has more than 4 decimal places")]
    Precision(String),
    /// Outside the representable range.
    #[error("{0:?} is too large")]
    Overflow(String),
}

impl Decimal4 {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// A whole number of units.
    pub fn from_units(units: i64) -> Self {
        Self(units.saturating_mul(SCALE))
    }

    /// The raw count of ten-thousandths (what the stores keep).
    pub fn raw(self) -> i64 {
        self.0
    }

    /// True when below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self / other` as a float, for ratios (CTR, ROI) that are reported, never stored; `None` when dividing by zero.
    pub fn ratio(self, other: Self) -> Option<f64> {
        (other.0 != 0).then(|| self.0 as f64 / other.0 as f64)
    }

    /// Exact division by a count (cost per lead), rounded half away from zero to four places; `None` for zero.
    pub fn per(self, count: i64) -> Option<Self> {
        if count == 0 {
            return None;
        }
        let (q, r) = (self.0 / count, self.0 % count);
        let round = if 2 * r.abs() >= count.abs() {
            self.0.signum() * count.signum()
        } else {
            0
        };
        Some(Self(q + round))
    }

    /// Checked addition.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }
}

impl fmt::Display for Decimal4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let units = abs / SCALE as u64;
        let frac = abs % SCALE as u64;
        let mut frac_text = format!("{frac:04}");
        // Trailing zeros beyond the cents say nothing; "12.50" reads as money.
        while frac_text.len() > 2 && frac_text.ends_with('0') {
            frac_text.pop();
        }
        write!(f, "{sign}{units}.{frac_text}")
    }
}

impl FromStr for Decimal4 {
    type Err = DecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return Err(DecimalError::Syntax(text.to_string()));
        }
        if frac_part.len() > 4 {
            return Err(DecimalError::Precision(text.to_string()));
        }
        let overflow = || DecimalError::Overflow(text.to_string());
        let units: i64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| overflow())?
        };
        let frac: i64 = format!("{frac_part:0<4}")
            .parse()
            .map_err(|_| DecimalError::Syntax(text.to_string()))?;
        let raw = units
            .checked_mul(SCALE)
            .and_then(|v| v.checked_add(frac))
            .ok_or_else(overflow)?;
        Ok(Self(if negative { -raw } else { raw }))
    }
}

/// An exact decimal, sent and received as a string (`"1250.50"`); integers are accepted on input.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal4 {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .parse()
                .map_err(|e: DecimalError| InputValueError::custom(e.to_string())),
            Value::Number(n) if n.is_i64() => n
                .as_i64()
                .and_then(|units| units.checked_mul(SCALE))
                .map(Self)
                .ok_or_else(|| InputValueError::custom("the number is too large")),
            // A float literal is taken by its shortest text, which is what the client wrote.
            Value::Number(n) => n
                .to_string()
                .parse()
                .map_err(|e: DecimalError| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        for (text, raw, printed) in [
            ("1250.5", 12_505_000, "1250.50"),
            ("0.0001", 1, "0.0001"),
            ("-3", -30_000, "-3.00"),
            ("+7.25", 72_500, "7.25"),
            (".5", 5_000, "0.50"),
        ] {
            let d: Decimal4 = text.parse().unwrap();
            assert_eq!(d.raw(), raw, "{text}");
            assert_eq!(d.to_string(), printed, "{text}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_hold_exactly() {
        assert!(matches!(
            "1.23456".parse::<Decimal4>(),
            Err(DecimalError::Precision(_))
        ));
        assert!(matches!(
            "12a".parse::<Decimal4>(),
            Err(DecimalError::Syntax(_))
        ));
        assert!(matches!(
            "".parse::<Decimal4>(),
            Err(DecimalError::Syntax(_))
        ));
        assert!(matches!(
            "1e5".parse::<Decimal4>(),
            Err(DecimalError::Syntax(_))
        ));
        assert!(matches!(
            "99999999999999999999".parse::<Decimal4>(),
            Err(DecimalError::Overflow(_))
        ));
    }

    #[test]
    fn divides_with_rounding_half_away_from_zero() {
        assert_eq!(Decimal4::from_units(10).per(3), Some(Decimal4(33_333)));
        assert_eq!(Decimal4(5).per(2), Some(Decimal4(3)));
        assert_eq!(Decimal4(-5).per(2), Some(Decimal4(-3)));
        assert_eq!(Decimal4::from_units(1).per(0), None);
    }
}

/// An amount with its currency (ISO 4217 code); the same shareable type in every subgraph.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
#[graphql(shareable)]
pub struct Money {
    /// The exact amount.
    pub amount: Decimal4,
    /// ISO 4217 currency code, e.g. `EUR`.
    pub currency: String,
}

/// Checks an ISO 4217-shaped currency code (three upper-case letters).
pub fn validate_currency(field: &str, code: &str) -> Result<(), crate::error::ApiError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(crate::error::ApiError::bad_input(
            field,
            format!("{field} must be a three-letter ISO 4217 code such as EUR, got {code:?}"),
        ))
    }
}
