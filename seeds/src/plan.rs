//! The generated world, before it becomes rows: organizations, campaigns,
//! ads with their daily figures, and leads with their outcomes. Everything
//! that ties two stores together (ids, spend, lead counts, revenue) is decided
//! here once, so every store derives the same figures from it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use rayon::prelude::*;
use uuid::Uuid;

use crate::rng::{Rng, id, kind};

/// Money is stored as integers with four decimals (kit's `Decimal4`).
pub const UNIT: i64 = 10_000;

/// Sizes and anchor of a generated set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// The seed every draw derives from.
    pub seed: u64,
    /// crm customers.
    pub customers: u64,
    /// sales campaigns.
    pub campaigns: u64,
    /// The day the set is "today" in (campaigns are active relative to it).
    pub today: NaiveDate,
}

/// Markets an organization can target: country, currency, language (ads' own list, so the
/// generated ads name markets the ads subgraph knows; crm's cities follow the same order).
pub const COUNTRIES: [(&str, &str, &str); 8] = promptsales_ads::seed::MARKETS;

/// Ad channels (ads codes) with their relative lead quality (a hidden effect of the funnel).
pub const CHANNELS: [(&str, f64); 8] = [
    ("facebook", -0.1),
    ("instagram", 0.0),
    ("google", 0.35),
    ("linkedin", 0.45),
    ("tiktok", -0.35),
    ("youtube", -0.15),
    ("email", 0.25),
    ("sms", -0.2),
];

const INDUSTRIES: [&str; 5] = ["retail", "software", "travel", "finance", "education"];
const ORG_WORDS: [&str; 12] = [
    "Aster", "Boreal", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen",
];
const ORG_SUFFIX: [&str; 5] = ["Outfitters", "Systems", "Journeys", "Capital", "Academy"];
const THEMES: [&str; 16] = [
    "Winter Sale",
    "New Year Kickoff",
    "Spring Launch",
    "Summer Escape",
    "Back to School",
    "Black Friday",
    "Holiday Gifts",
    "Loyalty Rewards",
    "Product Launch",
    "Webinar Series",
    "Free Trial",
    "Referral Boost",
    "Brand Awareness",
    "Clearance",
    "Early Bird",
    "Anniversary",
];

/// One organization (a client of the agency) with its staff and markets.
#[derive(Debug, Clone)]
pub struct Org {
    /// From [`crate::rng::id`]: the same for the same seed.
    pub id: Uuid,
    /// Position in the plan.
    pub index: usize,
    /// Display name.
    pub name: String,
    /// Industry code.
    pub industry: &'static str,
    /// Home country.
    pub country: &'static str,
    /// Currency of its budgets and sales.
    pub currency: &'static str,
    /// Indexes into [`COUNTRIES`] it sells in.
    pub markets: Vec<usize>,
    /// Market ids, parallel to `markets`.
    pub market_ids: Vec<Uuid>,
    /// Its admin.
    pub admin: Uuid,
    /// Its marketers (campaign owners).
    pub marketers: Vec<Uuid>,
    /// Its sales agents (lead owners).
    pub agents: Vec<Uuid>,
    /// Indexes of its campaigns that have started by today (leads come only from those).
    pub started: Vec<usize>,
    /// Weights of `started` for attributing leads (budget).
    pub started_weights: Vec<f64>,
}

/// A campaign.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// From [`crate::rng::id`]: the same for the same seed.
    pub id: Uuid,
    /// Its organization (index).
    pub org: usize,
    /// Its owner (a marketer).
    pub owner: Uuid,
    /// Name.
    pub name: String,
    /// Sales status code.
    pub status: &'static str,
    /// Budget (raw four-decimal units).
    pub budget_total: i64,
    /// Sum of its ads' spend (raw).
    pub spent: i64,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Its channels (indexes into [`CHANNELS`]).
    pub channels: Vec<usize>,
    /// Its target markets (indexes into the organization's markets).
    pub markets: Vec<usize>,
    /// Hidden quality of its offer (moves the funnel).
    pub quality: f64,
    /// Its ads (indexes into the plan's ads).
    pub ads: std::ops::Range<usize>,
    /// Leads attributed to it.
    pub leads: i64,
    /// Revenue of its sales (raw).
    pub revenue: i64,
}

impl Campaign {
    /// Whether it ran (or runs) by today: it has ads figures and leads.
    pub fn started(&self, today: NaiveDate) -> bool {
        self.start < today && !matches!(self.status, "draft" | "pending_approval" | "approved")
    }

    /// The last day with figures: its end or yesterday.
    pub fn last_figure_day(&self, today: NaiveDate) -> NaiveDate {
        self.end.min(today - Duration::days(1))
    }
}

/// An ad: one channel in one market of a campaign.
#[derive(Debug, Clone)]
pub struct Ad {
    /// From [`crate::rng::id`]: the same for the same seed.
    pub id: Uuid,
    /// Its campaign (index).
    pub campaign: usize,
    /// Channel (index into [`CHANNELS`]).
    pub channel: usize,
    /// Market (index into the organization's markets).
    pub market: usize,
    /// Its daily budget (raw): the campaign's budget split over its ads and days.
    pub daily_budget: i64,
    /// Its first metric row in the plan's metrics.
    pub metrics: std::ops::Range<usize>,
}

/// One day of one ad.
#[derive(Debug, Clone, Default)]
pub struct MetricDay {
    /// The ad (index).
    pub ad: usize,
    /// The day.
    pub day: NaiveDate,
    /// Impressions.
    pub impressions: i64,
    /// Reach.
    pub reach: i64,
    /// Clicks.
    pub clicks: i64,
    /// Engagement.
    pub engagement: i64,
    /// Spend (raw), never above the ad's daily budget.
    pub spend: i64,
    /// Leads the ad brought that day (the crm's leads attributed to it).
    pub conversions: i64,
    /// Value of the sales those leads closed (raw).
    pub conversion_value: i64,
}

/// Funnel stages, crm codes, in order.
pub const STAGES: [&str; 6] = ["IQL", "MQL", "SQL", "OPPORTUNITY", "WON", "LOST"];

/// A lead and its fate.
#[derive(Debug, Clone)]
pub struct Lead {
    /// From [`crate::rng::id`]: the same for the same seed.
    pub id: Uuid,
    /// Its customer (index).
    pub customer: u64,
    /// Its campaign (index).
    pub campaign: usize,
    /// The ad it came from, if any (index).
    pub ad: Option<usize>,
    /// Source code (crm).
    pub source: &'static str,
    /// When it was captured.
    pub created_at: DateTime<Utc>,
    /// Index into [`STAGES`].
    pub stage: usize,
    /// A naive prior score (0-100), from the visible signals only.
    pub score: i32,
    /// Declared purchase intent (0-1).
    pub intent: f64,
    /// Ad clicks before capture.
    pub ad_clicks: i32,
    /// Estimated deal value (raw).
    pub estimated_value: i64,
    /// Its agent, once qualified.
    pub agent: Option<Uuid>,
    /// Interactions recorded.
    pub interactions: u8,
    /// Last interaction.
    pub last_interaction_at: DateTime<Utc>,
    /// Sale amount (raw) when won.
    pub sale: Option<i64>,
    /// The hidden propensity to buy (log-odds, noise included) that drove its funnel; the
    /// mood of its interactions follows it, not its outcome.
    pub propensity: f64,
}

/// The whole generated world.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Sizes it was made for.
    pub sizes: Sizes,
    /// Organizations.
    pub orgs: Vec<Org>,
    /// Campaigns.
    pub campaigns: Vec<Campaign>,
    /// Ads.
    pub ads: Vec<Ad>,
    /// Daily ad figures.
    pub metrics: Vec<MetricDay>,
    /// Organization of each customer (index).
    pub customer_org: Vec<u32>,
    /// Leads.
    pub leads: Vec<Lead>,
    /// Lifetime value of each customer (raw): what it bought.
    pub lifetime: Vec<i64>,
    /// Media assets per organization.
    pub assets_per_org: u64,
}

/// The start of `day` (UTC) plus `minutes`.
pub fn at(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc() + Duration::minutes(minutes)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Organizations for `campaigns` campaigns: about fifty campaigns each, at least two.
pub fn org_count(campaigns: u64) -> u64 {
    (campaigns / 50).max(2)
}

/// Media assets for `campaigns` campaigns: at least 100 in all.
pub fn asset_count(campaigns: u64) -> u64 {
    (campaigns / 5).max(100)
}

fn month_start(today: NaiveDate, months_back: i32) -> NaiveDate {
    let total = today.year() * 12 + today.month0() as i32 - months_back;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today)
}

fn days_in_month(start: NaiveDate) -> i64 {
    let next = if start.month() == 12 {
        NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
    };
    next.map_or(30, |n| (n - start).num_days())
}

/// Builds the world for `sizes`.
pub fn plan(sizes: Sizes) -> Plan {
    let seed = sizes.seed;
    let today = sizes.today;
    let n_orgs = org_count(sizes.campaigns);
    let mut orgs: Vec<Org> = (0..n_orgs)
        .map(|o| {
            let mut rng = Rng::of(seed, kind::ORGANIZATION, o);
            let industry = INDUSTRIES[(o as usize) % INDUSTRIES.len()];
            let home = rng.range(0, COUNTRIES.len() as i64 - 1) as usize;
            let mut markets = vec![home];
            for _ in 0..rng.range(1, 3) {
                let m = rng.range(0, COUNTRIES.len() as i64 - 1) as usize;
                if !markets.contains(&m) {
                    markets.push(m);
                }
            }
            let market_ids = markets
                .iter()
                .enumerate()
                .map(|(i, _)| id(seed, kind::MARKET, o * 16 + i as u64))
                .collect();
            let user = |n: u64| id(seed, kind::USER, o * 8 + n);
            Org {
                id: id(seed, kind::ORGANIZATION, o),
                index: o as usize,
                name: format!(
                    "{} {} {}",
                    ORG_WORDS[(o as usize) % ORG_WORDS.len()],
                    ORG_SUFFIX[(o as usize) % ORG_SUFFIX.len()],
                    o + 1
                ),
                industry,
                country: COUNTRIES[home].0,
                currency: COUNTRIES[home].1,
                markets,
                market_ids,
                admin: user(0),
                marketers: vec![user(1), user(2)],
                agents: vec![user(3), user(4), user(5)],
                started: Vec::new(),
                started_weights: Vec::new(),
            }
        })
        .collect();

    // Campaign starts: the last 24 months, with December, January and February busiest.
    let months: Vec<NaiveDate> = (1..=24).map(|b| month_start(today, b)).collect();
    let month_weights: Vec<f64> = months
        .iter()
        .map(|m| {
            if matches!(m.month(), 12 | 1 | 2) {
                2.6
            } else {
                1.0
            }
        })
        .collect();
    let mut campaigns: Vec<Campaign> = (0..sizes.campaigns)
        .map(|c| {
            let mut rng = Rng::of(seed, kind::CAMPAIGN, c);
            let org = (c % n_orgs) as usize;
            let o = &orgs[org];
            let roll = rng.unit();
            let (status, start, end) = if roll < 0.30 {
                // Running today.
                let start = today - Duration::days(rng.range(3, 80));
                let end = today + Duration::days(rng.range(7, 75));
                let status = if rng.chance(0.08) { "paused" } else { "active" };
                (status, start, end)
            } else if roll < 0.34 {
                let start = today + Duration::days(rng.range(5, 40));
                let status = *rng.pick(&["draft", "pending_approval", "approved"]);
                (status, start, start + Duration::days(rng.range(20, 60)))
            } else {
                let month = months[rng.weighted(&month_weights)];
                let start = month + Duration::days(rng.range(0, days_in_month(month) - 1));
                let end = (start + Duration::days(rng.range(14, 75)))
                    .min(today - Duration::days(rng.range(1, 5)));
                let end = end.max(start + Duration::days(1));
                let status = if rng.chance(0.05) {
                    "cancelled"
                } else {
                    "completed"
                };
                (status, start, end)
            };
            let mut channels: Vec<usize> = Vec::new();
            for _ in 0..rng.range(2, 4) {
                let ch = rng.range(0, CHANNELS.len() as i64 - 1) as usize;
                if !channels.contains(&ch) {
                    channels.push(ch);
                }
            }
            let mut markets: Vec<usize> = vec![0];
            if o.markets.len() > 1 && rng.chance(0.6) {
                markets.push(rng.range(1, o.markets.len() as i64 - 1) as usize);
            }
            // Seasonal campaigns get bigger budgets.
            let season = if matches!(start.month(), 12 | 1 | 2) {
                1.6
            } else {
                1.0
            };
            let budget_units = (rng.range(3_000, 60_000) as f64 * season) as i64 / 100 * 100;
            Campaign {
                id: id(seed, kind::CAMPAIGN, c),
                org,
                owner: *rng.pick(&o.marketers),
                name: format!(
                    "{} {} #{}",
                    THEMES[rng.range(0, 15) as usize],
                    start.year(),
                    c + 1
                ),
                status,
                budget_total: budget_units * UNIT,
                spent: 0,
                start,
                end,
                channels,
                markets,
                quality: rng.normal() * 0.45,
                ads: 0..0,
                leads: 0,
                revenue: 0,
            }
        })
        .collect();

    // Ads: one per channel and market; the budget split evenly over them and the days.
    let mut ads = Vec::new();
    for (c, campaign) in campaigns.iter_mut().enumerate() {
        let first = ads.len();
        let days = (campaign.end - campaign.start).num_days() + 1;
        let count = (campaign.channels.len() * campaign.markets.len()) as i64;
        // Whole cents per day, so a day's spend never rounds above it.
        let daily = campaign.budget_total / (count * days) / 100 * 100;
        for &channel in &campaign.channels {
            for &market in &campaign.markets {
                ads.push(Ad {
                    id: id(seed, kind::AD, ads.len() as u64),
                    campaign: c,
                    channel,
                    market,
                    daily_budget: daily,
                    metrics: 0..0,
                });
            }
        }
        campaign.ads = first..ads.len();
    }

    for (c, campaign) in campaigns.iter().enumerate() {
        if campaign.started(today) {
            let org = &mut orgs[campaign.org];
            org.started.push(c);
            org.started_weights.push(campaign.budget_total as f64);
        }
    }

    // Customers belong to organizations in proportion to the campaigns that reached people.
    let org_weights: Vec<f64> = orgs
        .iter()
        .map(|o| o.started_weights.iter().sum::<f64>().max(1.0))
        .collect();
    let customer_org: Vec<u32> = (0..sizes.customers)
        .into_par_iter()
        .map(|i| Rng::of(seed, kind::CUSTOMER, i).weighted(&org_weights) as u32)
        .collect();

    // Every customer came as a lead; about one in five came twice.
    let extra = sizes.customers / 5;
    let lead_count = sizes.customers + extra;
    let leads: Vec<Lead> = (0..lead_count)
        .into_par_iter()
        .filter_map(|l| {
            make_lead(
                seed,
                today,
                l,
                sizes.customers,
                &customer_org,
                &orgs,
                &campaigns,
                &ads,
            )
        })
        .collect();

    let mut lifetime = vec![0i64; sizes.customers as usize];
    for lead in &leads {
        let campaign = &mut campaigns[lead.campaign];
        campaign.leads += 1;
        if let Some(amount) = lead.sale {
            campaign.revenue += amount;
            lifetime[lead.customer as usize] += amount;
        }
    }

    // Leads and sales per ad and day, for the ads' conversions.
    let mut per_ad_day: std::collections::HashMap<(usize, NaiveDate), (i64, i64)> =
        std::collections::HashMap::new();
    for lead in &leads {
        if let Some(ad) = lead.ad {
            let entry = per_ad_day
                .entry((ad, lead.created_at.date_naive()))
                .or_default();
            entry.0 += 1;
            entry.1 += lead.sale.unwrap_or(0);
        }
    }

    let mut metrics = Vec::new();
    for (a, ad) in ads.iter_mut().enumerate() {
        let campaign = &mut campaigns[ad.campaign];
        let first = metrics.len();
        if campaign.started(today) {
            let mut rng = Rng::of(seed, kind::METRIC, a as u64);
            let (low, high) = match CHANNELS[ad.channel].0 {
                "email" => (800, 3_000),
                "sms" => (300, 1_200),
                _ => (4_000, 25_000),
            };
            let mut day = campaign.start;
            while day <= campaign.last_figure_day(today) {
                let (conversions, conversion_value) =
                    per_ad_day.get(&(a, day)).copied().unwrap_or_default();
                let impressions = rng.range(low, high);
                let reach = impressions * rng.range(55, 90) / 100;
                let clicks = (impressions * rng.range(50, 300) / 10_000).max(conversions * 3);
                let engagement = clicks * rng.range(150, 400) / 100;
                // Cost per click 0.30-2.50, capped by the day's budget, whole cents.
                let spend = (clicks * rng.range(3_000, 25_000)).min(ad.daily_budget) / 100 * 100;
                campaign.spent += spend;
                metrics.push(MetricDay {
                    ad: a,
                    day,
                    impressions: impressions.max(clicks),
                    reach: reach.min(impressions.max(clicks)),
                    clicks,
                    engagement,
                    spend,
                    conversions,
                    conversion_value,
                });
                day += Duration::days(1);
            }
        }
        ad.metrics = first..metrics.len();
    }

    Plan {
        sizes,
        assets_per_org: asset_count(sizes.campaigns).div_ceil(n_orgs),
        orgs,
        campaigns,
        ads,
        metrics,
        customer_org,
        leads,
        lifetime,
    }
}

#[allow(clippy::too_many_arguments)]
fn make_lead(
    seed: u64,
    today: NaiveDate,
    l: u64,
    customers: u64,
    customer_org: &[u32],
    orgs: &[Org],
    campaigns: &[Campaign],
    ads: &[Ad],
) -> Option<Lead> {
    let mut rng = Rng::of(seed, kind::LEAD, l);
    let customer = if l < customers {
        l
    } else {
        rng.range(0, customers as i64 - 1) as u64
    };
    let org = &orgs[*customer_org.get(customer as usize)? as usize];
    if org.started.is_empty() {
        return None;
    }
    let c = org.started[rng.weighted(&org.started_weights)];
    let campaign = &campaigns[c];
    let last = campaign.last_figure_day(today);
    let span = (last - campaign.start).num_days().max(0);
    let day = campaign.start + Duration::days(rng.range(0, span));
    let created_at = at(day, rng.range(7 * 60, 22 * 60));

    // One in ten comes in organically (no ad); the rest from one of the campaign's ads.
    let (ad, source, channel_effect) = if rng.chance(0.1) || campaign.ads.is_empty() {
        let source = *rng.pick(&["WEB", "REFERRAL", "EVENT"]);
        let effect = match source {
            "REFERRAL" => 0.5,
            "EVENT" => 0.2,
            _ => 0.0,
        };
        (None, source, effect)
    } else {
        let a = campaign.ads.start + rng.range(0, campaign.ads.len() as i64 - 1) as usize;
        let (channel, effect) = CHANNELS[ads[a].channel];
        let source = match channel {
            "facebook" => "FACEBOOK",
            "instagram" => "INSTAGRAM",
            "google" => "GOOGLE",
            "linkedin" => "LINKEDIN",
            "tiktok" => "TIKTOK",
            "youtube" => "YOUTUBE",
            "email" => "EMAIL",
            _ => "SMS",
        };
        (Some(a), source, effect)
    };

    // Visible signals.
    let intent = (rng.unit().powf(1.3) * 100.0).round() / 100.0;
    let ad_clicks = if ad.is_some() {
        (rng.unit() * rng.unit() * 12.0) as i32
    } else {
        0
    };
    let b2b = matches!(org.industry, "software" | "finance");
    let value_units = if b2b {
        rng.range(1_500, 40_000)
    } else {
        rng.range(40, 900)
    };
    let estimated_value = value_units * UNIT;

    // The hidden propensity: signals, channel and offer quality, and noise a model cannot see.
    let age_days = (today - day).num_days();
    let z = -0.4
        + 2.2 * (intent - 0.45)
        + 0.45 * f64::from(ad_clicks).ln_1p()
        + channel_effect
        + campaign.quality
        - 0.25 * (value_units as f64).log10()
        + 0.6 * rng.logistic();
    let mut stage = 0usize;
    // Younger leads have had less time to move.
    let steps = match age_days {
        0..=3 => 1,
        4..=10 => 2,
        11..=25 => 3,
        _ => 4,
    };
    for step in 0..steps {
        let pass = sigmoid(z + 0.9 - 0.35 * step as f64 + 0.3 * rng.normal());
        if rng.chance(pass) {
            stage += 1;
        } else {
            break;
        }
    }
    // Stalled leads that had time to close are lost; the best get an outcome too.
    if stage < 4 && stage >= 1 && age_days > 30 && rng.chance(0.55) {
        stage = 5;
    }
    let won = stage == 4;
    let score = ((sigmoid(-0.5 + 2.0 * (intent - 0.45) + 0.4 * f64::from(ad_clicks).ln_1p())
        * 100.0)
        + rng.normal() * 8.0)
        .round()
        .clamp(0.0, 100.0) as i32;
    let agent = (stage >= 1).then(|| *rng.pick(&org.agents));
    let interactions = match stage {
        0 => rng.range(0, 1),
        1 => rng.range(1, 2),
        5 => rng.range(1, 3),
        _ => rng.range(2, 4),
    } as u8;
    let last_interaction_at = (created_at
        + Duration::hours(rng.range(1, 24 * (age_days.clamp(1, 30)))))
    .min(at(today, 0) - Duration::minutes(1));
    let sale = won.then(|| {
        let discount = rng.range(70, 110);
        (estimated_value * discount / 100 / 100).max(1) * 100
    });
    Some(Lead {
        id: id(seed, kind::LEAD, l),
        customer,
        campaign: c,
        ad,
        source,
        created_at,
        stage,
        score,
        intent,
        ad_clicks,
        estimated_value,
        agent,
        interactions,
        last_interaction_at: last_interaction_at.max(created_at),
        sale,
        propensity: z,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Plan {
        plan(Sizes {
            seed: 3,
            customers: 2_000,
            campaigns: 40,
            today: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
        })
    }

    #[test]
    fn spend_stays_within_budgets_and_funnel_is_mixed() {
        let p = small();
        for c in &p.campaigns {
            assert!(
                c.spent <= c.budget_total,
                "{} spent {} of {}",
                c.name,
                c.spent,
                c.budget_total
            );
        }
        for m in &p.metrics {
            assert!(m.spend <= p.ads[m.ad].daily_budget);
            assert!(m.conversions <= m.clicks);
        }
        let won = p.leads.iter().filter(|l| l.stage == 4).count();
        assert!(
            won > 0 && won < p.leads.len() / 2,
            "won {won} of {}",
            p.leads.len()
        );
        let active = p.campaigns.iter().filter(|c| c.status == "active").count();
        assert!(active > 0);
    }
}
