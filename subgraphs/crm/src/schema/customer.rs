//! `Customer` (owned entity) and its inputs.

use async_graphql::{ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::{ApiError, Decimal4};

use super::references::Organization;
use crate::domain::customer::{CustomerFilter as DomainFilter, normalize_country};
use crate::store;

/// A customer of a tenant. Name, e-mail and phone are encrypted at rest.
pub struct Customer(pub store::Customer);

/// A customer of a tenant. Name, e-mail and phone are encrypted at rest.
#[Object(cache_control(max_age = 60))]
impl Customer {
    /// The customer's UUIDv7, its federation key.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The tenant it belongs to.
    async fn organization(&self) -> Organization {
        Organization::reference(self.0.organization_id)
    }

    /// Full name.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// E-mail, lower case.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Phone, E.164 (`+34600123456`).
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// ISO 3166-1 alpha-2 country.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// City.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }

    /// Latitude in degrees.
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }

    /// Longitude in degrees.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }

    /// Marketing segment.
    async fn segment(&self) -> Option<&str> {
        self.0.segment.as_deref()
    }

    /// Lifetime value as recorded (imported or computed by analytics; not recomputed from sales here).
    async fn lifetime_value(&self) -> Decimal4 {
        self.0.lifetime_value
    }

    /// Consent to marketing messages.
    async fn consent_marketing(&self) -> bool {
        self.0.consent_marketing
    }

    /// When its personal data was erased on request (name and e-mail are then empty).
    async fn erased_at(&self) -> Option<DateTime<Utc>> {
        self.0.erased_at
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

/// Which customers to list (exact matches; absent fields match any).
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "CustomerFilter")]
pub struct CustomerFilterInput {
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Segment.
    pub segment: Option<String>,
}

impl CustomerFilterInput {
    /// The domain filter; an unknown country is refused rather than matching nothing.
    pub fn into_domain(self) -> Result<DomainFilter, ApiError> {
        let country = self
            .country
            .map(|c| normalize_country("filter.country", &c))
            .transpose()?;
        let trim = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(DomainFilter {
            country,
            city: trim(self.city),
            segment: trim(self.segment),
        })
    }
}

/// A customer to create.
#[derive(InputObject, Debug, Clone)]
pub struct CreateCustomerInput {
    /// The tenant; required only when the request is not scoped to one, and must be the caller's own otherwise.
    pub organization_id: Option<ID>,
    /// Full name.
    pub full_name: String,
    /// E-mail; unique within the organization (any case).
    pub email: String,
    /// Phone with country code (`+34 600 123 456`).
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Latitude, -90..90 (with longitude).
    pub latitude: Option<f64>,
    /// Longitude, -180..180 (with latitude).
    pub longitude: Option<f64>,
    /// Marketing segment.
    pub segment: Option<String>,
    /// Lifetime value, >= 0.
    #[graphql(default_with = "Decimal4::ZERO")]
    pub lifetime_value: Decimal4,
}
