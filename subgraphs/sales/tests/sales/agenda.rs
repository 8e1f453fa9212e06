//! The smart agenda: tasks from proposals, the scheduler's exactly-once reminders and alerts,
//! and the subscription that pushes them.

use std::collections::HashSet;

use async_graphql::Request;
use chrono::{Duration, Utc};
use futures::{FutureExt, StreamExt};
use promptsales_kit::context::{Role, TenantScope};
use promptsales_sales::domain::agenda::{TaskKind, TaskStatus};
use promptsales_sales::scheduler;
use promptsales_sales::store::agenda::NewTask;
use serde_json::json;
use uuid::Uuid;

use crate::portal_support::{Team, caller};
use crate::support::Harness;

fn task(team: &Team, title: &str, due_in_hours: i64) -> NewTask {
    let due = Utc::now() + Duration::hours(due_in_hours);
    NewTask {
        organization_id: team.org.id,
        campaign_id: team.campaign.id,
        kind: TaskKind::Report,
        title: title.to_string(),
        owner_id: Some(team.marketer.id),
        due_at: due,
        remind_at: due - Duration::hours(24),
    }
}

/// Due reminders and overdue alerts fire once each (a second tick, as after a restart, fires
/// nothing), a done task raises no alert, tasks in the future wait, and a subscriber of the
/// organization receives what fired while another tenant's subscriber does not.
pub async fn the_scheduler_fires_each_reminder_once_and_pushes_it(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Agenda").await?;
    let created = h
        .store
        .insert_tasks(vec![
            task(&team, "overdue report", -2),
            task(&team, "due tomorrow", 12),
            task(&team, "done early", -1),
            task(&team, "next month", 24 * 30),
        ])
        .await?;
    h.store
        .finish_task(TenantScope::All, created[2].id, TaskStatus::Done)
        .await?;

    let reader = caller(team.org.id, team.marketer.id, Role::Read);
    let subscription = r#"subscription { agendaNotifications { kind title taskId } }"#;
    // What the kit's WebSocket handler gives a subscription: the context and the subgraph's subsystem.
    let request = |context| {
        Request::new(subscription)
            .data(context)
            .data(promptsales_kit::Subsystem::Sales)
    };
    let mut ours = h.app.schema.execute_stream(request(reader));
    let other = Team::new(h, "Someone else").await?;
    let mut theirs =
        h.app
            .schema
            .execute_stream(request(caller(other.org.id, other.marketer.id, Role::Read)));
    // One poll each runs the resolvers, which subscribe before anything fires.
    if let Some(early) = ours.next().now_or_never() {
        panic!("nothing fired yet, got {early:?}");
    }
    assert!(theirs.next().now_or_never().is_none());

    let fired = scheduler::tick(h.store.as_ref(), true).await;
    let ours_fired: Vec<(String, String)> = fired
        .iter()
        .filter(|n| n.organization_id == team.org.id)
        .map(|n| (n.kind.clone(), n.title.clone()))
        .collect();
    let mut sorted = ours_fired.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("overdue".to_string(), "overdue report".to_string()),
            ("reminder".to_string(), "due tomorrow".to_string()),
            ("reminder".to_string(), "overdue report".to_string())
        ]
    );
    let again = scheduler::tick(h.store.as_ref(), true).await;
    assert!(
        again.iter().all(|n| n.organization_id != team.org.id),
        "each fires once"
    );

    let mut received = Vec::new();
    for _ in 0..3 {
        let response = ours
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("the subscription ended"))?;
        anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json()?;
        received.push((
            data["agendaNotifications"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            data["agendaNotifications"]["title"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ));
    }
    received.sort();
    assert_eq!(received, sorted, "the subscriber got exactly what fired");
    assert!(
        theirs.next().now_or_never().is_none(),
        "another tenant hears nothing"
    );

    let listed = h
        .data(&caller(team.org.id, team.marketer.id, Role::Read), r#"query($id: ID!) { campaign(id: $id) { tasks { title status reminderSentAt overdueAlertedAt } } }"#, json!({"id": team.campaign.id.to_string()}))
        .await?;
    let tasks = listed["campaign"]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tasks.len(), 4);
    let done = tasks
        .iter()
        .find(|t| t["title"] == "done early")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (done["status"].as_str(), done["overdueAlertedAt"].is_null()),
        (Some("DONE"), true)
    );
    Ok(())
}

/// Two scheduler instances (two connection pools, as two replicas) ticking at the same time on
/// one PostgreSQL fire every reminder and alert exactly once between them, and announce each
/// with one `NOTIFY` that a listener of any replica hears.
pub async fn two_schedulers_on_one_postgres_fire_each_reminder_exactly_once(
    h: &Harness,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::postgres::PgListener;
    let team = Team::new(h, "Replicas").await?;
    let tasks: Vec<NewTask> = (0..30)
        .map(|n| task(&team, &format!("task {n}"), -1 - n))
        .collect();
    h.store.insert_tasks(tasks).await?;
    let mut listener = PgListener::connect(&h.url).await?;
    listener.listen(scheduler::CHANNEL).await?;

    let second_db = promptsales_kit::db::connect(&h.url).await?;
    let second = promptsales_sales::store_on(second_db.clone());
    let mut fired = Vec::new();
    for _ in 0..4 {
        let (a, b) = futures::join!(
            scheduler::tick(h.store.as_ref(), false),
            scheduler::tick(second.as_ref(), false)
        );
        fired.extend(a);
        fired.extend(b);
    }
    let ours: Vec<_> = fired
        .iter()
        .filter(|n| n.organization_id == team.org.id)
        .collect();
    assert_eq!(ours.len(), 60, "30 reminders and 30 overdue alerts");
    let distinct: HashSet<(Uuid, String)> =
        ours.iter().map(|n| (n.task_id, n.kind.clone())).collect();
    assert_eq!(distinct.len(), 60, "none twice");

    let mut heard: HashSet<(Uuid, String)> = HashSet::new();
    while heard.len() < 60 {
        let message = listener.recv().await?;
        let n: promptsales_sales::store::agenda::AgendaNotification =
            serde_json::from_str(message.payload())?;
        if n.organization_id == team.org.id {
            assert!(
                heard.insert((n.task_id, n.kind.clone())),
                "one NOTIFY per notification"
            );
        }
    }
    assert_eq!(heard, distinct);
    second_db.close().await?;
    Ok(())
}
