//! The agenda scheduler that runs inside the subgraph process: every tick it
//! fires the reminders and overdue alerts that are due (exactly once across
//! restarts and replicas; see `store::sea::agenda`) and hands them to the
//! GraphQL subscription `agendaNotifications`.
//!
//! On PostgreSQL each replica also listens to the notifications any replica
//! fired (`LISTEN promptsales_agenda`), so a subscriber connected to one
//! replica hears what another fired; on SQLite (one process) they go straight
//! to the local subscribers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use promptsales_kit::config::Vars;
use tokio::sync::broadcast;

use crate::store::SalesStore;
use crate::store::agenda::AgendaNotification;

/// Environment variable: seconds between ticks.
pub const INTERVAL_VAR: &str = "PROMPTSALES_SALES_SCHEDULER_INTERVAL";
/// The default tick.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// The PostgreSQL channel (as the store announces on).
pub const CHANNEL: &str = "promptsales_agenda";

/// The notifications of this process, for its subscribers.
pub fn hub() -> &'static broadcast::Sender<AgendaNotification> {
    static HUB: OnceLock<broadcast::Sender<AgendaNotification>> = OnceLock::new();
    HUB.get_or_init(|| broadcast::channel(1_024).0)
}

/// The tick interval of `vars` (unset, or not a positive number of seconds: the default).
pub fn interval(vars: &Vars) -> Duration {
    vars.get(INTERVAL_VAR)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_INTERVAL)
}

/// One tick: fires what is due now; hands it to local subscribers unless a listener
/// (PostgreSQL) delivers it. Returns what this process fired.
pub async fn tick(store: &dyn SalesStore, deliver_locally: bool) -> Vec<AgendaNotification> {
    match store.fire_due(Utc::now()).await {
        Ok(fired) => {
            if !fired.is_empty() {
                tracing::info!(fired = fired.len(), "agenda reminders and alerts fired");
            }
            if deliver_locally {
                for n in &fired {
                    // No subscriber is not an error: the notification is in the store.
                    let _ = hub().send(n.clone());
                }
            }
            fired
        }
        Err(e) => {
            tracing::warn!(error = %e, "agenda tick failed; the next one retries");
            Vec::new()
        }
    }
}

/// Runs the scheduler every `interval` (and, with a PostgreSQL `database_url`, the listener).
pub fn spawn(
    store: Arc<dyn SalesStore>,
    database_url: &str,
    interval: Duration,
) -> Vec<tokio::task::JoinHandle<()>> {
    let postgres = database_url.starts_with("postgres");
    let mut tasks = Vec::new();
    if postgres {
        tasks.push(tokio::spawn(listen(database_url.to_string())));
    }
    tasks.push(tokio::spawn(async move {
        let mut every = tokio::time::interval(interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            tick(store.as_ref(), !postgres).await;
        }
    }));
    tasks
}

/// Forwards every replica's notifications (PostgreSQL `NOTIFY`) to this process's subscribers;
/// reconnects after a failure.
pub async fn listen(database_url: String) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut backoff = Duration::from_millis(500);
    loop {
        let outcome: Result<(), sea_orm::sqlx::Error> = async {
            let mut listener = PgListener::connect(&database_url).await?;
            listener.listen(CHANNEL).await?;
            backoff = Duration::from_millis(500);
            loop {
                let message = listener.recv().await?;
                match serde_json::from_str::<AgendaNotification>(message.payload()) {
                    Ok(n) => {
                        let _ = hub().send(n);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "an agenda notification that does not parse")
                    }
                }
            }
        }
        .await;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "agenda listener lost its connection; reconnecting");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}
