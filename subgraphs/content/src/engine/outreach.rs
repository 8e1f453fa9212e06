//! Outreach messages: one prospect now, or a batch as a background job with
//! bounded concurrency (a tokio semaphore), per-item errors that never fail
//! the batch, and progress published after every item.

use std::sync::Arc;

use chrono::SubsecRound;
use promptsales_kit::ai::{ChatRequest, Generation};
use promptsales_kit::{ApiError, ResultExt, new_id};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::ContentEngine;
use crate::crypto::{Field, SecretCipher};
use crate::domain::channel::Channel;
use crate::domain::outreach::{
    self, JobStatus, OutreachJob, OutreachMessage, OutreachStatus, Pitch, Prospect,
};
use crate::domain::template::{self, PromptTemplate, TemplatePurpose};
use crate::store::SealedOutreach;

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
        let request = ChatRequest::new(outreach::messages(channel, draft));
        Ok(self
            .ai
            .generate(Some(organization), "content.outreach", &request)
            .await?)
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

    /// Starts a batch: the job is stored and returned at once; items are written in the background.
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
        self.store.insert_job(&job).await.api()?;
        self.jobs.open(job.id);
        let engine = self.clone();
        let job_id = job.id;
        tokio::spawn(async move {
            engine
                .run_batch(organization, job_id, request, cipher)
                .await;
        });
        tracing::info!(job = %job.id, total = job.total, "outreach batch started");
        Ok(job)
    }

    async fn run_batch(
        self: Arc<Self>,
        organization: Uuid,
        job_id: Uuid,
        request: BatchRequest,
        cipher: Arc<SecretCipher>,
    ) {
        let permits = Arc::new(Semaphore::new(self.config.outreach_concurrency.max(1)));
        let request = Arc::new(request);
        let mut items = tokio::task::JoinSet::new();
        for index in 0..request.prospects.len() {
            let (engine, permits, request, cipher) = (
                self.clone(),
                permits.clone(),
                request.clone(),
                cipher.clone(),
            );
            items.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let Ok(_permit) = permits.acquire().await else {
                    return;
                };
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
        // Normally the last item completed the job and closed its channel; an item that could not
        // be stored leaves it running, and its subscribers must not wait forever.
        self.jobs.close(job_id);
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
            Ok(Some(job)) => self.jobs.publish(&job),
            Ok(None) => tracing::warn!(job = %job_id, "the outreach batch vanished"),
            Err(e) => {
                tracing::error!(error = %e, job = %job_id, item = index, "an outreach item could not be stored")
            }
        }
    }
}
