//! The request context: who is asking, for which tenant, with which roles.
//!
//! It comes from one place only: the claims of an access token verified by
//! [`crate::auth`] (signature, issuer, audience, expiry). No request header
//! is trusted for identity; the `x-promptsales-*` headers of earlier versions
//! are ignored. Resolvers read the context and pass [`RequestContext::scope`]
//! to every store read.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::error::ApiError;
use crate::names::StrEnum;

/// The four subsystems, each a subgraph; named in role strings (`sales` in `sales:admin`).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
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
    /// The name used in role strings (`sales` in `sales:admin`): [`StrEnum::as_str`], kept
    /// under this name because every crate calls it.
    pub fn name(self) -> &'static str {
        self.as_str()
    }
}

/// A role within a subsystem; each includes the ones before it. Named in role strings
/// (`admin` in `sales:admin`).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
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
    /// The name used in role strings (`admin` in `sales:admin`): [`StrEnum::as_str`], kept
    /// under this name because every crate calls it.
    pub fn name(self) -> &'static str {
        self.as_str()
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
    /// A context with no tenant restriction, no user and EVERY role (admin in
    /// each subsystem): for internal jobs (seeding, the ETL, schedulers) and
    /// tests that are not about access. No request ever gets it: requests get
    /// their context from a verified token.
    pub fn unrestricted() -> Self {
        Self {
            organization: None,
            user: None,
            roles: Subsystem::ALL.iter().map(|s| (*s, Role::Admin)).collect(),
        }
    }

    /// A context for one organization with no user and no role yet (add them with [`Self::with_role`]).
    pub fn for_organization(organization: Uuid) -> Self {
        Self {
            organization: Some(organization),
            user: None,
            roles: BTreeMap::new(),
        }
    }

    /// This context with `role` in `subsystem` (kept if it already holds a higher one).
    pub fn with_role(mut self, subsystem: Subsystem, role: Role) -> Self {
        let entry = self.roles.entry(subsystem).or_insert(role);
        *entry = (*entry).max(role);
        self
    }

    /// This context acting as `user`.
    pub fn with_user(mut self, user: Uuid) -> Self {
        self.user = Some(user);
        self
    }

    /// Whether the caller holds at least `role` in `subsystem` (roles include the ones below).
    pub fn has(&self, subsystem: Subsystem, role: Role) -> bool {
        self.roles.get(&subsystem).is_some_and(|held| *held >= role)
    }

    /// Fails with `FORBIDDEN` unless the caller holds at least `role` in `subsystem`.
    pub fn require(&self, subsystem: Subsystem, role: Role) -> Result<(), ApiError> {
        if self.has(subsystem, role) {
            return Ok(());
        }
        let held = match self.roles.get(&subsystem) {
            Some(held) => format!("only {}:{}", subsystem.name(), held.name()),
            None => format!("no {} role", subsystem.name()),
        };
        Err(ApiError::Forbidden(format!(
            "this needs the {}:{} role; the caller has {held}",
            subsystem.name(),
            role.name()
        )))
    }

    /// The roles as `subsystem:role` strings (the token's `roles` claim).
    pub fn role_strings(&self) -> Vec<String> {
        self.roles
            .iter()
            .map(|(s, r)| format!("{}:{}", s.name(), r.name()))
            .collect()
    }

    /// Reads `subsystem:role` strings, keeping the highest role per subsystem.
    ///
    /// Strings naming no known subsystem or role are skipped (a newer issuer may
    /// know more subsystems), so they grant nothing.
    pub fn parse_roles<'a>(
        strings: impl IntoIterator<Item = &'a str>,
    ) -> BTreeMap<Subsystem, Role> {
        let mut roles = BTreeMap::new();
        for pair in strings {
            let parsed = pair
                .split_once(':')
                .and_then(|(s, r)| Some((Subsystem::parse(s.trim())?, Role::parse(r.trim())?)));
            if let Some((subsystem, role)) = parsed {
                let entry = roles.entry(subsystem).or_insert(role);
                *entry = (*entry).max(role);
            }
        }
        roles
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
    use crate::names::assert_pinned;

    /// Role strings (`sales:admin`) are in tokens, OAuth clients and the permissions table:
    /// renaming a variant or changing the naming scheme must fail here first.
    #[test]
    fn role_string_names_are_pinned() {
        use Subsystem::*;
        assert_pinned(&[
            (Sales, "sales"),
            (Ads, "ads"),
            (Crm, "crm"),
            (Content, "content"),
        ]);
        assert_pinned(&[
            (Role::Read, "read"),
            (Role::Write, "write"),
            (Role::Admin, "admin"),
        ]);
        assert_eq!(Sales.name(), "sales");
        assert_eq!(Role::Admin.name(), "admin");
    }

    #[test]
    fn roles_keep_the_highest_per_subsystem_and_skip_unknown_ones() {
        let roles = RequestContext::parse_roles([
            "sales:read",
            "sales:admin",
            "ads:write",
            "sales:root",
            "billing:admin",
            "nonsense",
        ]);
        assert_eq!(roles.get(&Subsystem::Sales), Some(&Role::Admin));
        assert_eq!(roles.get(&Subsystem::Ads), Some(&Role::Write));
        assert_eq!(roles.len(), 2);
    }

    #[test]
    fn require_follows_read_write_admin() {
        let org = Uuid::now_v7();
        let context = RequestContext::for_organization(org).with_role(Subsystem::Ads, Role::Write);
        assert_eq!(context.scope(), TenantScope::Organization(org));
        assert!(context.require(Subsystem::Ads, Role::Read).is_ok());
        assert!(context.require(Subsystem::Ads, Role::Write).is_ok());
        assert_eq!(
            context
                .require(Subsystem::Ads, Role::Admin)
                .map_err(|e| e.code()),
            Err("FORBIDDEN")
        );
        assert_eq!(
            context
                .require(Subsystem::Sales, Role::Read)
                .map_err(|e| e.code()),
            Err("FORBIDDEN")
        );
        assert_eq!(context.role_strings(), vec!["ads:write".to_string()]);
    }

    #[test]
    fn unrestricted_holds_every_role_and_every_tenant() {
        let context = RequestContext::unrestricted();
        assert_eq!(context.scope(), TenantScope::All);
        for subsystem in Subsystem::ALL.iter().copied() {
            assert!(context.has(subsystem, Role::Admin));
        }
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
}
