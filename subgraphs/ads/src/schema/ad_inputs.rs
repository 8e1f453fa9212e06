//! Inputs about ads: creation, update and list filters.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::NaiveDate;
use promptsales_kit::ids::parse_ids;
use promptsales_kit::{ApiError, Decimal4, parse_id};

use super::enums::{AdBidStrategy, AdChannel, AdStatus};
use crate::domain::{AdFields, AdPatch, Patch};
use crate::store::AdFilter;

/// A new ad; it starts as a DRAFT.
#[derive(InputObject, Debug, Clone)]
pub struct CreateAdInput {
    /// The campaign (a sales `Campaign` id).
    pub campaign_id: ID,
    /// The market; the ad belongs to the market's organization and spends in its currency.
    pub market_id: ID,
    /// The channel.
    pub channel: AdChannel,
    /// A name people recognise.
    pub name: String,
    /// Daily budget in the market's currency (zero or more).
    pub daily_budget: Decimal4,
    /// How it bids.
    #[graphql(default_with = "AdBidStrategy::LowestCost")]
    pub bid_strategy: AdBidStrategy,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day (not before the first).
    pub end_date: NaiveDate,
    /// The audience segment (a sales `Target` id).
    pub audience_segment_id: Option<ID>,
    /// The creatives (content `MediaAsset` ids), in rotation order.
    #[graphql(default)]
    pub creative_ids: Vec<ID>,
    /// The ad platform serving it (`meta`, `google_ads`...).
    pub platform: Option<String>,
    /// Its id on that platform.
    pub external_id: Option<String>,
}

impl CreateAdInput {
    /// The domain's view, with ids parsed.
    pub fn into_fields(self) -> Result<AdFields, ApiError> {
        Ok(AdFields {
            campaign_id: parse_id("input.campaignId", &self.campaign_id)?,
            market_id: parse_id("input.marketId", &self.market_id)?,
            channel: self.channel.into(),
            name: self.name,
            daily_budget: self.daily_budget,
            bid_strategy: self.bid_strategy.into(),
            start_date: self.start_date,
            end_date: self.end_date,
            audience_segment_id: self
                .audience_segment_id
                .map(|id| parse_id("input.audienceSegmentId", &id))
                .transpose()?,
            creative_ids: parse_ids("input.creativeIds", &self.creative_ids)?,
            platform: self.platform,
            external_id: self.external_id,
        })
    }
}

/// Changes to an ad; fields left out stay as they are, and `null` clears the nullable ones.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateAdInput {
    /// A new name.
    pub name: Option<String>,
    /// A new status (DRAFT -> SCHEDULED -> RUNNING <-> PAUSED -> ENDED; ENDED is final).
    pub status: Option<AdStatus>,
    /// A new daily budget.
    pub daily_budget: Option<Decimal4>,
    /// A new bid strategy.
    pub bid_strategy: Option<AdBidStrategy>,
    /// A new first day.
    pub start_date: Option<NaiveDate>,
    /// A new last day.
    pub end_date: Option<NaiveDate>,
    /// The audience segment; `null` removes it.
    pub audience_segment_id: MaybeUndefined<ID>,
    /// The creatives, replacing the current list.
    pub creative_ids: Option<Vec<ID>>,
    /// The ad platform; `null` removes it (and needs externalId removed too).
    pub platform: MaybeUndefined<String>,
    /// Its id on the platform; `null` removes it.
    pub external_id: MaybeUndefined<String>,
}

fn patch<T, U>(
    value: MaybeUndefined<T>,
    f: impl FnOnce(T) -> Result<U, ApiError>,
) -> Result<Patch<U>, ApiError> {
    Ok(match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(f(v)?),
    })
}

impl UpdateAdInput {
    /// The domain's view, with ids parsed.
    pub fn into_patch(self) -> Result<AdPatch, ApiError> {
        Ok(AdPatch {
            name: self.name,
            status: self.status.map(Into::into),
            daily_budget: self.daily_budget,
            bid_strategy: self.bid_strategy.map(Into::into),
            start_date: self.start_date,
            end_date: self.end_date,
            audience_segment_id: patch(self.audience_segment_id, |id| {
                parse_id("input.audienceSegmentId", &id)
            })?,
            creative_ids: self
                .creative_ids
                .map(|ids| parse_ids("input.creativeIds", &ids))
                .transpose()?,
            platform: patch(self.platform, Ok)?,
            external_id: patch(self.external_id, Ok)?,
        })
    }
}

/// Which ads to list; every criterion given must hold.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "AdFilter")]
pub struct AdFilterInput {
    /// Only this campaign's ads.
    pub campaign_id: Option<ID>,
    /// Only on this channel.
    pub channel: Option<AdChannel>,
    /// Only in this status.
    pub status: Option<AdStatus>,
}

impl AdFilterInput {
    /// The store's filter, with ids parsed.
    pub fn into_filter(self) -> Result<AdFilter, ApiError> {
        Ok(AdFilter {
            campaign_id: self
                .campaign_id
                .map(|id| parse_id("filter.campaignId", &id))
                .transpose()?,
            channel: self.channel.map(Into::into),
            status: self.status.map(Into::into),
        })
    }
}

/// Which of a campaign's ads to list.
#[derive(InputObject, Debug, Clone, Copy, Default)]
pub struct CampaignAdFilter {
    /// Only on this channel.
    pub channel: Option<AdChannel>,
    /// Only in this status.
    pub status: Option<AdStatus>,
}

impl CampaignAdFilter {
    /// The store's filter.
    pub fn into_filter(self) -> AdFilter {
        AdFilter {
            campaign_id: None,
            channel: self.channel.map(Into::into),
            status: self.status.map(Into::into),
        }
    }
}
