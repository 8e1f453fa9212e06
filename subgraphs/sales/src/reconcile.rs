//! The sweep that makes a campaign stop reach ads, durably (issue 13).
//!
//! A status change that stops ads (paused, cancelled, completed: `CampaignStatus::stops_ads`)
//! writes an `ads_reconcile_outbox` row in its own transaction, then asks ads at once with the
//! caller's token ([`crate::ads_link`]); when ads confirms, the row goes. When that call fails
//! (ads down, a platform failing after its retries, a refusal), the row stays and this sweep
//! retries it with backoff ([`backoff`]) until ads confirms, acting as the campaign's
//! organization with a token sales signs for itself ([`SERVICE_SUBJECT`], roles
//! [`SERVICE_ROLES`], that organization only: never a platform token). Each failure is a
//! `warn` log; the first and every tenth are audited (`campaign.ads_stop_failed`), and the
//! pending stop is visible as `Campaign.adsStopPending` until it is done.
//!
//! Several sales replicas may sweep at once: a row is claimed (its next attempt pushed past
//! [`LEASE`]) only by the sweep that still sees it as read, and `reconcileCampaignAds` is
//! idempotent besides.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::auth::TokenType;

use crate::audit::{Origin, Severity};
use crate::auth::Issuer;
use crate::store::SalesStore;
use crate::store::audit::NewAuditEntry;
use crate::store::reconcile::PendingReconcile;

/// The `sub` of the tokens the sweep acts with.
pub const SERVICE_SUBJECT: &str = "promptsales-sales-reconcile";
/// Their roles: ads' `reconcileCampaignAds` needs `ads:write`, and ads reads the campaign
/// back from sales with the same token (`sales:read`).
pub const SERVICE_ROLES: [&str; 2] = ["ads:write", "sales:read"];
/// How often the sweep looks for due rows.
pub const EVERY: Duration = Duration::from_secs(2);
/// Rows tried per sweep.
const BATCH: u64 = 50;
/// How long a claimed row is left to the sweep that claimed it (longer than ads' timeout).
pub const LEASE: Duration = Duration::from_secs(60);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

/// When the sweep first tries a new row: after the changing request's own call has had its
/// chance (most stops are confirmed by it and never swept).
pub fn first_retry() -> chrono::Duration {
    chrono::Duration::seconds(10)
}

/// The wait after `attempts` failed attempts: 10 s doubling, at most [`MAX_BACKOFF`].
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs(10)
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::minutes(15))
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Stops ads confirmed.
    pub done: usize,
    /// Stops that failed again (to be retried).
    pub failed: usize,
}

/// Tries every due row once.
pub async fn sweep(store: &dyn SalesStore, issuer: &Issuer) -> Swept {
    let mut swept = Swept::default();
    let now = Utc::now();
    let due = match store.due_reconciles(now, BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the pending ads stops");
            return swept;
        }
    };
    for row in due {
        match store.claim_reconcile(&row, later(now, LEASE)).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, campaign = %row.campaign_id, "could not claim a pending ads stop");
                continue;
            }
        }
        if attempt(store, issuer, &row).await {
            swept.done += 1;
        } else {
            swept.failed += 1;
        }
    }
    swept
}

/// One attempt of `row`; whether ads confirmed.
async fn attempt(store: &dyn SalesStore, issuer: &Issuer, row: &PendingReconcile) -> bool {
    let asked_at = Utc::now();
    let outcome = match issuer.access_token(
        SERVICE_SUBJECT,
        TokenType::Client,
        Some(row.organization_id),
        SERVICE_ROLES.iter().map(|r| r.to_string()).collect(),
    ) {
        Ok(token) => {
            crate::ads_link::campaign_stopped(
                row.campaign_id,
                Some(&format!("Bearer {}", token.token)),
            )
            .await
        }
        Err(e) => Err(format!("no service token: {e}")),
    };
    match outcome {
        Ok(ads) => {
            tracing::info!(campaign = %row.campaign_id, ads = ads.len(), attempts = row.attempts + 1, "campaign's ads stopped by the reconcile sweep");
            if let Err(e) = store.reconcile_done(row.campaign_id, asked_at).await {
                // Ads did it; the row is tried again and ads, idempotent, changes nothing.
                tracing::warn!(error = %e, campaign = %row.campaign_id, "ads stop done but not recorded");
            }
            true
        }
        Err(why) => {
            let attempts = row.attempts.saturating_add(1);
            let wait = backoff(attempts);
            tracing::warn!(campaign = %row.campaign_id, organization = %row.organization_id, attempts, retry_in = ?wait, error = %why, "campaign's ads not stopped yet; retrying");
            let audit = (attempts == 1 || attempts % 10 == 0).then(|| NewAuditEntry {
                organization_id: Some(row.organization_id),
                actor_id: None,
                action: "campaign.ads_stop_failed".into(),
                target_type: "Campaign".into(),
                target_id: Some(row.campaign_id.to_string()),
                severity: Severity::Warning,
                origin: Origin::default(),
                metadata: serde_json::json!({
                    "status": row.status.as_str(), "attempts": attempts, "error": why,
                    "retryInSeconds": wait.as_secs(),
                }),
            });
            if let Err(e) = store
                .reconcile_failed(row.id, &why, later(Utc::now(), wait), audit)
                .await
            {
                tracing::warn!(error = %e, campaign = %row.campaign_id, "failed ads stop not recorded");
            }
            false
        }
    }
}

/// Sweeps every `every` until the runtime stops.
pub fn spawn(
    store: Arc<dyn SalesStore>,
    issuer: Arc<Issuer>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let swept = sweep(store.as_ref(), &issuer).await;
            if swept != Swept::default() {
                tracing::debug!(?swept, "ads reconcile sweep");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_and_stops_at_fifteen_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(4), Duration::from_secs(80));
        assert_eq!(backoff(7), Duration::from_secs(640));
        assert_eq!(backoff(8), MAX_BACKOFF);
        assert_eq!(backoff(1_000), MAX_BACKOFF);
    }
}
