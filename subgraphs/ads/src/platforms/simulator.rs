//! The simulator platform: no network, plausible figures that depend only on
//! the ad's id there and the day, so demos and load tests repeat exactly.

use async_trait::async_trait;
use chrono::NaiveDate;
use promptsales_kit::Decimal4;

use super::{AdPlatform, PlatformDay, PlatformError};
use crate::domain::Performance;
use crate::store::Ad;

/// The longest range one pull returns (a year), so a wide range cannot make it spin.
const MAX_DAYS: i64 = 366;

/// A pretend ad platform (named `simulator`) for demos and load tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulatorPlatform;

/// SplitMix64 over an FNV-1a hash of the inputs: fast, well spread, deterministic.
fn seed(external_id: &str, day: NaiveDate) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in external_id.bytes().chain(day.to_string().into_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn range(state: &mut u64, low: i64, high: i64) -> i64 {
    let span = (high - low + 1).max(1) as u64;
    low + (next(state) % span) as i64
}

/// One simulated day: CTR 0.5-3 %, conversions 1-6 % of clicks, CPC 0.30-2.50.
pub fn simulated_day(external_id: &str, day: NaiveDate) -> Performance {
    let mut s = seed(external_id, day);
    let impressions = range(&mut s, 2_000, 30_000);
    let reach = impressions * range(&mut s, 55, 90) / 100;
    let clicks = impressions * range(&mut s, 50, 300) / 10_000;
    let engagement = clicks * range(&mut s, 150, 400) / 100;
    // Whole cents.
    let spend = clicks * range(&mut s, 30, 250) * 100;
    let conversions = clicks * range(&mut s, 100, 600) / 10_000;
    let conversion_value = conversions * range(&mut s, 40, 150) * 10_000;
    Performance {
        impressions,
        reach,
        clicks,
        engagement,
        spend: Decimal4(spend),
        conversions,
        conversion_value: Decimal4(conversion_value),
    }
}

#[async_trait]
impl AdPlatform for SimulatorPlatform {
    fn name(&self) -> &'static str {
        "simulator"
    }

    async fn publish(&self, ad: &Ad) -> Result<String, PlatformError> {
        Ok(format!("sim-{}", ad.id.simple()))
    }

    async fn pause(&self, _external_id: &str) -> Result<(), PlatformError> {
        Ok(())
    }

    async fn pull_metrics(
        &self,
        external_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PlatformDay>, PlatformError> {
        let days = (to - from).num_days().clamp(-1, MAX_DAYS - 1) + 1;
        Ok((0..days)
            .map(|d| {
                let day = from + chrono::Duration::days(d);
                PlatformDay {
                    day,
                    performance: simulated_day(external_id, day),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_simulator_is_deterministic_and_plausible() {
        let from = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 10, 30).unwrap();
        let a = SimulatorPlatform
            .pull_metrics("sim-1", from, to)
            .await
            .unwrap();
        let b = SimulatorPlatform
            .pull_metrics("sim-1", from, to)
            .await
            .unwrap();
        let other = SimulatorPlatform
            .pull_metrics("sim-2", from, to)
            .await
            .unwrap();
        assert_eq!(a.len(), 30);
        assert_eq!(a, b);
        assert_ne!(a, other);
        for d in &a {
            d.performance.validate_day("sim").unwrap();
            let ctr = d.performance.ctr().unwrap();
            assert!((0.004..=0.031).contains(&ctr), "ctr {ctr}");
            assert!(d.performance.conversions <= d.performance.clicks);
        }
        assert!(
            SimulatorPlatform
                .pull_metrics("x", to, from)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
