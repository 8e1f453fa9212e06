//! Outreach messages: one prospect now, or a batch as a background job with
//! bounded concurrency (a tokio semaphore), per-item errors that never fail
//! the batch, and progress published after every item.
//!
//! A running batch is leased to the instance running it, which renews the lease;
//! when an instance stops (a restart, a crash) its leases run out and a sweep on
//! any instance claims each such batch once and writes only the items not yet done.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::SubsecRound;
use promptsales_kit::ai::{ChatRequest, Generation};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, ResultExt, new_id};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::ContentEngine;
use crate::crypto::{Field, SecretCipher};
use crate::domain::channel::Channel;
use crate::domain::outreach::{
    self, JobStatus, OutreachJob, OutreachMessage, OutreachStatus, Pitch, Prospect,
};
use crate::domain::template::{self, PromptTemplate, TemplatePurpose};
use crate::store::{JobLease, SealedOutreach};

fn cipher_error(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "content data key unavailable");
    ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(
        "the content data key is unavailable".into(),
    )))
}

/// Seals a message for the store.
fn seal(cipher: &SecretCipher, message: &OutreachMessage) -> Result<SealedOutreach, ApiError> {
    let prospect = serde_json::to_string(&message.prospect).map_err(cipher_error)?;
    Ok(SealedOutreach {
        id: message.id,
        organization_id: message.organization_id,
        job_id: message.job_id,
        item_index: message.item_index,
        channel: message.channel,
        template_id: message.template_id,
        template_version: message.template_version,
        prospect_enc: cipher
            .seal(Field::Prospect, message.id, &prospect)
            .map_err(cipher_error)?,
        text_enc: message
            .text
            .as_deref()
            .map(|t| cipher.seal(Field::OutreachText, message.id, t))
            .transpose()
            .map_err(cipher_error)?,
        status: message.status,
        error: message.error.clone(),
        model: message.model.clone(),
        tokens_in: message.tokens_in,
        tokens_out: message.tokens_out,
        from_cache: message.from_cache,
        sent_at: message.sent_at,
        replied_at: message.replied_at,
        created_at: message.created_at,
        updated_at: message.updated_at,
    })
}

/// Opens a stored message; a row that does not open is reported corrupt.
pub fn open(cipher: &SecretCipher, row: SealedOutreach) -> Result<OutreachMessage, ApiError> {
    let corrupt = |what: &str| {
        ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(format!(
            "outreach_messages {}: {what} does not open",
            row.id
        ))))
    };
    let prospect_json = cipher
        .open(Field::Prospect, row.id, &row.prospect_enc)
        .map_err(|_| corrupt("prospect"))?;
    let prospect: Prospect =
        serde_json::from_str(&prospect_json).map_err(|_| corrupt("prospect"))?;
    let text = row
        .text_enc
        .as_deref()
        .map(|t| cipher.open(Field::OutreachText, row.id, t))
        .transpose()
        .map_err(|_| corrupt("text"))?;
    Ok(OutreachMessage {
        id: row.id,
        organization_id: row.organization_id,
        job_id: row.job_id,
        item_index: row.item_index,
        channel: row.channel,
        template_id: row.template_id,
        template_version: row.template_version,
        prospect,
        text,
        status: row.status,
        error: row.error,
        model: row.model,
        tokens_in: row.tokens_in,
        tokens_out: row.tokens_out,
        from_cache: row.from_cache,
        sent_at: row.sent_at,
        replied_at: row.replied_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Batches one sweep takes over at most (the next sweep takes more).
const RESUME_BATCH: u64 = 50;

/// What a batch keeps sealed in its row, so that another instance can resume it.
#[derive(Serialize, Deserialize)]
struct StoredRequest {
    template_ids: Vec<Uuid>,
    offer: String,
    sender_name: Option<String>,
    prospects: Vec<Prospect>,
}

/// Seals the request of batch `job_id` for its row.
fn seal_request(
    cipher: &SecretCipher,
    job_id: Uuid,
    request: &BatchRequest,
) -> Result<String, ApiError> {
    let stored = StoredRequest {
        template_ids: request.templates.iter().map(|t| t.id).collect(),
        offer: request.pitch.offer.clone(),
        sender_name: request.pitch.sender_name.clone(),
        prospects: request.prospects.clone(),
    };
    let json = serde_json::to_string(&stored).map_err(cipher_error)?;
    cipher
        .seal(Field::OutreachRequest, job_id, &json)
        .map_err(cipher_error)
}

/// What a batch is asked to do.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    /// The channel.
    pub channel: Channel,
    /// Templates run side by side (item i uses `templates[i % len]`); empty: the built-in one.
    pub templates: Vec<PromptTemplate>,
    /// The offer and signature.
    pub pitch: Pitch,
    /// The profiles as given (validated per item).
    pub prospects: Vec<Prospect>,
}

impl ContentEngine {
    fn sealing_cipher(&self) -> Result<Arc<SecretCipher>, ApiError> {
        self.cipher.get().map_err(cipher_error)
    }

    /// Writes one message (not stored).
    async fn write(
        &self,
        organization: Uuid,
        channel: Channel,
        template: Option<&PromptTemplate>,
        pitch: &Pitch,
        prospect: &Prospect,
    ) -> Result<Generation, ApiError> {
        let body = template.map_or_else(
            || template::default_body(TemplatePurpose::Outreach, channel).to_string(),
            |t| t.body.clone(),
        );
        let draft = template::render(&body, &outreach::values(prospect, pitch, channel));
        let request = ChatRequest::new(outreach::messages(
            channel,
            draft,
            prospect.notes.as_deref(),
        ));
        let mut generation = self
            .ai
            .generate(Some(organization), "content.outreach", &request)
            .await?;
        // Whatever the model wrote, the internal notes never reach the prospect.
        generation.output.text =
            outreach::without_internal_notes(&generation.output.text, prospect.notes.as_deref());
        Ok(generation)
    }

    fn message(
        organization: Uuid,
        job_id: Option<Uuid>,
        item_index: i32,
        channel: Channel,
        template: Option<&PromptTemplate>,
        prospect: Prospect,
        outcome: Result<Generation, ApiError>,
    ) -> OutreachMessage {
        let now = chrono::Utc::now().trunc_subsecs(6);
        let (text, status, error, model, usage, from_cache) = match outcome {
            Ok(g) => (
                Some(g.output.text),
                OutreachStatus::Generated,
                None,
                Some(g.output.model),
                g.output.usage,
                g.from_cache,
            ),
            Err(e) => (
                None,
                OutreachStatus::Failed,
                Some(format!("{}: {}", e.code(), e.message())),
                None,
                Default::default(),
                false,
            ),
        };
        OutreachMessage {
            id: new_id(),
            organization_id: organization,
            job_id,
            item_index,
            channel,
            template_id: template.map(|t| t.id),
            template_version: template.map(|t| t.version),
            prospect,
            text,
            status,
            error,
            model,
            tokens_in: i64::try_from(usage.input).unwrap_or(i64::MAX),
            tokens_out: i64::try_from(usage.output).unwrap_or(i64::MAX),
            from_cache,
            sent_at: None,
            replied_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Writes and stores a message for one prospect; a bad profile or a failed model call fails the request.
    pub async fn outreach_one(
        &self,
        organization: Uuid,
        channel: Channel,
        template: Option<&PromptTemplate>,
        pitch: &Pitch,
        prospect: Prospect,
    ) -> Result<OutreachMessage, ApiError> {
        let prospect = outreach::validate_prospect("input.prospect", prospect)?;
        let cipher = self.sealing_cipher()?;
        let generation = self
            .write(organization, channel, template, pitch, &prospect)
            .await?;
        let message = Self::message(
            organization,
            None,
            0,
            channel,
            template,
            prospect,
            Ok(generation),
        );
        self.store
            .insert_outreach(&seal(&cipher, &message)?)
            .await
            .api()?;
        Ok(message)
    }

    /// The lease this instance takes or renews on a batch now.
    fn lease(&self) -> JobLease {
        let span = chrono::Duration::from_std(self.config.outreach_lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(30));
        JobLease {
            owner: self.progress.instance(),
            until: chrono::Utc::now().trunc_subsecs(6) + span,
        }
    }

    /// Starts a batch: the job is stored (with its sealed request, leased to this instance) and
    /// returned at once; items are written in the background.
    pub async fn start_batch(
        self: &Arc<Self>,
        organization: Uuid,
        request: BatchRequest,
    ) -> Result<OutreachJob, ApiError> {
        let cipher = self.sealing_cipher()?;
        let now = chrono::Utc::now().trunc_subsecs(6);
        let job = OutreachJob {
            id: new_id(),
            organization_id: organization,
            channel: request.channel,
            template_id: request.templates.first().map(|t| t.id),
            status: JobStatus::Running,
            total: i32::try_from(request.prospects.len()).unwrap_or(i32::MAX),
            succeeded: 0,
            failed: 0,
            finished_at: None,
            created_at: now,
            updated_at: now,
        };
        let sealed = seal_request(&cipher, job.id, &request)?;
        self.store
            .insert_job(&job, &sealed, &self.lease())
            .await
            .api()?;
        let engine = self.clone();
        let job_id = job.id;
        tokio::spawn(async move {
            engine
                .run_batch(organization, job_id, request, cipher, HashSet::new())
                .await;
        });
        tracing::info!(job = %job.id, total = job.total, "outreach batch started");
        Ok(job)
    }

    /// Takes over the running batches whose owner is gone (its lease ran out) and writes the
    /// items they have not finished; how many batches this instance took.
    ///
    /// Safe with several instances sweeping at once: a batch is claimed with one conditional
    /// UPDATE, so exactly one of them resumes it.
    pub async fn resume_orphaned_batches(self: &Arc<Self>) -> usize {
        let now = chrono::Utc::now();
        let candidates = match self.store.orphaned_jobs(now, RESUME_BATCH).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for interrupted outreach batches");
                return 0;
            }
        };
        let mut resumed = 0;
        for id in candidates {
            let claimed = match self.store.claim_job(id, now, &self.lease()).await {
                Ok(Some(claimed)) => claimed,
                // Another instance was first, or the batch finished meanwhile.
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, job = %id, "cannot claim an interrupted outreach batch");
                    continue;
                }
            };
            let (job, sealed) = claimed;
            match self.reopen(&job, &sealed).await {
                Ok((request, cipher, done)) => {
                    tracing::info!(
                        job = %job.id,
                        total = job.total,
                        remaining = request.prospects.len().saturating_sub(done.len()),
                        "resuming an interrupted outreach batch"
                    );
                    let engine = self.clone();
                    tokio::spawn(async move {
                        engine
                            .run_batch(job.organization_id, job.id, request, cipher, done)
                            .await;
                    });
                    resumed += 1;
                }
                // The lease runs out again and the next sweep retries (a key or template restored).
                Err(e) => {
                    tracing::error!(code = e.code(), job = %job.id, "an interrupted outreach batch cannot be resumed")
                }
            }
        }
        resumed
    }

    /// Sweeps for interrupted batches now and then every half lease, until the engine is dropped.
    pub fn spawn_resumer(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let engine = Arc::downgrade(self);
        let every = (self.config.outreach_lease / 2).max(std::time::Duration::from_millis(100));
        tokio::spawn(async move {
            loop {
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                engine.resume_orphaned_batches().await;
                drop(engine);
                tokio::time::sleep(every).await;
            }
        })
    }

    /// The request of a claimed batch, its cipher, and the positions already finished.
    async fn reopen(
        &self,
        job: &OutreachJob,
        sealed: &str,
    ) -> Result<(BatchRequest, Arc<SecretCipher>, HashSet<usize>), ApiError> {
        let cipher = self.sealing_cipher()?;
        let corrupt = || {
            ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(format!(
                "outreach_jobs {}: request does not open",
                job.id
            ))))
        };
        let stored: StoredRequest = cipher
            .open(Field::OutreachRequest, job.id, sealed)
            .ok()
            .and_then(|json| serde_json::from_str(&json).ok())
            .ok_or_else(corrupt)?;
        let found = self
            .store
            .templates_by_ids(
                TenantScope::Organization(job.organization_id),
                &stored.template_ids,
            )
            .await
            .api()?;
        let mut templates = Vec::with_capacity(stored.template_ids.len());
        for id in &stored.template_ids {
            let template = found
                .iter()
                .find(|t| t.id == *id)
                .cloned()
                .ok_or_else(|| ApiError::not_found("PromptTemplate", *id))?;
            templates.push(template);
        }
        let done = self
            .store
            .job_item_indexes(job.id)
            .await
            .api()?
            .into_iter()
            .filter_map(|i| usize::try_from(i).ok())
            .collect();
        let request = BatchRequest {
            channel: job.channel,
            templates,
            pitch: Pitch {
                offer: stored.offer,
                sender_name: stored.sender_name,
            },
            prospects: stored.prospects,
        };
        Ok((request, cipher, done))
    }

    async fn run_batch(
        self: Arc<Self>,
        organization: Uuid,
        job_id: Uuid,
        request: BatchRequest,
        cipher: Arc<SecretCipher>,
        done: HashSet<usize>,
    ) {
        let lost = Arc::new(AtomicBool::new(false));
        let keeper = tokio::spawn(self.clone().keep_lease(job_id, lost.clone()));
        let permits = Arc::new(Semaphore::new(self.config.outreach_concurrency.max(1)));
        let request = Arc::new(request);
        let mut items = tokio::task::JoinSet::new();
        for index in (0..request.prospects.len()).filter(|i| !done.contains(i)) {
            let (engine, permits, request, cipher, lost) = (
                self.clone(),
                permits.clone(),
                request.clone(),
                cipher.clone(),
                lost.clone(),
            );
            items.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let Ok(_permit) = permits.acquire().await else {
                    return;
                };
                // Another instance took the batch over: it writes what is left.
                if lost.load(Ordering::SeqCst) {
                    return;
                }
                engine
                    .run_item(organization, job_id, index, &request, &cipher)
                    .await;
            });
        }
        while let Some(joined) = items.join_next().await {
            if let Err(e) = joined {
                tracing::error!(error = %e, job = %job_id, "an outreach item task died");
            }
        }
        keeper.abort();
        // Normally the last item completed the batch. An item that could not be stored leaves
        // it running: its lease runs out and a sweep (here or elsewhere) retries what is missing.
    }

    /// A batch's progress as `scope` sees it: its current state, then each newer snapshot
    /// (from any instance), ending with the one that completes it; NOT_FOUND when not visible.
    ///
    /// When no snapshot arrives for a while (Redis down, or a lagging subscriber) the store is
    /// read again, so the stream still moves forward and ends.
    pub async fn follow_batch(
        self: &Arc<Self>,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<futures::stream::BoxStream<'static, OutreachJob>, ApiError> {
        use futures::StreamExt;
        // Subscribed before reading, so no snapshot falls between the two.
        let receiver = self.progress.subscribe();
        let current = self
            .store
            .job(scope, id)
            .await
            .api()?
            .ok_or_else(|| ApiError::not_found("OutreachJob", id))?;
        let state = Follow {
            engine: self.clone(),
            receiver,
            scope,
            id,
            first: Some(current),
            last_done: -1,
            finished: false,
        };
        Ok(futures::stream::unfold(state, Follow::next).boxed())
    }

    /// Renews the batch's lease every third of it; flags `lost` once the batch is no longer ours.
    async fn keep_lease(self: Arc<Self>, job_id: Uuid, lost: Arc<AtomicBool>) {
        let every = (self.config.outreach_lease / 3).max(std::time::Duration::from_millis(50));
        loop {
            tokio::time::sleep(every).await;
            match self.store.renew_job_lease(job_id, &self.lease()).await {
                Ok(true) => {}
                Ok(false) => {
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
                // The lease may run out meanwhile; the store's item uniqueness keeps a take-over from writing twice.
                Err(e) => {
                    tracing::warn!(error = %e, job = %job_id, "cannot renew an outreach batch's lease")
                }
            }
        }
    }

    async fn run_item(
        &self,
        organization: Uuid,
        job_id: Uuid,
        index: usize,
        request: &BatchRequest,
        cipher: &SecretCipher,
    ) {
        let Some(raw) = request.prospects.get(index).cloned() else {
            return;
        };
        let template = (!request.templates.is_empty())
            .then(|| &request.templates[index % request.templates.len()]);
        let field = format!("prospects[{index}]");
        let (prospect, outcome) = match outreach::validate_prospect(&field, raw.clone()) {
            Err(e) => (raw, Err(e)),
            Ok(prospect) => {
                let outcome = self
                    .write(
                        organization,
                        request.channel,
                        template,
                        &request.pitch,
                        &prospect,
                    )
                    .await;
                (prospect, outcome)
            }
        };
        let item_index = i32::try_from(index).unwrap_or(i32::MAX);
        let message = Self::message(
            organization,
            Some(job_id),
            item_index,
            request.channel,
            template,
            prospect,
            outcome,
        );
        let recorded = match seal(cipher, &message) {
            Ok(sealed) => self.store.record_job_item(job_id, &sealed).await,
            Err(_) => {
                tracing::error!(job = %job_id, item = index, "an outreach item could not be sealed");
                return;
            }
        };
        match recorded {
            Ok(Some(job)) => self.progress.publish(&job),
            Ok(None) => tracing::warn!(job = %job_id, "the outreach batch vanished"),
            Err(e) => {
                tracing::error!(error = %e, job = %job_id, item = index, "an outreach item could not be stored")
            }
        }
    }
}

/// How long a progress subscriber waits for a snapshot before it reads the store itself.
const QUIET_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// The state of one progress subscription.
struct Follow {
    engine: Arc<ContentEngine>,
    receiver: tokio::sync::broadcast::Receiver<OutreachJob>,
    scope: TenantScope,
    id: Uuid,
    first: Option<OutreachJob>,
    last_done: i32,
    finished: bool,
}

impl Follow {
    async fn next(mut self) -> Option<(OutreachJob, Self)> {
        use tokio::sync::broadcast::error::RecvError;
        if let Some(first) = self.first.take() {
            return Some(self.accept(first));
        }
        if self.finished {
            return None;
        }
        let mut quiet_until = tokio::time::Instant::now() + QUIET_RECHECK;
        loop {
            let heard = tokio::time::timeout_at(quiet_until, self.receiver.recv()).await;
            let candidate = match heard {
                Ok(Ok(job)) if job.id == self.id => job,
                Ok(Ok(_)) => continue,
                Ok(Err(RecvError::Closed)) => return None,
                // Missed snapshots (lagging) or none for a while: the store has the latest.
                Ok(Err(RecvError::Lagged(_))) | Err(_) => {
                    quiet_until = tokio::time::Instant::now() + QUIET_RECHECK;
                    match self.engine.store.job(self.scope, self.id).await {
                        Ok(Some(job)) => job,
                        // Gone (never in practice: batches are not deleted).
                        Ok(None) => return None,
                        Err(e) => {
                            tracing::warn!(error = %e, job = %self.id, "cannot re-read an outreach batch");
                            continue;
                        }
                    }
                }
            };
            // Snapshots of concurrent items may arrive out of order; progress only moves forward.
            if candidate.status != JobStatus::Running || candidate.done() > self.last_done {
                return Some(self.accept(candidate));
            }
        }
    }

    fn accept(mut self, job: OutreachJob) -> (OutreachJob, Self) {
        self.last_done = self.last_done.max(job.done());
        self.finished = job.status != JobStatus::Running;
        (job, self)
    }
}
