//! The request context: who is asking, for which tenant, with which roles.
//!
//! The router forwards it to the subgraphs in `x-promptsales-*` headers.
//! Until the identity work (JWT verified in every subgraph) lands, these
//! headers are trusted as sent; that is what makes the context the one
//! place where identity is read, so the switch to verified tokens changes
//! this module and no resolver.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use uuid::Uuid;

use crate::error::ApiError;

/// Header naming the tenant (an organization id).
pub const ORGANIZATION_HEADER: &str = "x-promptsales-organization";
/// Header naming the user.
pub const USER_HEADER: &str = "x-promptsales-user";
/// Header listing roles as `subsystem:role` pairs, comma separated (`sales:admin,ads:read`).
pub const ROLES_HEADER: &str = "x-promptsales-roles";

/// The four subsystems, each a subgraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subsystem {
    /// The central portal.
    Sales,
    /// Ad execution.
    Ads,
    /// Customers and leads.
    Crm,
    /// Content and AI.
    Content,
}

impl Subsystem {
    /// Parses `sales`, `ads`, `crm`, `content`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sales" => Some(Self::Sales),
            "ads" => Some(Self::Ads),
            "crm" => Some(Self::Crm),
            "content" => Some(Self::Content),
            _ => None,
        }
    }
}

/// A role within a subsystem; each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// May read.
    Read,
    /// May read and write.
    Write,
    /// May also administer.
    Admin,
}

impl Role {
    /// Parses `read`, `write`, `admin`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// Which tenants' data a request may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantScope {
    /// Every tenant: platform operators and the development default.
    All,
    /// One organization only.
    Organization(Uuid),
}

impl TenantScope {
    /// Whether a row of `organization_id` is visible in this scope.
    pub fn allows(&self, organization_id: Uuid) -> bool {
        match self {
            Self::All => true,
            Self::Organization(id) => *id == organization_id,
        }
    }

    /// The organization a new row goes to: the scope's own, or the one named
    /// (`field`, e.g. `input.organizationId`) when the caller acts for every tenant.
    ///
    /// Naming another tenant is refused as `NOT_FOUND`, the same answer as for
    /// a row that does not exist, so no tenant learns of another.
    pub fn organization_for_write(
        self,
        given: Option<Uuid>,
        field: &str,
    ) -> Result<Uuid, ApiError> {
        match (self, given) {
            (Self::Organization(own), None) => Ok(own),
            (Self::Organization(own), Some(named)) if named == own => Ok(own),
            (Self::Organization(_), Some(named)) => Err(ApiError::not_found("Organization", named)),
            (Self::All, Some(named)) => Ok(named),
            (Self::All, None) => Err(ApiError::bad_input(
                field,
                format!("{field} is required when the request is not scoped to an organization"),
            )),
        }
    }

    /// The organization this scope is limited to, if any.
    pub fn organization(&self) -> Option<Uuid> {
        match self {
            Self::All => None,
            Self::Organization(id) => Some(*id),
        }
    }
}

/// Who is asking: tenant, user and roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The tenant, when the caller acts for one organization.
    pub organization: Option<Uuid>,
    /// The user, when known.
    pub user: Option<Uuid>,
    /// Roles per subsystem; empty means none were stated.
    pub roles: BTreeMap<Subsystem, Role>,
}

impl RequestContext {
    /// A context with no tenant restriction and no user (development and internal jobs).
    pub fn unrestricted() -> Self {
        Self {
            organization: None,
            user: None,
            roles: BTreeMap::new(),
        }
    }

    /// Reads the context from the headers the router forwards.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let text = |name: &str| -> Result<Option<&str>, ApiError> {
            headers
                .get(name)
                .map(|v| {
                    v.to_str().map(str::trim).map_err(|_| {
                        ApiError::bad_input(name, format!("header {name} is not text"))
                    })
                })
                .transpose()
        };
        let uuid = |name: &str| -> Result<Option<Uuid>, ApiError> {
            text(name)?
                .filter(|v| !v.is_empty())
                .map(|v| {
                    Uuid::parse_str(v).map_err(|_| {
                        ApiError::bad_input(name, format!("header {name} must be a UUID"))
                    })
                })
                .transpose()
        };
        let mut roles = BTreeMap::new();
        if let Some(list) = text(ROLES_HEADER)? {
            for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let parsed = pair
                    .split_once(':')
                    .and_then(|(s, r)| Some((Subsystem::parse(s.trim())?, Role::parse(r.trim())?)));
                let (subsystem, role) = parsed.ok_or_else(|| {
                    ApiError::bad_input(
                        ROLES_HEADER,
                        format!("{pair:?} is not a subsystem:role pair such as sales:read"),
                    )
                })?;
                let entry = roles.entry(subsystem).or_insert(role);
                *entry = (*entry).max(role);
            }
        }
        Ok(Self {
            organization: uuid(ORGANIZATION_HEADER)?,
            user: uuid(USER_HEADER)?,
            roles,
        })
    }

    /// The tenants this request may see.
    pub fn scope(&self) -> TenantScope {
        match self.organization {
            Some(id) => TenantScope::Organization(id),
            None => TenantScope::All,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_tenant_user_and_the_highest_role_per_subsystem() {
        let org = Uuid::now_v7();
        let mut headers = HeaderMap::new();
        headers.insert(
            ORGANIZATION_HEADER,
            HeaderValue::from_str(&org.to_string()).unwrap(),
        );
        headers.insert(
            ROLES_HEADER,
            HeaderValue::from_static("sales:read, sales:admin,ads:write"),
        );
        let ctx = RequestContext::from_headers(&headers).unwrap();
        assert_eq!(ctx.scope(), TenantScope::Organization(org));
        assert_eq!(ctx.roles.get(&Subsystem::Sales), Some(&Role::Admin));
        assert_eq!(ctx.roles.get(&Subsystem::Ads), Some(&Role::Write));
        assert!(!ctx.scope().allows(Uuid::now_v7()));
    }

    #[test]
    fn a_tenant_writes_only_into_itself() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let scoped = TenantScope::Organization(a);
        assert_eq!(scoped.organization_for_write(None, "f").ok(), Some(a));
        assert_eq!(scoped.organization_for_write(Some(a), "f").ok(), Some(a));
        assert_eq!(
            scoped
                .organization_for_write(Some(b), "f")
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
        assert_eq!(
            TenantScope::All.organization_for_write(Some(b), "f").ok(),
            Some(b)
        );
        assert_eq!(
            TenantScope::All
                .organization_for_write(None, "f")
                .unwrap_err()
                .code(),
            "BAD_USER_INPUT"
        );
    }

    #[test]
    fn refuses_malformed_identity_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(ORGANIZATION_HEADER, HeaderValue::from_static("acme"));
        assert_eq!(
            RequestContext::from_headers(&headers).unwrap_err().code(),
            "BAD_USER_INPUT"
        );
        let mut headers = HeaderMap::new();
        headers.insert(ROLES_HEADER, HeaderValue::from_static("sales:root"));
        assert!(RequestContext::from_headers(&headers).is_err());
    }
}
