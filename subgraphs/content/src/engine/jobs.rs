//! Progress channels of running outreach batches (in process; one subscriber list per job).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;
use uuid::Uuid;

use crate::domain::outreach::OutreachJob;

/// Snapshots a subscriber may fall behind by before it misses some (it then gets the latest).
const CHANNEL_CAPACITY: usize = 256;

/// Running batches.
#[derive(Default)]
pub struct JobRegistry {
    channels: Mutex<HashMap<Uuid, broadcast::Sender<OutreachJob>>>,
}

impl JobRegistry {
    /// Opens the progress channel of a new batch.
    pub fn open(&self, job_id: Uuid) {
        if let Ok(mut channels) = self.channels.lock() {
            channels.insert(job_id, broadcast::channel(CHANNEL_CAPACITY).0);
        }
    }

    /// Publishes a snapshot; the channel closes with the batch's completion.
    pub fn publish(&self, job: &OutreachJob) {
        if let Ok(mut channels) = self.channels.lock() {
            if let Some(sender) = channels.get(&job.id) {
                // No subscriber is fine: progress is also readable by query.
                let _ = sender.send(job.clone());
            }
            if job.status == crate::domain::outreach::JobStatus::Completed {
                channels.remove(&job.id);
            }
        }
    }

    /// Closes a batch's channel (its subscribers' streams end), whatever its state.
    pub fn close(&self, job_id: Uuid) {
        if let Ok(mut channels) = self.channels.lock() {
            channels.remove(&job_id);
        }
    }

    /// A receiver of a running batch's snapshots; `None` once it completed (or on another instance).
    pub fn subscribe(&self, job_id: Uuid) -> Option<broadcast::Receiver<OutreachJob>> {
        self.channels
            .lock()
            .ok()
            .and_then(|channels| channels.get(&job_id).map(broadcast::Sender::subscribe))
    }
}
