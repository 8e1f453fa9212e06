//! Budget movements, payment methods and transactions in the sea-orm store.
//!
//! A movement is one conditional `UPDATE` of the campaign's totals (it only
//! matches when the result keeps `0 <= spent <= total`), so concurrent spends
//! can never lose an update or overdraw: on PostgreSQL the row is first locked
//! with `SELECT ... FOR UPDATE` (the update's condition then sees the latest
//! committed totals); SQLite runs one writer at a time. The movement row,
//! with the balance it left, is written in the same transaction.

use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError, new_id};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::audit;
use super::entity::{budget_movement, campaign, payment_method, transaction};
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::domain::campaign::Budget;
use crate::domain::money::{MovementKind, TransactionKind, TransactionStatus};
use crate::store::WriteError;
use crate::store::audit::NewAuditEntry;
use crate::store::money::{BudgetMovement, MovementError, NewMovement, PaymentMethod, Transaction};

fn movement_from_model(m: budget_movement::Model) -> Result<BudgetMovement, StoreError> {
    Ok(BudgetMovement {
        id: m.id,
        organization_id: m.organization_id,
        campaign_id: m.campaign_id,
        kind: MovementKind::parse(&m.kind).ok_or_else(|| {
            corrupt(
                "budget_movements",
                m.id,
                format!("unknown kind {:?}", m.kind),
            )
        })?,
        amount: Decimal4(m.amount),
        budget_after: Budget {
            total: Decimal4(m.total_after),
            spent: Decimal4(m.spent_after),
        },
        source_subsystem: m.source_subsystem,
        reference: m.reference,
        actor_id: m.actor_id,
        transaction_id: m.transaction_id,
        created_at: m.created_at,
    })
}

fn method_from_model(m: payment_method::Model) -> PaymentMethod {
    PaymentMethod {
        id: m.id,
        organization_id: m.organization_id,
        provider: m.provider,
        provider_token: m.provider_token,
        brand: m.brand,
        last_four: m.last_four,
        exp_month: m.exp_month,
        exp_year: m.exp_year,
        active: m.active,
        created_at: m.created_at,
    }
}

fn transaction_from_model(m: transaction::Model) -> Result<Transaction, StoreError> {
    Ok(Transaction {
        id: m.id,
        organization_id: m.organization_id,
        kind: TransactionKind::parse(&m.kind)
            .ok_or_else(|| corrupt("transactions", m.id, format!("unknown kind {:?}", m.kind)))?,
        campaign_id: m.campaign_id,
        subscription_id: m.subscription_id,
        payment_method_id: m.payment_method_id,
        amount: Decimal4(m.amount),
        currency: m.currency,
        status: TransactionStatus::parse(&m.status).ok_or_else(|| {
            corrupt(
                "transactions",
                m.id,
                format!("unknown status {:?}", m.status),
            )
        })?,
        provider_reference: m.provider_reference,
        created_at: m.created_at,
    })
}

/// What applying a movement inside a transaction came to.
enum Applied {
    Done(BudgetMovement),
    Refused(Budget),
    Missing,
}

async fn apply_in(
    txn: &impl ConnectionTrait,
    scope: TenantScope,
    movement: &NewMovement,
    transaction_id: Option<Uuid>,
) -> Result<Applied, DbErr> {
    let id = movement.campaign_id;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // The explicit row lock: concurrent movements of this campaign queue here.
        let locked = campaign::Entity::find_by_id(id)
            .filter(in_scope(campaign::Column::OrganizationId, scope))
            .lock_exclusive()
            .one(txn)
            .await?;
        if locked.is_none() {
            return Ok(Applied::Missing);
        }
    }
    let (dt, ds) = (movement.delta.total, movement.delta.spent);
    let now = domain::now();
    let total = Expr::col(campaign::Column::BudgetTotal);
    let spent = Expr::col(campaign::Column::BudgetSpent);
    let updated = campaign::Entity::update_many()
        .col_expr(campaign::Column::BudgetTotal, total.clone().add(dt))
        .col_expr(campaign::Column::BudgetSpent, spent.clone().add(ds))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(id))
        .filter(in_scope(campaign::Column::OrganizationId, scope))
        .filter(Expr::expr(spent.clone().add(ds)).gte(0))
        .filter(Expr::expr(total.add(dt)).gte(spent.add(ds)))
        .exec(txn)
        .await?;
    let Some(row) = campaign::Entity::find_by_id(id)
        .filter(in_scope(campaign::Column::OrganizationId, scope))
        .one(txn)
        .await?
    else {
        return Ok(Applied::Missing);
    };
    let budget = Budget {
        total: Decimal4(row.budget_total),
        spent: Decimal4(row.budget_spent),
    };
    if updated.rows_affected == 0 {
        return Ok(Applied::Refused(budget));
    }
    let model = budget_movement::Model {
        id: new_id(),
        organization_id: row.organization_id,
        campaign_id: id,
        kind: movement.kind.as_str().to_string(),
        amount: movement.amount.raw(),
        total_after: budget.total.raw(),
        spent_after: budget.spent.raw(),
        balance_after: budget.available().raw(),
        source_subsystem: movement.source_subsystem.clone(),
        reference: movement.reference.clone(),
        actor_id: movement.actor_id,
        transaction_id,
        created_at: now,
        updated_at: now,
    };
    budget_movement::Entity::insert(budget_movement::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await?;
    movement_from_model(model)
        .map(Applied::Done)
        .map_err(|e| DbErr::Custom(e.to_string()))
}

const REFERENCE: &str = "the campaign or payment method does not exist in the organization";

pub(super) async fn apply_movement(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    movement: NewMovement,
    mut entry: NewAuditEntry,
) -> Result<BudgetMovement, MovementError> {
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let applied = apply_in(&txn, scope, &movement, None).await?;
        if let Applied::Done(m) = &applied {
            entry.organization_id = Some(m.organization_id);
            entry.metadata["balanceAfter"] = m.balance_after().to_string().into();
            audit::insert(&txn, entry).await?;
        }
        Ok::<_, DbErr>(applied)
    }
    .await;
    match written {
        Ok(Applied::Done(m)) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(m)
        }
        other => {
            let _ = txn.rollback().await;
            Err(match other {
                Ok(Applied::Refused(budget)) => MovementError::Refused(budget),
                Ok(_) => MovementError::Write(WriteError::NotFound {
                    entity: "Campaign",
                    id: movement.campaign_id,
                }),
                Err(e) => MovementError::Write(write_error(e, "duplicate movement", REFERENCE)),
            })
        }
    }
}

pub(super) async fn movements_of_campaign(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_id: Uuid,
    page: PageRequest,
) -> Result<Page<BudgetMovement>, StoreError> {
    let mut query = budget_movement::Entity::find()
        .filter(budget_movement::Column::CampaignId.eq(campaign_id))
        .filter(in_scope(budget_movement::Column::OrganizationId, scope));
    if let Some(after) = page.after {
        query = query.filter(budget_movement::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(budget_movement::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?
        .into_iter()
        .map(movement_from_model)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, &page))
}

pub(super) async fn insert_payment_method(
    db: &(impl ConnectionTrait + TransactionTrait),
    method: PaymentMethod,
    entry: NewAuditEntry,
) -> Result<PaymentMethod, WriteError> {
    let now = domain::now();
    let row = payment_method::Model {
        id: method.id,
        organization_id: method.organization_id,
        provider: method.provider.clone(),
        provider_token: method.provider_token.clone(),
        brand: method.brand.clone(),
        last_four: method.last_four.clone(),
        exp_month: method.exp_month,
        exp_year: method.exp_year,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        payment_method::Entity::insert(payment_method::ActiveModel::from(row.clone()))
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
                "this payment method already exists",
                REFERENCE,
            ));
        }
    }
    Ok(method_from_model(row))
}

pub(super) async fn deactivate_payment_method(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    id: Uuid,
    entry: NewAuditEntry,
) -> Result<PaymentMethod, WriteError> {
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let changed = payment_method::Entity::update_many()
            .col_expr(payment_method::Column::Active, Expr::value(false))
            .col_expr(payment_method::Column::UpdatedAt, Expr::value(now))
            .filter(payment_method::Column::Id.eq(id))
            .filter(in_scope(payment_method::Column::OrganizationId, scope))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Ok(None);
        }
        audit::insert(&txn, entry).await?;
        payment_method::Entity::find_by_id(id).one(&txn).await
    }
    .await;
    match written {
        Ok(Some(row)) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(method_from_model(row))
        }
        Ok(None) => {
            let _ = txn.rollback().await;
            Err(WriteError::NotFound {
                entity: "PaymentMethod",
                id,
            })
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(WriteError::Store(e.into()))
        }
    }
}

pub(super) async fn payment_methods(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
) -> Result<Vec<PaymentMethod>, StoreError> {
    Ok(payment_method::Entity::find()
        .filter(payment_method::Column::OrganizationId.eq(organization_id))
        .filter(in_scope(payment_method::Column::OrganizationId, scope))
        .order_by_asc(payment_method::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(method_from_model)
        .collect())
}

pub(super) async fn record_transaction(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    t: Transaction,
    deposit: Option<NewMovement>,
    mut entry: NewAuditEntry,
) -> Result<(Transaction, Option<BudgetMovement>), MovementError> {
    let now = domain::now();
    let row = transaction::Model {
        id: t.id,
        organization_id: t.organization_id,
        kind: t.kind.as_str().to_string(),
        campaign_id: t.campaign_id,
        subscription_id: t.subscription_id,
        payment_method_id: t.payment_method_id,
        amount: t.amount.raw(),
        currency: t.currency.clone(),
        status: t.status.as_str().to_string(),
        provider_reference: t.provider_reference.clone(),
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        transaction::Entity::insert(transaction::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        let applied = match &deposit {
            Some(d) => Some(apply_in(&txn, scope, d, Some(t.id)).await?),
            None => None,
        };
        if let Some(Applied::Done(m)) = &applied {
            entry.metadata["balanceAfter"] = m.balance_after().to_string().into();
        }
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(applied)
    }
    .await;
    let movement = match written {
        Ok(None) => None,
        Ok(Some(Applied::Done(m))) => Some(m),
        other => {
            let _ = txn.rollback().await;
            return Err(match other {
                Ok(Some(Applied::Refused(budget))) => MovementError::Refused(budget),
                Ok(_) => MovementError::Write(WriteError::NotFound {
                    entity: "Campaign",
                    id: t.campaign_id.unwrap_or_default(),
                }),
                Err(e) => MovementError::Write(write_error(
                    e,
                    "this transaction already exists",
                    REFERENCE,
                )),
            });
        }
    };
    txn.commit().await.map_err(StoreError::from)?;
    Ok((transaction_from_model(row)?, movement))
}

pub(super) async fn transactions(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
    page: PageRequest,
) -> Result<Page<Transaction>, StoreError> {
    let mut query = transaction::Entity::find()
        .filter(transaction::Column::OrganizationId.eq(organization_id))
        .filter(in_scope(transaction::Column::OrganizationId, scope));
    if let Some(after) = page.after {
        query = query.filter(transaction::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(transaction::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?
        .into_iter()
        .map(transaction_from_model)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, &page))
}
