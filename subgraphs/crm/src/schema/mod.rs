//! The crm GraphQL schema: thin resolvers over the domain and the store.

pub mod admin;
pub mod campaign;
pub mod customer;
pub mod enums;
pub mod insight;
pub mod interaction;
pub mod lead;
pub mod loaders;
pub mod references;
pub mod sale;
pub mod subscription;
pub mod types;
pub mod work;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, MergedObject, Object, Schema, SchemaBuilder};
use chrono::Utc;
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use promptsales_kit::{ApiError, PageRequest, RequestContext, parse_id};
use uuid::Uuid;

use self::campaign::Campaign;
use self::customer::{CreateCustomerInput, Customer, CustomerFilterInput};
use self::lead::{CreateLeadInput, Lead, LeadFilterInput};
use self::loaders::CustomerLoader;
use self::sale::{CreateSaleInput, Sale};
use crate::domain;
use crate::store::{self, CrmStore};
use promptsales_kit::references::{Reference, check_for as check_references};

pub use self::subscription::Subscription;

/// The executable crm schema.
pub type CrmSchema = Schema<Query, Mutation, Subscription>;

/// Root queries: the core entities, the sales work (funnel, queue, scoring, copilot), insight and privacy.
#[derive(MergedObject, Default)]
pub struct Query(
    CoreQuery,
    work::WorkQuery,
    insight::InsightQuery,
    admin::AdminQuery,
);

/// Root mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(CoreMutation, work::WorkMutation, admin::AdminMutation);

pub use promptsales_kit::limits::MAX_DEPTH;
/// Most fields one operation may select (lists count once; pages are bounded by `first` <= 100).
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema's shape without a store (what the SDL export needs).
pub fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    promptsales_kit::schema::subgraph_schema(Query::default(), Mutation::default(), Subscription)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The caller's context after checking that it holds `role` in crm (`FORBIDDEN` otherwise).
pub(crate) fn authorize<'a>(
    ctx: &Context<'a>,
    role: Role,
) -> async_graphql::Result<&'a RequestContext> {
    let context = ctx.data::<RequestContext>()?;
    context.require(Subsystem::Crm, role)?;
    Ok(context)
}

/// The one organization an operation acts in: the caller's, or the one named when unscoped.
pub(crate) fn one_organization(
    context: &RequestContext,
    given: Option<&ID>,
    field: &str,
) -> Result<Uuid, ApiError> {
    let given = optional_id(field, given)?;
    context.scope().organization_for_write(given, field)
}

pub(crate) fn scope(ctx: &Context<'_>) -> async_graphql::Result<TenantScope> {
    Ok(ctx.data::<RequestContext>()?.scope())
}

pub(crate) fn crm_store<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<dyn CrmStore>> {
    ctx.data::<Arc<dyn CrmStore>>()
}

pub(crate) fn optional_id(field: &str, id: Option<&ID>) -> Result<Option<Uuid>, ApiError> {
    id.map(|id| parse_id(field, id)).transpose()
}

/// Queries of customers, leads and sales.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// A customer by id.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Customer> {
        let id = parse_id("id", &id)?;
        let found = crm_store(ctx)?
            .customer(scope(ctx)?, id)
            .await
            .map_err(ApiError::from)?;
        Ok(Customer(
            found.ok_or_else(|| ApiError::not_found("Customer", id))?,
        ))
    }

    /// Customers in creation order.
    async fn customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Customer, EmptyFields, EmptyFields>> {
        let page = PageRequest::new(first, after)?;
        let filter = filter.unwrap_or_default().into_domain()?;
        let found = crm_store(ctx)?
            .list_customers(scope(ctx)?, &filter, &page)
            .await
            .map_err(ApiError::from)?;
        Ok(found.into_connection(&page, |c| c.id, Customer))
    }

    /// The customer with this e-mail (any case), found through its blind index; null when there is none.
    async fn customer_by_email(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<Option<Customer>> {
        let email = domain::customer::normalize_email("email", &email).map_err(ApiError::from)?;
        let mut found = crm_store(ctx)?
            .customers_by_email(scope(ctx)?, &email)
            .await
            .map_err(ApiError::from)?;
        if found.len() > 1 {
            // Only an unscoped caller can see several tenants' customers with one address.
            return Err(ApiError::bad_input(
                "email",
                "several organizations have a customer with this email; scope the request to one organization",
            )
            .into());
        }
        Ok(found.pop().map(Customer))
    }

    /// A lead by id.
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Lead> {
        let id = parse_id("id", &id)?;
        let found = crm_store(ctx)?
            .lead(scope(ctx)?, id)
            .await
            .map_err(ApiError::from)?;
        Ok(Lead::new(
            found.ok_or_else(|| ApiError::not_found("Lead", id))?,
        ))
    }

    /// Leads in creation order.
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Lead, EmptyFields, EmptyFields>> {
        let page = PageRequest::new(first, after)?;
        let filter = filter.unwrap_or_default().into_domain()?;
        let found = crm_store(ctx)?
            .list_leads(scope(ctx)?, &filter, &page)
            .await
            .map_err(ApiError::from)?;
        let customers = if lead::selects_customer(ctx) {
            let ids: Vec<Uuid> = found.items.iter().map(|l| l.customer_id).collect();
            let loader = ctx.data::<DataLoader<CustomerLoader>>()?;
            loader.load_many(ids).await?
        } else {
            HashMap::new()
        };
        Ok(found.into_connection(
            &page,
            |l| l.id,
            |l| {
                let customer = customers.get(&l.customer_id).cloned();
                Lead { lead: l, customer }
            },
        ))
    }

    /// A sale by id.
    async fn sale(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Sale> {
        let id = parse_id("id", &id)?;
        let found = crm_store(ctx)?
            .sale(scope(ctx)?, id)
            .await
            .map_err(ApiError::from)?;
        Ok(Sale(found.ok_or_else(|| ApiError::not_found("Sale", id))?))
    }

    /// Resolves `Customer` representations for the router, batched; null with `NOT_FOUND` at
    /// its `_entities` index for ids the caller cannot see (the rest of the batch resolves).
    #[graphql(entity)]
    async fn find_customer_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
    ) -> async_graphql::Result<Option<Customer>> {
        let key = parse_id("representations.id", &id)?;
        let loader = ctx.data::<DataLoader<CustomerLoader>>()?;
        Ok(match loader.load_one(key).await? {
            Some(customer) => Some(Customer(customer)),
            None => promptsales_kit::entity_errors::not_found(ctx, "Customer", &id),
        })
    }

    /// Resolves `Campaign` representations: only the key, its fields load in batches.
    #[graphql(entity)]
    async fn find_campaign_by_id(&self, #[graphql(key)] id: ID) -> async_graphql::Result<Campaign> {
        Ok(Campaign {
            id: parse_id("representations.id", &id)?,
        })
    }
}

/// Creation of customers, leads and sales.
#[derive(Default)]
pub struct CoreMutation;

/// The caller's customer, or `NOT_FOUND` naming the id it sent.
pub(crate) async fn customer_in_scope(
    ctx: &Context<'_>,
    id: Uuid,
) -> async_graphql::Result<store::Customer> {
    let found = crm_store(ctx)?
        .customer(scope(ctx)?, id)
        .await
        .map_err(ApiError::from)?;
    Ok(found.ok_or_else(|| ApiError::not_found("Customer", id))?)
}

#[Object]
impl CoreMutation {
    /// Creates a customer; an e-mail already used in the organization is a `CONFLICT`.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomerInput,
    ) -> async_graphql::Result<Customer> {
        let given = optional_id("input.organizationId", input.organization_id.as_ref())?;
        let organization_id = scope(ctx)?.organization_for_write(given, "input.organizationId")?;
        let new = domain::customer::validate(store::NewCustomer {
            id: None,
            organization_id,
            full_name: input.full_name,
            email: input.email,
            phone: input.phone,
            country: input.country,
            city: input.city,
            latitude: input.latitude,
            longitude: input.longitude,
            segment: input.segment,
            lifetime_value: input.lifetime_value,
        })
        .map_err(ApiError::from)?;
        let created = crm_store(ctx)?
            .insert_customer(new)
            .await
            .map_err(ApiError::from)?;
        tracing::info!(customer = %created.id, organization = %created.organization_id, "customer created");
        Ok(Customer(created))
    }

    /// Creates a lead for one of the caller's customers.
    async fn create_lead(
        &self,
        ctx: &Context<'_>,
        input: CreateLeadInput,
    ) -> async_graphql::Result<Lead> {
        let customer_id = parse_id("input.customerId", &input.customer_id)?;
        let mut new = store::NewLead {
            id: None,
            // Set from the customer below: a lead belongs to its customer's tenant.
            organization_id: Uuid::nil(),
            customer_id,
            campaign_id: parse_id("input.campaignId", &input.campaign_id)?,
            source: input.source.into(),
            source_ad_id: optional_id("input.sourceAdId", input.source_ad_id.as_ref())?,
            stage: input.stage.into(),
            score: input.score,
            purchase_intent: input.purchase_intent,
            assigned_agent_id: optional_id(
                "input.assignedAgentId",
                input.assigned_agent_id.as_ref(),
            )?,
            last_interaction_at: input.last_interaction_at,
        };
        domain::lead::validate(&new, Utc::now()).map_err(ApiError::from)?;
        new.organization_id = customer_in_scope(ctx, customer_id).await?.organization_id;
        let mut named = vec![Reference::campaign("input.campaignId", new.campaign_id)];
        named.extend(
            new.source_ad_id
                .map(|id| Reference::ad("input.sourceAdId", id)),
        );
        named.extend(
            new.assigned_agent_id
                .map(|id| Reference::user("input.assignedAgentId", id)),
        );
        check_references(ctx, named).await?;
        let store = crm_store(ctx)?;
        // A score given with the lead (an import from another CRM) stands; otherwise the lead
        // is scored now (the organization's model, else the platform prior).
        let given = new.score != 0 || new.purchase_intent != 0.0;
        let mut created = store.insert_lead(new).await.map_err(ApiError::from)?;
        let scored = if given {
            Ok(false)
        } else {
            work::score_leads(
                store.as_ref(),
                created.organization_id,
                &[created.id],
                Utc::now(),
            )
            .await
        };
        match scored {
            Ok(false) => {}
            Ok(true) => {
                if let Some(scored) = store
                    .lead(
                        TenantScope::Organization(created.organization_id),
                        created.id,
                    )
                    .await
                    .map_err(ApiError::from)?
                {
                    created = scored;
                }
            }
            Err(e) => {
                tracing::warn!(lead = %created.id, error = %e, "a created lead could not be scored")
            }
        }
        promptsales_kit::cache_hints::tag_changed(
            ctx,
            "Campaign",
            &created.campaign_id.to_string(),
        );
        tracing::info!(lead = %created.id, campaign = %created.campaign_id, "lead created");
        Ok(Lead::new(created))
    }

    /// Records a sale of one of the caller's customers.
    async fn create_sale(
        &self,
        ctx: &Context<'_>,
        input: CreateSaleInput,
    ) -> async_graphql::Result<Sale> {
        let customer_id = parse_id("input.customerId", &input.customer_id)?;
        let now = Utc::now();
        let mut new = store::NewSale {
            id: None,
            // Set from the customer below.
            organization_id: Uuid::nil(),
            customer_id,
            lead_id: optional_id("input.leadId", input.lead_id.as_ref())?,
            campaign_id: parse_id("input.campaignId", &input.campaign_id)?,
            product_id: optional_id("input.productId", input.product_id.as_ref())?,
            amount: input.amount,
            currency: input.currency.trim().to_string(),
            closed_at: input.closed_at.unwrap_or(now),
        };
        domain::sale::validate(&new, now).map_err(ApiError::from)?;
        new.organization_id = customer_in_scope(ctx, customer_id).await?.organization_id;
        // `productId` is not checked: sales exposes products by no key (not an entity).
        check_references(
            ctx,
            vec![Reference::campaign("input.campaignId", new.campaign_id)],
        )
        .await?;
        let created = crm_store(ctx)?
            .insert_sale(new)
            .await
            .map_err(ApiError::from)?;
        promptsales_kit::cache_hints::tag_changed(
            ctx,
            "Campaign",
            &created.campaign_id.to_string(),
        );
        tracing::info!(sale = %created.id, campaign = %created.campaign_id, "sale recorded");
        Ok(Sale(created))
    }
}
