//! Dashboard figures: ratios derived from summed totals (never stored, so
//! they cannot disagree with the totals), and the ranking of campaigns.

use chrono::NaiveDate;
use promptsales_kit::{ApiError, ApiResult, Decimal4};

use crate::store::results::{CampaignTotals, Totals};

/// The longest period a dashboard covers, in days.
pub const MAX_PERIOD_DAYS: i64 = 800;

/// Derived figures of some totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kpis {
    /// The totals they come from.
    pub totals: Totals,
    /// Customers won per lead.
    pub conversion_rate: Option<f64>,
    /// (revenue - spend) / spend.
    pub roi: Option<f64>,
    /// Clicks per impression.
    pub ctr: Option<f64>,
    /// Spend per lead.
    pub cost_per_lead: Option<Decimal4>,
    /// Spend per customer won.
    pub cost_per_acquisition: Option<Decimal4>,
}

/// The derived figures of `totals`; `None` where the divisor is zero.
pub fn kpis(totals: Totals) -> Kpis {
    let ratio = |a: i64, b: i64| (b != 0).then(|| a as f64 / b as f64);
    Kpis {
        totals,
        conversion_rate: ratio(totals.customers, totals.leads),
        roi: Decimal4(totals.revenue.raw() - totals.spend.raw()).ratio(totals.spend),
        ctr: ratio(totals.clicks, totals.impressions),
        cost_per_lead: totals.spend.per(totals.leads),
        cost_per_acquisition: totals.spend.per(totals.customers),
    }
}

/// The sum of campaigns' totals.
pub fn sum(campaigns: &[CampaignTotals]) -> Totals {
    campaigns.iter().fold(Totals::default(), |mut acc, c| {
        let t = c.totals;
        acc.spend = Decimal4(acc.spend.raw().saturating_add(t.spend.raw()));
        acc.revenue = Decimal4(acc.revenue.raw().saturating_add(t.revenue.raw()));
        acc.impressions += t.impressions;
        acc.clicks += t.clicks;
        acc.conversions += t.conversions;
        acc.leads += t.leads;
        acc.customers += t.customers;
        acc
    })
}

/// The `n` best campaigns: highest ROI first (campaigns that spent nothing last), then revenue.
pub fn best(mut campaigns: Vec<CampaignTotals>, n: usize) -> Vec<CampaignTotals> {
    campaigns.sort_by(|a, b| {
        let (ra, rb) = (kpis(a.totals).roi, kpis(b.totals).roi);
        rb.unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&ra.unwrap_or(f64::NEG_INFINITY))
            .then(b.totals.revenue.cmp(&a.totals.revenue))
            .then(a.campaign_id.cmp(&b.campaign_id))
    });
    campaigns.truncate(n);
    campaigns
}

/// Checks a dashboard period.
pub fn period(from: NaiveDate, to: NaiveDate) -> ApiResult<()> {
    if to < from {
        return Err(ApiError::bad_input(
            "to",
            format!("to ({to}) is before from ({from})"),
        ));
    }
    if (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(ApiError::bad_input(
            "to",
            format!("a period is at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn totals(spend: i64, revenue: i64, leads: i64, customers: i64) -> Totals {
        Totals {
            spend: Decimal4::from_units(spend),
            revenue: Decimal4::from_units(revenue),
            leads,
            customers,
            impressions: 1_000,
            clicks: 20,
            conversions: customers,
        }
    }

    #[test]
    fn ratios_come_from_the_totals_and_never_divide_by_zero() {
        let k = kpis(totals(1_000, 3_000, 50, 5));
        assert_eq!(k.roi, Some(2.0));
        assert_eq!(k.conversion_rate, Some(0.1));
        assert_eq!(k.cost_per_lead, Some(Decimal4::from_units(20)));
        assert_eq!(k.cost_per_acquisition, Some(Decimal4::from_units(200)));
        assert_eq!(k.ctr, Some(0.02));
        let none = kpis(Totals::default());
        assert_eq!(
            (none.roi, none.conversion_rate, none.cost_per_lead),
            (None, None, None)
        );
    }

    #[test]
    fn the_best_campaigns_return_most_per_unit_spent() {
        let c = |n: u128, t| CampaignTotals {
            campaign_id: Uuid::from_u128(n),
            totals: t,
        };
        let ranked = best(
            vec![
                c(1, totals(100, 150, 1, 1)),
                c(2, totals(0, 0, 0, 0)),
                c(3, totals(100, 400, 1, 1)),
            ],
            2,
        );
        assert_eq!(
            ranked
                .iter()
                .map(|c| c.campaign_id.as_u128())
                .collect::<Vec<_>>(),
            [3, 1]
        );
        let all = sum(&[c(1, totals(100, 150, 1, 1)), c(3, totals(100, 400, 2, 1))]);
        assert_eq!((all.spend, all.leads), (Decimal4::from_units(200), 3));
        assert!(period(NaiveDate::MIN, NaiveDate::MAX).is_err());
    }
}
