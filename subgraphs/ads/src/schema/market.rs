//! Markets: where a tenant runs ads.

use async_graphql::{ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::store::Market;

/// A country a tenant runs ads in, with the currency budgets there are in and the language ads speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdMarket(pub Market);

/// A country a tenant runs ads in, with the currency budgets there are in and the language ads speak.
#[Object(cache_control(max_age = 300))]
impl AdMarket {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// ISO 3166-1 alpha-2 country, e.g. `ES`.
    async fn country(&self) -> &str {
        &self.0.country
    }

    /// ISO 4217 currency of budgets and spend, e.g. `EUR`.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// ISO 639-1 language, e.g. `es`.
    async fn language(&self) -> &str {
        &self.0.language
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

/// A new market.
#[derive(InputObject, Debug, Clone)]
pub struct CreateAdMarketInput {
    /// The organization; required only when the request does not act for one.
    pub organization_id: Option<ID>,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// ISO 639-1 language.
    pub language: String,
}
