//! Outreach messages and batch jobs.

use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::{ContentChannel, OutreachJobStatus, OutreachMessageStatus};
use crate::domain::outreach;

/// Who an outreach message is for.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 10, private))]
pub struct OutreachProspect {
    /// Full name.
    pub name: String,
    /// Role or title.
    pub role: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

/// A personalised LinkedIn or e-mail message and what became of it.
pub struct OutreachMessage(pub outreach::OutreachMessage);

/// A personalised LinkedIn or e-mail message and what became of it.
#[Object(cache_control(max_age = 10, private))]
impl OutreachMessage {
    /// The message's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The batch it belongs to.
    async fn job_id(&self) -> Option<ID> {
        self.0.job_id.map(|id| ID(id.to_string()))
    }

    /// Its position in the batch.
    async fn item_index(&self) -> i32 {
        self.0.item_index
    }

    /// The channel.
    async fn channel(&self) -> ContentChannel {
        self.0.channel.into()
    }

    /// The prospect (stored encrypted).
    async fn prospect(&self) -> OutreachProspect {
        let p = &self.0.prospect;
        OutreachProspect {
            name: p.name.clone(),
            role: p.role.clone(),
            company: p.company.clone(),
            notes: p.notes.clone(),
        }
    }

    /// The message (null when it failed).
    async fn text(&self) -> Option<&str> {
        self.0.text.as_deref()
    }

    /// Where it stands.
    async fn status(&self) -> OutreachMessageStatus {
        self.0.status.into()
    }

    /// Why it failed (the error code and the field at fault).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// The template used (null: built-in).
    async fn template_id(&self) -> Option<ID> {
        self.0.template_id.map(|id| ID(id.to_string()))
    }

    /// Its version.
    async fn template_version(&self) -> Option<i32> {
        self.0.template_version
    }

    /// The model.
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }

    /// Prompt tokens.
    async fn tokens_in(&self) -> i64 {
        self.0.tokens_in
    }

    /// Completion tokens.
    async fn tokens_out(&self) -> i64 {
        self.0.tokens_out
    }

    /// Served from the AI cache.
    async fn from_cache(&self) -> bool {
        self.0.from_cache
    }

    /// When it was sent.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    /// When the prospect replied.
    async fn replied_at(&self) -> Option<DateTime<Utc>> {
        self.0.replied_at
    }

    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A batch of outreach messages and its progress.
pub struct OutreachJob(pub outreach::OutreachJob);

/// A batch of outreach messages and its progress (never cached: it moves).
#[Object(cache_control(no_cache))]
impl OutreachJob {
    /// The job's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The channel.
    async fn channel(&self) -> ContentChannel {
        self.0.channel.into()
    }

    /// Where it stands.
    async fn status(&self) -> OutreachJobStatus {
        self.0.status.into()
    }

    /// Items in the batch.
    async fn total(&self) -> i32 {
        self.0.total
    }

    /// Items written.
    async fn succeeded(&self) -> i32 {
        self.0.succeeded
    }

    /// Items failed (each with its error).
    async fn failed(&self) -> i32 {
        self.0.failed
    }

    /// Items finished.
    async fn done(&self) -> i32 {
        self.0.done()
    }

    /// When the last item finished.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }

    /// When it started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
