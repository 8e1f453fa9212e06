//! Privacy (export and erasure on request) and the personal-data keys (rotation, re-encryption).

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use promptsales_kit::context::Role;
use promptsales_kit::{ApiError, parse_id};

use super::customer::Customer;
use super::types::{CrmKeyStatus, CrmReencryptionReport, CustomerDataExport};
use super::{authorize, crm_store};

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
