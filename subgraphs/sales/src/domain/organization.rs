//! Organizations: what a valid one is, and how a change applies.

use promptsales_kit::{ApiResult, Decimal4};

use super::{country, text};
use crate::store::{NewOrganization, Organization};

/// The fields an update may change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationPatch {
    /// New name.
    pub name: Option<String>,
    /// New industry.
    pub industry: Option<String>,
    /// New country.
    pub country: Option<String>,
    /// New sales goal.
    pub sales_goal: Option<Decimal4>,
    /// New budget.
    pub budget: Option<Decimal4>,
    /// New currency.
    pub currency: Option<String>,
}

/// Validates and normalises an organization to create; fields are named as in `CreateOrganizationInput`.
pub fn validate_new(new: NewOrganization) -> ApiResult<NewOrganization> {
    Ok(NewOrganization {
        id: new.id,
        name: text::required("input.name", &new.name, 200)?,
        industry: text::required("input.industry", &new.industry, 100)?,
        country: country::country("input.country", &new.country)?,
        sales_goal: text::non_negative("input.salesGoal", new.sales_goal)?,
        budget: text::non_negative("input.budget", new.budget)?,
        currency: text::currency("input.currency", &new.currency)?,
    })
}

/// The organization with `patch` applied, each given field checked as on creation.
pub fn apply(current: Organization, patch: OrganizationPatch) -> ApiResult<Organization> {
    Ok(Organization {
        name: match patch.name {
            Some(v) => text::required("input.name", &v, 200)?,
            None => current.name,
        },
        industry: match patch.industry {
            Some(v) => text::required("input.industry", &v, 100)?,
            None => current.industry,
        },
        country: match patch.country {
            Some(v) => country::country("input.country", &v)?,
            None => current.country,
        },
        sales_goal: match patch.sales_goal {
            Some(v) => text::non_negative("input.salesGoal", v)?,
            None => current.sales_goal,
        },
        budget: match patch.budget {
            Some(v) => text::non_negative("input.budget", v)?,
            None => current.budget,
        },
        currency: match patch.currency {
            Some(v) => text::currency("input.currency", &v)?,
            None => current.currency,
        },
        ..current
    })
}
