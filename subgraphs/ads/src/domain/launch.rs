//! Launching a set of ads for a campaign: every ad is checked against the
//! campaign (its dates, countries, currency and available budget) and against
//! its market before any is written; the first fault names the ad and field.

use std::collections::HashMap;

use chrono::NaiveDate;
use promptsales_kit::{ApiError, Decimal4};
use uuid::Uuid;

use super::availability::serves;
use super::{AdFields, AdStatus};
use crate::store::{Market, NewAd};

/// The most ads one launch takes.
pub const MAX_LAUNCH_ADS: usize = 100;

/// A campaign's life-cycle status, as the sales subgraph reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    /// Being written.
    Draft,
    /// Waiting for approval.
    PendingApproval,
    /// Approved, not started.
    Approved,
    /// Running.
    Active,
    /// Stopped for now.
    Paused,
    /// Finished.
    Completed,
    /// Abandoned.
    Cancelled,
}

impl CampaignState {
    /// Reads the GraphQL enum value (`ACTIVE`).
    pub fn from_graphql(value: &str) -> Option<Self> {
        Some(match value {
            "DRAFT" => Self::Draft,
            "PENDING_APPROVAL" => Self::PendingApproval,
            "APPROVED" => Self::Approved,
            "ACTIVE" => Self::Active,
            "PAUSED" => Self::Paused,
            "COMPLETED" => Self::Completed,
            "CANCELLED" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Whether ads may be launched: nothing runs before staff approve the campaign, nor after it ends.
    pub fn accepts_launches(self) -> bool {
        matches!(self, Self::Approved | Self::Active | Self::Paused)
    }
}

/// What ads needs to know of a campaign (owned by sales) to launch its ads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignFacts {
    /// The campaign.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its status.
    pub state: CampaignState,
    /// Its budget's currency.
    pub currency: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// Its budget left (total - spent).
    pub available: Decimal4,
    /// The countries it targets (empty: any).
    pub target_countries: Vec<String>,
}

/// What an ad may spend over its whole run: daily budget x days; `None` on overflow.
pub fn planned_spend(daily_budget: Decimal4, start: NaiveDate, end: NaiveDate) -> Option<Decimal4> {
    let days = (end - start).num_days().checked_add(1)?.max(0);
    daily_budget.0.checked_mul(days).map(Decimal4)
}

/// What an ad already launched still commits of the budget: its plan less what it has spent.
pub fn remaining_commitment(planned: Decimal4, spent: Decimal4) -> Decimal4 {
    Decimal4((planned.0 - spent.0).max(0))
}

/// Checks a launch and makes the ads to insert (all `SCHEDULED`), or names the first fault.
///
/// `markets` holds the markets the caller may use; `committed` is what the
/// campaign's ads already launched still commit (their remaining plans).
pub fn plan_launch(
    campaign: &CampaignFacts,
    ads: Vec<AdFields>,
    markets: &HashMap<Uuid, Market>,
    committed: Decimal4,
) -> Result<Vec<NewAd>, ApiError> {
    if !campaign.state.accepts_launches() {
        return Err(ApiError::bad_input(
            "campaignId",
            format!(
                "campaign {} is {:?}; ads launch only for an approved, active or paused campaign",
                campaign.id, campaign.state
            ),
        ));
    }
    if ads.is_empty() {
        return Err(ApiError::bad_input("ads", "a launch needs at least one ad"));
    }
    if ads.len() > MAX_LAUNCH_ADS {
        return Err(ApiError::bad_input(
            "ads",
            format!("a launch takes at most {MAX_LAUNCH_ADS} ads"),
        ));
    }
    let budget_left = Decimal4(campaign.available.0 - committed.0);
    let mut total = Decimal4::ZERO;
    let mut out = Vec::with_capacity(ads.len());
    for (i, fields) in ads.into_iter().enumerate() {
        let prefix = format!("ads[{i}]");
        let f = |name: &str| format!("{prefix}.{name}");
        let market = markets
            .get(&fields.market_id)
            .filter(|m| m.organization_id == campaign.organization_id)
            .ok_or_else(|| {
                ApiError::bad_input(
                    f("marketId"),
                    format!(
                        "market {} does not exist in the campaign's organization",
                        fields.market_id
                    ),
                )
            })?;
        let fields = AdFields {
            campaign_id: campaign.id,
            ..fields
        };
        let mut ad = fields.into_new_ad_at(campaign.organization_id, &prefix)?;
        if !serves(ad.channel, &market.country) {
            return Err(ApiError::bad_input(
                f("channel"),
                format!(
                    "{} does not serve ads in {}",
                    ad.channel.code(),
                    market.country
                ),
            ));
        }
        if !campaign.target_countries.is_empty()
            && !campaign.target_countries.contains(&market.country)
        {
            return Err(ApiError::bad_input(
                f("marketId"),
                format!(
                    "the campaign targets {}, not {}",
                    campaign.target_countries.join(", "),
                    market.country
                ),
            ));
        }
        if market.currency != campaign.currency {
            return Err(ApiError::bad_input(
                f("marketId"),
                format!(
                    "the market spends {} but the campaign's budget is in {}",
                    market.currency, campaign.currency
                ),
            ));
        }
        if ad.start_date < campaign.start_date {
            return Err(ApiError::bad_input(
                f("startDate"),
                format!(
                    "startDate ({}) is before the campaign starts ({})",
                    ad.start_date, campaign.start_date
                ),
            ));
        }
        if ad.end_date > campaign.end_date {
            return Err(ApiError::bad_input(
                f("endDate"),
                format!(
                    "endDate ({}) is after the campaign ends ({})",
                    ad.end_date, campaign.end_date
                ),
            ));
        }
        let over = || {
            ApiError::bad_input(
                f("dailyBudget"),
                format!(
                    "with this ad the launch plans more than the campaign has left ({} {} available, {} already committed to its ads)",
                    campaign.available, campaign.currency, committed
                ),
            )
        };
        let planned =
            planned_spend(ad.daily_budget, ad.start_date, ad.end_date).ok_or_else(over)?;
        total = total.checked_add(planned).ok_or_else(over)?;
        if total > budget_left {
            return Err(over());
        }
        ad.status = AdStatus::Scheduled;
        out.push(ad);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AdChannel, BidStrategy};

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn setup() -> (CampaignFacts, HashMap<Uuid, Market>, Uuid, Uuid) {
        let org = Uuid::now_v7();
        let campaign = CampaignFacts {
            id: Uuid::now_v7(),
            organization_id: org,
            state: CampaignState::Active,
            currency: "EUR".into(),
            start_date: day(10, 1),
            end_date: day(10, 31),
            available: Decimal4::from_units(1_000),
            target_countries: vec!["ES".into(), "FR".into()],
        };
        let now = chrono::Utc::now();
        let market = |country: &str, currency: &str| Market {
            id: Uuid::now_v7(),
            organization_id: org,
            country: country.into(),
            currency: currency.into(),
            language: "es".into(),
            created_at: now,
            updated_at: now,
        };
        let es = market("ES", "EUR");
        let us = market("US", "USD");
        let (es_id, us_id) = (es.id, us.id);
        (
            campaign,
            HashMap::from([(es.id, es), (us.id, us)]),
            es_id,
            us_id,
        )
    }

    fn ad(market: Uuid, daily: i64, start: NaiveDate, end: NaiveDate) -> AdFields {
        AdFields {
            campaign_id: Uuid::nil(),
            market_id: market,
            channel: AdChannel::Instagram,
            name: "Reel".into(),
            daily_budget: Decimal4::from_units(daily),
            bid_strategy: BidStrategy::LowestCost,
            start_date: start,
            end_date: end,
            audience_segment_id: None,
            creative_ids: vec![],
            platform: None,
            external_id: None,
        }
    }

    fn field(err: ApiError) -> String {
        match err {
            ApiError::BadInput { field, .. } => field,
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn a_launch_within_budget_schedules_every_ad_of_the_campaign() {
        let (c, markets, es, _) = setup();
        // 10 days x 50 + 10 days x 49 = 990 <= 1000.
        let ads = vec![
            ad(es, 50, day(10, 1), day(10, 10)),
            ad(es, 49, day(10, 11), day(10, 20)),
        ];
        let planned = plan_launch(&c, ads, &markets, Decimal4::ZERO).unwrap();
        assert_eq!(planned.len(), 2);
        assert!(planned.iter().all(|a| a.status == AdStatus::Scheduled));
        assert!(planned.iter().all(|a| a.campaign_id == c.id));
    }

    #[test]
    fn the_first_fault_names_its_ad_and_field() {
        let (c, markets, es, us) = setup();
        let ok = ad(es, 10, day(10, 1), day(10, 2));
        let cases: Vec<(AdFields, Decimal4, &str)> = vec![
            (
                ad(Uuid::now_v7(), 10, day(10, 1), day(10, 2)),
                Decimal4::ZERO,
                "ads[1].marketId",
            ),
            (
                ad(us, 10, day(10, 1), day(10, 2)),
                Decimal4::ZERO,
                "ads[1].marketId",
            ),
            (
                ad(es, 10, day(9, 30), day(10, 2)),
                Decimal4::ZERO,
                "ads[1].startDate",
            ),
            (
                ad(es, 10, day(10, 1), day(11, 1)),
                Decimal4::ZERO,
                "ads[1].endDate",
            ),
            (
                ad(es, 10, day(10, 3), day(10, 2)),
                Decimal4::ZERO,
                "ads[1].endDate",
            ),
            // 20 (ad 0) + 31 x 32 = 1012 > 1000.
            (
                ad(es, 32, day(10, 1), day(10, 31)),
                Decimal4::ZERO,
                "ads[1].dailyBudget",
            ),
            // 20 + 2 x 10 = 40, but 970 of 1000 are committed already.
            (
                ad(es, 10, day(10, 1), day(10, 2)),
                Decimal4::from_units(970),
                "ads[1].dailyBudget",
            ),
            (
                AdFields {
                    channel: AdChannel::Tiktok,
                    ..ad(es, 10, day(10, 1), day(10, 2))
                },
                Decimal4::ZERO,
                "",
            ),
        ];
        for (second, committed, expected) in cases {
            let result = plan_launch(&c, vec![ok.clone(), second], &markets, committed);
            if expected.is_empty() {
                assert!(result.is_ok(), "{result:?}");
            } else {
                assert_eq!(field(result.unwrap_err()), expected);
            }
        }
    }

    #[test]
    fn channels_are_checked_against_the_market_and_campaigns_against_their_state() {
        let (mut c, mut markets, _, _) = setup();
        c.target_countries.clear();
        c.currency = "INR".into();
        let now = chrono::Utc::now();
        let india = Market {
            id: Uuid::now_v7(),
            organization_id: c.organization_id,
            country: "IN".into(),
            currency: "INR".into(),
            language: "hi".into(),
            created_at: now,
            updated_at: now,
        };
        let id = india.id;
        markets.insert(id, india);
        let tiktok = AdFields {
            channel: AdChannel::Tiktok,
            ..ad(id, 1, day(10, 1), day(10, 2))
        };
        let err = plan_launch(&c, vec![tiktok.clone()], &markets, Decimal4::ZERO).unwrap_err();
        assert_eq!(field(err), "ads[0].channel");
        c.state = CampaignState::Draft;
        let err = plan_launch(&c, vec![tiktok], &markets, Decimal4::ZERO).unwrap_err();
        assert_eq!(field(err), "campaignId");
        c.state = CampaignState::Active;
        assert_eq!(
            field(plan_launch(&c, vec![], &markets, Decimal4::ZERO).unwrap_err()),
            "ads"
        );
    }

    #[test]
    fn commitments_count_the_plan_less_what_was_spent() {
        let planned = planned_spend(Decimal4::from_units(10), day(10, 1), day(10, 10)).unwrap();
        assert_eq!(planned, Decimal4::from_units(100));
        assert_eq!(
            remaining_commitment(planned, Decimal4::from_units(30)),
            Decimal4::from_units(70)
        );
        assert_eq!(
            remaining_commitment(planned, Decimal4::from_units(130)),
            Decimal4::ZERO
        );
        assert_eq!(
            planned_spend(Decimal4(i64::MAX), day(10, 1), day(10, 2)),
            None
        );
    }
}
