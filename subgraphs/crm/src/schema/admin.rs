//! Privacy (export and erasure on request), the personal-data keys (rotation, re-encryption),
//! and each organization's lead-capture webhook secrets (issue, rotate, revoke).

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use promptsales_kit::context::Role;
use promptsales_kit::{ApiError, parse_id};

use super::customer::Customer;
use super::types::{
    CrmKeyStatus, CrmReencryptionReport, CrmWebhookSecret, CustomerDataExport,
    IssuedCrmWebhookSecret,
};
use super::{authorize, crm_store, one_organization};
use crate::domain::webhook::{self, DEFAULT_GRACE_SECS, MAX_GRACE_SECS};

/// Most rows one re-encryption call rewrites.
pub const MAX_REENCRYPT_BATCH: i32 = 5_000;

/// Privacy and key queries (crm admin).
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Everything held about a customer (a GDPR/CCPA access request): personal data in clear,
    /// leads, stage history, interactions, sales.
    async fn customer_data_export(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CustomerDataExport> {
        let context = authorize(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let export = crm_store(ctx)?
            .export_customer(context.scope(), id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("Customer", id))?;
        tracing::info!(customer = %id, "customer data exported");
        Ok(CustomerDataExport(export, Utc::now()))
    }

    /// The organization's lead-capture webhook secrets (records only, newest first).
    async fn crm_webhook_secrets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Required only when the request is not scoped to an organization.")]
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Vec<CrmWebhookSecret>> {
        let context = authorize(ctx, Role::Admin)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let now = Utc::now();
        Ok(crm_store(ctx)?
            .webhook_secrets(context.scope(), organization)
            .await
            .map_err(ApiError::from)?
            .iter()
            .map(|s| CrmWebhookSecret::at(s, now))
            .collect())
    }

    /// The personal-data keys and how many rows each still seals.
    async fn crm_key_status(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmKeyStatus> {
        let context = authorize(ctx, Role::Admin)?;
        platform_operator(context)?;
        Ok(crm_store(ctx)?
            .key_status()
            .await
            .map_err(ApiError::from)?
            .into())
    }
}

/// Keys protect every tenant's data: only an unscoped (platform) administrator handles them.
fn platform_operator(context: &promptsales_kit::RequestContext) -> Result<(), ApiError> {
    if context.organization.is_some() {
        return Err(ApiError::Forbidden(
            "personal-data keys are handled by platform operators, not by one organization".into(),
        ));
    }
    Ok(())
}

/// Privacy and key mutations (crm admin).
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Erases a customer's personal data on request (GDPR/CCPA): name, e-mail, phone, city,
    /// coordinates and interaction summaries go; leads, stages and sales stay, anonymous, so
    /// reports do not change.
    async fn erase_customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Customer> {
        let context = authorize(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let erased = crm_store(ctx)?
            .erase_customer(context.scope(), id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("Customer", id))?;
        Ok(Customer(erased))
    }

    /// Issues a new lead-capture webhook secret for the organization and returns it, once. The
    /// secrets in use until now keep signing for `graceSeconds` (default one day, at most 30
    /// days), so integrations can switch; revoke one to end that early.
    async fn rotate_crm_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Required only when the request is not scoped to an organization.")]
        organization_id: Option<ID>,
        #[graphql(
            default_with = "DEFAULT_GRACE_SECS as i32",
            validator(minimum = 0, maximum = 2_592_000),
            desc = "How long the replaced secrets keep signing, in seconds."
        )]
        grace_seconds: i32,
    ) -> async_graphql::Result<IssuedCrmWebhookSecret> {
        let context = authorize(ctx, Role::Admin)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let grace = chrono::Duration::seconds(i64::from(grace_seconds).clamp(0, MAX_GRACE_SECS));
        let store = crm_store(ctx)?;
        let now = Utc::now();
        let before = store
            .webhook_secrets(context.scope(), organization)
            .await
            .map_err(ApiError::from)?;
        let secret = webhook::new_secret()
            .map_err(|e| ApiError::Unavailable(format!("cannot make a webhook secret now: {e}")))?;
        let issued = store
            .issue_webhook_secret(organization, context.user, &secret, now, grace)
            .await
            .map_err(ApiError::from)?;
        let until = now + grace;
        let previous_valid_until = before
            .iter()
            .filter(|s| s.usable_at(now))
            .map(|s| s.expires_at.map_or(until, |end| end.min(until)))
            .max();
        tracing::info!(organization = %organization, secret = %issued.id, grace_seconds, "crm webhook secret rotated");
        Ok(IssuedCrmWebhookSecret {
            secret,
            webhook_secret: CrmWebhookSecret::at(&issued, now),
            previous_valid_until,
        })
    }

    /// Revokes a lead-capture webhook secret at once: requests it signs are refused from now on.
    async fn revoke_crm_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CrmWebhookSecret> {
        let context = authorize(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let now = Utc::now();
        let revoked = crm_store(ctx)?
            .revoke_webhook_secret(context.scope(), id, now)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("CrmWebhookSecret", id))?;
        tracing::info!(organization = %revoked.organization_id, secret = %id, "crm webhook secret revoked");
        Ok(CrmWebhookSecret::at(&revoked, now))
    }

    /// Makes a new data key seal new writes; older rows stay readable and are re-encrypted in batches.
    async fn rotate_crm_data_key(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmKeyStatus> {
        let context = authorize(ctx, Role::Admin)?;
        platform_operator(context)?;
        let store = crm_store(ctx)?;
        store.rotate_data_key().await.map_err(ApiError::from)?;
        Ok(store.key_status().await.map_err(ApiError::from)?.into())
    }

    /// Re-encrypts up to `batchSize` rows still sealed under an older key (the service also does
    /// this in the background).
    async fn reencrypt_crm_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 500, validator(minimum = 1, maximum = 5000))] batch_size: i32,
    ) -> async_graphql::Result<CrmReencryptionReport> {
        let context = authorize(ctx, Role::Admin)?;
        platform_operator(context)?;
        let report = crm_store(ctx)?
            .reencrypt_batch(u64::try_from(batch_size).unwrap_or(500))
            .await
            .map_err(ApiError::from)?;
        Ok(report.into())
    }
}
