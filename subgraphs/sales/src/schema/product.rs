//! The `Product` type and its input.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::{ApiError, Decimal4, Money, parse_id};

use super::loaders::{OrganizationLoader, loader};
use super::organization::Organization;
use crate::store::{self, NewProduct};
use promptsales_kit::ResultExt;

/// Something an organization sells.
pub struct Product(pub store::Product);

/// Something an organization sells.
#[Object(cache_control(max_age = 300))]
impl Product {
    /// The product's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Trimmed, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it is.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Unit price.
    async fn price(&self) -> Money {
        Money {
            amount: self.0.price,
            currency: self.0.currency.clone(),
        }
    }

    /// The organization that sells it.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Organization> {
        let organization = loader::<OrganizationLoader>(ctx)?
            .load_one(self.0.organization_id)
            .await
            .api()?;
        Ok(Organization(organization.ok_or_else(|| {
            ApiError::not_found("Organization", self.0.organization_id)
        })?))
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A new product.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// The organization that sells it.
    pub organization_id: ID,
    /// Its name (1 to 200 characters).
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Unit price (>= 0).
    pub price: Decimal4,
    /// ISO 4217 currency of the price.
    pub currency: String,
}

impl CreateProductInput {
    /// The store's form (not yet validated).
    pub fn into_new(self) -> Result<NewProduct, ApiError> {
        Ok(NewProduct {
            id: None,
            organization_id: parse_id("input.organizationId", &self.organization_id)?,
            name: self.name,
            description: self.description,
            price: self.price,
            currency: self.currency,
        })
    }
}
