//! `Campaign`, owned by the sales subgraph, extended here with its ads and their figures.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result};
use promptsales_kit::{Page, PageRequest};
use uuid::Uuid;

use super::ad::Ad;
use super::ad_inputs::CampaignAdFilter;
use super::loaders::CampaignAds;
use super::loaders_of;
use super::totals::{AdTotals, ChannelTotals};

/// A campaign (owned by sales); this subgraph adds its ads. Only the key is known here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Campaign {
    id: Uuid,
}

impl Campaign {
    /// The campaign with this id (nothing is read: its fields load on demand).
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

/// A campaign (owned by the sales subgraph), with its ads and their figures.
#[Object]
impl Campaign {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Its ads (of the caller's organization), in creation order.
    async fn ads(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignAdFilter>,
        #[graphql(desc = "Page size, 1..100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The endCursor of the previous page.")] after: Option<String>,
    ) -> Result<Connection<String, Ad, EmptyFields, EmptyFields>> {
        let page = PageRequest::new(first, after)?;
        let key = CampaignAds::new(self.id, filter.unwrap_or_default().into_filter(), page);
        let ads = loaders_of(ctx)?
            .campaign_ads
            .load_one(key)
            .await?
            .unwrap_or(Page {
                items: Vec::new(),
                has_next: false,
            });
        Ok(ads.into_connection(&page, |ad| ad.id, Ad))
    }

    /// Totals over all its ads (amounts in the ads' market currency; zeros when it has no ads).
    async fn ad_totals(&self, ctx: &Context<'_>) -> Result<AdTotals> {
        let totals = loaders_of(ctx)?.campaign_totals.load_one(self.id).await?;
        Ok(AdTotals(totals.unwrap_or_default()))
    }

    /// Totals per channel it has ads on, by channel.
    async fn channel_breakdown(&self, ctx: &Context<'_>) -> Result<Vec<ChannelTotals>> {
        let rows = loaders_of(ctx)?.channel_breakdown.load_one(self.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| ChannelTotals {
                channel: row.channel.into(),
                totals: AdTotals(row.performance),
            })
            .collect())
    }
}
