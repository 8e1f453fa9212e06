//! DataLoaders: one per relation, created per request with the request's
//! tenant scope, so that N parents (a page, or the representations of an
//! `_entities` call) cost one store read per relation instead of N.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Data};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{LoadError, Page, PageRequest};
use uuid::Uuid;

use crate::store::agenda::ScheduleTask;
use crate::store::workflow::{Approval, CampaignPlan};
use crate::store::{
    Campaign, CampaignFilter, CampaignObjective, Organization, Product, SalesStore, User,
};

/// What every loader holds: the store and the scope of the request it serves.
#[derive(Clone)]
pub struct Scoped {
    store: Arc<dyn SalesStore>,
    scope: TenantScope,
}

/// Organizations by id.
pub struct OrganizationLoader(Scoped);
/// Users by id.
pub struct UserLoader(Scoped);
/// Campaigns by id.
pub struct CampaignLoader(Scoped);
/// The products of an organization.
pub struct OrganizationProductsLoader(Scoped);
/// The products a campaign promotes.
pub struct CampaignProductsLoader(Scoped);
/// The objectives of a campaign.
pub struct CampaignObjectivesLoader(Scoped);
/// One page of an organization's campaigns.
pub struct OrganizationCampaignsLoader(Scoped);
/// The approvals of a campaign (every round).
pub struct CampaignApprovalsLoader(Scoped);
/// The proposed plan of a campaign.
pub struct CampaignPlanLoader(Scoped);
/// The agenda of a campaign.
pub struct CampaignTasksLoader(Scoped);
/// The stops of a campaign's ads that ads has not confirmed yet.
pub struct CampaignReconcilesLoader(Scoped);

/// The key of [`OrganizationCampaignsLoader`]: the organization and the page asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrganizationCampaignsKey {
    /// The organization.
    pub organization_id: Uuid,
    /// The filter (its `organization_id` is ignored: the key's wins).
    pub filter: CampaignFilter,
    /// Page size.
    pub first: u64,
    /// Cursor.
    pub after: Option<Uuid>,
}

/// Adds this request's loaders to its data (the app's `request_data` hook).
pub fn register(store: &Arc<dyn SalesStore>, scope: TenantScope, data: &mut Data) {
    let scoped = Scoped {
        store: store.clone(),
        scope,
    };
    data.insert(DataLoader::new(
        OrganizationLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(UserLoader(scoped.clone()), tokio::spawn));
    data.insert(DataLoader::new(
        CampaignLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        OrganizationProductsLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignProductsLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignObjectivesLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignApprovalsLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignPlanLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignTasksLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignReconcilesLoader(scoped.clone()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        OrganizationCampaignsLoader(scoped),
        tokio::spawn,
    ));
}

/// The request's loader of type `L` (absent only if the schema runs outside [`crate::app`]).
pub fn loader<'a, L: Send + Sync + 'static>(
    ctx: &'a Context<'_>,
) -> async_graphql::Result<&'a DataLoader<L>> {
    ctx.data::<DataLoader<L>>()
}

fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|row| (id(&row), row)).collect()
}

fn grouped<T>(rows: impl IntoIterator<Item = (Uuid, T)>) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for (key, row) in rows {
        map.entry(key).or_default().push(row);
    }
    map
}

impl Loader<Uuid> for OrganizationLoader {
    type Value = Organization;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Organization>, LoadError> {
        let rows = self
            .0
            .store
            .organizations_by_ids(self.0.scope, keys)
            .await?;
        Ok(by_id(rows, |o| o.id))
    }
}

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, LoadError> {
        let rows = self.0.store.users_by_ids(self.0.scope, keys).await?;
        Ok(by_id(rows, |u| u.id))
    }
}

impl Loader<Uuid> for CampaignLoader {
    type Value = Campaign;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Campaign>, LoadError> {
        let rows = self.0.store.campaigns_by_ids(self.0.scope, keys).await?;
        Ok(by_id(rows, |c| c.id))
    }
}

impl Loader<Uuid> for OrganizationProductsLoader {
    type Value = Vec<Product>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Product>>, LoadError> {
        let rows = self
            .0
            .store
            .products_by_organizations(self.0.scope, keys)
            .await?;
        Ok(grouped(rows.into_iter().map(|p| (p.organization_id, p))))
    }
}

impl Loader<Uuid> for CampaignProductsLoader {
    type Value = Vec<Product>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Product>>, LoadError> {
        let rows = self
            .0
            .store
            .products_by_campaigns(self.0.scope, keys)
            .await?;
        Ok(grouped(rows))
    }
}

impl Loader<Uuid> for CampaignObjectivesLoader {
    type Value = Vec<CampaignObjective>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<CampaignObjective>>, LoadError> {
        let rows = self
            .0
            .store
            .objectives_by_campaigns(self.0.scope, keys)
            .await?;
        Ok(grouped(rows.into_iter().map(|o| (o.campaign_id, o))))
    }
}

impl Loader<OrganizationCampaignsKey> for OrganizationCampaignsLoader {
    type Value = Page<Campaign>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[OrganizationCampaignsKey],
    ) -> Result<HashMap<OrganizationCampaignsKey, Page<Campaign>>, LoadError> {
        // Parents of one page ask for the same filter and page size, so this is one group and one query.
        let mut groups: HashMap<
            (CampaignFilter, u64, Option<Uuid>),
            Vec<&OrganizationCampaignsKey>,
        > = HashMap::new();
        for key in keys {
            let filter = CampaignFilter {
                organization_id: None,
                ..key.filter.clone()
            };
            groups
                .entry((filter, key.first, key.after))
                .or_default()
                .push(key);
        }
        let mut out = HashMap::new();
        for ((filter, first, after), group) in groups {
            let organizations: Vec<Uuid> = group.iter().map(|k| k.organization_id).collect();
            let page = PageRequest { first, after };
            let pages = self
                .0
                .store
                .list_campaigns_of_organizations(self.0.scope, &organizations, &filter, page)
                .await?;
            for key in group {
                let page = pages.get(&key.organization_id).cloned().unwrap_or(Page {
                    items: Vec::new(),
                    has_next: false,
                });
                out.insert(key.clone(), page);
            }
        }
        Ok(out)
    }
}

impl Loader<Uuid> for CampaignApprovalsLoader {
    type Value = Vec<Approval>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Approval>>, LoadError> {
        let rows = self
            .0
            .store
            .approvals_of_campaigns(self.0.scope, keys)
            .await?;
        Ok(grouped(rows.into_iter().map(|a| (a.campaign_id, a))))
    }
}

impl Loader<Uuid> for CampaignReconcilesLoader {
    type Value = Vec<crate::store::reconcile::PendingReconcile>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<crate::store::reconcile::PendingReconcile>>, LoadError> {
        let rows = self.0.store.pending_reconciles(self.0.scope, keys).await?;
        Ok(grouped(rows.into_iter().map(|r| (r.campaign_id, r))))
    }
}

impl Loader<Uuid> for CampaignPlanLoader {
    type Value = CampaignPlan;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, CampaignPlan>, LoadError> {
        let rows = self.0.store.plans_of_campaigns(self.0.scope, keys).await?;
        Ok(by_id(rows, |p| p.campaign_id))
    }
}

impl Loader<Uuid> for CampaignTasksLoader {
    type Value = Vec<ScheduleTask>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<ScheduleTask>>, LoadError> {
        let rows = self.0.store.tasks_of_campaigns(self.0.scope, keys).await?;
        Ok(grouped(rows.into_iter().map(|t| (t.campaign_id, t))))
    }
}
