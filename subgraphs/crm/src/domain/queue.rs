//! The agent queue's priority: purchase intent, value and waiting time.
//!
//! priority(t) = 60 * intent + 40 * value / (value + 1,000) + hours waiting at t
//!
//! Waiting time grows by one point per hour since the lead was last contacted
//! (or created), so a lead nobody answered rises until someone does. Because
//! that term is linear in time, the order of leads never depends on *when*
//! one looks: priority(t) = key + hours(t), with
//! key = 60 * intent + 40 * value / (value + 1,000) - hours(waiting since).
//! The store keeps `key` in an indexed column and orders by it; the priority
//! shown is `key + hours(now)`.

use chrono::{DateTime, Utc};
use promptsales_kit::Decimal4;

/// Points of a certain buyer (intent 1).
pub const INTENT_WEIGHT: f64 = 60.0;
/// Points of a very valuable deal (value far above [`VALUE_SCALE_UNITS`]).
pub const VALUE_WEIGHT: f64 = 40.0;
/// The deal value (currency units) worth half of [`VALUE_WEIGHT`].
pub const VALUE_SCALE_UNITS: f64 = 1_000.0;
/// Points per hour of waiting.
pub const POINTS_PER_HOUR: f64 = 1.0;

/// Hours since the Unix epoch.
pub fn hours(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 3_600_000.0
}

/// The time-independent part of a lead's priority: intent and value.
pub fn base_priority(intent: f64, value: Decimal4) -> f64 {
    let units = (value.raw().max(0) as f64) / 10_000.0;
    INTENT_WEIGHT * intent.clamp(0.0, 1.0) + VALUE_WEIGHT * units / (units + VALUE_SCALE_UNITS)
}

/// The stored ordering key of a lead waiting since `waiting_since`.
pub fn queue_key(intent: f64, value: Decimal4, waiting_since: DateTime<Utc>) -> f64 {
    base_priority(intent, value) - POINTS_PER_HOUR * hours(waiting_since)
}

/// A lead's priority at `now` from its stored key.
pub fn priority(key: f64, now: DateTime<Utc>) -> f64 {
    key + POINTS_PER_HOUR * hours(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn intent_value_and_waiting_all_raise_priority() {
        let now = Utc::now();
        let p = |intent, units, waited_hours| {
            priority(
                queue_key(
                    intent,
                    Decimal4::from_units(units),
                    now - Duration::hours(waited_hours),
                ),
                now,
            )
        };
        assert!(p(0.9, 0, 0) > p(0.1, 0, 0));
        assert!(p(0.5, 5_000, 0) > p(0.5, 10, 0));
        assert!(p(0.5, 0, 48) > p(0.5, 0, 1));
        assert!((p(1.0, 0, 0) - 60.0).abs() < 1e-6);
        assert!((p(0.0, 1_000, 0) - 20.0).abs() < 1e-6);
        assert!((p(0.0, 0, 10) - 10.0).abs() < 1e-3);
    }
}
