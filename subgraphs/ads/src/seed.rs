//! The ads part of the demo data, derived from the kit's demo plan.
//!
//! Every demo organization gets the eight demo markets; every demo campaign
//! gets one ad per channel in its first country, and campaigns that have run
//! (active, paused, completed) get 14 days of figures. Ids and figures are
//! deterministic: the same plan always seeds the same rows.

use std::collections::HashMap;

use chrono::NaiveDate;
use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::demo::{
    DemoCampaign, DemoPlan, DemoRng, demo_id, demo_plan_on, demo_today, kind,
};
use uuid::Uuid;

use crate::domain::{AdChannel, AdStatus, BidStrategy, Performance};
use crate::store::{AdsStore, NewAd, NewAdMetric, NewMarket, NewRows};

/// Demo id kind of markets (the kit reserves 10..19 for this subgraph; 10 is ads).
pub const MARKET_KIND: u8 = 11;
/// Demo id kind of metric days.
pub const METRIC_KIND: u8 = 12;
/// Assets content seeds per demo campaign (its `ASSETS_PER_CAMPAIGN`): campaign `i`'s
/// assets are `demo_id(kind::ASSET, i * 12 + 1 ..= i * 12 + 12)` (see /work/briefs/ads-notes.md).
pub const CONTENT_ASSETS_PER_CAMPAIGN: u32 = 12;
/// Creatives each demo ad rotates: its campaign's first assets.
pub const CREATIVES_PER_AD: u32 = 3;

/// The demo markets: country, currency, language.
pub const MARKETS: [(&str, &str, &str); 8] = [
    ("ES", "EUR", "es"),
    ("FR", "EUR", "fr"),
    ("PT", "EUR", "pt"),
    ("IT", "EUR", "it"),
    ("DE", "EUR", "de"),
    ("US", "USD", "en"),
    ("CA", "CAD", "en"),
    ("GB", "GBP", "en"),
];

/// Seeds this subgraph's part of the demo data unless it is already there; returns whether it wrote.
pub async fn seed_demo(store: &dyn AdsStore) -> anyhow::Result<bool> {
    seed_demo_on(store, demo_today()).await
}

/// [`seed_demo`] with the demo plan as seeded on `day` (its campaigns' dates are relative to it).
pub async fn seed_demo_on(store: &dyn AdsStore, day: NaiveDate) -> anyhow::Result<bool> {
    if !store
        .ads_by_id(TenantScope::All, &[demo_id(kind::AD, 1)])
        .await?
        .is_empty()
    {
        tracing::info!("ads demo data already present");
        return Ok(false);
    }
    let existing = store.markets(TenantScope::All).await?;
    let rows = demo_rows(&existing_markets(&existing), &demo_plan_on(day));
    let (markets, ads, days) = (rows.markets.len(), rows.ads.len(), rows.metrics.len());
    store.insert_rows(rows).await?;
    tracing::info!(markets, ads, days, "ads demo data seeded");
    Ok(true)
}

type MarketKey = (Uuid, String, String);

fn existing_markets(markets: &[crate::store::Market]) -> HashMap<MarketKey, Uuid> {
    markets
        .iter()
        .map(|m| {
            (
                (m.organization_id, m.country.clone(), m.language.clone()),
                m.id,
            )
        })
        .collect()
}

/// The demo rows, reusing markets that already exist (keyed by organization, country, language).
pub fn demo_rows(existing: &HashMap<MarketKey, Uuid>, plan: &DemoPlan) -> NewRows {
    let mut rows = NewRows::default();
    let mut market_of: HashMap<(Uuid, &str), Uuid> = HashMap::new();
    for (o, org) in plan.organizations.iter().enumerate() {
        for (i, (country, currency, language)) in MARKETS.into_iter().enumerate() {
            let key = (org.id, country.to_string(), language.to_string());
            let id = match existing.get(&key) {
                Some(id) => *id,
                None => {
                    let id = demo_id(MARKET_KIND, (o * MARKETS.len() + i + 1) as u32);
                    rows.markets.push(NewMarket {
                        id: Some(id),
                        organization_id: org.id,
                        country: country.to_string(),
                        currency: currency.to_string(),
                        language: language.to_string(),
                    });
                    id
                }
            };
            market_of.insert((org.id, country), id);
        }
    }
    let mut ad_n = 0u32;
    let mut day_n = 0u32;
    for (index, campaign) in plan.campaigns.iter().enumerate() {
        let Some((country, market_id)) = campaign
            .countries
            .first()
            .and_then(|c| Some((*c, *market_of.get(&(campaign.organization_id, *c))?)))
        else {
            tracing::warn!(campaign = %campaign.id, "demo campaign without a demo market; no ads");
            continue;
        };
        let mut rng = DemoRng::for_id(campaign.id);
        let status = status_of(campaign);
        let channels: Vec<AdChannel> = campaign
            .channels
            .iter()
            .filter_map(|c| AdChannel::from_code(c))
            .collect();
        let daily_budget = campaign.daily_budget_per_channel();
        // The plan's figures, so the campaign's spent budget in sales is these days' sum.
        let ad_days = campaign.ad_days();
        for channel in channels {
            ad_n += 1;
            let id = demo_id(kind::AD, ad_n);
            let platform = platform_of(channel);
            let external_id = (status != AdStatus::Draft)
                .then_some(platform)
                .flatten()
                .map(|_| rng.range(100_000_000_000, 999_999_999_999).to_string());
            rows.ads.push(NewAd {
                id: Some(id),
                organization_id: campaign.organization_id,
                campaign_id: campaign.id,
                channel,
                market_id,
                name: format!("{} · {} {}", campaign.name, label(channel), country),
                status,
                audience_segment_id: None,
                // Content's demo assets of the same campaign, by their deterministic ids.
                creative_ids: (1..=CREATIVES_PER_AD)
                    .map(|j| demo_id(kind::ASSET, index as u32 * CONTENT_ASSETS_PER_CAMPAIGN + j))
                    .collect(),
                daily_budget,
                bid_strategy: *rng.pick(&BidStrategy::ALL),
                start_date: campaign.start_date,
                end_date: campaign.end_date,
                platform: platform.map(str::to_string),
                external_id,
            });
            for day in ad_days
                .iter()
                .filter(|d| AdChannel::from_code(d.channel) == Some(channel))
            {
                day_n += 1;
                rows.metrics.push(NewAdMetric {
                    id: Some(demo_id(METRIC_KIND, day_n)),
                    organization_id: campaign.organization_id,
                    ad_id: id,
                    day: day.day,
                    performance: Performance {
                        impressions: day.impressions,
                        reach: day.reach,
                        clicks: day.clicks,
                        engagement: day.engagement,
                        spend: day.spend,
                        conversions: day.conversions,
                        conversion_value: day.conversion_value,
                    },
                });
            }
        }
    }
    rows
}

fn status_of(campaign: &DemoCampaign) -> AdStatus {
    match campaign.status {
        "active" => AdStatus::Running,
        "paused" => AdStatus::Paused,
        "completed" => AdStatus::Ended,
        _ => AdStatus::Draft,
    }
}

fn platform_of(channel: AdChannel) -> Option<&'static str> {
    match channel {
        AdChannel::Facebook | AdChannel::Instagram => Some("meta"),
        AdChannel::Google | AdChannel::Youtube => Some("google_ads"),
        AdChannel::Tiktok => Some("tiktok_ads"),
        AdChannel::Linkedin => Some("linkedin_ads"),
        AdChannel::Email => Some("mailchimp"),
        _ => None,
    }
}

fn label(channel: AdChannel) -> &'static str {
    match channel {
        AdChannel::Facebook => "Facebook",
        AdChannel::Instagram => "Instagram",
        AdChannel::Youtube => "YouTube",
        AdChannel::Tiktok => "TikTok",
        AdChannel::Google => "Google",
        AdChannel::Linkedin => "LinkedIn",
        AdChannel::Email => "E-mail",
        AdChannel::Sms => "SMS",
        AdChannel::Influencer => "Influencer",
        AdChannel::Tv => "TV",
        AdChannel::Radio => "Radio",
        AdChannel::Print => "Print",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_rows_are_deterministic_and_valid() {
        let today = demo_today();
        let plan = demo_plan_on(today);
        let a = demo_rows(&HashMap::new(), &plan);
        let b = demo_rows(&HashMap::new(), &plan);
        assert_eq!(a, b);
        assert_eq!(a.markets.len(), 16);
        let expected_ads: usize = plan.campaigns.iter().map(|c| c.channels.len()).sum();
        assert_eq!(a.ads.len(), expected_ads);
        for day in &a.metrics {
            day.performance.validate_day("seed").unwrap();
            let ctr = day.performance.ctr().unwrap();
            assert!((0.004..=0.031).contains(&ctr), "ctr {ctr}");
        }
        let drafts: Vec<_> = a
            .ads
            .iter()
            .filter(|ad| ad.status == AdStatus::Draft)
            .filter_map(|ad| ad.id)
            .collect();
        assert!(!drafts.is_empty());
        // Seeded as of today, every ad reads as it was seeded (none RUNNING past its end).
        for ad in &a.ads {
            assert_eq!(
                ad.status.as_of(ad.start_date, ad.end_date, today),
                ad.status,
                "{}",
                ad.name
            );
            let days = a.metrics.iter().filter(|m| Some(m.ad_id) == ad.id);
            assert!(
                days.into_iter()
                    .all(|m| ad.start_date <= m.day && m.day <= ad.end_date)
            );
        }
        assert!(a.metrics.iter().all(|m| !drafts.contains(&m.ad_id)));
    }

    #[test]
    fn existing_markets_are_reused() {
        let plan = demo_plan_on(demo_today());
        let mine = Uuid::now_v7();
        let existing = HashMap::from([(
            (plan.organizations[0].id, "ES".to_string(), "es".to_string()),
            mine,
        )]);
        let rows = demo_rows(&existing, &plan);
        assert_eq!(rows.markets.len(), 15);
        assert!(rows.ads.iter().any(|ad| ad.market_id == mine));
    }
}
