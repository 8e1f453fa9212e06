//! `Campaign`, owned by the sales subgraph, extended here with the assets it uses.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result};
use promptsales_kit::PageRequest;
use uuid::Uuid;

use super::inputs::CampaignAssetFilter;
use super::loaders::{self, CampaignAssetsKey};
use super::media_asset::MediaAsset;

/// A marketing campaign; this subgraph adds its media assets.
pub struct Campaign {
    /// The key.
    pub id: Uuid,
}

/// A marketing campaign; this subgraph adds its media assets.
#[Object]
impl Campaign {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The media assets the campaign uses, in registration order.
    async fn assets(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignAssetFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, MediaAsset, EmptyFields, EmptyFields>> {
        let page = PageRequest::new(first, after)?;
        let filter = filter
            .map(CampaignAssetFilter::into_store)
            .unwrap_or_default();
        let assets =
            loaders::campaign_assets(ctx, CampaignAssetsKey::new(self.id, filter, page)).await?;
        Ok(assets.into_connection(&page, |a| a.id, MediaAsset))
    }

    /// How many media assets the campaign uses.
    async fn asset_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let count = loaders::campaign_asset_count(ctx, self.id).await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}
