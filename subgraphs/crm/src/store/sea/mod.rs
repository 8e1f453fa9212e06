//! The sea-orm adapter of [`CrmStore`]: the embedded SQLite default and PostgreSQL.
//!
//! Personal data is sealed here, just before it is written, and opened just
//! after it is read: no other layer sees a ciphertext, and the database
//! never sees a plaintext. The key ring is loaded from `crm_data_keys` at
//! start and reloaded when a row names a data key this instance does not know
//! yet (another instance rotated).

mod analytics;
mod capture;
mod customers;
mod errors;
mod etl;
mod funnel;
mod interactions;
pub mod keys;
mod leads;
mod privacy;
mod queue;
mod sales;
mod scoring;
mod webhook;
mod webhook_secrets;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use scoring::SCORE_BATCH;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{
    CampaignConversion, CampaignSales, CampaignTotals, CaptureOutcome, ChannelRevenue, CrmStore,
    Customer, CustomerExport, CustomerFilter, DataKeyUse, Delivery, InsertError, Interaction,
    KeyStatus, Lead, LeadCapture, LeadFilter, LeadFunnel, LeadScore, LeadSignals, LeadStage,
    NearbyCustomer, NewCustomer, NewInteraction, NewLead, NewRecords, NewSale, Point,
    ReencryptReport, Sale, ScoringModel, StageChange, StageMove, UpdateError, WebhookSecret,
};
use crate::crypto::{DataKey, KeyEncryptionKey, KeyRing, PersonalDataCipher};
use crate::domain::geo;

struct Keys {
    kek: KeyEncryptionKey,
    legacy: Option<DataKey>,
    ring: RwLock<Arc<KeyRing>>,
}

/// The crm store over a sea-orm connection (migrated by `promptsales_migrations::crm::Migrator`).
#[derive(Clone)]
pub struct SeaCrmStore {
    db: DatabaseConnection,
    keys: Arc<Keys>,
}

impl std::fmt::Debug for SeaCrmStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaCrmStore")
            .field("kek", &self.keys.kek)
            .finish_non_exhaustive()
    }
}

/// The rows of `scope`: nothing to add for every tenant, else `organization_id = tenant`.
pub(crate) fn in_scope(scope: TenantScope, organization_column: impl ColumnTrait) -> Condition {
    match scope.organization() {
        Some(organization) => Condition::all().add(organization_column.eq(organization)),
        None => Condition::all(),
    }
}

/// Now, at the microsecond precision every store keeps, so what an insert returns is what a read gives.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl SeaCrmStore {
    /// A store over an open, migrated connection: creates the first keys when there are none
    /// (wrapped with `kek`), unwraps them, checks that every stored row can be opened, and
    /// computes queue keys missing from rows written before the queue existed.
    pub async fn open(
        db: DatabaseConnection,
        kek: KeyEncryptionKey,
        legacy: Option<DataKey>,
    ) -> Result<Self, StoreError> {
        // Checked before any key is created: the index key of a store migrating from the
        // legacy key must be derived from that key, or its rows could not be found by e-mail.
        if let Some(envelope) = customers::any_legacy_envelope(&db).await? {
            let id = KeyRing::key_id_of(&envelope).unwrap_or("?");
            let configured = legacy
                .as_ref()
                .map(PersonalDataCipher::new)
                .transpose()
                .map_err(keys::key_error)?;
            if configured.as_ref().is_none_or(|c| c.key_id() != id) {
                return Err(StoreError::Corrupt(format!(
                    "customers are encrypted with the legacy data key {id}, which is not configured \
                     (set {} or keep crm.key in the data folder)",
                    crate::crypto::key_file::ENV_VAR
                )));
            }
        }
        let ring = keys::bootstrap(&db, &kek, legacy.as_ref(), now()).await?;
        let store = Self {
            db,
            keys: Arc::new(Keys {
                kek,
                legacy,
                ring: RwLock::new(Arc::new(ring)),
            }),
        };
        store.backfill_queue_keys().await?;
        Ok(store)
    }

    fn ring(&self) -> Arc<KeyRing> {
        // A poisoned lock still holds a consistent ring (it is replaced whole).
        self.keys
            .ring
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The key ring that seals new writes (bulk loaders seal rows with it exactly as inserts do).
    pub fn key_ring(&self) -> Arc<KeyRing> {
        self.ring()
    }

    /// Reloads the key ring from the store (after a rotation, here or elsewhere).
    pub async fn reload_keys(&self) -> Result<Arc<KeyRing>, StoreError> {
        let ring = Arc::new(keys::ring(&self.db, &self.keys.kek, self.keys.legacy.as_ref()).await?);
        *self.keys.ring.write().unwrap_or_else(|e| e.into_inner()) = ring.clone();
        Ok(ring)
    }

    /// The ring, reloaded first when one of `ids` is unknown to it.
    async fn ring_covering<'a>(
        &self,
        mut ids: impl Iterator<Item = &'a str>,
    ) -> Result<Arc<KeyRing>, StoreError> {
        let ring = self.ring();
        if ids.any(|id| !ring.knows(id)) {
            return self.reload_keys().await;
        }
        Ok(ring)
    }

    async fn decode_customers(
        &self,
        rows: Vec<customers::Model>,
    ) -> Result<Vec<Customer>, StoreError> {
        let ring = self.ring_covering(customers::key_ids(&rows)).await?;
        rows.into_iter()
            .map(|row| customers::decode(&ring, row))
            .collect()
    }

    async fn decode_interactions(
        &self,
        rows: Vec<interactions::Model>,
    ) -> Result<Vec<Interaction>, StoreError> {
        let ring = self.ring_covering(interactions::key_ids(&rows)).await?;
        rows.into_iter()
            .map(|row| interactions::decode(&ring, row))
            .collect()
    }

    async fn backfill_queue_keys(&self) -> Result<(), StoreError> {
        loop {
            let rows = leads::Entity::find()
                .filter(leads::Column::QueueKey.is_null())
                .order_by_asc(leads::Column::Id)
                .limit(1000)
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let txn = self.db.begin().await?;
            for row in rows {
                let lead = leads::to_domain(row)?;
                leads::Entity::update_many()
                    .col_expr(
                        leads::Column::QueueKey,
                        Expr::value(Some(funnel::queue_key_of(&lead))),
                    )
                    .filter(leads::Column::Id.eq(lead.id))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
        }
    }
}

#[async_trait]
impl CrmStore for SeaCrmStore {
    async fn customers_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Customer>, StoreError> {
        self.decode_customers(customers::by_ids(&self.db, scope, ids).await?)
            .await
    }

    async fn customers_by_email(
        &self,
        scope: TenantScope,
        email: &str,
    ) -> Result<Vec<Customer>, StoreError> {
        let index = self.ring().email_index(email);
        self.decode_customers(customers::by_email_index(&self.db, scope, &index).await?)
            .await
    }

    async fn list_customers(
        &self,
        scope: TenantScope,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>, StoreError> {
        let rows = customers::list(&self.db, scope, filter, page).await?;
        Ok(Page::from_rows(self.decode_customers(rows).await?, page))
    }

    async fn leads_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Lead>, StoreError> {
        leads::by_ids(&self.db, scope, ids).await
    }

    async fn list_leads(
        &self,
        scope: TenantScope,
        filter: &LeadFilter,
        page: &PageRequest,
    ) -> Result<Page<Lead>, StoreError> {
        leads::list(&self.db, scope, filter, page).await
    }

    async fn leads_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        stages: &[LeadStage],
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<HashMap<Uuid, Vec<Lead>>, StoreError> {
        leads::of_campaigns(&self.db, scope, campaign_ids, stages, after, limit).await
    }

    async fn lead_funnels(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, LeadFunnel>, StoreError> {
        leads::funnels(&self.db, scope, campaign_ids).await
    }

    async fn campaign_sales(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, CampaignSales>, StoreError> {
        sales::of_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn sales_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Sale>, StoreError> {
        sales::by_ids(&self.db, scope, ids).await
    }

    async fn insert_customer(&self, new: NewCustomer) -> Result<Customer, InsertError> {
        customers::insert(&self.db, &self.ring(), new, now()).await
    }

    async fn insert_lead(&self, new: NewLead) -> Result<Lead, InsertError> {
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let lead = leads::insert(&txn, new, now()).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(lead)
    }

    async fn insert_sale(&self, new: NewSale) -> Result<Sale, InsertError> {
        sales::insert(&self.db, new, now()).await
    }

    async fn insert_records(&self, records: NewRecords) -> Result<(), InsertError> {
        let now = now();
        let ring = self.ring();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        for customer in records.customers {
            customers::insert(&txn, &ring, customer, now).await?;
        }
        for lead in records.leads {
            leads::insert(&txn, lead, now).await?;
        }
        for sale in records.sales {
            sales::insert(&txn, sale, now).await?;
        }
        // Dropping the transaction on an early return above rolls it back.
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn capture_lead(&self, capture: LeadCapture) -> Result<CaptureOutcome, InsertError> {
        capture::capture(&self.db, &self.ring(), capture, now(), None)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a capture without a delivery was refused".into()))
            .map_err(InsertError::from)
    }

    async fn capture_lead_once(
        &self,
        capture: LeadCapture,
        delivery: &Delivery,
    ) -> Result<Option<CaptureOutcome>, InsertError> {
        let delivery = Delivery {
            received_at: delivery.received_at.trunc_subsecs(6),
            ..delivery.clone()
        };
        capture::capture(&self.db, &self.ring(), capture, now(), Some(&delivery)).await
    }

    async fn move_lead_stage(
        &self,
        scope: TenantScope,
        change: StageMove,
    ) -> Result<Lead, UpdateError> {
        let change = StageMove {
            at: change.at.trunc_subsecs(6),
            ..change
        };
        funnel::move_stage(&self.db, scope, change).await
    }

    async fn stage_changes(
        &self,
        scope: TenantScope,
        lead_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<StageChange>>, StoreError> {
        funnel::of_leads(&self.db, scope, lead_ids).await
    }

    async fn record_interaction(
        &self,
        scope: TenantScope,
        new: NewInteraction,
    ) -> Result<Interaction, UpdateError> {
        interactions::record(&self.db, &self.ring(), scope, new, now()).await
    }

    async fn interactions_of_leads(
        &self,
        scope: TenantScope,
        lead_ids: &[Uuid],
        limit: u64,
    ) -> Result<HashMap<Uuid, Vec<Interaction>>, StoreError> {
        let rows = interactions::of_leads(&self.db, scope, lead_ids, limit).await?;
        let mut by_lead: HashMap<Uuid, Vec<Interaction>> = HashMap::new();
        for interaction in self.decode_interactions(rows).await? {
            by_lead
                .entry(interaction.lead_id)
                .or_default()
                .push(interaction);
        }
        Ok(by_lead)
    }

    async fn lead_signals(&self, organization_id: Uuid) -> Result<Vec<LeadSignals>, StoreError> {
        scoring::signals(&self.db, organization_id, None).await
    }

    async fn lead_signals_of(
        &self,
        organization_id: Uuid,
        lead_ids: &[Uuid],
    ) -> Result<Vec<LeadSignals>, StoreError> {
        scoring::signals(&self.db, organization_id, Some(lead_ids)).await
    }

    async fn save_scores(
        &self,
        organization_id: Uuid,
        scores: &[LeadScore],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        scoring::write_scores(&txn, organization_id, scores, now()).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn save_scoring(
        &self,
        organization_id: Uuid,
        model: &ScoringModel,
        scores: &[LeadScore],
    ) -> Result<(), StoreError> {
        scoring::save(&self.db, organization_id, model, scores, now()).await
    }

    async fn scoring_model(
        &self,
        organization_id: Uuid,
    ) -> Result<Option<ScoringModel>, StoreError> {
        scoring::latest(&self.db, organization_id).await
    }

    async fn agent_queue(
        &self,
        organization_id: Uuid,
        agent_id: Uuid,
        limit: u64,
    ) -> Result<Vec<Lead>, StoreError> {
        queue::agent_queue(&self.db, organization_id, agent_id, limit).await
    }

    async fn agent_organizations(&self, agent_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        queue::agent_organizations(&self.db, agent_id).await
    }

    async fn claim_next_lead(
        &self,
        organization_id: Uuid,
        agent_id: Uuid,
    ) -> Result<Option<Lead>, StoreError> {
        queue::claim_next(&self.db, organization_id, agent_id, now()).await
    }

    async fn campaign_conversion_ranking(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<CampaignConversion>, StoreError> {
        analytics::conversion_ranking(&self.db, scope).await
    }

    async fn revenue_by_channel(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<ChannelRevenue>, StoreError> {
        analytics::revenue_by_channel(&self.db, scope).await
    }

    async fn customers_near(
        &self,
        scope: TenantScope,
        center: Point,
        radius_km: f64,
        limit: u64,
    ) -> Result<Vec<NearbyCustomer>, StoreError> {
        let bbox = geo::bounding_box(center, radius_km);
        let rows = customers::in_box(&self.db, scope, &bbox).await?;
        // The box over-selects its corners; the exact distance decides.
        let mut near: Vec<(customers::Model, f64)> = rows
            .into_iter()
            .filter_map(|row| {
                let point = Point {
                    latitude: row.latitude?,
                    longitude: row.longitude?,
                };
                let d = geo::distance_km(center, point);
                (d <= radius_km).then_some((row, d))
            })
            .collect();
        near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
        near.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let distances: Vec<f64> = near.iter().map(|n| n.1).collect();
        let customers = self
            .decode_customers(near.into_iter().map(|n| n.0).collect())
            .await?;
        Ok(customers
            .into_iter()
            .zip(distances)
            .map(|(customer, distance_km)| NearbyCustomer {
                customer,
                distance_km,
            })
            .collect())
    }

    async fn campaign_totals(
        &self,
        scope: TenantScope,
        updated_after: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<CampaignTotals>, StoreError> {
        analytics::campaign_totals(&self.db, scope, updated_after, limit).await
    }

    async fn result_changes(
        &self,
        sales: bool,
        window: promptsales_kit::changes::ChangeWindow,
    ) -> Result<Vec<promptsales_kit::changes::Change>, StoreError> {
        etl::changes(&self.db, sales, window).await
    }

    async fn campaign_day_results(
        &self,
        keys: &[(Uuid, chrono::NaiveDate)],
    ) -> Result<Vec<crate::store::CampaignDayResults>, StoreError> {
        etl::campaign_day_results(&self.db, keys).await
    }

    async fn export_customer(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<CustomerExport>, StoreError> {
        let Some(held) = privacy::held(&self.db, scope, id).await? else {
            return Ok(None);
        };
        let customer = self
            .decode_customers(vec![held.customer])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt(format!("customer {id} decoded to nothing")))?;
        Ok(Some(CustomerExport {
            customer,
            leads: held.leads,
            stage_changes: held.stage_changes,
            interactions: self.decode_interactions(held.interactions).await?,
            sales: held.sales,
        }))
    }

    async fn erase_customer(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<Customer>, StoreError> {
        if !privacy::erase(&self.db, scope, id, now()).await? {
            return Ok(None);
        }
        self.customer(scope, id).await
    }

    async fn issue_webhook_secret(
        &self,
        organization_id: Uuid,
        created_by: Option<Uuid>,
        secret: &str,
        now: DateTime<Utc>,
        grace: chrono::Duration,
    ) -> Result<WebhookSecret, StoreError> {
        webhook_secrets::issue(
            &self.db,
            &self.ring(),
            organization_id,
            created_by,
            secret,
            now.trunc_subsecs(6),
            grace,
        )
        .await
    }

    async fn webhook_secrets(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<WebhookSecret>, StoreError> {
        webhook_secrets::list(&self.db, scope, organization_id).await
    }

    async fn usable_webhook_secrets(
        &self,
        organization_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let rows = webhook_secrets::usable_rows(&self.db, organization_id, now).await?;
        let ring = self.ring_covering(webhook_secrets::key_ids(&rows)).await?;
        webhook_secrets::open(&ring, &rows)
    }

    async fn revoke_webhook_secret(
        &self,
        scope: TenantScope,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<WebhookSecret>, StoreError> {
        webhook_secrets::revoke(&self.db, scope, id, now.trunc_subsecs(6)).await
    }

    async fn rotate_data_key(&self) -> Result<String, StoreError> {
        let id = keys::rotate(&self.db, &self.keys.kek, now()).await?;
        self.reload_keys().await?;
        Ok(id)
    }

    async fn reencrypt_batch(&self, limit: u64) -> Result<ReencryptReport, StoreError> {
        // Pick up a rotation made by another instance before deciding what is stale.
        let ring = self.reload_keys().await?;
        let active = ring.active_key_id().to_string();
        let mut report = ReencryptReport::default();
        for row in customers::stale_rows(&self.db, &active, limit).await? {
            if customers::reseal(&self.db, &ring, row).await? {
                report.customers += 1;
            }
        }
        let left = limit.saturating_sub(report.customers);
        for row in interactions::stale_rows(&self.db, &active, left).await? {
            if interactions::reseal(&self.db, &ring, row).await? {
                report.interactions += 1;
            }
        }
        report.remaining = customers::stale_count(&self.db, &active).await?
            + interactions::stale_count(&self.db, &active).await?;
        Ok(report)
    }

    async fn key_status(&self) -> Result<KeyStatus, StoreError> {
        let ring = self.reload_keys().await?;
        let customers = customers::per_key(&self.db).await?;
        let mut interactions = interactions::per_key(&self.db).await?;
        let mut legacy_rows = 0;
        let mut per_customer: HashMap<String, i64> = HashMap::new();
        for (id, rows) in customers {
            match id {
                Some(id) => {
                    per_customer.insert(id, rows);
                }
                None => legacy_rows += rows,
            }
        }
        legacy_rows += interactions.remove(&None).unwrap_or(0);
        let data_keys = keys::records(&self.db)
            .await?
            .into_iter()
            .filter(|r| r.purpose == crate::crypto::KeyPurpose::Data)
            .map(|r| DataKeyUse {
                active: r.id == ring.active_key_id(),
                customers: per_customer.get(&r.id).copied().unwrap_or(0),
                interactions: interactions.get(&Some(r.id.clone())).copied().unwrap_or(0),
                created_at: r.created_at,
                id: r.id,
            })
            .collect();
        Ok(KeyStatus {
            active_key_id: ring.active_key_id().to_string(),
            kek_fingerprint: self.keys.kek.fingerprint().to_string(),
            data_keys,
            legacy_rows,
        })
    }
}
