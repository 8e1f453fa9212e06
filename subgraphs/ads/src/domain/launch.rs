//! Launching a set of ads for a campaign: every ad is checked against the
//! campaign (its dates, countries, currency and available budget) and against
//! its market before any is written; the first fault names the ad and field.

use std::collections::HashMap;

use chrono::NaiveDate;
use promptsales_kit::budget::{self, AdLine, BudgetFigures};
use promptsales_kit::{ApiError, Decimal4};
use uuid::Uuid;

use super::availability::serves;
use super::{AdFields, AdMove, AdStatus};
use crate::store::{Ad, Market, NewAd};

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

    /// The GraphQL enum value.
    pub fn as_graphql(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::PendingApproval => "PENDING_APPROVAL",
            Self::Approved => "APPROVED",
            Self::Active => "ACTIVE",
            Self::Paused => "PAUSED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
        }
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
    /// Its whole budget (spent and available are ads' own figures: [`budget_of`]).
    pub total: Decimal4,
    /// Whether its LAUNCH approval is granted in its current approval round.
    pub launch_approved: bool,
    /// The countries it targets (empty: any).
    pub target_countries: Vec<String>,
}

/// What an ad may spend over its whole run (the kit's formula); `None` on overflow.
pub fn planned_spend(daily_budget: Decimal4, start: NaiveDate, end: NaiveDate) -> Option<Decimal4> {
    budget::planned_spend(daily_budget, start, end)
}

/// An ad's plan as the budget counts it with `status`: launched ads their whole plan, others nothing.
fn plan_of(status: AdStatus, daily: Decimal4, start: NaiveDate, end: NaiveDate) -> Decimal4 {
    if status.is_launched() {
        planned_spend(daily, start, end).unwrap_or(Decimal4(i64::MAX))
    } else {
        Decimal4::ZERO
    }
}

/// The campaign's budget figures from its ads and their recorded spend, leaving out `except`
/// (the ad being changed, counted again by the caller with its new plan).
pub fn budget_of(
    total: Decimal4,
    ads: &[Ad],
    spent: &HashMap<Uuid, Decimal4>,
    except: Option<Uuid>,
) -> BudgetFigures {
    budget::figures(
        total,
        ads.iter().filter(|a| Some(a.id) != except).map(|a| AdLine {
            plan: plan_of(a.status, a.daily_budget, a.start_date, a.end_date),
            spent: spent.get(&a.id).copied().unwrap_or_default(),
        }),
    )
}

/// Refuses with `CONFLICT` naming the shortfall when adding `extra` would exceed the budget.
pub fn check_fits(
    campaign: &CampaignFacts,
    figures: &BudgetFigures,
    extra: Decimal4,
    what: &str,
) -> Result<(), ApiError> {
    match budget::shortfall(figures, extra) {
        None => Ok(()),
        Some(short) => Err(ApiError::Conflict(format!(
            "{what} plans {extra} {cur} but campaign {id} has {avail} {cur} available \
             (total {total}, committed {committed}, spent {spent}): {short} {cur} short",
            cur = campaign.currency,
            id = campaign.id,
            avail = figures.available,
            total = figures.total,
            committed = figures.committed,
            spent = figures.spent,
        ))),
    }
}

/// The campaign's say on a move of one of its ads: moves that start or continue spending
/// need the LAUNCH approval granted; publishing (and recording spend) needs it ACTIVE too,
/// and the day to be within the ad's dates. Stopping is always allowed.
pub fn campaign_allows(
    campaign: &CampaignFacts,
    mv: AdMove,
    ad_dates: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<(), ApiError> {
    if !mv.spends() {
        return Ok(());
    }
    let refuse = |why: String| {
        Err(ApiError::Conflict(format!(
            "campaign {} is {}{why}",
            campaign.id,
            campaign.state.as_graphql()
        )))
    };
    if !campaign.launch_approved {
        return refuse(
            " and its LAUNCH approval is not granted: nothing is scheduled or runs before it is"
                .into(),
        );
    }
    match mv {
        AdMove::Schedule
            if !matches!(
                campaign.state,
                CampaignState::Approved | CampaignState::Active | CampaignState::Paused
            ) =>
        {
            refuse(": ads are scheduled only for an approved, active or paused campaign".into())
        }
        AdMove::Publish if campaign.state != CampaignState::Active => {
            refuse(": ads run only while it is ACTIVE".into())
        }
        AdMove::Publish if today < ad_dates.0 || today > ad_dates.1 => {
            Err(ApiError::Conflict(format!(
                "the ad runs from {} to {}; it cannot run on {today}",
                ad_dates.0, ad_dates.1
            )))
        }
        _ => Ok(()),
    }
}

/// Whether the campaign accepts recorded spend: only while ACTIVE with its launch approved.
pub fn campaign_accepts_spend(campaign: &CampaignFacts) -> Result<(), ApiError> {
    if campaign.state == CampaignState::Active && campaign.launch_approved {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "campaign {} is {}: its ads record spend only while it is ACTIVE with its launch approved",
            campaign.id,
            campaign.state.as_graphql()
        )))
    }
}

/// Checks a launch and makes the ads to insert (all `SCHEDULED`), or names the first fault.
///
/// `markets` holds the markets the caller may use; `figures` is the campaign's budget
/// with its ads as they are (read under the campaign's lock).
pub fn plan_launch(
    campaign: &CampaignFacts,
    ads: Vec<AdFields>,
    markets: &HashMap<Uuid, Market>,
    figures: &BudgetFigures,
    today: NaiveDate,
) -> Result<Vec<NewAd>, ApiError> {
    campaign_allows(
        campaign,
        AdMove::Schedule,
        (campaign.start_date, campaign.end_date),
        today,
    )?;
    if ads.is_empty() {
        return Err(ApiError::bad_input("ads", "a launch needs at least one ad"));
    }
    if ads.len() > MAX_LAUNCH_ADS {
        return Err(ApiError::bad_input(
            "ads",
            format!("a launch takes at most {MAX_LAUNCH_ADS} ads"),
        ));
    }
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
        let planned = planned_spend(ad.daily_budget, ad.start_date, ad.end_date)
            .unwrap_or(Decimal4(i64::MAX));
        total = Decimal4(total.0.saturating_add(planned.0));
        check_fits(
            campaign,
            figures,
            total,
            &format!("with {} the launch", f("dailyBudget")),
        )?;
        ad.status = AdStatus::Draft.apply(AdMove::Schedule, &f("status"))?;
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
            total: Decimal4::from_units(1_000),
            launch_approved: true,
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
            ApiError::Conflict(message) => format!("CONFLICT {message}"),
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    fn committed(units: i64) -> BudgetFigures {
        budget::figures(
            Decimal4::from_units(1_000),
            [AdLine {
                plan: Decimal4::from_units(units),
                spent: Decimal4::ZERO,
            }],
        )
    }

    fn today() -> NaiveDate {
        day(10, 5)
    }

    #[test]
    fn a_launch_within_budget_schedules_every_ad_of_the_campaign() {
        let (c, markets, es, _) = setup();
        // 10 days x 50 + 10 days x 49 = 990 <= 1000.
        let ads = vec![
            ad(es, 50, day(10, 1), day(10, 10)),
            ad(es, 49, day(10, 11), day(10, 20)),
        ];
        let planned = plan_launch(&c, ads, &markets, &committed(0), today()).unwrap();
        assert_eq!(planned.len(), 2);
        assert!(planned.iter().all(|a| a.status == AdStatus::Scheduled));
        assert!(planned.iter().all(|a| a.campaign_id == c.id));
    }

    #[test]
    fn the_first_fault_names_its_ad_and_field() {
        let (c, markets, es, us) = setup();
        let ok = ad(es, 10, day(10, 1), day(10, 2));
        let cases: Vec<(AdFields, i64, &str)> = vec![
            (
                ad(Uuid::now_v7(), 10, day(10, 1), day(10, 2)),
                0,
                "ads[1].marketId",
            ),
            (ad(us, 10, day(10, 1), day(10, 2)), 0, "ads[1].marketId"),
            (ad(es, 10, day(9, 30), day(10, 2)), 0, "ads[1].startDate"),
            (ad(es, 10, day(10, 1), day(11, 1)), 0, "ads[1].endDate"),
            (ad(es, 10, day(10, 3), day(10, 2)), 0, "ads[1].endDate"),
            // 20 (ad 0) + 31 x 32 = 1012 > 1000: 12 short.
            (
                ad(es, 32, day(10, 1), day(10, 31)),
                0,
                "CONFLICT with ads[1].dailyBudget the launch plans 1012.00 EUR",
            ),
            // 20 + 2 x 10 = 40, but 970 of 1000 are committed already.
            (
                ad(es, 10, day(10, 1), day(10, 2)),
                970,
                "CONFLICT with ads[1].dailyBudget the launch plans 40.00 EUR",
            ),
            (
                AdFields {
                    channel: AdChannel::Tiktok,
                    ..ad(es, 10, day(10, 1), day(10, 2))
                },
                0,
                "",
            ),
        ];
        for (second, committed_units, expected) in cases {
            let figures = committed(committed_units);
            let result = plan_launch(&c, vec![ok.clone(), second], &markets, &figures, today());
            if expected.is_empty() {
                assert!(result.is_ok(), "{result:?}");
            } else {
                let got = field(result.unwrap_err());
                assert!(got.starts_with(expected), "{got} vs {expected}");
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
        let none = committed(0);
        let err = plan_launch(&c, vec![tiktok.clone()], &markets, &none, today()).unwrap_err();
        assert_eq!(field(err), "ads[0].channel");
        c.state = CampaignState::Draft;
        let err = plan_launch(&c, vec![tiktok.clone()], &markets, &none, today()).unwrap_err();
        assert!(field(err).contains("is DRAFT"));
        // Approved with BUDGET, CONTENT and SCHEDULE but not LAUNCH: nothing is scheduled.
        c.state = CampaignState::Approved;
        c.launch_approved = false;
        let err = plan_launch(&c, vec![tiktok], &markets, &none, today()).unwrap_err();
        assert!(field(err).contains("LAUNCH approval"));
        c.state = CampaignState::Active;
        c.launch_approved = true;
        assert_eq!(
            field(plan_launch(&c, vec![], &markets, &none, today()).unwrap_err()),
            "ads"
        );
    }

    #[test]
    fn running_needs_an_active_campaign_and_the_ads_dates() {
        let (mut c, _, _, _) = setup();
        let dates = (day(10, 3), day(10, 9));
        assert!(campaign_allows(&c, AdMove::Publish, dates, day(10, 3)).is_ok());
        assert!(campaign_allows(&c, AdMove::Publish, dates, day(10, 2)).is_err());
        assert!(campaign_allows(&c, AdMove::Publish, dates, day(10, 10)).is_err());
        c.state = CampaignState::Paused;
        assert!(campaign_allows(&c, AdMove::Publish, dates, day(10, 4)).is_err());
        assert!(campaign_accepts_spend(&c).is_err());
        assert!(campaign_allows(&c, AdMove::Pause, dates, day(10, 4)).is_ok());
        c.state = CampaignState::Approved;
        c.launch_approved = false;
        assert!(campaign_allows(&c, AdMove::Schedule, dates, day(10, 4)).is_err());
        assert!(campaign_allows(&c, AdMove::End, dates, day(10, 4)).is_ok());
    }
}
