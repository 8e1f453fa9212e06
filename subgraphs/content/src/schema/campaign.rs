//! `Campaign`, owned by the sales subgraph, extended here with the assets it uses.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result};
use promptsales_kit::PageRequest;
use promptsales_kit::schema::nullable;
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
#[Object(cache_control(max_age = 120))]
impl Campaign {
    /// The campaign's UUIDv7, as sales issued it (the federation key).
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
    ) -> Result<Option<Connection<String, MediaAsset, EmptyFields, EmptyFields>>> {
        nullable(async {
            let page = PageRequest::new(first, after)?;
            let filter = filter
                .map(CampaignAssetFilter::into_store)
                .unwrap_or_default();
            let assets =
                loaders::campaign_assets(ctx, CampaignAssetsKey::new(self.id, filter, page))
                    .await?;
            Ok(assets.into_connection(&page, |a| a.id, MediaAsset))
        })
        .await
    }

    /// The AI-generated content of the campaign; `usableOnly` keeps the APPROVED pieces only.
    async fn generated_contents(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] usable_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<
        Option<Connection<String, super::generated::GeneratedContent, EmptyFields, EmptyFields>>,
    > {
        nullable(async {
            let filter = crate::store::GeneratedFilter {
                campaign_id: Some(self.id),
                review_status: usable_only.then_some(super::ai_root::USABLE),
                channel: None,
            };
            super::ai_root::generated_contents(ctx, filter, first, after).await
        })
        .await
    }

    /// How many media assets the campaign uses.
    async fn asset_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        nullable(async {
            let count = loaders::campaign_asset_count(ctx, self.id).await?;
            Ok(i32::try_from(count).unwrap_or(i32::MAX))
        })
        .await
    }
}
