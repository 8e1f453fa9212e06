//! `Campaign` (owned by the sales subgraph), extended with its leads, funnel and revenue.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use promptsales_kit::schema::nullable;
use promptsales_kit::{Money, PageRequest};
use uuid::Uuid;

use super::enums::LeadStage;
use super::lead::{Lead, selects_customer};
use super::loaders::{CampaignLeadsKey, CampaignLeadsLoader, CampaignSalesLoader, FunnelLoader};
use crate::domain::lead::{LeadFunnel as Funnel, stage_set};
use crate::store::CampaignSales;

/// A campaign: crm adds its leads, funnel and sales. Key-only here; the rest comes from sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Campaign {
    /// The campaign's UUIDv7, as sales issued it (the federation key).
    pub id: Uuid,
}

/// Which of a campaign's leads to list.
#[derive(InputObject, Debug, Clone, Default)]
pub struct CampaignLeadFilter {
    /// Leads in any of these stages (empty or absent: every stage).
    pub stage: Option<Vec<LeadStage>>,
}

/// How many of a campaign's leads are at each stage.
#[derive(SimpleObject, Debug, Clone, Copy, Default)]
pub struct LeadFunnel {
    /// Information-qualified.
    pub iql: i64,
    /// Marketing-qualified.
    pub mql: i64,
    /// Sales-qualified.
    pub sql: i64,
    /// Open opportunities.
    pub opportunity: i64,
    /// Won.
    pub won: i64,
    /// Lost.
    pub lost: i64,
    /// Every lead.
    pub total: i64,
}

impl From<Funnel> for LeadFunnel {
    fn from(f: Funnel) -> Self {
        Self {
            iql: f.iql,
            mql: f.mql,
            sql: f.sql,
            opportunity: f.opportunity,
            won: f.won,
            lost: f.lost,
            total: f.total(),
        }
    }
}

impl Campaign {
    async fn sales(&self, ctx: &Context<'_>) -> async_graphql::Result<CampaignSales> {
        let loader = ctx.data::<DataLoader<CampaignSalesLoader>>()?;
        Ok(loader.load_one(self.id).await?.unwrap_or_default())
    }
}

/// A campaign (owned by the sales subgraph) with its crm data: leads, funnel, sales.
#[Object(cache_control(max_age = 30))]
impl Campaign {
    /// The campaign's UUIDv7, as sales issued it (the federation key).
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Its leads visible to the caller, in creation order.
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignLeadFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Option<Connection<String, Lead, EmptyFields, EmptyFields>>> {
        nullable(async {
            let page = PageRequest::new(first, after)?;
            let stages = stage_set(
                filter
                    .and_then(|f| f.stage)
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into),
            );
            let key = CampaignLeadsKey {
                campaign_id: self.id,
                stages,
                first: page.first,
                after: page.after,
                with_customers: selects_customer(ctx),
            };
            let loader = ctx.data::<DataLoader<CampaignLeadsLoader>>()?;
            let leads = loader
                .load_one(key)
                .await?
                .unwrap_or(promptsales_kit::Page {
                    items: Vec::new(),
                    has_next: false,
                });
            Ok(leads.into_connection(&page, |l| l.lead.id, |l| l))
        })
        .await
    }

    /// How many leads are at each stage.
    async fn lead_funnel(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LeadFunnel>> {
        nullable(async {
            let loader = ctx.data::<DataLoader<FunnelLoader>>()?;
            Ok(loader.load_one(self.id).await?.unwrap_or_default().into())
        })
        .await
    }

    /// Sum of its sales per currency (empty when it sold nothing).
    async fn revenue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Money>>> {
        nullable(async { Ok(self.sales(ctx).await?.revenue) }).await
    }

    /// Number of its sales.
    async fn sales_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        nullable(async { Ok(self.sales(ctx).await?.count) }).await
    }
}
