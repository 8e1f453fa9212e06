//! A campaign's budget, by one formula that every subgraph uses.
//!
//! For a campaign of budget `total` whose ads are `a1..an`:
//!
//! ```text
//! plan(a)      = a.dailyBudget x (a.endDate - a.startDate + 1)      while a is launched
//!                (SCHEDULED, RUNNING or PAUSED); 0 for a DRAFT or ENDED ad
//! spent(a)     = the spend the ads subgraph recorded for a (every day)
//! spent        = sum of spent(a)                                    (what was paid)
//! committed    = sum of max(plan(a), spent(a))                      (what the ads will have cost)
//! available    = total - committed   = total - max(committed plan, spent so far), ad by ad
//! ```
//!
//! A launch or publication that adds `extra` to `committed` is allowed only while
//! `extra <= available`; otherwise it is refused naming the shortfall `extra - available`.
//! Counting `max(plan, spent)` per ad never subtracts the same spend twice (from the
//! commitment and from the total) and still counts an overspending ad at what it spent.

use chrono::NaiveDate;

use crate::Decimal4;

/// What an ad may spend over its whole run: daily budget x days; `None` on overflow.
pub fn planned_spend(daily_budget: Decimal4, start: NaiveDate, end: NaiveDate) -> Option<Decimal4> {
    let days = (end - start).num_days().checked_add(1)?.max(0);
    daily_budget.0.checked_mul(days).map(Decimal4)
}

/// One ad as the budget sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdLine {
    /// Its plan while it is launched (SCHEDULED, RUNNING, PAUSED); zero otherwise.
    pub plan: Decimal4,
    /// What it spent so far (recorded by ads).
    pub spent: Decimal4,
}

impl AdLine {
    /// What this ad counts against the budget: `max(plan, spent)`.
    pub fn commitment(self) -> Decimal4 {
        self.plan.max(self.spent)
    }
}

/// A campaign's budget figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetFigures {
    /// The campaign's budget.
    pub total: Decimal4,
    /// What its ads spent.
    pub spent: Decimal4,
    /// What its ads will have cost (launched plans, or more when they spent more).
    pub committed: Decimal4,
    /// `total - committed` (negative when overcommitted).
    pub available: Decimal4,
}

/// The figures of a campaign of budget `total` with these ads (the module's formula).
pub fn figures(total: Decimal4, ads: impl IntoIterator<Item = AdLine>) -> BudgetFigures {
    let (mut spent, mut committed) = (0i64, 0i64);
    for ad in ads {
        spent = spent.saturating_add(ad.spent.0);
        committed = committed.saturating_add(ad.commitment().0);
    }
    BudgetFigures {
        total,
        spent: Decimal4(spent),
        committed: Decimal4(committed),
        available: Decimal4(total.0.saturating_sub(committed)),
    }
}

/// By how much adding `extra` to the commitments would exceed the budget; `None` when it fits.
pub fn shortfall(figures: &BudgetFigures, extra: Decimal4) -> Option<Decimal4> {
    let over = extra.0.saturating_sub(figures.available.0);
    (over > 0).then_some(Decimal4(over))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: i64) -> Decimal4 {
        Decimal4::from_units(n)
    }

    #[test]
    fn spend_is_never_subtracted_twice() {
        // The issue's case: two 40/day ads over 100 days and 199.40 spent on an 8,000 budget.
        let spent = Decimal4(1_994_000);
        let ads = [
            AdLine {
                plan: units(4_000),
                spent,
            },
            AdLine {
                plan: units(4_000),
                spent: Decimal4::ZERO,
            },
        ];
        let f = figures(units(8_000), ads);
        assert_eq!(f.spent, spent);
        assert_eq!(f.committed, units(8_000));
        assert_eq!(f.available, Decimal4::ZERO);
        assert_eq!(shortfall(&f, units(90)), Some(units(90)));
        assert_eq!(shortfall(&f, Decimal4::ZERO), None);
    }

    #[test]
    fn an_ended_or_overspending_ad_counts_what_it_spent() {
        let f = figures(
            units(1_000),
            [
                AdLine {
                    plan: Decimal4::ZERO,
                    spent: units(300),
                },
                AdLine {
                    plan: units(100),
                    spent: units(150),
                },
            ],
        );
        assert_eq!(f.committed, units(450));
        assert_eq!(f.available, units(550));
        assert_eq!(shortfall(&f, units(551)), Some(units(1)));
    }

    #[test]
    fn plans_count_every_day_and_overflow_is_none() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        assert_eq!(planned_spend(units(10), day(1), day(10)), Some(units(100)));
        assert_eq!(planned_spend(Decimal4(i64::MAX), day(1), day(2)), None);
    }
}
