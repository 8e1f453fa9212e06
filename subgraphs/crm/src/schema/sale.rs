//! `Sale` and its input.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::{ApiError, Decimal4, Money, StoreError};

use super::campaign::Campaign;
use super::customer::Customer;
use super::lead::Lead;
use super::loaders::{CustomerLoader, LeadLoader};
use super::references::Organization;
use crate::store;

/// A closed sale.
pub struct Sale(pub store::Sale);

/// A closed sale.
#[Object(cache_control(max_age = 60))]
impl Sale {
    /// The sale's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The tenant it belongs to.
    async fn organization(&self) -> Organization {
        Organization::reference(self.0.organization_id)
    }

    /// Who bought.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        let loader = ctx.data::<DataLoader<CustomerLoader>>()?;
        let customer = loader.load_one(self.0.customer_id).await?;
        let customer = customer.ok_or_else(|| {
            ApiError::from(StoreError::Corrupt(format!(
                "sale {} points at missing customer {}",
                self.0.id, self.0.customer_id
            )))
        })?;
        Ok(Customer(customer))
    }

    /// The lead it closed.
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        let Some(lead_id) = self.0.lead_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<LeadLoader>>()?;
        Ok(loader.load_one(lead_id).await?.map(Lead::new))
    }

    /// The campaign credited.
    async fn campaign(&self) -> Campaign {
        Campaign {
            id: self.0.campaign_id,
        }
    }

    /// The product sold (a sales subgraph product id), when known.
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.map(|id| ID(id.to_string()))
    }

    /// Amount and currency.
    async fn amount(&self) -> Money {
        Money {
            amount: self.0.amount,
            currency: self.0.currency.clone(),
        }
    }

    /// When it closed.
    async fn closed_at(&self) -> DateTime<Utc> {
        self.0.closed_at
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A sale to record, for a customer of the caller's tenant.
#[derive(InputObject, Debug, Clone)]
pub struct CreateSaleInput {
    /// Who bought.
    pub customer_id: ID,
    /// The campaign credited.
    pub campaign_id: ID,
    /// The lead it closes: that customer's, from that campaign.
    pub lead_id: Option<ID>,
    /// The product sold.
    pub product_id: Option<ID>,
    /// Amount, > 0.
    pub amount: Decimal4,
    /// ISO 4217 currency, e.g. `EUR`.
    pub currency: String,
    /// When it closed (default: now); not in the future.
    pub closed_at: Option<DateTime<Utc>>,
}
