//! DataLoaders, one per relation, created per request with the request's tenant scope.
//!
//! N parents (a page of campaigns, the representations of `_entities`)
//! cost one statement per relation instead of N.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Data, Result};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{LoadError, Page, PageRequest};
use uuid::Uuid;

use crate::domain::MediaAsset;
use crate::store::{CampaignAssetFilter, ContentStore, TemplateResults};

/// Adds this request's loaders to its data (the app's `request_data` hook).
pub fn install(store: Arc<dyn ContentStore>, scope: TenantScope, data: &mut Data) {
    data.insert(DataLoader::new(
        MediaAssetLoader {
            store: store.clone(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        AssetCampaignsLoader {
            store: store.clone(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignAssetsLoader {
            store: store.clone(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        TemplateResultsLoader {
            store: store.clone(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignAssetCountLoader { store, scope },
        tokio::spawn,
    ));
}

/// What template `id` produced, batched.
pub async fn template_results(ctx: &Context<'_>, id: Uuid) -> Result<TemplateResults> {
    Ok(loader::<TemplateResultsLoader>(ctx)?
        .load_one(id)
        .await?
        .unwrap_or_default())
}

/// Results by template.
pub struct TemplateResultsLoader {
    store: Arc<dyn ContentStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for TemplateResultsLoader {
    type Value = TemplateResults;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, TemplateResults>, LoadError> {
        Ok(self.store.template_results(self.scope, keys).await?)
    }
}

fn loader<'a, L: Send + Sync + 'static>(ctx: &Context<'a>) -> Result<&'a DataLoader<L>> {
    ctx.data::<DataLoader<L>>()
}

/// The visible asset `id`, batched with the other lookups of this request.
pub async fn asset(ctx: &Context<'_>, id: Uuid) -> Result<Option<MediaAsset>> {
    Ok(loader::<MediaAssetLoader>(ctx)?.load_one(id).await?)
}

/// The visible assets among `ids`, in the order of `ids`, batched.
pub async fn assets(ctx: &Context<'_>, ids: &[Uuid]) -> Result<Vec<MediaAsset>> {
    let mut found = loader::<MediaAssetLoader>(ctx)?
        .load_many(ids.iter().copied())
        .await?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// The campaigns using asset `id`, batched.
pub async fn campaigns_of(ctx: &Context<'_>, id: Uuid) -> Result<Vec<Uuid>> {
    Ok(loader::<AssetCampaignsLoader>(ctx)?
        .load_one(id)
        .await?
        .unwrap_or_default())
}

/// One page of a campaign's assets, batched across campaigns asking for the same page.
pub async fn campaign_assets(
    ctx: &Context<'_>,
    key: CampaignAssetsKey,
) -> Result<Page<MediaAsset>> {
    Ok(loader::<CampaignAssetsLoader>(ctx)?
        .load_one(key)
        .await?
        .unwrap_or(Page {
            items: Vec::new(),
            has_next: false,
        }))
}

/// How many assets campaign `id` uses, batched.
pub async fn campaign_asset_count(ctx: &Context<'_>, id: Uuid) -> Result<u64> {
    Ok(loader::<CampaignAssetCountLoader>(ctx)?
        .load_one(id)
        .await?
        .unwrap_or(0))
}

/// Assets by id.
pub struct MediaAssetLoader {
    store: Arc<dyn ContentStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for MediaAssetLoader {
    type Value = MediaAsset;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, MediaAsset>, LoadError> {
        let assets = self.store.assets_by_ids(self.scope, keys).await?;
        Ok(assets.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// Campaign ids by asset.
pub struct AssetCampaignsLoader {
    store: Arc<dyn ContentStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for AssetCampaignsLoader {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        Ok(self.store.campaigns_of_assets(self.scope, keys).await?)
    }
}

/// Which page of which campaign's assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignAssetsKey {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its filter.
    pub filter: CampaignAssetFilter,
    /// Page size.
    pub first: u64,
    /// Cursor.
    pub after: Option<Uuid>,
}

impl CampaignAssetsKey {
    /// The key of `page` of `campaign_id`'s assets under `filter`.
    pub fn new(campaign_id: Uuid, filter: CampaignAssetFilter, page: PageRequest) -> Self {
        Self {
            campaign_id,
            filter,
            first: page.first,
            after: page.after,
        }
    }
}

/// Pages of campaign assets; keys asking for the same page share one statement.
pub struct CampaignAssetsLoader {
    store: Arc<dyn ContentStore>,
    scope: TenantScope,
}

impl Loader<CampaignAssetsKey> for CampaignAssetsLoader {
    type Value = Page<MediaAsset>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CampaignAssetsKey],
    ) -> Result<HashMap<CampaignAssetsKey, Page<MediaAsset>>, LoadError> {
        let mut groups: HashMap<(CampaignAssetFilter, u64, Option<Uuid>), Vec<Uuid>> =
            HashMap::new();
        for key in keys {
            groups
                .entry((key.filter, key.first, key.after))
                .or_default()
                .push(key.campaign_id);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((filter, first, after), campaign_ids) in groups {
            let page = PageRequest { first, after };
            let found = self
                .store
                .campaign_assets(self.scope, &campaign_ids, &filter, &page)
                .await?;
            for (campaign_id, assets) in found {
                pages.insert(
                    CampaignAssetsKey {
                        campaign_id,
                        filter,
                        first,
                        after,
                    },
                    assets,
                );
            }
        }
        Ok(pages)
    }
}

/// Asset counts by campaign.
pub struct CampaignAssetCountLoader {
    store: Arc<dyn ContentStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for CampaignAssetCountLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        Ok(self.store.campaign_asset_counts(self.scope, keys).await?)
    }
}
