//! `launchAds`: a campaign's set of ads, created all or none.

use async_graphql::{ID, InputObject};
use chrono::NaiveDate;
use promptsales_kit::ids::parse_ids;
use promptsales_kit::{ApiError, Decimal4, parse_id};
use uuid::Uuid;

use super::enums::{AdBidStrategy, AdChannel};
use crate::domain::AdFields;

/// One ad of a launch (the campaign is the mutation's).
#[derive(InputObject, Debug, Clone)]
pub struct AdLaunchInput {
    /// The market; it must belong to the campaign's organization, spend in the
    /// campaign's currency and be one of its target countries.
    pub market_id: ID,
    /// The channel (it must serve ads in the market's country).
    pub channel: AdChannel,
    /// A name people recognise.
    pub name: String,
    /// Daily budget in the market's currency; every ad's days x budget must fit the campaign's available budget.
    pub daily_budget: Decimal4,
    /// How it bids.
    #[graphql(default_with = "AdBidStrategy::LowestCost")]
    pub bid_strategy: AdBidStrategy,
    /// First day (not before the campaign's).
    pub start_date: NaiveDate,
    /// Last day (not after the campaign's).
    pub end_date: NaiveDate,
    /// The audience segment (a sales `Target` id).
    pub audience_segment_id: Option<ID>,
    /// The creatives (content `MediaAsset` ids), in rotation order.
    #[graphql(default)]
    pub creative_ids: Vec<ID>,
    /// The ad platform that will serve it (`meta`, `simulator`...).
    pub platform: Option<String>,
}

impl AdLaunchInput {
    /// The domain's view of ad `index`, with ids parsed (fields named `ads[index].x`).
    pub fn into_fields(self, index: usize, campaign_id: Uuid) -> Result<AdFields, ApiError> {
        let f = |name: &str| format!("ads[{index}].{name}");
        Ok(AdFields {
            campaign_id,
            market_id: parse_id(&f("marketId"), &self.market_id)?,
            channel: self.channel.into(),
            name: self.name,
            daily_budget: self.daily_budget,
            bid_strategy: self.bid_strategy.into(),
            start_date: self.start_date,
            end_date: self.end_date,
            audience_segment_id: self
                .audience_segment_id
                .map(|id| parse_id(&f("audienceSegmentId"), &id))
                .transpose()?,
            creative_ids: parse_ids(&f("creativeIds"), &self.creative_ids)?,
            platform: self.platform,
            external_id: None,
        })
    }
}
