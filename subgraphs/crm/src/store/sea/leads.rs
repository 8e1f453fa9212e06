//! The `leads` table.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Order, Query, WindowStatement};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect, QueryTrait, Set};

use super::errors::{Violation, violation};
use super::in_scope;
use crate::domain;
use crate::domain::queue;
use crate::store::{InsertError, Lead, LeadFilter, LeadFunnel, LeadSource, LeadStage, NewLead};

/// A `leads` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub campaign_id: Uuid,
    pub source: String,
    pub source_ad_id: Option<Uuid>,
    pub stage: String,
    pub score: i32,
    pub purchase_intent: f64,
    pub assigned_agent_id: Option<Uuid>,
    pub version: i32,
    pub last_interaction_at: Option<DateTimeUtc>,
    pub estimated_value: i64,
    pub ad_clicks: i32,
    pub queue_key: Option<f64>,
    pub claimed_at: Option<DateTimeUtc>,
    pub last_contacted_at: Option<DateTimeUtc>,
    pub score_reasons: Option<String>,
    pub scored_at: Option<DateTimeUtc>,
    pub scored_by: Option<String>,
    pub captures: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn stage(id: Uuid, code: &str) -> Result<LeadStage, StoreError> {
    LeadStage::parse(code)
        .ok_or_else(|| StoreError::Corrupt(format!("lead {id} has stage {code:?}")))
}

pub(super) fn to_domain(row: Model) -> Result<Lead, StoreError> {
    let source = LeadSource::parse(&row.source).ok_or_else(|| {
        StoreError::Corrupt(format!("lead {} has source {:?}", row.id, row.source))
    })?;
    Ok(Lead {
        id: row.id,
        organization_id: row.organization_id,
        customer_id: row.customer_id,
        campaign_id: row.campaign_id,
        source,
        source_ad_id: row.source_ad_id,
        stage: stage(row.id, &row.stage)?,
        score: row.score,
        purchase_intent: row.purchase_intent,
        assigned_agent_id: row.assigned_agent_id,
        version: row.version,
        last_interaction_at: row.last_interaction_at,
        estimated_value: Decimal4(row.estimated_value),
        ad_clicks: row.ad_clicks,
        queue_key: row.queue_key,
        claimed_at: row.claimed_at,
        last_contacted_at: row.last_contacted_at,
        score_reasons: match row.score_reasons.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(|e| {
                StoreError::Corrupt(format!("lead {} has unreadable score reasons: {e}", row.id))
            })?,
            None => Vec::new(),
        },
        scored_at: row.scored_at,
        scored_by: row.scored_by,
        captures: row.captures,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn all_to_domain(rows: Vec<Model>) -> Result<Vec<Lead>, StoreError> {
    rows.into_iter().map(to_domain).collect()
}

fn stage_codes(stages: &[LeadStage]) -> Vec<&'static str> {
    stages.iter().map(|s| s.as_str()).collect()
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Lead>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .all(db)
        .await?;
    all_to_domain(rows)
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    filter: &LeadFilter,
    page: &PageRequest,
) -> Result<Page<Lead>, StoreError> {
    let mut query = Entity::find().filter(in_scope(scope, Column::OrganizationId));
    if let Some(campaign) = filter.campaign_id {
        query = query.filter(Column::CampaignId.eq(campaign));
    }
    if let Some(customer) = filter.customer_id {
        query = query.filter(Column::CustomerId.eq(customer));
    }
    if let Some(agent) = filter.assigned_agent_id {
        query = query.filter(Column::AssignedAgentId.eq(agent));
    }
    if !filter.stages.is_empty() {
        query = query.filter(Column::Stage.is_in(stage_codes(&filter.stages)));
    }
    if let Some(after) = page.after {
        query = query.filter(Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(all_to_domain(rows)?, page))
}

pub(super) async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
    stages: &[LeadStage],
    after: Option<Uuid>,
    limit: u64,
) -> Result<HashMap<Uuid, Vec<Lead>>, StoreError> {
    if campaign_ids.is_empty() || limit == 0 {
        return Ok(HashMap::new());
    }
    let mut inner = Entity::find()
        .filter(Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId));
    if !stages.is_empty() {
        inner = inner.filter(Column::Stage.is_in(stage_codes(stages)));
    }
    if let Some(after) = after {
        inner = inner.filter(Column::Id.gt(after));
    }
    // Top `limit` per campaign in one statement: number each campaign's rows, keep the first ones.
    let rank = Alias::new("lead_rank");
    let mut ranked = inner.into_query();
    ranked.expr_window_as(
        Expr::cust("ROW_NUMBER()"),
        WindowStatement::partition_by(Column::CampaignId)
            .order_by(Column::Id, Order::Asc)
            .to_owned(),
        rank.clone(),
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(limit))
        .order_by(Alias::new("id"), Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    let rows = Model::find_by_statement(statement).all(db).await?;
    let mut by_campaign: HashMap<Uuid, Vec<Lead>> = HashMap::new();
    for row in rows {
        let lead = to_domain(row)?;
        by_campaign.entry(lead.campaign_id).or_default().push(lead);
    }
    Ok(by_campaign)
}

#[derive(Debug, FromQueryResult)]
struct FunnelRow {
    campaign_id: Uuid,
    stage: String,
    leads: i64,
}

pub(super) async fn funnels(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<HashMap<Uuid, LeadFunnel>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Entity::find()
        .select_only()
        .column(Column::CampaignId)
        .column(Column::Stage)
        .column_as(Column::Id.count(), "leads")
        .filter(Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .group_by(Column::CampaignId)
        .group_by(Column::Stage)
        .into_model::<FunnelRow>()
        .all(db)
        .await?;
    let mut funnels: HashMap<Uuid, LeadFunnel> = HashMap::new();
    for row in rows {
        let stage = stage(row.campaign_id, &row.stage)?;
        funnels
            .entry(row.campaign_id)
            .or_default()
            .add(stage, row.leads);
    }
    Ok(funnels)
}

/// A lead of `organization_id`, if it exists (used to check a sale's lead inside its write).
pub(super) async fn in_organization(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Lead>, StoreError> {
    let row = Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?;
    row.map(to_domain).transpose()
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    new: NewLead,
    now: DateTime<Utc>,
) -> Result<Lead, InsertError> {
    domain::lead::validate(&new, now)?;
    // Stores keep microseconds: what is returned is what a later read gives.
    let new = NewLead {
        last_interaction_at: new.last_interaction_at.map(|at| at.trunc_subsecs(6)),
        ..new
    };
    let id = new.id.unwrap_or_else(promptsales_kit::new_id);
    let version = 1;
    let queue_key = queue::queue_key(new.purchase_intent, Decimal4::ZERO, now);
    let row = ActiveModel {
        id: Set(id),
        organization_id: Set(new.organization_id),
        customer_id: Set(new.customer_id),
        campaign_id: Set(new.campaign_id),
        source: Set(new.source.as_str().to_string()),
        source_ad_id: Set(new.source_ad_id),
        stage: Set(new.stage.as_str().to_string()),
        score: Set(new.score),
        purchase_intent: Set(new.purchase_intent),
        assigned_agent_id: Set(new.assigned_agent_id),
        version: Set(version),
        last_interaction_at: Set(new.last_interaction_at),
        estimated_value: Set(0),
        ad_clicks: Set(0),
        queue_key: Set(Some(queue_key)),
        claimed_at: Set(None),
        last_contacted_at: Set(None),
        score_reasons: Set(None),
        scored_at: Set(None),
        scored_by: Set(None),
        captures: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if let Err(err) = Entity::insert(row).exec_without_returning(db).await {
        return Err(match violation(err) {
            Ok(Violation::Unique(_)) => InsertError::Conflict(format!("lead {id} already exists")),
            // The customer is referenced with the lead's organization: another tenant's customer is absent.
            Ok(Violation::ForeignKey) => InsertError::NotFound {
                entity: "Customer",
                id: new.customer_id,
            },
            Err(err) => InsertError::Store(err.into()),
        });
    }
    // The history starts with the lead's first stage.
    super::funnel::record(
        db,
        new.organization_id,
        id,
        None,
        new.stage,
        version,
        None,
        None,
        now,
    )
    .await?;
    Ok(Lead {
        id,
        organization_id: new.organization_id,
        customer_id: new.customer_id,
        campaign_id: new.campaign_id,
        source: new.source,
        source_ad_id: new.source_ad_id,
        stage: new.stage,
        score: new.score,
        purchase_intent: new.purchase_intent,
        assigned_agent_id: new.assigned_agent_id,
        version,
        last_interaction_at: new.last_interaction_at,
        estimated_value: Decimal4::ZERO,
        ad_clicks: 0,
        queue_key: Some(queue_key),
        claimed_at: None,
        last_contacted_at: None,
        score_reasons: Vec::new(),
        scored_at: None,
        scored_by: None,
        captures: 1,
        created_at: now,
        updated_at: now,
    })
}
