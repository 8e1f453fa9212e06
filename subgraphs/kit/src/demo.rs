//! The skeleton of the demo dataset that every subgraph seeds its part of.
//!
//! Stores are separate, so coherence across them comes from one
//! deterministic plan: the same organizations, users and campaigns (same
//! ids) everywhere, and each subgraph derives its own rows (ads, leads,
//! assets) from them with [`DemoRng`] seeded by the campaign id.
//!
//! Dates are relative to the day the demo is seeded ([`demo_plan_on`]; [`demo_plan`] is
//! today's): active and paused campaigns run from weeks ago to weeks ahead, completed ones
//! ended in the past, drafts start in the future. Fixed dates would age: once the calendar
//! passed them every demo ad would read ENDED and every campaign would be over. The same
//! seeding day always gives the same plan.

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use crate::money::{Decimal4, SCALE};

/// A deterministic UUID v7 for demo row `n` of kind `kind` (time-ordered within a kind).
pub fn demo_id(kind: u8, n: u32) -> Uuid {
    // 2026-01-01T00:00:00Z, one millisecond apart, so ids sort in creation order.
    let millis = 1_767_225_600_000u64 + u64::from(kind) * 1_000_000 + u64::from(n);
    let mut random = [0u8; 10];
    random[0] = kind;
    random[1..5].copy_from_slice(&n.to_be_bytes());
    random[5..].copy_from_slice(b"promp");
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

/// Kinds of demo ids, so that each subgraph's ids never collide.
pub mod kind {
    /// Organizations.
    pub const ORGANIZATION: u8 = 1;
    /// Users.
    pub const USER: u8 = 2;
    /// Campaigns.
    pub const CAMPAIGN: u8 = 3;
    /// Products.
    pub const PRODUCT: u8 = 4;
    /// Ads (ads subgraph).
    pub const AD: u8 = 10;
    /// Customers (crm).
    pub const CUSTOMER: u8 = 20;
    /// Leads (crm).
    pub const LEAD: u8 = 21;
    /// Sales (crm).
    pub const SALE: u8 = 22;
    /// Media assets (content).
    pub const ASSET: u8 = 30;
}

/// A small deterministic random generator (SplitMix64) for demo figures.
#[derive(Debug, Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    /// A generator seeded from an id, so the same campaign always gets the same figures.
    pub fn for_id(id: Uuid) -> Self {
        let (hi, lo) = id.as_u64_pair();
        Self(hi ^ lo.rotate_left(17))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1).max(1) as u64;
        low + (self.next_u64() % span) as i64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// A demo organization (a client of the agency).
#[derive(Debug, Clone)]
pub struct DemoOrganization {
    /// Fixed: [`demo_id`], the same in every store and run.
    pub id: Uuid,
    /// Shown in the demo (`Aurora Outdoor Gear`).
    pub name: &'static str,
    /// Its industry.
    pub industry: &'static str,
    /// ISO 3166-1 alpha-2 country.
    pub country: &'static str,
    /// ISO 4217 currency of its budgets.
    pub currency: &'static str,
}

/// A demo user.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Fixed: [`demo_id`], the same in every store and run.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its e-mail.
    pub email: String,
    /// The person's full name; the demo e-mail is made from it.
    pub name: String,
    /// `admin`, `marketer`, `sales_agent` or `customer`.
    pub user_type: &'static str,
}

/// A demo campaign.
#[derive(Debug, Clone)]
pub struct DemoCampaign {
    /// Fixed: [`demo_id`], the same in every store and run.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// The marketer who owns it.
    pub owner_id: Uuid,
    /// From the demo's campaign list (five per organization).
    pub name: String,
    /// Its key message.
    pub key_message: String,
    /// `draft`, `active`, `paused` or `completed` (lower case, as the sales subgraph stores it).
    pub status: &'static str,
    /// Total budget.
    pub budget_total: Decimal4,
    /// Budget currency.
    pub currency: &'static str,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// Channels it runs on (ads subgraph channel codes).
    pub channels: Vec<&'static str>,
    /// Target countries (ISO 3166-1 alpha-2).
    pub countries: Vec<&'static str>,
}

/// Days of ad figures a running (not draft) demo campaign has.
pub const DEMO_METRIC_DAYS: i64 = 14;

/// One day of one channel's ad figures in the demo plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAdDay {
    /// The channel (ads subgraph channel code).
    pub channel: &'static str,
    /// The day.
    pub day: NaiveDate,
    /// Impressions.
    pub impressions: i64,
    /// Unique people reached.
    pub reach: i64,
    /// Clicks.
    pub clicks: i64,
    /// Likes, shares, comments.
    pub engagement: i64,
    /// What the day cost.
    pub spend: Decimal4,
    /// Conversions the platform reported.
    pub conversions: i64,
    /// Their value.
    pub conversion_value: Decimal4,
}

impl DemoCampaign {
    /// The daily budget of each of its ads: the total over 60 days and its channels, in whole units.
    pub fn daily_budget_per_channel(&self) -> Decimal4 {
        let per_day = self.budget_total.raw() / 60 / self.channels.len().max(1) as i64;
        Decimal4(per_day / SCALE * SCALE)
    }

    /// Its daily ad figures per channel (none while a draft): the one source of the ads'
    /// metrics and of the campaign's spent budget, so the two stores agree.
    pub fn ad_days(&self) -> Vec<DemoAdDay> {
        if self.status == "draft" {
            return Vec::new();
        }
        // Salted so these figures do not replay the other draws made for the same campaign.
        let mut rng = DemoRng::for_id(self.id);
        rng.0 ^= 0xAD5_DA75;
        let budget = self.daily_budget_per_channel();
        let mut days = Vec::new();
        for channel in &self.channels {
            for d in 0..DEMO_METRIC_DAYS {
                days.push(ad_day(
                    &mut rng,
                    channel,
                    self.start_date + Duration::days(d),
                    budget,
                ));
            }
        }
        days
    }

    /// What its ads spent over the demo days.
    pub fn ad_spend(&self) -> Decimal4 {
        Decimal4(self.ad_days().iter().map(|d| d.spend.raw()).sum())
    }
}

/// One plausible day: CTR 0.5-3 %, conversions 1-6 % of clicks, cost per click
/// 0.30-2.50 in whole cents, never more than the daily budget.
fn ad_day(
    rng: &mut DemoRng,
    channel: &'static str,
    day: NaiveDate,
    daily_budget: Decimal4,
) -> DemoAdDay {
    let (low, high) = match channel {
        "email" => (800, 3_000),
        "sms" => (300, 1_200),
        _ => (4_000, 25_000),
    };
    let impressions = rng.range(low, high);
    let reach = impressions * rng.range(55, 90) / 100;
    let clicks = impressions * rng.range(50, 300) / 10_000;
    let engagement = clicks * rng.range(150, 400) / 100;
    let spend = (clicks * rng.range(3_000, 25_000)).min(daily_budget.raw()) / 100 * 100;
    let conversions = clicks * rng.range(100, 600) / 10_000;
    let conversion_value = conversions * rng.range(40, 150) * SCALE;
    DemoAdDay {
        channel,
        day,
        impressions,
        reach,
        clicks,
        engagement,
        spend: Decimal4(spend),
        conversions,
        conversion_value: Decimal4(conversion_value),
    }
}

/// The whole demo skeleton.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    /// Two organizations.
    pub organizations: Vec<DemoOrganization>,
    /// A few users of each type per organization.
    pub users: Vec<DemoUser>,
    /// Ten campaigns, five per organization.
    pub campaigns: Vec<DemoCampaign>,
}

impl DemoPlan {
    /// The users of one type in one organization.
    pub fn users_of(&self, organization_id: Uuid, user_type: &str) -> Vec<&DemoUser> {
        self.users
            .iter()
            .filter(|u| u.organization_id == organization_id && u.user_type == user_type)
            .collect()
    }
}

/// Today (UTC), the day [`demo_plan`] is seeded as of.
pub fn demo_today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The demo plan as seeded today ([`demo_plan_on`] of [`demo_today`]).
pub fn demo_plan() -> DemoPlan {
    demo_plan_on(demo_today())
}

/// Where each of an organization's five campaigns (by status) starts, in days from the
/// seeding day; every campaign runs 60 days and has figures for its first
/// [`DEMO_METRIC_DAYS`], all before the seeding day except a draft's (none).
const CAMPAIGN_STARTS: [(&str, i64); 5] = [
    // Active: began about a month ago, ends about a month ahead.
    ("active", -35),
    ("active", -25),
    // Completed: ended six weeks ago.
    ("completed", -100),
    // Paused: began six weeks ago, ends in two weeks.
    ("paused", -45),
    // Draft: starts in two weeks.
    ("draft", 14),
];

/// The demo plan as seeded on `day`: the same organizations, users, campaigns and ids
/// whatever the day; campaign dates placed around `day` ([`CAMPAIGN_STARTS`]).
pub fn demo_plan_on(day: NaiveDate) -> DemoPlan {
    let organizations = vec![
        DemoOrganization {
            id: demo_id(kind::ORGANIZATION, 1),
            name: "Aurora Outdoor Gear",
            industry: "retail",
            country: "ES",
            currency: "EUR",
        },
        DemoOrganization {
            id: demo_id(kind::ORGANIZATION, 2),
            name: "Nimbus Cloud Software",
            industry: "software",
            country: "US",
            currency: "USD",
        },
    ];
    let mut users = Vec::new();
    let people = [
        ("admin", ["Ana Admin", "Alex Admin"]),
        ("marketer", ["Maria Marketer", "Marco Marketer"]),
        ("sales_agent", ["Sofia Sales", "Sam Sales"]),
        ("customer", ["Carla Client", "Chris Client"]),
    ];
    let mut n = 0;
    for (oi, org) in organizations.iter().enumerate() {
        let domain = if oi == 0 {
            "aurora.example"
        } else {
            "nimbus.example"
        };
        for (user_type, names) in people {
            let name = names[oi];
            n += 1;
            users.push(DemoUser {
                id: demo_id(kind::USER, n),
                organization_id: org.id,
                email: format!("{}@{domain}", name.to_lowercase().replace(' ', ".")),
                name: name.to_string(),
                user_type,
            });
        }
    }
    let themes = [
        (
            "Winter Summit",
            "Gear that keeps climbing when the weather does not",
            vec!["instagram", "facebook", "google"],
            vec!["ES", "FR"],
        ),
        (
            "Trail Running Spring",
            "Lighter shoes, longer trails",
            vec!["instagram", "tiktok"],
            vec!["ES", "PT"],
        ),
        (
            "Family Camping",
            "Everything for the first night under the stars",
            vec!["facebook", "email"],
            vec!["ES"],
        ),
        (
            "Black Friday Outdoor",
            "The year's best prices on the gear you love",
            vec!["google", "facebook", "email", "sms"],
            vec!["ES", "FR", "IT"],
        ),
        (
            "Eco Collection",
            "Recycled materials, same toughness",
            vec!["instagram", "youtube"],
            vec!["ES", "DE"],
        ),
        (
            "Cloud Cost Cutter",
            "Cut your cloud bill by 30% in a quarter",
            vec!["linkedin", "google"],
            vec!["US", "CA"],
        ),
        (
            "DevOps Summit Webinar",
            "Ship twice as often with half the incidents",
            vec!["linkedin", "email"],
            vec!["US"],
        ),
        (
            "Startup Credits",
            "Free credits for your first year",
            vec!["google", "email"],
            vec!["US", "GB"],
        ),
        (
            "Enterprise Security",
            "Zero-trust for every workload",
            vec!["linkedin", "youtube"],
            vec!["US", "DE"],
        ),
        (
            "AI Assistant Launch",
            "Your ops copilot, in every terminal",
            vec!["linkedin", "google", "email"],
            vec!["US", "GB", "CA"],
        ),
    ];
    let campaigns = themes
        .into_iter()
        .enumerate()
        .map(|(i, (name, message, channels, countries))| {
            let org = &organizations[i / 5];
            let owner = users
                .iter()
                .find(|u| u.organization_id == org.id && u.user_type == "marketer")
                .map(|u| u.id)
                .unwrap_or(org.id);
            let (status, offset) = CAMPAIGN_STARTS[i % 5];
            // The second organization's campaigns a few days later, so the two do not overlap exactly.
            let start = day + Duration::days(offset + 3 * (i / 5) as i64);
            DemoCampaign {
                id: demo_id(kind::CAMPAIGN, i as u32 + 1),
                organization_id: org.id,
                owner_id: owner,
                name: name.to_string(),
                key_message: message.to_string(),
                status,
                budget_total: Decimal4::from_units(5_000 + 2_500 * i as i64),
                currency: org.currency,
                start_date: start,
                end_date: start + Duration::days(60),
                channels,
                countries,
            }
        })
        .collect();
    DemoPlan {
        organizations,
        users,
        campaigns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_deterministic_and_coherent() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let (a, b) = (demo_plan_on(day), demo_plan_on(day));
        assert_eq!(a.campaigns.len(), 10);
        assert_eq!(a.organizations.len(), 2);
        assert_eq!(a.campaigns[3].id, b.campaigns[3].id);
        assert_eq!(a.campaigns[3].start_date, b.campaigns[3].start_date);
        for c in &a.campaigns {
            assert!(a.organizations.iter().any(|o| o.id == c.organization_id));
            assert!(c.end_date >= c.start_date);
            assert!(!c.channels.is_empty());
        }
        assert!(demo_id(kind::CAMPAIGN, 1) < demo_id(kind::CAMPAIGN, 2));
        assert_eq!(
            DemoRng::for_id(a.campaigns[0].id).next_u64(),
            DemoRng::for_id(b.campaigns[0].id).next_u64()
        );
    }

    #[test]
    fn dates_follow_the_seeding_day_and_the_status() {
        for day in [
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            NaiveDate::from_ymd_opt(2031, 2, 28).unwrap(),
        ] {
            let plan = demo_plan_on(day);
            assert_eq!(
                plan.campaigns[0].id,
                demo_plan_on(day + Duration::days(9)).campaigns[0].id
            );
            for c in &plan.campaigns {
                match c.status {
                    "active" | "paused" => {
                        assert!(c.start_date < day && day < c.end_date, "{}", c.name)
                    }
                    "completed" => assert!(c.end_date < day, "{}", c.name),
                    _ => assert!(day < c.start_date, "{}", c.name),
                }
                for d in c.ad_days() {
                    assert!(c.start_date <= d.day && d.day < day && d.day <= c.end_date);
                }
            }
        }
    }

    #[test]
    fn ad_figures_are_plausible_within_budget_and_absent_for_drafts() {
        for campaign in demo_plan().campaigns {
            let days = campaign.ad_days();
            if campaign.status == "draft" {
                assert!(days.is_empty());
                continue;
            }
            assert_eq!(
                days.len() as i64,
                DEMO_METRIC_DAYS * campaign.channels.len() as i64
            );
            for d in &days {
                let ctr = d.clicks as f64 / d.impressions as f64;
                assert!((0.004..=0.031).contains(&ctr), "ctr {ctr}");
                assert!(d.spend <= campaign.daily_budget_per_channel());
                assert!(d.reach <= d.impressions && d.conversions <= d.clicks);
            }
            assert!(campaign.ad_spend() <= campaign.budget_total);
            assert_eq!(campaign.ad_days(), days, "deterministic");
        }
    }
}
