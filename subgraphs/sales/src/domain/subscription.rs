//! Plans, subscriptions and usage against plan limits.
//!
//! A plan covers one subsystem or all of them, bills monthly or yearly and
//! may start with a trial. Its features are limits (at most N at a time,
//! such as active campaigns), quotas (at most N per billing period, such as
//! AI generations per month) or flags. An organization's limit for a feature
//! is the highest among its live (trial or active) subscriptions' plans; a
//! feature no live plan names is not limited.

use promptsales_kit::StrEnum;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, Utc};
use promptsales_kit::{ApiError, ApiResult};

use super::error::{PortalError, PortalResult};

/// What a plan covers.
pub const PLAN_SUBSYSTEMS: [&str; 4] = ["content", "ads", "crm", "all"];

/// The feature limiting campaigns running at once.
pub const ACTIVE_CAMPAIGNS: &str = "active_campaigns";
/// The feature the content subgraph enforces (read from Redis `plan:{org}`).
pub const AI_GENERATIONS_PER_MONTH: &str = "ai_generations_per_month";

/// How often a plan bills.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingCycle {
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

impl BillingCycle {
    /// The end of a period that starts at `start`.
    pub fn period_end(self, start: DateTime<Utc>) -> DateTime<Utc> {
        let months = match self {
            Self::Monthly => Months::new(1),
            Self::Yearly => Months::new(12),
        };
        start.checked_add_months(months).unwrap_or(start)
    }
}

/// What kind of feature.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeatureKind {
    /// At most `value` at a time.
    Limit,
    /// On (1) or off (0).
    Boolean,
    /// At most `value` per billing period.
    Quota,
}

/// Where a subscription stands.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    /// Trying the plan for free.
    Trial,
    /// Paying.
    Active,
    /// Stopped by the customer.
    Cancelled,
    /// Ran out without renewal.
    Expired,
}

impl SubscriptionStatus {
    /// Whether it grants its plan's features.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Trial | Self::Active)
    }
}

/// The dates and status of a subscription's current period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Its status.
    pub status: SubscriptionStatus,
    /// When the current period started.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// When the trial ends, if it is one.
    pub trial_ends_at: Option<DateTime<Utc>>,
}

/// The first period of a new subscription: a trial of `trial_days` when asked and offered.
pub fn subscribe(
    cycle: BillingCycle,
    trial_days: i32,
    with_trial: bool,
    now: DateTime<Utc>,
) -> Period {
    if with_trial && trial_days > 0 {
        let end = now + Duration::days(i64::from(trial_days));
        return Period {
            status: SubscriptionStatus::Trial,
            start: now,
            end,
            trial_ends_at: Some(end),
        };
    }
    Period {
        status: SubscriptionStatus::Active,
        start: now,
        end: cycle.period_end(now),
        trial_ends_at: None,
    }
}

/// The next period: a live subscription renews from the end of the current one (a trial
/// becomes active); a cancelled or expired one cannot be renewed.
pub fn renew(current: Period, cycle: BillingCycle) -> PortalResult<Period> {
    if !current.status.is_live() {
        return Err(ApiError::Conflict(format!(
            "a {} subscription cannot be renewed; subscribe again",
            current.status.as_str()
        ))
        .into());
    }
    Ok(Period {
        status: SubscriptionStatus::Active,
        start: current.end,
        end: cycle.period_end(current.end),
        trial_ends_at: None,
    })
}

/// Cancelling: only a live subscription.
pub fn cancel(status: SubscriptionStatus) -> PortalResult<SubscriptionStatus> {
    if !status.is_live() {
        return Err(
            ApiError::Conflict(format!("the subscription is already {}", status.as_str())).into(),
        );
    }
    Ok(SubscriptionStatus::Cancelled)
}

/// What a live subscription becomes at `now`: expired past its end unless it renews itself.
pub fn at(period: Period, auto_renew: bool, now: DateTime<Utc>) -> SubscriptionStatus {
    if period.status.is_live() && now >= period.end && !auto_renew {
        SubscriptionStatus::Expired
    } else {
        period.status
    }
}

/// One feature of a live plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFeature {
    /// The feature's name: 1 to 64 of a-z, 0-9 and `_` ([`feature_name`]).
    pub name: String,
    /// What kind.
    pub kind: FeatureKind,
    /// Its value.
    pub value: i64,
}

/// The organization's limit per feature: the highest among its live plans.
pub fn effective_limits(features: &[LiveFeature]) -> BTreeMap<String, i64> {
    let mut limits = BTreeMap::new();
    for f in features {
        let entry = limits.entry(f.name.clone()).or_insert(f.value);
        *entry = (*entry).max(f.value);
    }
    limits
}

/// Refuses going from `used` to `used + adding` over `limit` with `PLAN_LIMIT_REACHED`.
pub fn check_limit(feature: &str, limit: Option<i64>, used: i64, adding: i64) -> PortalResult<()> {
    match limit {
        Some(limit) if used.saturating_add(adding) > limit => Err(PortalError::PlanLimitReached {
            feature: feature.to_string(),
            limit,
            used,
        }),
        _ => Ok(()),
    }
}

/// A feature name: lower-case letters, digits and underscores.
pub fn feature_name(field: &str, name: &str) -> ApiResult<String> {
    let name = name.trim().to_lowercase();
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ApiError::bad_input(
            field,
            "a feature name is 1 to 64 of a-z, 0-9 and _",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-31T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn trials_then_renewals_then_the_end() {
        let trial = subscribe(BillingCycle::Monthly, 14, true, now());
        assert_eq!(trial.status, SubscriptionStatus::Trial);
        assert_eq!(trial.end - trial.start, Duration::days(14));
        let no_trial = subscribe(BillingCycle::Monthly, 14, false, now());
        assert_eq!(no_trial.status, SubscriptionStatus::Active);
        assert_eq!(
            no_trial.end.to_rfc3339(),
            "2026-02-28T10:00:00+00:00",
            "month ends clamp"
        );
        let renewed = renew(trial, BillingCycle::Yearly).expect("live");
        assert_eq!(
            (renewed.status, renewed.start),
            (SubscriptionStatus::Active, trial.end)
        );
        assert_eq!(
            renewed.end,
            trial
                .end
                .checked_add_months(Months::new(12))
                .unwrap_or_default()
        );
        assert_eq!(
            cancel(SubscriptionStatus::Active).ok(),
            Some(SubscriptionStatus::Cancelled)
        );
        assert_eq!(
            cancel(SubscriptionStatus::Cancelled).map_err(|e| e.code()),
            Err("CONFLICT")
        );
        let cancelled = Period {
            status: SubscriptionStatus::Cancelled,
            ..renewed
        };
        assert_eq!(
            renew(cancelled, BillingCycle::Monthly).map_err(|e| e.code()),
            Err("CONFLICT")
        );
        assert_eq!(
            at(no_trial, false, no_trial.end),
            SubscriptionStatus::Expired
        );
        assert_eq!(at(no_trial, true, no_trial.end), SubscriptionStatus::Active);
        assert_eq!(
            at(no_trial, false, no_trial.start),
            SubscriptionStatus::Active
        );
    }

    #[test]
    fn the_highest_live_limit_counts_and_going_over_is_refused() {
        let f = |name: &str, value| LiveFeature {
            name: name.into(),
            kind: FeatureKind::Limit,
            value,
        };
        let limits = effective_limits(&[
            f(ACTIVE_CAMPAIGNS, 3),
            f(ACTIVE_CAMPAIGNS, 10),
            f("users", 5),
        ]);
        assert_eq!(limits.get(ACTIVE_CAMPAIGNS), Some(&10));
        assert!(check_limit(ACTIVE_CAMPAIGNS, Some(10), 9, 1).is_ok());
        let over = check_limit(ACTIVE_CAMPAIGNS, Some(10), 10, 1);
        assert_eq!(over.map_err(|e| e.code()), Err("PLAN_LIMIT_REACHED"));
        assert!(
            check_limit("anything", None, 1_000, 1).is_ok(),
            "unnamed features are unlimited"
        );
        assert!(feature_name("f", "AI_Generations_per_month").is_ok());
        assert!(feature_name("f", "bad name").is_err());
    }
}
