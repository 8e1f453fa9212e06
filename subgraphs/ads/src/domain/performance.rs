//! Delivery figures (one day of one ad, or a sum) and the ratios derived from them.
//!
//! Ratios are computed on read and never stored, so they can never disagree
//! with the counts they come from.

use promptsales_kit::{ApiError, Decimal4};

/// Counts and money of ad delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Performance {
    /// Times the ad was shown.
    pub impressions: i64,
    /// People reached (daily reach; sums over days are not de-duplicated).
    pub reach: i64,
    /// Clicks.
    pub clicks: i64,
    /// Likes, shares, comments, saves, video views...
    pub engagement: i64,
    /// Money spent, in the market's currency.
    pub spend: Decimal4,
    /// Conversions attributed to the ad.
    pub conversions: i64,
    /// Value of those conversions, in the market's currency.
    pub conversion_value: Decimal4,
}

impl Performance {
    /// Click-through rate: clicks / impressions; `None` without impressions.
    pub fn ctr(&self) -> Option<f64> {
        (self.impressions != 0).then(|| self.clicks as f64 / self.impressions as f64)
    }

    /// Cost per click: spend / clicks; `None` without clicks.
    pub fn cpc(&self) -> Option<Decimal4> {
        self.spend.per(self.clicks)
    }

    /// Cost per acquisition: spend / conversions; `None` without conversions.
    pub fn cpa(&self) -> Option<Decimal4> {
        self.spend.per(self.conversions)
    }

    /// Return on ad spend: conversion value / spend; `None` without spend.
    pub fn roas(&self) -> Option<f64> {
        self.conversion_value.ratio(self.spend)
    }

    /// Checks figures reported for one day, naming fields under `prefix` (`input`).
    pub fn validate_day(&self, prefix: &str) -> Result<(), ApiError> {
        let field = |name: &str| format!("{prefix}.{name}");
        for (name, value) in [
            ("impressions", self.impressions),
            ("reach", self.reach),
            ("clicks", self.clicks),
            ("engagement", self.engagement),
            ("conversions", self.conversions),
            ("spend", self.spend.raw()),
            ("conversionValue", self.conversion_value.raw()),
        ] {
            if value < 0 {
                return Err(ApiError::bad_input(
                    field(name),
                    format!("{name} must be zero or more"),
                ));
            }
        }
        if self.clicks > self.impressions {
            return Err(ApiError::bad_input(
                field("clicks"),
                format!(
                    "clicks ({}) cannot exceed impressions ({})",
                    self.clicks, self.impressions
                ),
            ));
        }
        if self.reach > self.impressions {
            return Err(ApiError::bad_input(
                field("reach"),
                format!(
                    "reach ({}) cannot exceed impressions ({})",
                    self.reach, self.impressions
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Performance {
        Performance {
            impressions: 10_000,
            reach: 8_000,
            clicks: 150,
            engagement: 400,
            spend: Decimal4::from_units(75),
            conversions: 6,
            conversion_value: Decimal4::from_units(300),
        }
    }

    #[test]
    fn ratios_are_derived_and_absent_when_the_denominator_is_zero() {
        let p = day();
        assert_eq!(p.ctr(), Some(0.015));
        assert_eq!(p.cpc(), Some(Decimal4(5_000)));
        assert_eq!(p.cpa(), Some(Decimal4(125_000)));
        assert_eq!(p.roas(), Some(4.0));
        let zero = Performance::default();
        assert_eq!(
            (zero.ctr(), zero.cpc(), zero.cpa(), zero.roas()),
            (None, None, None, None)
        );
    }

    #[test]
    fn a_day_is_refused_when_it_cannot_be_true() {
        assert!(day().validate_day("input").is_ok());
        let more_clicks = Performance {
            clicks: 10_001,
            ..day()
        };
        assert!(matches!(
            more_clicks.validate_day("input"),
            Err(ApiError::BadInput { field, .. }) if field == "input.clicks"
        ));
        let negative = Performance {
            spend: Decimal4(-1),
            ..day()
        };
        assert!(matches!(
            negative.validate_day("input"),
            Err(ApiError::BadInput { field, .. }) if field == "input.spend"
        ));
    }
}
