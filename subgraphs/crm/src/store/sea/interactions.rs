//! The `interactions` table: summaries sealed like the customers' personal data.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Asterisk, Order, Query, WindowStatement};
use sea_orm::{
    Condition, ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect, QueryTrait, Set,
    TransactionTrait,
};

use super::errors::{unreadable, unsealable};
use super::{funnel, in_scope, leads};
use crate::crypto::{Field, KeyRing};
use crate::domain::interaction::{self, Actor, Direction, InteractionChannel};
use crate::store::{Interaction, NewInteraction, UpdateError};

/// An `interactions` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub lead_id: Uuid,
    pub customer_id: Uuid,
    pub channel: String,
    pub direction: String,
    pub actor: String,
    pub agent_id: Option<Uuid>,
    pub summary_enc: Option<String>,
    pub data_key_id: Option<String>,
    pub sentiment: Option<f64>,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The data key ids a batch of rows needs.
pub(super) fn key_ids(rows: &[Model]) -> impl Iterator<Item = &str> {
    rows.iter().filter_map(|r| r.data_key_id.as_deref())
}

pub(super) fn decode(ring: &KeyRing, row: Model) -> Result<Interaction, StoreError> {
    let corrupt = |what: &str, code: &str| {
        StoreError::Corrupt(format!("interaction {} has {what} {code:?}", row.id))
    };
    Ok(Interaction {
        id: row.id,
        organization_id: row.organization_id,
        lead_id: row.lead_id,
        customer_id: row.customer_id,
        channel: InteractionChannel::parse(&row.channel)
            .ok_or_else(|| corrupt("channel", &row.channel))?,
        direction: Direction::parse(&row.direction)
            .ok_or_else(|| corrupt("direction", &row.direction))?,
        actor: Actor::parse(&row.actor).ok_or_else(|| corrupt("actor", &row.actor))?,
        agent_id: row.agent_id,
        summary: row
            .summary_enc
            .as_deref()
            .map(|s| {
                ring.open(Field::InteractionSummary, row.id, s)
                    .map_err(|e| unreadable("interaction", row.id, e))
            })
            .transpose()?,
        sentiment: row.sentiment,
        occurred_at: row.occurred_at,
        created_at: row.created_at,
    })
}

/// Inserts an interaction (lead found in `scope`) and moves the lead's clocks, in one transaction.
pub(super) async fn record<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    ring: &KeyRing,
    scope: TenantScope,
    new: NewInteraction,
    now: DateTime<Utc>,
) -> Result<Interaction, UpdateError> {
    let new = interaction::validate(new, now)?;
    let occurred_at = new.occurred_at.trunc_subsecs(6);
    let txn = db.begin().await.map_err(StoreError::from)?;
    funnel::lock_lead(&txn, scope, new.lead_id).await?;
    let lead = leads::Entity::find_by_id(new.lead_id)
        .filter(in_scope(scope, leads::Column::OrganizationId))
        .one(&txn)
        .await
        .map_err(StoreError::from)?
        .ok_or(UpdateError::NotFound {
            entity: "Lead",
            id: new.lead_id,
        })?;
    let lead = leads::to_domain(lead)?;
    let id = promptsales_kit::new_id();
    let summary_enc = new
        .summary
        .as_deref()
        .map(|s| {
            ring.seal(Field::InteractionSummary, id, s)
                .map_err(unsealable)
        })
        .transpose()?;
    Entity::insert(ActiveModel {
        id: Set(id),
        organization_id: Set(lead.organization_id),
        lead_id: Set(lead.id),
        customer_id: Set(lead.customer_id),
        channel: Set(new.channel.as_str().to_string()),
        direction: Set(new.direction.as_str().to_string()),
        actor: Set(new.actor.as_str().to_string()),
        agent_id: Set(new.agent_id),
        data_key_id: Set(summary_enc
            .as_ref()
            .map(|_| ring.active_key_id().to_string())),
        summary_enc: Set(summary_enc),
        sentiment: Set(new.sentiment),
        occurred_at: Set(occurred_at),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(StoreError::from)?;
    // The lead's clocks only move forward; an outbound contact restarts its waiting time.
    let last_interaction_at = lead.last_interaction_at.max(Some(occurred_at));
    let last_contacted_at = match new.direction {
        Direction::Outbound => lead.last_contacted_at.max(Some(occurred_at)),
        Direction::Inbound => lead.last_contacted_at,
    };
    let moved = crate::store::Lead {
        last_interaction_at,
        last_contacted_at,
        ..lead.clone()
    };
    leads::Entity::update_many()
        .col_expr(
            leads::Column::LastInteractionAt,
            Expr::value(last_interaction_at),
        )
        .col_expr(
            leads::Column::LastContactedAt,
            Expr::value(last_contacted_at),
        )
        .col_expr(
            leads::Column::QueueKey,
            Expr::value(Some(funnel::queue_key_of(&moved))),
        )
        .col_expr(leads::Column::UpdatedAt, Expr::value(now))
        .filter(leads::Column::Id.eq(lead.id))
        .exec(&txn)
        .await
        .map_err(StoreError::from)?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Interaction {
        id,
        organization_id: lead.organization_id,
        lead_id: lead.id,
        customer_id: lead.customer_id,
        channel: new.channel,
        direction: new.direction,
        actor: new.actor,
        agent_id: new.agent_id,
        summary: new.summary,
        sentiment: new.sentiment,
        occurred_at,
        created_at: now,
    })
}

/// Up to `limit` most recent interactions per lead, in one statement.
pub(super) async fn of_leads(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    lead_ids: &[Uuid],
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    if lead_ids.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let inner = Entity::find()
        .filter(Column::LeadId.is_in(lead_ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId));
    let rank = Alias::new("interaction_rank");
    let mut ranked = inner.into_query();
    ranked.expr_window_as(
        Expr::cust("ROW_NUMBER()"),
        WindowStatement::partition_by(Column::LeadId)
            .order_by(Column::OccurredAt, Order::Desc)
            .order_by(Column::Id, Order::Desc)
            .to_owned(),
        rank.clone(),
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(limit))
        .order_by(Alias::new("occurred_at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    Ok(Model::find_by_statement(statement).all(db).await?)
}

/// Every interaction of a customer, newest first.
pub(super) async fn of_customer(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Uuid,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::OrganizationId.eq(organization_id))
        .order_by_desc(Column::OccurredAt)
        .all(db)
        .await?)
}

/// Removes the summaries of a customer's interactions (erasure); channels, times and sentiment stay.
pub(super) async fn erase_summaries(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::SummaryEnc, Expr::value(Option::<String>::None))
        .col_expr(Column::DataKeyId, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(())
}

fn stale(active: &str) -> Condition {
    Condition::all().add(Column::SummaryEnc.is_not_null()).add(
        Condition::any()
            .add(Column::DataKeyId.is_null())
            .add(Column::DataKeyId.ne(active)),
    )
}

/// How many interactions still need re-encryption.
pub(super) async fn stale_count(
    db: &impl ConnectionTrait,
    active: &str,
) -> Result<u64, StoreError> {
    Ok(Entity::find().filter(stale(active)).count(db).await?)
}

/// Up to `limit` interactions sealed under an older key.
pub(super) async fn stale_rows(
    db: &impl ConnectionTrait,
    active: &str,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(stale(active))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Re-seals one summary with the active key unless it changed since it was read.
pub(super) async fn reseal(
    db: &impl ConnectionTrait,
    ring: &KeyRing,
    row: Model,
) -> Result<bool, StoreError> {
    let Some(old) = row.summary_enc.clone() else {
        return Ok(false);
    };
    let plain = ring
        .open(Field::InteractionSummary, row.id, &old)
        .map_err(|e| unreadable("interaction", row.id, e))?;
    let sealed = ring
        .seal(Field::InteractionSummary, row.id, &plain)
        .map_err(unsealable)?;
    let result = Entity::update_many()
        .col_expr(Column::SummaryEnc, Expr::value(Some(sealed)))
        .col_expr(
            Column::DataKeyId,
            Expr::value(Some(ring.active_key_id().to_string())),
        )
        .filter(Column::Id.eq(row.id))
        .filter(Column::SummaryEnc.eq(old))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The number of interactions sealed with each data key id.
pub(super) async fn per_key(
    db: &impl ConnectionTrait,
) -> Result<HashMap<Option<String>, i64>, StoreError> {
    #[derive(Debug, FromQueryResult)]
    struct PerKey {
        data_key_id: Option<String>,
        rows: i64,
    }
    let rows = Entity::find()
        .select_only()
        .column(Column::DataKeyId)
        .column_as(Column::Id.count(), "rows")
        .filter(Column::SummaryEnc.is_not_null())
        .group_by(Column::DataKeyId)
        .into_model::<PerKey>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.data_key_id, r.rows)).collect())
}
