//! Plans, subscriptions and quota usage in the sea-orm store.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError, new_id};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use uuid::Uuid;

use super::audit;
use super::entity::{campaign, plan, plan_feature, subscription, subscription_usage};
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::domain::campaign::CampaignStatus;
use crate::domain::subscription::{
    BillingCycle, FeatureKind, LiveFeature, Period, SubscriptionStatus,
};
use crate::store::WriteError;
use crate::store::audit::NewAuditEntry;
use crate::store::plans::{Plan, PlanFeature, Subscription, Usage, UsageError};

const LIVE: [&str; 2] = ["trial", "active"];

fn plan_from(m: plan::Model, features: Vec<plan_feature::Model>) -> Result<Plan, StoreError> {
    let features = features
        .into_iter()
        .map(|f| {
            Ok(PlanFeature {
                kind: FeatureKind::parse(&f.kind).ok_or_else(|| {
                    corrupt("plan_features", f.id, format!("unknown kind {:?}", f.kind))
                })?,
                name: f.name,
                value: f.value,
                unit: f.unit,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Plan {
        billing_cycle: BillingCycle::parse(&m.billing_cycle).ok_or_else(|| {
            corrupt(
                "plans",
                m.id,
                format!("unknown cycle {:?}", m.billing_cycle),
            )
        })?,
        id: m.id,
        code: m.code,
        name: m.name,
        subsystem: m.subsystem,
        price: Decimal4(m.price),
        currency: m.currency,
        trial_days: m.trial_days,
        max_users: m.max_users,
        active: m.active,
        features,
    })
}

fn subscription_from(m: subscription::Model) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        period: Period {
            status: SubscriptionStatus::parse(&m.status).ok_or_else(|| {
                corrupt(
                    "subscriptions",
                    m.id,
                    format!("unknown status {:?}", m.status),
                )
            })?,
            start: m.current_period_start,
            end: m.current_period_end,
            trial_ends_at: m.trial_ends_at,
        },
        id: m.id,
        organization_id: m.organization_id,
        plan_id: m.plan_id,
        subsystem: m.subsystem,
        started_at: m.started_at,
        cancelled_at: m.cancelled_at,
        auto_renew: m.auto_renew,
        updated_at: m.updated_at,
    })
}

fn usage_from(m: subscription_usage::Model) -> Usage {
    Usage {
        subscription_id: m.subscription_id,
        feature: m.feature,
        used: m.used,
        last_reset_at: m.last_reset_at,
    }
}

async fn with_features(
    db: &impl ConnectionTrait,
    plans: Vec<plan::Model>,
) -> Result<Vec<Plan>, StoreError> {
    let ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let mut features: HashMap<Uuid, Vec<plan_feature::Model>> = HashMap::new();
    if !ids.is_empty() {
        for f in plan_feature::Entity::find()
            .filter(plan_feature::Column::PlanId.is_in(ids))
            .order_by_asc(plan_feature::Column::Name)
            .all(db)
            .await?
        {
            features.entry(f.plan_id).or_default().push(f);
        }
    }
    plans
        .into_iter()
        .map(|p| {
            let f = features.remove(&p.id).unwrap_or_default();
            plan_from(p, f)
        })
        .collect()
}

pub(super) async fn insert_plan(
    db: &(impl ConnectionTrait + TransactionTrait),
    p: Plan,
) -> Result<Plan, WriteError> {
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        plan::Entity::insert(plan::ActiveModel::from(plan::Model {
            id: p.id,
            code: p.code.clone(),
            name: p.name.clone(),
            subsystem: p.subsystem.clone(),
            billing_cycle: p.billing_cycle.as_str().to_string(),
            price: p.price.raw(),
            currency: p.currency.clone(),
            trial_days: p.trial_days,
            max_users: p.max_users,
            active: p.active,
            created_at: now,
            updated_at: now,
        }))
        .exec_without_returning(&txn)
        .await?;
        let rows: Vec<plan_feature::ActiveModel> = p
            .features
            .iter()
            .map(|f| {
                plan_feature::ActiveModel::from(plan_feature::Model {
                    id: new_id(),
                    plan_id: p.id,
                    name: f.name.clone(),
                    kind: f.kind.as_str().to_string(),
                    value: f.value,
                    unit: f.unit.clone(),
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect();
        if !rows.is_empty() {
            plan_feature::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        Ok::<_, DbErr>(())
    }
    .await;
    match written {
        Ok(()) => txn.commit().await.map_err(StoreError::from)?,
        Err(e) => {
            let _ = txn.rollback().await;
            return Err(write_error(
                e,
                "a plan with this id or code (or a feature named twice) exists",
                "no such plan",
            ));
        }
    }
    Ok(p)
}

pub(super) async fn plans(
    db: &impl ConnectionTrait,
    only_active: bool,
) -> Result<Vec<Plan>, StoreError> {
    let mut query = plan::Entity::find();
    if only_active {
        query = query.filter(plan::Column::Active.eq(true));
    }
    let rows = query.order_by_asc(plan::Column::Code).all(db).await?;
    with_features(db, rows).await
}

pub(super) async fn plans_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<Plan>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = plan::Entity::find()
        .filter(plan::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    with_features(db, rows).await
}

pub(super) async fn subscriptions_of(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
) -> Result<Vec<Subscription>, StoreError> {
    subscription::Entity::find()
        .filter(subscription::Column::OrganizationId.eq(organization_id))
        .filter(in_scope(subscription::Column::OrganizationId, scope))
        .order_by_desc(subscription::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(subscription_from)
        .collect()
}

pub(super) async fn subscription_by_id(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> Result<Option<Subscription>, StoreError> {
    subscription::Entity::find_by_id(id)
        .filter(in_scope(subscription::Column::OrganizationId, scope))
        .one(db)
        .await?
        .map(subscription_from)
        .transpose()
}

pub(super) async fn insert_subscription(
    db: &(impl ConnectionTrait + TransactionTrait),
    s: Subscription,
    entry: NewAuditEntry,
) -> Result<Subscription, WriteError> {
    let now = domain::now();
    let row = subscription::Model {
        id: s.id,
        organization_id: s.organization_id,
        plan_id: s.plan_id,
        subsystem: s.subsystem.clone(),
        status: s.period.status.as_str().to_string(),
        started_at: s.started_at,
        trial_ends_at: s.period.trial_ends_at,
        current_period_start: s.period.start,
        current_period_end: s.period.end,
        cancelled_at: s.cancelled_at,
        auto_renew: s.auto_renew,
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        subscription::Entity::insert(subscription::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(())
    }
    .await;
    match written {
        Ok(()) => txn.commit().await.map_err(StoreError::from)?,
        Err(e) => {
            let _ = txn.rollback().await;
            return Err(write_error(
                e,
                "the organization already has a live subscription for this subsystem; cancel it first",
                "the organization or plan does not exist",
            ));
        }
    }
    Ok(subscription_from(row)?)
}

pub(super) async fn update_subscription(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    s: Subscription,
    version: DateTime<Utc>,
    reset_usage: bool,
    entry: NewAuditEntry,
) -> Result<Subscription, WriteError> {
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let changed = subscription::Entity::update_many()
            .col_expr(
                subscription::Column::Status,
                Expr::value(s.period.status.as_str()),
            )
            .col_expr(
                subscription::Column::TrialEndsAt,
                Expr::value(s.period.trial_ends_at),
            )
            .col_expr(
                subscription::Column::CurrentPeriodStart,
                Expr::value(s.period.start),
            )
            .col_expr(
                subscription::Column::CurrentPeriodEnd,
                Expr::value(s.period.end),
            )
            .col_expr(
                subscription::Column::CancelledAt,
                Expr::value(s.cancelled_at),
            )
            .col_expr(subscription::Column::AutoRenew, Expr::value(s.auto_renew))
            .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
            .filter(subscription::Column::Id.eq(s.id))
            .filter(subscription::Column::UpdatedAt.eq(version))
            .filter(in_scope(subscription::Column::OrganizationId, scope))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Ok(false);
        }
        if reset_usage {
            subscription_usage::Entity::update_many()
                .col_expr(subscription_usage::Column::Used, Expr::value(0i64))
                .col_expr(
                    subscription_usage::Column::LastResetAt,
                    Expr::value(s.period.start),
                )
                .col_expr(subscription_usage::Column::UpdatedAt, Expr::value(now))
                .filter(subscription_usage::Column::SubscriptionId.eq(s.id))
                .exec(&txn)
                .await?;
        }
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(true)
    }
    .await;
    match written {
        Ok(true) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(Subscription {
                updated_at: now,
                ..s
            })
        }
        Ok(false) => {
            let _ = txn.rollback().await;
            Err(WriteError::Conflict(format!(
                "subscription {} was changed meanwhile (or is not visible); read it again",
                s.id
            )))
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(write_error(
                e,
                "conflicting subscription",
                "no such subscription",
            ))
        }
    }
}

pub(super) async fn live_features(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Option<Uuid>,
) -> Result<Vec<(Uuid, LiveFeature)>, StoreError> {
    let mut query = subscription::Entity::find()
        .filter(subscription::Column::Status.is_in(LIVE))
        .filter(in_scope(subscription::Column::OrganizationId, scope));
    if let Some(organization) = organization_id {
        query = query.filter(subscription::Column::OrganizationId.eq(organization));
    }
    let live = query.all(db).await?;
    let plan_ids: Vec<Uuid> = live.iter().map(|s| s.plan_id).collect();
    if plan_ids.is_empty() {
        return Ok(Vec::new());
    }
    let features = plan_feature::Entity::find()
        .filter(plan_feature::Column::PlanId.is_in(plan_ids))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for s in &live {
        for f in features.iter().filter(|f| f.plan_id == s.plan_id) {
            let kind = FeatureKind::parse(&f.kind).ok_or_else(|| {
                corrupt("plan_features", f.id, format!("unknown kind {:?}", f.kind))
            })?;
            out.push((
                s.organization_id,
                LiveFeature {
                    name: f.name.clone(),
                    kind,
                    value: f.value,
                },
            ));
        }
    }
    Ok(out)
}

pub(super) async fn active_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
) -> Result<i64, StoreError> {
    let count = campaign::Entity::find()
        .filter(campaign::Column::OrganizationId.eq(organization_id))
        .filter(campaign::Column::Status.eq(CampaignStatus::Active.as_str()))
        .filter(in_scope(campaign::Column::OrganizationId, scope))
        .count(db)
        .await?;
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}

pub(super) async fn add_usage(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    organization_id: Uuid,
    feature: &str,
    amount: i64,
) -> Result<Usage, UsageError> {
    let live = subscription::Entity::find()
        .filter(subscription::Column::OrganizationId.eq(organization_id))
        .filter(subscription::Column::Status.is_in(LIVE))
        .filter(in_scope(subscription::Column::OrganizationId, scope))
        .all(db)
        .await
        .map_err(StoreError::from)?;
    let plan_ids: Vec<Uuid> = live.iter().map(|s| s.plan_id).collect();
    let quotas = if plan_ids.is_empty() {
        Vec::new()
    } else {
        plan_feature::Entity::find()
            .filter(plan_feature::Column::PlanId.is_in(plan_ids))
            .filter(plan_feature::Column::Name.eq(feature))
            .filter(plan_feature::Column::Kind.eq(FeatureKind::Quota.as_str()))
            .all(db)
            .await
            .map_err(StoreError::from)?
    };
    // The live subscription whose plan gives the most of this quota.
    let Some((sub, value)) = live
        .iter()
        .filter_map(|s| {
            quotas
                .iter()
                .find(|q| q.plan_id == s.plan_id)
                .map(|q| (s, q.value))
        })
        .max_by_key(|(_, value)| *value)
    else {
        return Err(UsageError::NoQuota);
    };
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let seed = subscription_usage::ActiveModel::from(subscription_usage::Model {
            id: new_id(),
            organization_id,
            subscription_id: sub.id,
            feature: feature.to_string(),
            used: 0,
            last_reset_at: sub.current_period_start,
            created_at: now,
            updated_at: now,
        });
        subscription_usage::Entity::insert(seed)
            .on_conflict(
                OnConflict::columns([
                    subscription_usage::Column::SubscriptionId,
                    subscription_usage::Column::Feature,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let used = Expr::col(subscription_usage::Column::Used);
        let added = subscription_usage::Entity::update_many()
            .col_expr(subscription_usage::Column::Used, used.clone().add(amount))
            .col_expr(subscription_usage::Column::UpdatedAt, Expr::value(now))
            .filter(subscription_usage::Column::SubscriptionId.eq(sub.id))
            .filter(subscription_usage::Column::Feature.eq(feature))
            .filter(Expr::expr(used.add(amount)).lte(value))
            .exec(&txn)
            .await?;
        let row = subscription_usage::Entity::find()
            .filter(subscription_usage::Column::SubscriptionId.eq(sub.id))
            .filter(subscription_usage::Column::Feature.eq(feature))
            .one(&txn)
            .await?;
        Ok::<_, DbErr>((added.rows_affected > 0, row))
    }
    .await;
    match written {
        Ok((true, Some(row))) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(usage_from(row))
        }
        Ok((_, row)) => {
            let _ = txn.rollback().await;
            Err(UsageError::Over {
                used: row.map(|r| r.used).unwrap_or(0),
            })
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(UsageError::Write(StoreError::from(e).into()))
        }
    }
}

pub(super) async fn usage_of(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
) -> Result<Vec<Usage>, StoreError> {
    Ok(subscription_usage::Entity::find()
        .filter(subscription_usage::Column::OrganizationId.eq(organization_id))
        .filter(in_scope(subscription_usage::Column::OrganizationId, scope))
        .order_by_asc(subscription_usage::Column::Feature)
        .all(db)
        .await?
        .into_iter()
        .map(usage_from)
        .collect())
}
