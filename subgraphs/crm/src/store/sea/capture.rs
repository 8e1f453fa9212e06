//! Lead capture: insert or fetch the customer, then merge into its open lead of the campaign.

use chrono::{DateTime, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, TransactionTrait};

use super::{customers, funnel, interactions, leads, webhook};
use crate::crypto::KeyRing;
use crate::domain::capture::{self, CaptureOutcome, LeadCapture};
use crate::domain::interaction::{Actor, Direction, NewInteraction};
use crate::store::{Delivery, InsertError, LeadStage, NewLead, UpdateError};

/// Captures a lead in one transaction (see [`crate::store::CrmStore::capture_lead`]); with a
/// `delivery`, remembers it in the same transaction and captures nothing when it was already
/// remembered (`None`: a replay).
pub(super) async fn capture<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    ring: &KeyRing,
    capture: LeadCapture,
    now: DateTime<Utc>,
    delivery: Option<&Delivery>,
) -> Result<Option<CaptureOutcome>, InsertError> {
    let capture = capture::validate(capture)?;
    let organization_id = capture.customer.organization_id;
    if let Some(delivery) = delivery {
        webhook::forget_before(db, delivery.received_at - delivery.keep).await?;
    }
    let txn = db.begin().await.map_err(StoreError::from)?;
    // First statement of the transaction: a concurrent copy of the request waits on this key
    // until the first one commits (then it is a replay) or rolls back (then it captures), so a
    // failed capture leaves nothing remembered and its exact retry is accepted.
    if let Some(delivery) = delivery
        && !webhook::remember(&txn, &delivery.key, delivery.received_at).await?
    {
        return Ok(None);
    }
    let (customer, new_customer) = customers::insert_or_fetch(
        &txn,
        ring,
        &capture.customer,
        capture.consent_marketing,
        now,
    )
    .await?;
    // Locks the customer's row until commit (PostgreSQL; SQLite has one writer at a time):
    // concurrent captures of one person pass one by one, each seeing the lead the other made.
    let mut touch = customers::Entity::update_many()
        .col_expr(customers::Column::UpdatedAt, Expr::value(now))
        .filter(customers::Column::Id.eq(customer.id));
    if capture.consent_marketing {
        touch = touch.col_expr(customers::Column::ConsentMarketing, Expr::value(true));
    }
    touch.exec(&txn).await.map_err(StoreError::from)?;

    let open = leads::Entity::find()
        .filter(leads::Column::OrganizationId.eq(organization_id))
        .filter(leads::Column::CustomerId.eq(customer.id))
        .filter(leads::Column::CampaignId.eq(capture.campaign_id))
        .filter(leads::Column::Stage.is_not_in([LeadStage::Won.as_str(), LeadStage::Lost.as_str()]))
        .order_by_asc(leads::Column::Id)
        .one(&txn)
        .await
        .map_err(StoreError::from)?;
    let (lead, new_lead) = match open {
        Some(row) => (leads::to_domain(row)?, false),
        None => {
            let lead = leads::insert(
                &txn,
                NewLead {
                    id: None,
                    organization_id,
                    customer_id: customer.id,
                    campaign_id: capture.campaign_id,
                    source: capture.source,
                    source_ad_id: capture.source_ad_id,
                    stage: LeadStage::Iql,
                    score: 0,
                    purchase_intent: 0.0,
                    assigned_agent_id: None,
                    last_interaction_at: None,
                },
                now,
            )
            .await?;
            (lead, true)
        }
    };
    // Merge the capture's facts: engagement adds up, the larger value wins, the first ad stays.
    let merged = crate::store::Lead {
        estimated_value: Decimal4(
            lead.estimated_value
                .raw()
                .max(capture.estimated_value.raw()),
        ),
        ..lead.clone()
    };
    let mut update = leads::Entity::update_many()
        .col_expr(
            leads::Column::AdClicks,
            Expr::col(leads::Column::AdClicks).add(capture.ad_clicks),
        )
        .col_expr(
            leads::Column::EstimatedValue,
            Expr::value(merged.estimated_value.raw()),
        )
        .col_expr(
            leads::Column::QueueKey,
            Expr::value(Some(funnel::queue_key_of(&merged))),
        )
        .col_expr(leads::Column::UpdatedAt, Expr::value(now));
    if !new_lead {
        update = update.col_expr(
            leads::Column::Captures,
            Expr::col(leads::Column::Captures).add(1),
        );
        if lead.source_ad_id.is_none() && capture.source_ad_id.is_some() {
            update = update.col_expr(leads::Column::SourceAdId, Expr::value(capture.source_ad_id));
        }
    }
    update
        .filter(leads::Column::Id.eq(lead.id))
        .exec(&txn)
        .await
        .map_err(StoreError::from)?;
    if let Some(message) = capture.message {
        let recorded = interactions::record(
            &txn,
            ring,
            TenantScope::Organization(organization_id),
            NewInteraction {
                lead_id: lead.id,
                channel: capture.message_channel,
                direction: Direction::Inbound,
                actor: Actor::Bot,
                agent_id: None,
                // What the message says of the person's intent to buy (the prior's signal).
                sentiment: crate::domain::scoring::intent_signal(&message),
                summary: Some(message),
                occurred_at: capture.captured_at.min(now),
            },
            now,
        )
        .await;
        match recorded {
            Ok(_) => {}
            Err(UpdateError::Invalid(invalid)) => return Err(invalid.into()),
            Err(UpdateError::Store(e)) => return Err(e.into()),
            Err(other) => return Err(StoreError::Corrupt(format!("capture: {other}")).into()),
        }
    }
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Some(CaptureOutcome {
        customer_id: customer.id,
        lead_id: lead.id,
        new_customer,
        new_lead,
    }))
}
