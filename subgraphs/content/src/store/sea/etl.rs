//! What the ETL reads from the content store: assets and generated pieces
//! changed since a watermark, and the production of (campaign, day) keys
//! recomputed from them.
//!
//! An asset counts for every campaign it is linked to, on the day it was
//! created, under its kind; generated content counts as `text` on the day it
//! was generated. Linking an asset to a campaign moves the asset's `updated_at`
//! (see `link_asset_to_campaign`), so the asset's changes cover its links.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::changes::{Change, ChangeWindow, KEYS_PER_STATEMENT, SqlParams, day_of};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::store::CampaignDayContent;

#[derive(Debug, FromQueryResult)]
struct Changed {
    id: Uuid,
    updated_at: DateTime<Utc>,
    organization_id: Uuid,
    campaign_id: Option<Uuid>,
    day: NaiveDate,
}

#[derive(Debug, FromQueryResult)]
struct Link {
    asset_id: Uuid,
    campaign_id: Uuid,
}

/// Media assets (`generated == false`) or generated content changed within `window`.
pub(super) async fn changes(
    db: &impl ConnectionTrait,
    generated: bool,
    window: ChangeWindow,
) -> Result<Vec<Change>, StoreError> {
    let backend = db.get_database_backend();
    let mut p = SqlParams::new(backend);
    let (condition, order) = p.window("t", &window);
    let day = day_of(backend, "t.created_at");
    let sql = if generated {
        format!(
            "SELECT t.id, t.updated_at, t.organization_id, t.campaign_id, {day} AS day \
             FROM generated_contents t WHERE {condition} {order}"
        )
    } else {
        format!(
            "SELECT t.id, t.updated_at, t.organization_id, CAST(NULL AS {}) AS campaign_id, {day} AS day \
             FROM media_assets t WHERE {condition} {order}",
            if backend == sea_orm::DbBackend::Postgres {
                "UUID"
            } else {
                "BLOB"
            }
        )
    };
    let rows = Changed::find_by_statement(p.statement(sql)).all(db).await?;
    let mut links: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !generated && !rows.is_empty() {
        for chunk in rows.chunks(KEYS_PER_STATEMENT) {
            let mut p = SqlParams::new(backend);
            let ids: Vec<String> = chunk.iter().map(|r| p.bind(r.id)).collect();
            let sql = format!(
                "SELECT asset_id, campaign_id FROM campaign_assets WHERE asset_id IN ({})",
                ids.join(", ")
            );
            for link in Link::find_by_statement(p.statement(sql)).all(db).await? {
                links
                    .entry(link.asset_id)
                    .or_default()
                    .push(link.campaign_id);
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let campaigns = match r.campaign_id {
                Some(c) => vec![c],
                None => links.remove(&r.id).unwrap_or_default(),
            };
            Change {
                id: r.id,
                updated_at: r.updated_at,
                organization_id: r.organization_id,
                keys: campaigns.into_iter().map(|c| (c, r.day)).collect(),
                channel: None,
                currency: None,
            }
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct Counted {
    organization_id: Uuid,
    campaign_id: Uuid,
    day: NaiveDate,
    kind: String,
    review_status: String,
    pieces: i64,
}

pub(super) async fn campaign_day_content(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, NaiveDate)],
) -> Result<Vec<CampaignDayContent>, StoreError> {
    let backend = db.get_database_backend();
    let mut out: std::collections::BTreeMap<(Uuid, NaiveDate, String), CampaignDayContent> =
        Default::default();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(backend);
        let day = day_of(backend, "a.created_at");
        let keys_in = p.keys_in("l.campaign_id", &day, chunk);
        let assets = format!(
            "SELECT a.organization_id, l.campaign_id, {day} AS day, a.kind, a.review_status, \
             CAST(COUNT(*) AS BIGINT) AS pieces \
             FROM campaign_assets l JOIN media_assets a ON a.id = l.asset_id \
             WHERE {keys_in} GROUP BY a.organization_id, l.campaign_id, {day}, a.kind, a.review_status"
        );
        let mut rows = Counted::find_by_statement(p.statement(assets))
            .all(db)
            .await?;
        let mut p = SqlParams::new(backend);
        let day = day_of(backend, "created_at");
        let keys_in = p.keys_in("campaign_id", &day, chunk);
        let generated = format!(
            "SELECT organization_id, campaign_id, {day} AS day, 'text' AS kind, review_status, \
             CAST(COUNT(*) AS BIGINT) AS pieces FROM generated_contents \
             WHERE {keys_in} GROUP BY organization_id, campaign_id, {day}, review_status"
        );
        rows.extend(
            Counted::find_by_statement(p.statement(generated))
                .all(db)
                .await?,
        );
        for r in rows {
            let entry = out
                .entry((r.campaign_id, r.day, r.kind.clone()))
                .or_insert_with(|| CampaignDayContent {
                    organization_id: r.organization_id,
                    campaign_id: r.campaign_id,
                    day: r.day,
                    content_type: r.kind.clone(),
                    total: 0,
                    approved: 0,
                    rejected: 0,
                    pending: 0,
                });
            entry.total += r.pieces;
            match r.review_status.as_str() {
                "approved" => entry.approved += r.pieces,
                "rejected" => entry.rejected += r.pieces,
                _ => entry.pending += r.pieces,
            }
        }
    }
    Ok(out.into_values().collect())
}
