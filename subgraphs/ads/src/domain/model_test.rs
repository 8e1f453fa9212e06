//! A model-based test of the ads rules: random sequences of campaign status changes (as
//! sales' state machine allows them), launches, publications, pauses, ends, recorded spend
//! and days passing, each applied only when the ads domain accepts it, as the mutations do.
//! Every step first reads the ads as the store returns them (as of today: [`AdStatus::as_of`]).
//! After every step: no ad reads RUNNING before its start date or after its end date, nor
//! unless its campaign is active with its launch approved; spend is only ever
//! recorded within the ad's dates (so never after its end date, nor the campaign's) and only
//! while its campaign was active with its launch approved, whether it came through
//! `recordAdMetrics` (which asks sales) or the platform webhook (which has no caller token and
//! trusts the written status, [`super::ad::takes_platform_figures`]: sound because every
//! campaign stop pauses or ends the campaign's ads first, those that ran to their end date
//! included, so an ad still written RUNNING belongs to an active campaign); the webhook may
//! report a day late, for a day the ad served; an ad that read ENDED never reads anything
//! else; what the ads commit and spend never exceeds the budget. Days pass well beyond the
//! campaign's end date.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use promptsales_kit::{ApiError, Decimal4};
use uuid::Uuid;

use super::launch::{
    budget_of, campaign_accepts_spend, campaign_allows, check_fits, plan_launch, planned_spend,
};
use super::{AdChannel, AdFields, AdMove, AdStatus, BidStrategy, CampaignFacts, CampaignState};
use crate::store::{Ad, Market};

/// A small deterministic generator (xorshift64*): every failure replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct World {
    campaign: CampaignFacts,
    market: Market,
    ads: Vec<Ad>,
    /// Recorded spend per (ad, day): recording a day again replaces it, as the store does.
    days: HashMap<(Uuid, NaiveDate), Decimal4>,
    /// The campaign as it was when each (ad, day) was recorded: (state, launch approved).
    recorded_under: HashMap<(Uuid, NaiveDate), (CampaignState, bool)>,
    /// Ads that have read ENDED (it is final).
    ended: std::collections::HashSet<Uuid>,
    /// The days each ad read RUNNING on: what an honest platform reports.
    served: std::collections::HashSet<(Uuid, NaiveDate)>,
    today: NaiveDate,
    steps: Vec<String>,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let org = Uuid::now_v7();
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
        let now = Utc::now();
        World {
            campaign: CampaignFacts {
                id: Uuid::now_v7(),
                organization_id: org,
                state: CampaignState::Draft,
                currency: "EUR".into(),
                start_date: start,
                end_date: start + Duration::days(20),
                total: Decimal4::from_units(500 + rng.below(2_000) as i64),
                launch_approved: false,
                target_countries: vec![],
            },
            market: Market {
                id: Uuid::now_v7(),
                organization_id: org,
                country: "ES".into(),
                currency: "EUR".into(),
                language: "es".into(),
                created_at: now,
                updated_at: now,
            },
            ads: Vec::new(),
            days: HashMap::new(),
            recorded_under: HashMap::new(),
            ended: std::collections::HashSet::new(),
            served: std::collections::HashSet::new(),
            today: start - Duration::days(3),
            steps: Vec::new(),
        }
    }

    fn spent(&self) -> HashMap<Uuid, Decimal4> {
        let mut out: HashMap<Uuid, Decimal4> = HashMap::new();
        for ((ad, _), amount) in &self.days {
            let e = out.entry(*ad).or_default();
            *e = Decimal4(e.0 + amount.0);
        }
        out
    }

    /// Sales' state machine (its edges; LAUNCH granted only while approved).
    fn campaign_step(&mut self, rng: &mut Rng) {
        use CampaignState::*;
        let c = &mut self.campaign;
        let next = match (c.state, rng.below(4)) {
            (Draft, 0..=2) => PendingApproval,
            (PendingApproval, 0..=1) => Approved,
            (PendingApproval, 2) => Draft,
            (Approved, 0) if !c.launch_approved => {
                c.launch_approved = true;
                self.steps.push("grant LAUNCH".into());
                return;
            }
            (Approved, 1..=2) if c.launch_approved => Active,
            (Approved, 3) => Draft,
            (Active, 0..=1) => Paused,
            (Active, 2) => Completed,
            (Paused, 0..=1) => Active,
            (Paused, 2) => Cancelled,
            (Draft | PendingApproval, 3) => Cancelled,
            _ => return,
        };
        if next == Draft {
            c.launch_approved = false;
        }
        c.state = next;
        self.steps.push(format!("campaign {next:?}"));
        // Sales tells ads (reconcileCampaignAds): stopping a campaign stops its ads, and
        // records ENDED on those that read it from their dates.
        let stops = matches!(next, Paused | Completed | Cancelled);
        let mv = |status: AdStatus| match next {
            Paused if status == AdStatus::Running => Some(AdMove::Pause),
            Completed | Cancelled if status != AdStatus::Ended => Some(AdMove::End),
            _ => None,
        };
        for ad in &mut self.ads {
            if let Some(mv) = mv(ad.status)
                && let Ok(to) = ad.status.apply(mv, "campaignId")
            {
                ad.status = to;
                ad.written_status = to;
            } else if stops && ad.status == AdStatus::Ended {
                ad.written_status = AdStatus::Ended;
            }
        }
    }

    fn launch(&mut self, rng: &mut Rng) -> Result<(), ApiError> {
        let start = self.campaign.start_date + Duration::days(rng.below(15) as i64);
        let end = start + Duration::days(rng.below(10) as i64);
        let fields = AdFields {
            campaign_id: self.campaign.id,
            market_id: self.market.id,
            channel: AdChannel::Instagram,
            name: "Reel".into(),
            daily_budget: Decimal4::from_units(1 + rng.below(80) as i64),
            bid_strategy: BidStrategy::LowestCost,
            start_date: start,
            end_date: end,
            audience_segment_id: None,
            creative_ids: vec![],
            platform: None,
            external_id: None,
        };
        let figures = budget_of(self.campaign.total, &self.ads, &self.spent(), None);
        let markets = HashMap::from([(self.market.id, self.market.clone())]);
        let news = plan_launch(&self.campaign, vec![fields], &markets, &figures, self.today)?;
        let now = Utc::now();
        for new in news {
            self.ads.push(Ad {
                id: Uuid::now_v7(),
                organization_id: new.organization_id,
                campaign_id: new.campaign_id,
                channel: new.channel,
                market: self.market.clone(),
                name: new.name,
                status: new.status,
                written_status: new.status,
                audience_segment_id: None,
                creative_ids: vec![],
                daily_budget: new.daily_budget,
                bid_strategy: new.bid_strategy,
                start_date: new.start_date,
                end_date: new.end_date,
                platform: None,
                external_id: None,
                created_at: now,
                updated_at: now,
            });
        }
        Ok(())
    }

    /// What `move_ad` checks: the table, the campaign's say, the budget for launched plans.
    fn move_ad(&mut self, i: usize, mv: AdMove) -> Result<(), ApiError> {
        let ad = &self.ads[i];
        let to = ad.status.apply(mv, "id")?;
        campaign_allows(&self.campaign, mv, (ad.start_date, ad.end_date), self.today)?;
        if mv.spends() && to.is_launched() {
            let all = self.spent();
            let figures = budget_of(self.campaign.total, &self.ads, &all, Some(ad.id));
            let plan = planned_spend(ad.daily_budget, ad.start_date, ad.end_date)
                .unwrap_or(Decimal4(i64::MAX));
            let spent = all.get(&ad.id).copied().unwrap_or_default();
            check_fits(&self.campaign, &figures, plan.max(spent), "ad")?;
        }
        self.ads[i].status = to;
        self.ads[i].written_status = to;
        Ok(())
    }

    /// What `recordAdMetrics` checks; the platform never spends more than the daily budget.
    fn spend(&mut self, i: usize, rng: &mut Rng) -> Result<(), ApiError> {
        let ad = &self.ads[i];
        campaign_accepts_spend(&self.campaign)?;
        let day = self.today;
        if day < ad.start_date || day > ad.end_date {
            return Err(ApiError::bad_input("input[0].day", "outside the ad's days"));
        }
        if ad.written_status.as_of(ad.start_date, ad.end_date, day) != AdStatus::Running {
            // Only a serving ad spends on its platform.
            return Ok(());
        }
        let amount = Decimal4(ad.daily_budget.0 * rng.below(101) as i64 / 100);
        self.record(i, day, amount);
        Ok(())
    }

    /// What the platform webhook checks (`http.rs`): [`super::ad::takes_platform_figures`]
    /// (RUNNING as the store returns it, or ran to its end date) and the day within its dates
    /// (`ingest::record`); it cannot ask sales about the campaign. The platform reports today
    /// or up to two days late, only days it served the ad on.
    fn webhook(&mut self, i: usize, rng: &mut Rng) -> Result<(), ApiError> {
        let ad = &self.ads[i];
        let day = self.today - Duration::days(rng.below(3) as i64);
        if !self.served.contains(&(ad.id, day)) {
            return Ok(());
        }
        if !super::ad::takes_platform_figures(ad) {
            return Err(ApiError::Conflict("the ad is not running".into()));
        }
        if day < ad.start_date || day > ad.end_date {
            return Err(ApiError::bad_input(
                "metrics[0].day",
                "outside the ad's days",
            ));
        }
        let amount = Decimal4(ad.daily_budget.0 * rng.below(101) as i64 / 100);
        self.record(i, day, amount);
        Ok(())
    }

    fn record(&mut self, i: usize, day: NaiveDate, amount: Decimal4) {
        let id = self.ads[i].id;
        self.days.insert((id, day), amount);
        self.recorded_under.insert(
            (id, day),
            (self.campaign.state, self.campaign.launch_approved),
        );
    }

    /// What the store does to every ad it returns ([`AdStatus::as_of`] of the written status,
    /// which stays until the next write stores the status read, as the mutations do).
    fn read_as_of_today(&mut self) {
        for ad in &mut self.ads {
            ad.status = ad
                .written_status
                .as_of(ad.start_date, ad.end_date, self.today);
            if ad.status == AdStatus::Running {
                self.served.insert((ad.id, self.today));
            }
        }
    }

    fn check(&mut self, seed: u64) {
        let trail = || format!("seed {seed}: {}", self.steps.join(" -> "));
        for ad in &self.ads {
            let reads = ad
                .written_status
                .as_of(ad.start_date, ad.end_date, self.today);
            if self.ended.contains(&ad.id) {
                assert_eq!(reads, AdStatus::Ended, "ENDED is final; {}", trail());
            }
            if self.today < ad.start_date || self.today > ad.end_date {
                assert_ne!(
                    reads,
                    AdStatus::Running,
                    "an ad running {}..{} reads RUNNING on {}; {}",
                    ad.start_date,
                    ad.end_date,
                    self.today,
                    trail()
                );
            }
            if self.today > ad.end_date {
                assert!(
                    matches!(reads, AdStatus::Ended | AdStatus::Draft),
                    "an ad past its end date {} reads {reads:?} on {}; {}",
                    ad.end_date,
                    self.today,
                    trail()
                );
            }
        }
        for ad in &self.ads {
            if ad
                .written_status
                .as_of(ad.start_date, ad.end_date, self.today)
                == AdStatus::Running
            {
                assert!(
                    ad.start_date <= self.today,
                    "ad runs on {} before {}; {}",
                    self.today,
                    ad.start_date,
                    trail()
                );
                assert!(
                    self.campaign.state == CampaignState::Active && self.campaign.launch_approved,
                    "a running ad in a {:?} campaign; {}",
                    self.campaign.state,
                    trail()
                );
            }
        }
        for ((ad, day), amount) in &self.days {
            let ad = self.ads.iter().find(|a| a.id == *ad).expect("a known ad");
            assert!(
                ad.start_date <= *day && *day <= ad.end_date && amount.0 >= 0,
                "spend on {day} outside {}..{}; {}",
                ad.start_date,
                ad.end_date,
                trail()
            );
            assert!(
                self.campaign.start_date <= *day && *day <= self.campaign.end_date,
                "spend on {day} outside the campaign's {}..{}; {}",
                self.campaign.start_date,
                self.campaign.end_date,
                trail()
            );
            let under = self.recorded_under.get(&(ad.id, *day));
            assert_eq!(
                under,
                Some(&(CampaignState::Active, true)),
                "spend on {day} recorded while the campaign was {under:?}; {}",
                trail()
            );
        }
        let figures = budget_of(self.campaign.total, &self.ads, &self.spent(), None);
        assert!(
            figures.spent <= self.campaign.total,
            "spent {} of {}; {}",
            figures.spent,
            self.campaign.total,
            trail()
        );
        assert!(
            figures.committed <= self.campaign.total,
            "committed {} of {}; {}",
            figures.committed,
            self.campaign.total,
            trail()
        );
        let ended: Vec<Uuid> = self
            .ads
            .iter()
            .filter(|a| {
                a.written_status.as_of(a.start_date, a.end_date, self.today) == AdStatus::Ended
            })
            .map(|a| a.id)
            .collect();
        self.ended.extend(ended);
    }
}

#[test]
fn no_ad_runs_or_spends_outside_an_approved_active_campaigns_dates_and_budget() {
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut w = World::new(&mut rng);
        // Enough days pass (about one step in five) to go well beyond the campaign's end.
        for _ in 0..200 {
            // Every operation reads its ads from the store, which returns them as of today.
            w.read_as_of_today();
            let pick = rng.below(11);
            let n = w.ads.len() as u64;
            let outcome = match pick {
                0 | 1 => {
                    w.campaign_step(&mut rng);
                    Ok("campaign")
                }
                2 => w.launch(&mut rng).map(|_| "launch"),
                3 | 4 if n > 0 => w
                    .move_ad(rng.below(n) as usize, AdMove::Publish)
                    .map(|_| "publish"),
                5 if n > 0 => w
                    .move_ad(rng.below(n) as usize, AdMove::Pause)
                    .map(|_| "pause"),
                6 if n > 0 => w.move_ad(rng.below(n) as usize, AdMove::End).map(|_| "end"),
                7 if n > 0 => w.spend(rng.below(n) as usize, &mut rng).map(|_| "spend"),
                8 if n > 0 => w
                    .webhook(rng.below(n) as usize, &mut rng)
                    .map(|_| "webhook"),
                _ => {
                    w.today += Duration::days(1);
                    Ok("day")
                }
            };
            if let Ok(step) = outcome {
                w.steps.push(step.to_string());
            }
            w.check(seed);
        }
    }
}
