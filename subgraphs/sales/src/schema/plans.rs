//! Plans, subscriptions and usage in GraphQL.

use promptsales_kit::StrEnum;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use promptsales_kit::context::Role;
use promptsales_kit::quota::{Admission, WithoutRedis};
use promptsales_kit::{ApiError, Money, RequestContext, ResultExt, new_id, parse_id};
use serde_json::json;

use crate::audit::{self, Severity};
use crate::domain::error::PortalError;
use crate::domain::subscription::{self as rules};
use crate::domain::{self, access};
use crate::limits::{self, PlanLimitsPublisher};
use crate::store::plans::UsageError;
use crate::store::{self, SalesStore};

/// How often a plan bills.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::subscription::BillingCycle")]
pub enum BillingCycle {
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

/// What kind of plan feature.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::subscription::FeatureKind")]
pub enum PlanFeatureKind {
    /// At most `value` at a time.
    Limit,
    /// On or off.
    Boolean,
    /// At most `value` per billing period.
    Quota,
}

/// Where a subscription stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::subscription::SubscriptionStatus")]
pub enum SubscriptionStatus {
    /// Trying the plan.
    Trial,
    /// Paying.
    Active,
    /// Stopped by the customer.
    Cancelled,
    /// Ran out without renewal.
    Expired,
}

/// A feature of a plan.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 300))]
pub struct PlanFeature {
    /// Its name (`active_campaigns`, `ai_generations_per_month`).
    pub name: String,
    /// What kind.
    pub kind: PlanFeatureKind,
    /// Its limit or quota (1/0 for flags).
    pub value: i64,
    /// Its unit.
    pub unit: Option<String>,
}

/// A plan of the catalogue.
pub struct Plan(pub store::plans::Plan);

/// A plan of the catalogue (reference data).
#[Object(cache_control(max_age = 300))]
impl Plan {
    /// The plan's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Its stable code.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Shown to people; the `code` is what stays stable.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// `content`, `ads`, `crm` or `all`.
    async fn subsystem(&self) -> &str {
        &self.0.subsystem
    }

    /// How often it bills.
    async fn billing_cycle(&self) -> BillingCycle {
        self.0.billing_cycle.into()
    }

    /// Price per cycle.
    async fn price(&self) -> Money {
        Money {
            amount: self.0.price,
            currency: self.0.currency.clone(),
        }
    }

    /// Free days before billing.
    async fn trial_days(&self) -> i32 {
        self.0.trial_days
    }

    /// Users allowed.
    async fn max_users(&self) -> i32 {
        self.0.max_users
    }

    /// Its features.
    async fn features(&self) -> Vec<PlanFeature> {
        self.0
            .features
            .iter()
            .map(|f| PlanFeature {
                name: f.name.clone(),
                kind: f.kind.into(),
                value: f.value,
                unit: f.unit.clone(),
            })
            .collect()
    }
}

/// An organization's subscription.
pub struct Subscription(pub store::plans::Subscription);

/// An organization's subscription to a plan.
#[Object(name = "PlanSubscription", cache_control(max_age = 30, private))]
impl Subscription {
    /// The subscription's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The plan.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plan>> {
        let plans = store(ctx)?.plans_by_ids(&[self.0.plan_id]).await.api()?;
        Ok(plans.into_iter().next().map(Plan))
    }

    /// Where it stands.
    async fn status(&self) -> SubscriptionStatus {
        self.0.period.status.into()
    }

    /// When it began.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// When the trial ends, if it is one.
    async fn trial_ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.period.trial_ends_at
    }

    /// When the current period started.
    async fn current_period_start(&self) -> DateTime<Utc> {
        self.0.period.start
    }

    /// When the current period ends.
    async fn current_period_end(&self) -> DateTime<Utc> {
        self.0.period.end
    }

    /// When it was cancelled.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }

    /// Whether it renews itself.
    async fn auto_renew(&self) -> bool {
        self.0.auto_renew
    }
}

/// Use of a feature against the organization's plan.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 0, private))]
pub struct SubscriptionUsage {
    /// The feature.
    pub feature: String,
    /// Used so far (in this period, for quotas).
    pub used: i64,
    /// The limit (null: no live plan limits it).
    pub limit: Option<i64>,
    /// False only when the AI generations counter could not be reached (it lives in Redis)
    /// and `PROMPTSALES_AI_LIMIT_WITHOUT_REDIS` is `open` (its default): `recordUsage`
    /// admitted this use without counting it, or `subscriptionUsage` could not read it; `used`
    /// then reads 0 (unknown).
    pub metered: bool,
}

fn store<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Arc<dyn SalesStore>> {
    ctx.data::<Arc<dyn SalesStore>>()
}

fn publisher(ctx: &Context<'_>) -> Arc<PlanLimitsPublisher> {
    ctx.data_opt::<Arc<PlanLimitsPublisher>>()
        .cloned()
        .unwrap_or_else(|| limits::shared().clone())
}

/// `plans`: the catalogue.
pub async fn plans(ctx: &Context<'_>) -> async_graphql::Result<Vec<Plan>> {
    access::require(ctx.data::<RequestContext>()?, Role::Read)?;
    Ok(store(ctx)?
        .plans(true)
        .await
        .api()?
        .into_iter()
        .map(Plan)
        .collect())
}

/// `subscriptions`: an organization's, newest first.
pub async fn subscriptions(
    ctx: &Context<'_>,
    organization_id: &ID,
) -> async_graphql::Result<Vec<Subscription>> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Read)?;
    let organization = parse_id("organizationId", organization_id)?;
    let rows = store(ctx)?
        .subscriptions_of(context.scope(), organization)
        .await
        .api()?;
    Ok(rows.into_iter().map(Subscription).collect())
}

/// `subscriptionUsage`: every limited feature with its use (active campaigns counted live).
pub async fn usage(
    ctx: &Context<'_>,
    organization_id: &ID,
) -> async_graphql::Result<Vec<SubscriptionUsage>> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Read)?;
    let organization = parse_id("organizationId", organization_id)?;
    let (scope, store) = (context.scope(), store(ctx)?);
    super::writable_organization(store, scope, organization).await?;
    let features: Vec<_> = store
        .live_features(scope, Some(organization))
        .await
        .api()?
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let limits = rules::effective_limits(&features);
    let counted = store.usage_of(scope, organization).await.api()?;
    let active = store.active_campaigns(scope, organization).await.api()?;
    // AI generations: the one monthly counter the AI gateway reserves in (content's aiUsage
    // reads it too). Unreadable, it answers as the reservations do under the same setting:
    // `open` (uses go on unmetered) reads `metered: false` with every other feature answered,
    // `closed` (uses are refused) is SERVICE_UNAVAILABLE.
    let (ai_generations, ai_metered) = if limits.contains_key(rules::AI_GENERATIONS_PER_MONTH) {
        let publisher = publisher(ctx);
        match publisher.ai_generations_used(organization).await {
            Ok(used) => (i64::try_from(used).unwrap_or(i64::MAX), true),
            Err(e) if publisher.without_redis() == WithoutRedis::Open => {
                tracing::warn!(error = %e, "AI usage counter unavailable; answered unmetered");
                (0, false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "AI usage counter unavailable");
                return Err(ApiError::Unavailable(
                    "the AI usage counter is unavailable; try again".into(),
                )
                .into());
            }
        }
    } else {
        (0, true)
    };
    Ok(limits
        .into_iter()
        .map(|(feature, limit)| SubscriptionUsage {
            used: if feature == rules::ACTIVE_CAMPAIGNS {
                active
            } else if feature == rules::AI_GENERATIONS_PER_MONTH {
                ai_generations
            } else {
                counted
                    .iter()
                    .filter(|u| u.feature == feature)
                    .map(|u| u.used)
                    .max()
                    .unwrap_or(0)
            },
            metered: ai_metered || feature != rules::AI_GENERATIONS_PER_MONTH,
            feature,
            limit: Some(limit),
        })
        .collect())
}

/// Refuses one more active campaign over the organization's plan limit.
pub async fn check_active_campaigns(
    store: &Arc<dyn SalesStore>,
    scope: promptsales_kit::context::TenantScope,
    organization: uuid::Uuid,
) -> Result<(), PortalError> {
    let features: Vec<_> = store
        .live_features(scope, Some(organization))
        .await?
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let limits = rules::effective_limits(&features);
    let used = store.active_campaigns(scope, organization).await?;
    rules::check_limit(
        rules::ACTIVE_CAMPAIGNS,
        limits.get(rules::ACTIVE_CAMPAIGNS).copied(),
        used,
        1,
    )
}

async fn publish(ctx: &Context<'_>, organization: uuid::Uuid) -> async_graphql::Result<()> {
    // After the commit, and never failing the mutation: Redis is a cache of what the store says.
    limits::publish_organization(store(ctx)?.as_ref(), &publisher(ctx), organization).await;
    Ok(())
}

/// `subscribe`: a new subscription (a trial when asked and the plan offers one).
pub async fn subscribe(
    ctx: &Context<'_>,
    organization_id: &ID,
    plan_id: &ID,
    trial: bool,
    auto_renew: bool,
) -> async_graphql::Result<Subscription> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Admin)?;
    let organization = parse_id("organizationId", organization_id)?;
    let plan_id = parse_id("planId", plan_id)?;
    let (scope, store) = (context.scope(), store(ctx)?);
    super::writable_organization(store, scope, organization).await?;
    let plan = store
        .plans_by_ids(&[plan_id])
        .await
        .api()?
        .into_iter()
        .find(|p| p.active)
        .ok_or_else(|| ApiError::not_found("Plan", plan_id))?;
    let now = domain::now();
    let period = rules::subscribe(plan.billing_cycle, plan.trial_days, trial, now);
    let id = new_id();
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        "subscription.created",
        "Subscription",
        Some(id.to_string()),
        Severity::Warning,
        json!({"plan": plan.code, "status": period.status.as_str()}),
    );
    entry.organization_id = Some(organization);
    let created = store
        .insert_subscription(
            store::plans::Subscription {
                id,
                organization_id: organization,
                plan_id,
                subsystem: plan.subsystem.clone(),
                period,
                started_at: now,
                cancelled_at: None,
                auto_renew,
                updated_at: now,
            },
            entry,
        )
        .await
        .api()?;
    publish(ctx, organization).await?;
    Ok(Subscription(created))
}

/// `renewSubscription` / `cancelSubscription`.
pub async fn change(
    ctx: &Context<'_>,
    id: &ID,
    cancel: bool,
) -> async_graphql::Result<Subscription> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Admin)?;
    let id = parse_id("id", id)?;
    let (scope, store) = (context.scope(), store(ctx)?);
    let current = store
        .subscription(scope, id)
        .await
        .api()?
        .ok_or_else(|| ApiError::not_found("Subscription", id))?;
    let plan = store
        .plans_by_ids(&[current.plan_id])
        .await
        .api()?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("Plan", current.plan_id))?;
    let now = domain::now();
    let (next, action) = if cancel {
        let status = rules::cancel(current.period.status)?;
        (
            store::plans::Subscription {
                period: rules::Period {
                    status,
                    ..current.period
                },
                cancelled_at: Some(now),
                auto_renew: false,
                ..current.clone()
            },
            "subscription.cancelled",
        )
    } else {
        (
            store::plans::Subscription {
                period: rules::renew(current.period, plan.billing_cycle)?,
                ..current.clone()
            },
            "subscription.renewed",
        )
    };
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        action,
        "Subscription",
        Some(id.to_string()),
        Severity::Warning,
        json!({"plan": plan.code, "from": current.period.status.as_str(), "to": next.period.status.as_str()}),
    );
    entry.organization_id = Some(current.organization_id);
    let updated = store
        .update_subscription(scope, next, current.updated_at, !cancel, entry)
        .await
        .api()?;
    publish(ctx, current.organization_id).await?;
    Ok(Subscription(updated))
}

/// `recordUsage`: counts `amount` of a quota (`PLAN_LIMIT_REACHED` over it).
pub async fn record_usage(
    ctx: &Context<'_>,
    organization_id: &ID,
    feature: &str,
    amount: i32,
) -> async_graphql::Result<SubscriptionUsage> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Write)?;
    let organization = parse_id("organizationId", organization_id)?;
    let feature = rules::feature_name("feature", feature)?;
    if amount < 1 {
        return Err(ApiError::bad_input("amount", "amount must be at least 1").into());
    }
    let (scope, store) = (context.scope(), store(ctx)?);
    super::writable_organization(store, scope, organization).await?;
    let features: Vec<_> = store
        .live_features(scope, Some(organization))
        .await
        .api()?
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let limit = rules::effective_limits(&features).get(&feature).copied();
    if feature == rules::AI_GENERATIONS_PER_MONTH {
        return record_ai_generations(ctx, organization, feature, amount, limit).await;
    }
    match store
        .add_usage(scope, organization, &feature, i64::from(amount))
        .await
    {
        Ok(usage) => Ok(SubscriptionUsage {
            feature,
            used: usage.used,
            limit,
            metered: true,
        }),
        Err(UsageError::NoQuota) => Ok(SubscriptionUsage {
            feature,
            used: 0,
            limit: None,
            metered: true,
        }),
        Err(UsageError::Over { used }) => Err(PortalError::PlanLimitReached {
            feature,
            limit: limit.unwrap_or(0),
            used,
        }
        .into()),
        Err(UsageError::Write(e)) => Err(ApiError::from(e).into()),
    }
}

/// `recordUsage` of AI generations: reserved in the one monthly counter the AI gateway uses
/// (all or nothing; a refusal adds nothing). Without a live plan limiting it, nothing is counted.
/// Redis down: admitted unmetered (`metered: false`) or `SERVICE_UNAVAILABLE`, by
/// `PROMPTSALES_AI_LIMIT_WITHOUT_REDIS` (`kit::quota::admit`).
async fn record_ai_generations(
    ctx: &Context<'_>,
    organization: uuid::Uuid,
    feature: String,
    amount: i32,
    limit: Option<i64>,
) -> async_graphql::Result<SubscriptionUsage> {
    let Some(limit) = limit else {
        return Ok(SubscriptionUsage {
            feature,
            used: 0,
            limit: None,
            metered: true,
        });
    };
    // Redis down: `kit::quota::admit` decides, by the one setting the AI gateway follows too.
    let outcome = publisher(ctx)
        .reserve_ai_generations(
            organization,
            u64::try_from(amount).unwrap_or(0),
            u64::try_from(limit).unwrap_or(0),
        )
        .await
        .map_err(|_| {
            ApiError::Unavailable("the AI usage counter is unavailable; try again".into())
        })?;
    let used = |used: u64| i64::try_from(used).unwrap_or(i64::MAX);
    match outcome {
        Admission::Granted { used: now } => Ok(SubscriptionUsage {
            feature,
            used: used(now),
            limit: Some(limit),
            metered: true,
        }),
        Admission::Unmetered => Ok(SubscriptionUsage {
            feature,
            used: 0,
            limit: Some(limit),
            metered: false,
        }),
        Admission::Refused { used: now } => Err(PortalError::PlanLimitReached {
            feature,
            limit,
            used: used(now),
        }
        .into()),
    }
}
