//! The `Organization` entity (owned here) and its inputs.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::{Decimal4, Money, PageRequest};

use super::campaign::{Campaign, CampaignFilterInput};
use super::loaders::{
    OrganizationCampaignsKey, OrganizationCampaignsLoader, OrganizationProductsLoader, loader,
};
use super::product::Product;
use crate::domain::organization::OrganizationPatch;
use crate::store::{self, NewOrganization};
use promptsales_kit::ResultExt;

/// A client organization: the tenant that owns users, products and campaigns.
pub struct Organization(pub store::Organization);

/// A client organization: the tenant that owns users, products and campaigns.
#[Object(cache_control(max_age = 300))]
impl Organization {
    /// The organization's UUIDv7, its federation key: every row of every subgraph names its tenant by it.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Trimmed, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its industry, e.g. `retail`.
    async fn industry(&self) -> &str {
        &self.0.industry
    }

    /// ISO 3166-1 alpha-2 country.
    async fn country(&self) -> &str {
        &self.0.country
    }

    /// ISO 4217 currency of its figures.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// What it aims to sell.
    async fn sales_goal(&self) -> Money {
        Money {
            amount: self.0.sales_goal,
            currency: self.0.currency.clone(),
        }
    }

    /// Its marketing budget.
    async fn budget(&self) -> Money {
        Money {
            amount: self.0.budget,
            currency: self.0.currency.clone(),
        }
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// What it sells.
    async fn products(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Product>> {
        let products = loader::<OrganizationProductsLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(products
            .unwrap_or_default()
            .into_iter()
            .map(Product)
            .collect())
    }

    /// Its campaigns, by creation (a `filter.organizationId` naming another organization matches none).
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Campaign>> {
        let page = PageRequest::new(first, after).api()?;
        super::tag_campaign_list(ctx);
        let filter = filter
            .map(CampaignFilterInput::into_filter)
            .transpose()?
            .unwrap_or_default();
        if filter
            .organization_id
            .is_some_and(|other| other != self.0.id)
        {
            return Ok(Connection::new(false, false));
        }
        let key = OrganizationCampaignsKey {
            organization_id: self.0.id,
            filter: store::CampaignFilter {
                organization_id: None,
                ..filter
            },
            first: page.first,
            after: page.after,
        };
        let campaigns = loader::<OrganizationCampaignsLoader>(ctx)?
            .load_one(key)
            .await
            .api()?;
        let campaigns = campaigns.unwrap_or(promptsales_kit::Page {
            items: Vec::new(),
            has_next: false,
        });
        Ok(campaigns.into_connection(&page, |c| c.id, Campaign))
    }
}

/// A new organization.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Its name (1 to 200 characters).
    pub name: String,
    /// Its industry, e.g. `retail`.
    pub industry: String,
    /// ISO 3166-1 alpha-2 country, e.g. `ES`.
    pub country: String,
    /// What it aims to sell (>= 0).
    #[graphql(default)]
    pub sales_goal: Decimal4,
    /// Its marketing budget (>= 0).
    #[graphql(default)]
    pub budget: Decimal4,
    /// ISO 4217 currency of its figures, e.g. `EUR`.
    pub currency: String,
}

impl CreateOrganizationInput {
    /// The store's form (not yet validated).
    pub fn into_new(self) -> NewOrganization {
        NewOrganization {
            id: None,
            name: self.name,
            industry: self.industry,
            country: self.country,
            sales_goal: self.sales_goal,
            budget: self.budget,
            currency: self.currency,
        }
    }
}

/// Changes to an organization; absent fields keep their value.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// New name.
    pub name: Option<String>,
    /// New industry.
    pub industry: Option<String>,
    /// New country.
    pub country: Option<String>,
    /// New sales goal (>= 0).
    pub sales_goal: Option<Decimal4>,
    /// New budget (>= 0).
    pub budget: Option<Decimal4>,
    /// New currency.
    pub currency: Option<String>,
}

impl UpdateOrganizationInput {
    /// The domain's form.
    pub fn into_patch(self) -> OrganizationPatch {
        OrganizationPatch {
            name: self.name,
            industry: self.industry,
            country: self.country,
            sales_goal: self.sales_goal,
            budget: self.budget,
            currency: self.currency,
        }
    }
}
