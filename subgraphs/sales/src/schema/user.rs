//! The `User` entity (owned here), its type enum and inputs.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::{ApiError, parse_id};

use super::loaders::{OrganizationLoader, loader};
use super::organization::Organization;
use crate::domain::user::DEFAULT_TIMEZONE;
use crate::store::{self, NewUser, UserFilter};
use promptsales_kit::ResultExt;

/// What a user is to the platform.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::user::UserType")]
pub enum UserType {
    /// A client's person who buys or approves.
    Customer,
    /// Administers the organization.
    Admin,
    /// Runs campaigns.
    Marketer,
    /// Works leads.
    SalesAgent,
}

/// A person of an organization.
pub struct User(pub store::User);

/// A person of an organization.
#[Object(cache_control(max_age = 60))]
impl User {
    /// The user's UUIDv7, its federation key.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization the user belongs to.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Organization> {
        let organization = loader::<OrganizationLoader>(ctx)?
            .load_one(self.0.organization_id)
            .await
            .api()?;
        Ok(Organization(organization.ok_or_else(|| {
            ApiError::not_found("Organization", self.0.organization_id)
        })?))
    }

    /// E-mail (lower case, unique).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Phone number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// What kind of user.
    async fn user_type(&self) -> UserType {
        self.0.user_type.into()
    }

    /// IANA time zone, e.g. `Europe/Madrid`.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }

    /// Whether the user may act.
    async fn active(&self) -> bool {
        self.0.active
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

/// A new user (signing in comes with the identity work).
#[derive(InputObject)]
pub struct CreateUserInput {
    /// The organization.
    pub organization_id: ID,
    /// E-mail, unique across the platform.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone number: 6 to 15 digits, optionally starting with `+`.
    pub phone: Option<String>,
    /// What kind of user.
    pub user_type: UserType,
    /// IANA time zone name.
    #[graphql(default_with = "DEFAULT_TIMEZONE.to_string()")]
    pub timezone: String,
    /// Whether the user may act.
    #[graphql(default = true)]
    pub active: bool,
}

impl CreateUserInput {
    /// The store's form (not yet validated).
    pub fn into_new(self) -> Result<NewUser, ApiError> {
        Ok(NewUser {
            id: None,
            organization_id: parse_id("input.organizationId", &self.organization_id)?,
            email: self.email,
            name: self.name,
            phone: self.phone,
            user_type: self.user_type.into(),
            timezone: self.timezone,
            active: self.active,
        })
    }
}

/// Which users to list.
#[derive(InputObject, Default)]
#[graphql(name = "UserFilter")]
pub struct UserFilterInput {
    /// Only this organization's.
    pub organization_id: Option<ID>,
    /// Only this type.
    pub user_type: Option<UserType>,
}

impl UserFilterInput {
    /// The store's form.
    pub fn into_filter(self) -> Result<UserFilter, ApiError> {
        Ok(UserFilter {
            organization_id: self
                .organization_id
                .map(|id| parse_id("filter.organizationId", &id))
                .transpose()?,
            user_type: self.user_type.map(Into::into),
        })
    }
}
