//! Budget re-allocation: move daily budget toward the channels whose next unit
//! of spend returns the most.
//!
//! The marginal return of a channel is the slope of its daily conversion value
//! against its daily spend (least squares over the period's days): what one
//! more unit spent there brought on the days it was spent. With fewer than
//! three days, or spend that never varied, the slope is unknown and the
//! channel's average return (ROAS) stands in for it, which the reasoning says.

use promptsales_kit::Decimal4;

use super::AdChannel;

/// Share of a donor channel's daily budget a suggestion moves.
pub const SHIFT_PERCENT: i64 = 20;
/// Days needed before a slope is trusted.
pub const MIN_DAYS_FOR_SLOPE: usize = 3;

/// One channel's period: its daily (spend, conversion value) and its current daily budget.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelHistory {
    /// The channel.
    pub channel: AdChannel,
    /// Summed over its ads, one entry per day with figures.
    pub days: Vec<(Decimal4, Decimal4)>,
    /// The daily budget of its live ads (scheduled, running, paused).
    pub daily_budget: Decimal4,
}

/// How a channel's return was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnBasis {
    /// The slope of value against spend.
    Slope,
    /// The average return (too few days, or constant spend).
    Average,
    /// Nothing was spent: unknown.
    Unknown,
}

/// One channel in a suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelAllocation {
    /// The channel.
    pub channel: AdChannel,
    /// Its daily budget now.
    pub current_daily_budget: Decimal4,
    /// The daily budget suggested.
    pub suggested_daily_budget: Decimal4,
    /// Conversion value per extra unit of spend (see `basis`); `None` when unknown.
    pub marginal_return: Option<f64>,
    /// Conversion value per unit spent over the period; `None` without spend.
    pub average_return: Option<f64>,
    /// How `marginal_return` was estimated.
    pub basis: ReturnBasis,
}

/// A suggestion: per channel, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationSuggestion {
    /// Every channel considered, best marginal return first.
    pub channels: Vec<ChannelAllocation>,
    /// The daily budget moved in total.
    pub moved: Decimal4,
    /// The reasoning, in words.
    pub reasoning: String,
}

fn slope(days: &[(Decimal4, Decimal4)]) -> Option<f64> {
    if days.len() < MIN_DAYS_FOR_SLOPE {
        return None;
    }
    let n = days.len() as f64;
    let xs: Vec<f64> = days.iter().map(|(s, _)| s.0 as f64).collect();
    let ys: Vec<f64> = days.iter().map(|(_, v)| v.0 as f64).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx <= f64::EPSILON {
        return None;
    }
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    Some(sxy / sxx)
}

fn estimate(history: &ChannelHistory) -> (Option<f64>, Option<f64>, ReturnBasis) {
    let spend: i64 = history.days.iter().map(|(s, _)| s.0).sum();
    let value: i64 = history.days.iter().map(|(_, v)| v.0).sum();
    let average = Decimal4(value).ratio(Decimal4(spend));
    match (slope(&history.days), average) {
        (Some(s), _) => (Some(s), average, ReturnBasis::Slope),
        (None, Some(a)) => (Some(a), average, ReturnBasis::Average),
        (None, None) => (None, None, ReturnBasis::Unknown),
    }
}

fn fmt_return(r: Option<f64>) -> String {
    r.map_or_else(|| "unknown".to_string(), |r| format!("{r:.2}"))
}

/// Suggests moving [`SHIFT_PERCENT`] of the daily budget of every channel whose
/// marginal return is below the mean of the known ones to the best channel.
pub fn suggest(histories: &[ChannelHistory], currency: &str) -> AllocationSuggestion {
    let mut channels: Vec<ChannelAllocation> = histories
        .iter()
        .map(|h| {
            let (marginal, average, basis) = estimate(h);
            ChannelAllocation {
                channel: h.channel,
                current_daily_budget: h.daily_budget,
                suggested_daily_budget: h.daily_budget,
                marginal_return: marginal,
                average_return: average,
                basis,
            }
        })
        .collect();
    // Best first; unknown last; ties by channel so the answer is stable.
    channels.sort_by(|a, b| {
        let key = |c: &ChannelAllocation| c.marginal_return.unwrap_or(f64::NEG_INFINITY);
        key(b)
            .total_cmp(&key(a))
            .then_with(|| a.channel.cmp(&b.channel))
    });
    let known: Vec<f64> = channels.iter().filter_map(|c| c.marginal_return).collect();
    if known.len() < 2 {
        return AllocationSuggestion {
            channels,
            moved: Decimal4::ZERO,
            reasoning: "Keep the budgets as they are: fewer than two channels have spent in this \
                        period, so there is nothing to compare."
                .to_string(),
        };
    }
    let mean = known.iter().sum::<f64>() / known.len() as f64;
    let best = channels[0].channel;
    let mut moved = Decimal4::ZERO;
    let mut donors = Vec::new();
    for c in channels.iter_mut().skip(1) {
        let Some(r) = c.marginal_return else { continue };
        if r < mean && c.current_daily_budget.0 > 0 {
            // Whole cents, so the suggestion reads as money and sums exactly.
            let shift = Decimal4(c.current_daily_budget.0 * SHIFT_PERCENT / 100 / 100 * 100);
            c.suggested_daily_budget = Decimal4(c.current_daily_budget.0 - shift.0);
            moved = Decimal4(moved.0 + shift.0);
            donors.push(format!(
                "{} ({}, -{} {currency}/day)",
                c.channel.code(),
                fmt_return(c.marginal_return),
                shift
            ));
        }
    }
    channels[0].suggested_daily_budget = Decimal4(channels[0].current_daily_budget.0 + moved.0);
    let head = &channels[0];
    let basis = |c: &ChannelAllocation| match c.basis {
        ReturnBasis::Slope => "slope of daily conversion value against spend",
        ReturnBasis::Average => "average return, too few varied days for a slope",
        ReturnBasis::Unknown => "unknown",
    };
    let reasoning = if donors.is_empty() || moved.0 == 0 {
        format!(
            "Keep the budgets as they are: {} returns the most per extra unit spent ({}, {}), \
             but no other channel with a budget returns less than the mean ({mean:.2}).",
            best.code(),
            fmt_return(head.marginal_return),
            basis(head)
        )
    } else {
        format!(
            "Move {moved} {currency}/day to {}: it returns {} per extra unit spent ({}), the best \
             of {} channels (mean {mean:.2}). Taken from the channels below the mean, {SHIFT_PERCENT}% \
             of each one's daily budget: {}.",
            best.code(),
            fmt_return(head.marginal_return),
            basis(head),
            known.len(),
            donors.join(", ")
        )
    };
    AllocationSuggestion {
        channels,
        moved,
        reasoning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(units: i64) -> Decimal4 {
        Decimal4::from_units(units)
    }

    #[test]
    fn the_slope_is_the_marginal_return_and_budget_moves_to_the_best() {
        // Google: value = 5 x spend + 10 -> slope 5. Email: value = 1 x spend -> 1.
        // Facebook: 2 days only -> average 3.0 stands in.
        let google = ChannelHistory {
            channel: AdChannel::Google,
            days: vec![(d(10), d(60)), (d(20), d(110)), (d(30), d(160))],
            daily_budget: d(100),
        };
        let email = ChannelHistory {
            channel: AdChannel::Email,
            days: vec![(d(10), d(10)), (d(20), d(20)), (d(40), d(40))],
            daily_budget: d(50),
        };
        let facebook = ChannelHistory {
            channel: AdChannel::Facebook,
            days: vec![(d(10), d(30)), (d(10), d(30))],
            daily_budget: d(80),
        };
        let s = suggest(&[email, facebook, google], "EUR");
        let order: Vec<_> = s.channels.iter().map(|c| c.channel).collect();
        assert_eq!(
            order,
            [AdChannel::Google, AdChannel::Facebook, AdChannel::Email]
        );
        let g = &s.channels[0];
        assert!((g.marginal_return.unwrap() - 5.0).abs() < 1e-9);
        assert_eq!(g.basis, ReturnBasis::Slope);
        assert_eq!(s.channels[1].basis, ReturnBasis::Average);
        // Mean of 5, 3, 1 is 3: only email (1) is below; 20% of 50 = 10 moves to google.
        assert_eq!(s.moved, d(10));
        assert_eq!(s.channels[0].suggested_daily_budget, d(110));
        assert_eq!(s.channels[1].suggested_daily_budget, d(80));
        assert_eq!(s.channels[2].suggested_daily_budget, d(40));
        assert!(
            s.reasoning.contains("Move 10.00 EUR/day to google"),
            "{}",
            s.reasoning
        );
        assert!(s.reasoning.contains("email (1.00"), "{}", s.reasoning);
    }

    #[test]
    fn one_channel_is_nothing_to_compare() {
        let only = ChannelHistory {
            channel: AdChannel::Google,
            days: vec![(d(10), d(60))],
            daily_budget: d(100),
        };
        let silent = ChannelHistory {
            channel: AdChannel::Sms,
            days: vec![],
            daily_budget: d(100),
        };
        let s = suggest(&[only, silent], "EUR");
        assert_eq!(s.moved, Decimal4::ZERO);
        assert_eq!(s.channels[1].basis, ReturnBasis::Unknown);
        assert!(s.reasoning.starts_with("Keep the budgets"));
    }
}
