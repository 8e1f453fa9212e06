//! `MediaAsset`, owned by the content subgraph: ads' creatives point at it, and
//! this subgraph adds the ads that show it.

use async_graphql::{Context, ID, Object, Result};
use uuid::Uuid;

use super::ad::Ad;
use super::loaders_of;

/// A media asset (owned by the content subgraph); this subgraph knows its id and which ads show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaAsset {
    id: Uuid,
}

impl MediaAsset {
    /// The asset with this id (nothing is read: its fields load on demand).
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

/// A media asset (owned by the content subgraph), with the ads that show it as a creative.
#[Object(cache_control(max_age = 300))]
impl MediaAsset {
    /// The asset's id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The ads (of the caller's organization) that show it, by id.
    async fn ads(&self, ctx: &Context<'_>) -> Result<Vec<Ad>> {
        let ads = loaders_of(ctx)?.asset_ads.load_one(self.id).await?;
        Ok(ads.unwrap_or_default().into_iter().map(Ad).collect())
    }
}
