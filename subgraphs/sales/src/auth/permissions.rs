//! Permissions in GraphQL: who holds which role in which subsystem, granted
//! and revoked by sales admins of the grantee's organization (or a platform
//! operator with sales:admin), with who and when kept for every change.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::context::{Role, Subsystem};
use promptsales_kit::{ApiError, RequestContext, ResultExt, parse_id};
use uuid::Uuid;

use super::store::{AuthStore, Permission};
use crate::audit::Severity;
use crate::store::SalesStore;

/// A subsystem a permission applies to.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermissionSubsystem {
    /// The central portal.
    Sales,
    /// Ads.
    Ads,
    /// Customers and leads.
    Crm,
    /// Content and AI.
    Content,
}

impl From<PermissionSubsystem> for Subsystem {
    fn from(value: PermissionSubsystem) -> Self {
        match value {
            PermissionSubsystem::Sales => Self::Sales,
            PermissionSubsystem::Ads => Self::Ads,
            PermissionSubsystem::Crm => Self::Crm,
            PermissionSubsystem::Content => Self::Content,
        }
    }
}

impl From<Subsystem> for PermissionSubsystem {
    fn from(value: Subsystem) -> Self {
        match value {
            Subsystem::Sales => Self::Sales,
            Subsystem::Ads => Self::Ads,
            Subsystem::Crm => Self::Crm,
            Subsystem::Content => Self::Content,
        }
    }
}

/// A role: each includes the ones before it (read < write < admin).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermissionRole {
    /// May read.
    Read,
    /// May read and write.
    Write,
    /// May also administer.
    Admin,
}

impl From<PermissionRole> for Role {
    fn from(value: PermissionRole) -> Self {
        match value {
            PermissionRole::Read => Self::Read,
            PermissionRole::Write => Self::Write,
            PermissionRole::Admin => Self::Admin,
        }
    }
}

impl From<Role> for PermissionRole {
    fn from(value: Role) -> Self {
        match value {
            Role::Read => Self::Read,
            Role::Write => Self::Write,
            Role::Admin => Self::Admin,
        }
    }
}

/// A grant of a role in a subsystem to a user (live or revoked).
pub struct PermissionGrant(pub Permission);

#[Object(name = "Permission")]
impl PermissionGrant {
    /// The grant's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The user holding it.
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    /// The user's organization.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }
    /// The subsystem.
    async fn subsystem(&self) -> PermissionSubsystem {
        self.0.subsystem.into()
    }
    /// The role.
    async fn role(&self) -> PermissionRole {
        self.0.role.into()
    }
    /// Who granted it (null: the system, e.g. the demo data).
    async fn granted_by(&self) -> Option<ID> {
        self.0.granted_by.map(|id| ID(id.to_string()))
    }
    /// When it was granted.
    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }
    /// Who revoked it (null while live, or when revoked by a client without a user).
    async fn revoked_by(&self) -> Option<ID> {
        self.0.revoked_by.map(|id| ID(id.to_string()))
    }
    /// When it was revoked (null while live).
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// Whether it is live (not revoked).
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none()
    }
}

/// What to grant.
#[derive(InputObject)]
pub struct GrantPermissionInput {
    /// The user.
    pub user_id: ID,
    /// The subsystem.
    pub subsystem: PermissionSubsystem,
    /// The role (replaces the user's current role in that subsystem).
    pub role: PermissionRole,
}

fn store<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<dyn AuthStore>> {
    ctx.data::<Arc<dyn AuthStore>>().map_err(|_| {
        ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(
            "the identity store is not installed".into(),
        )))
        .into()
    })
}

/// The user `id` if the caller's tenant may see it; `NOT_FOUND` otherwise (also
/// for another tenant's user, so no tenant learns whether it exists).
async fn visible_user(
    ctx: &Context<'_>,
    context: &RequestContext,
    id: Uuid,
) -> async_graphql::Result<Uuid> {
    store(ctx)?
        .account(context.scope(), id)
        .await
        .api()?
        .map(|account| account.id)
        .ok_or_else(|| ApiError::not_found("User", id).into())
}

async fn audit(ctx: &Context<'_>, context: &RequestContext, action: &str, grant: &Permission) {
    let Ok(sales) = ctx.data::<Arc<dyn SalesStore>>() else {
        return;
    };
    let mut entry = crate::audit::entry(
        context,
        crate::audit::origin(ctx),
        action,
        "User",
        Some(grant.user_id.to_string()),
        Severity::Warning,
        serde_json::json!({
            "subsystem": grant.subsystem.name(),
            "role": grant.role.name(),
            "permission": grant.id.to_string(),
        }),
    );
    entry.organization_id = Some(grant.organization_id);
    if let Err(e) = crate::audit::record(sales.as_ref(), entry).await {
        tracing::error!(error = %e, "could not audit a permission change");
    }
}

/// `userPermissions(userId, includeRevoked)`: needs sales:read and a visible user.
pub async fn user_permissions(
    ctx: &Context<'_>,
    user_id: ID,
    include_revoked: bool,
) -> async_graphql::Result<Vec<PermissionGrant>> {
    let context = ctx.data::<RequestContext>()?;
    context.require(Subsystem::Sales, Role::Read)?;
    let user = visible_user(ctx, context, parse_id("userId", &user_id)?).await?;
    let permissions = store(ctx)?.permissions(user, include_revoked).await.api()?;
    Ok(permissions.into_iter().map(PermissionGrant).collect())
}

/// `grantPermission(input)`: needs sales:admin; the grantee must be in the admin's organization.
pub async fn grant_permission(
    ctx: &Context<'_>,
    input: GrantPermissionInput,
) -> async_graphql::Result<PermissionGrant> {
    let context = ctx.data::<RequestContext>()?;
    context.require(Subsystem::Sales, Role::Admin)?;
    let user_id = parse_id("input.userId", &input.user_id)?;
    let account = store(ctx)?
        .account(context.scope(), user_id)
        .await
        .api()?
        .ok_or_else(|| ApiError::not_found("User", user_id))?;
    let granted = store(ctx)?
        .grant_permission(Permission {
            id: promptsales_kit::new_id(),
            organization_id: account.organization_id,
            user_id,
            subsystem: input.subsystem.into(),
            role: input.role.into(),
            granted_by: context.user,
            granted_at: Utc::now(),
            revoked_by: None,
            revoked_at: None,
        })
        .await
        .api()?;
    audit(ctx, context, "permission.granted", &granted).await;
    Ok(PermissionGrant(granted))
}

/// `revokePermission(userId, subsystem)`: needs sales:admin; `NOT_FOUND` when the user holds no live grant there.
pub async fn revoke_permission(
    ctx: &Context<'_>,
    user_id: ID,
    subsystem: PermissionSubsystem,
) -> async_graphql::Result<PermissionGrant> {
    let context = ctx.data::<RequestContext>()?;
    context.require(Subsystem::Sales, Role::Admin)?;
    let user = visible_user(ctx, context, parse_id("userId", &user_id)?).await?;
    let revoked = store(ctx)?
        .revoke_permission(user, subsystem.into(), context.user, Utc::now())
        .await
        .api()?
        .ok_or_else(|| {
            ApiError::not_found(
                "Permission",
                format!("{user}/{}", Subsystem::from(subsystem).name()),
            )
        })?;
    audit(ctx, context, "permission.revoked", &revoked).await;
    Ok(PermissionGrant(revoked))
}
