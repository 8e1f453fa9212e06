//! The smart agenda: tasks of a campaign's calendar, when they remind and
//! when they are overdue.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::{ApiError, ApiResult};

use super::planner::PlannedTask;
use super::text;

/// How long before a task is due its owner is reminded.
pub const REMINDER_LEAD_HOURS: i64 = 24;
/// The hour (UTC) a task planned for a day is due.
pub const DUE_HOUR_UTC: u32 = 9;

/// What a task is.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// Review deliverables (content).
    ContentReview,
    /// Decide an approval.
    Approval,
    /// Publish.
    Publish,
    /// Report results.
    Report,
}

/// Where a task stands.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Done.
    Done,
    /// No longer needed.
    Cancelled,
}

/// What the scheduler tells a task's owner.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Due within [`REMINDER_LEAD_HOURS`].
    Reminder,
    /// Past due and not done.
    Overdue,
}

/// When a task due at `due` reminds: the lead time before, never before `created` (a task
/// created within the lead time reminds at once).
pub fn remind_at(due: DateTime<Utc>, created: DateTime<Utc>) -> DateTime<Utc> {
    (due - Duration::hours(REMINDER_LEAD_HOURS))
        .max(created)
        .min(due)
}

/// The instant a task planned for `day` is due.
pub fn due_on(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(DUE_HOUR_UTC, 0, 0).unwrap_or_default())
        .and_utc()
}

/// A task ready to store: kind, title, due and reminder instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPlan {
    /// What.
    pub kind: TaskKind,
    /// Title.
    pub title: String,
    /// When due.
    pub due_at: DateTime<Utc>,
    /// When to remind.
    pub remind_at: DateTime<Utc>,
}

/// The agenda of a plan's calendar.
pub fn from_plan(tasks: &[PlannedTask], now: DateTime<Utc>) -> Vec<TaskPlan> {
    tasks
        .iter()
        .filter_map(|t| {
            let due = due_on(t.due_date);
            Some(TaskPlan {
                kind: TaskKind::parse(&t.kind)?,
                title: t.title.clone(),
                due_at: due,
                remind_at: remind_at(due, now),
            })
        })
        .collect()
}

/// Validates a task given by a person.
pub fn validate(
    kind: TaskKind,
    title: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<TaskPlan> {
    let title = text::required("input.title", title, 200)?;
    if due_at < now - Duration::days(365) {
        return Err(ApiError::bad_input(
            "input.dueAt",
            "a task is due at most a year in the past",
        ));
    }
    Ok(TaskPlan {
        kind,
        title,
        due_at,
        remind_at: remind_at(due_at, now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_come_a_day_early_but_never_before_the_task_existed() {
        let now = due_on(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default());
        let far = now + Duration::days(10);
        assert_eq!(remind_at(far, now), far - Duration::hours(24));
        let soon = now + Duration::hours(2);
        assert_eq!(remind_at(soon, now), now);
        let past = now - Duration::hours(2);
        assert_eq!(remind_at(past, now), past, "never after the due time");
        let planned = PlannedTask {
            kind: "publish".into(),
            title: "Go".into(),
            due_date: NaiveDate::from_ymd_opt(2026, 3, 11).unwrap_or_default(),
        };
        let tasks = from_plan(&[planned], now);
        assert_eq!(tasks[0].due_at.to_rfc3339(), "2026-03-11T09:00:00+00:00");
        assert!(validate(TaskKind::Report, " ", far, now).is_err());
    }
}
