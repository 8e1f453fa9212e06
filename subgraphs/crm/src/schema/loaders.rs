//! DataLoaders: every relation resolved per parent goes through one, so a
//! page of parents (or the router's `_entities` batch) costs one statement
//! per relation, not one per parent. They are created per request and hold
//! the request's tenant scope.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Data;
use async_graphql::dataloader::{DataLoader, Loader};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{LoadError, Page, PageRequest};
use uuid::Uuid;

use super::lead::Lead as LeadNode;
use crate::store::{
    CampaignSales, CrmStore, Customer, Interaction, Lead, LeadFunnel, LeadStage, StageChange,
};

/// Customers by id.
pub struct CustomerLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for CustomerLoader {
    type Value = Customer;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Customer>, LoadError> {
        let rows = self.store.customers_by_ids(self.scope, keys).await?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// Leads by id.
pub struct LeadLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for LeadLoader {
    type Value = Lead;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Lead>, LoadError> {
        let rows = self.store.leads_by_ids(self.scope, keys).await?;
        Ok(rows.into_iter().map(|l| (l.id, l)).collect())
    }
}

/// The lead funnel of campaigns, by campaign id (one `GROUP BY` for the batch).
pub struct FunnelLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for FunnelLoader {
    type Value = LeadFunnel;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, LeadFunnel>, LoadError> {
        Ok(self.store.lead_funnels(self.scope, keys).await?)
    }
}

/// Revenue and sales count of campaigns, by campaign id.
pub struct CampaignSalesLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for CampaignSalesLoader {
    type Value = CampaignSales;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, CampaignSales>, LoadError> {
        Ok(self.store.campaign_sales(self.scope, keys).await?)
    }
}

/// One campaign's page of leads: which campaign, which stages, which page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CampaignLeadsKey {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Stage filter in canonical form (empty: every stage).
    pub stages: Vec<LeadStage>,
    /// Page size.
    pub first: u64,
    /// Cursor.
    pub after: Option<Uuid>,
    /// Whether to load the leads' customers with them (the selection asks for them).
    pub with_customers: bool,
}

/// Pages of leads of campaigns.
pub struct CampaignLeadsLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<CampaignLeadsKey> for CampaignLeadsLoader {
    type Value = Page<LeadNode>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CampaignLeadsKey],
    ) -> Result<HashMap<CampaignLeadsKey, Page<LeadNode>>, LoadError> {
        // Parents of one selection share their arguments, so this is one group (one statement) in practice.
        type Group<'a> = (&'a [LeadStage], u64, Option<Uuid>, bool);
        let mut groups: HashMap<Group<'_>, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((
                    key.stages.as_slice(),
                    key.first,
                    key.after,
                    key.with_customers,
                ))
                .or_default()
                .push(key.campaign_id);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((stages, first, after, with_customers), campaigns) in groups {
            let request = PageRequest { first, after };
            let mut found = self
                .store
                .leads_of_campaigns(self.scope, &campaigns, stages, after, request.fetch_limit())
                .await?;
            let customers: HashMap<Uuid, Customer> = if with_customers {
                let mut ids: Vec<Uuid> = found.values().flatten().map(|l| l.customer_id).collect();
                ids.sort_unstable();
                ids.dedup();
                let rows = self.store.customers_by_ids(self.scope, &ids).await?;
                rows.into_iter().map(|c| (c.id, c)).collect()
            } else {
                HashMap::new()
            };
            for campaign_id in campaigns {
                let rows = found.remove(&campaign_id).unwrap_or_default();
                let page = Page::from_rows(rows, &request).map(|lead| LeadNode {
                    customer: customers.get(&lead.customer_id).cloned(),
                    lead,
                });
                let key = CampaignLeadsKey {
                    campaign_id,
                    stages: stages.to_vec(),
                    first,
                    after,
                    with_customers,
                };
                pages.insert(key, page);
            }
        }
        Ok(pages)
    }
}

/// Stage histories of leads, by lead id.
pub struct StageHistoryLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<Uuid> for StageHistoryLoader {
    type Value = Vec<StageChange>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<StageChange>>, LoadError> {
        Ok(self.store.stage_changes(self.scope, keys).await?)
    }
}

/// The latest interactions of leads, by (lead id, how many).
pub struct InteractionLoader {
    store: Arc<dyn CrmStore>,
    scope: TenantScope,
}

impl Loader<(Uuid, u64)> for InteractionLoader {
    type Value = Vec<Interaction>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Vec<Interaction>>, LoadError> {
        // Siblings ask for the same count, so this is one statement in practice.
        let mut by_limit: HashMap<u64, Vec<Uuid>> = HashMap::new();
        for (lead, limit) in keys {
            by_limit.entry(*limit).or_default().push(*lead);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (limit, leads) in by_limit {
            let mut rows = self
                .store
                .interactions_of_leads(self.scope, &leads, limit)
                .await?;
            for lead in leads {
                found.insert((lead, limit), rows.remove(&lead).unwrap_or_default());
            }
        }
        Ok(found)
    }
}

/// Adds this request's loaders, scoped to its tenant, to the request data.
pub fn install(store: &Arc<dyn CrmStore>, scope: TenantScope, data: &mut Data) {
    let store = || store.clone();
    data.insert(DataLoader::new(
        CustomerLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        LeadLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        FunnelLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignSalesLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        CampaignLeadsLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        StageHistoryLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        InteractionLoader {
            store: store(),
            scope,
        },
        tokio::spawn,
    ));
}
