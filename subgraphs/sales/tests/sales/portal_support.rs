//! Helpers of the portal's tests: callers with roles, extension values, a staffed organization.

use async_graphql::Response;
use promptsales_kit::RequestContext;
use promptsales_kit::context::{Role, Subsystem};
use promptsales_sales::store::{Campaign, Organization, User};
use uuid::Uuid;

use crate::support::{self, Harness};

/// A caller of `organization` as `user` with `role` in sales.
pub fn caller(organization: Uuid, user: Uuid, role: Role) -> RequestContext {
    RequestContext::for_organization(organization)
        .with_role(Subsystem::Sales, role)
        .with_user(user)
}

/// The string value of extension `key` of each error.
pub fn extension(response: &Response, key: &str) -> Vec<String> {
    response
        .errors
        .iter()
        .map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get(key))
                .map(|v| match v {
                    async_graphql::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default()
        })
        .collect()
}

/// An organization with a marketer (who asks), an admin (who approves) and a draft campaign.
pub struct Team {
    pub org: Organization,
    pub marketer: User,
    pub admin: User,
    pub campaign: Campaign,
}

impl Team {
    pub async fn new(h: &Harness, name: &str) -> anyhow::Result<Self> {
        let org = support::organization(h, name).await?;
        let slug = name.to_lowercase().replace(' ', "-");
        let marketer = support::user(h, org.id, &format!("marketer@{slug}.example")).await?;
        let admin = support::user(h, org.id, &format!("admin@{slug}.example")).await?;
        let campaign =
            support::campaign(h, support::new_campaign(org.id, marketer.id, "Spring")).await?;
        Ok(Self {
            org,
            marketer,
            admin,
            campaign,
        })
    }

    /// The marketer, allowed to write.
    pub fn writer(&self) -> RequestContext {
        caller(self.org.id, self.marketer.id, Role::Write)
    }

    /// The admin, allowed to approve.
    pub fn approver(&self) -> RequestContext {
        caller(self.org.id, self.admin.id, Role::Admin)
    }
}

/// How many audit entries the store holds for `target`.
pub async fn audit_count(h: &Harness, target: &str) -> anyhow::Result<usize> {
    use promptsales_kit::PageRequest;
    use promptsales_kit::context::TenantScope;
    use promptsales_sales::store::audit::AuditFilter;
    let filter = AuditFilter {
        target_id: Some(target.to_string()),
        ..Default::default()
    };
    let page = h
        .store
        .audit_entries(
            TenantScope::All,
            &filter,
            PageRequest {
                first: 100,
                after: None,
            },
        )
        .await?;
    Ok(page.items.len())
}
