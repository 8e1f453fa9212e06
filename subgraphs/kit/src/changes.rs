//! What every store offers the ETL: the rows of a table changed since a
//! watermark, in pages, each with the (campaign, day) summary keys it touches.
//!
//! A watermark is a position in `(updated_at, id)` order, which is strict (ids
//! are unique), so rows sharing a timestamp are neither skipped nor read twice
//! across pages. Each adapter answers from its own database (SQL here, a change
//! stream or a query on `updatedAt` in others), so the ETL never depends on one.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A position in a table's `(updated_at, id)` order: everything up to it has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Watermark {
    /// The last row's `updated_at`.
    pub updated_at: DateTime<Utc>,
    /// The last row's id.
    pub id: Uuid,
}

/// Which page of changes to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeWindow {
    /// Rows strictly after this position (all rows when `None`).
    pub after: Option<Watermark>,
    /// Rows with `updated_at` at or before this instant only (writes still in flight settle first).
    pub until: DateTime<Utc>,
    /// At most this many rows.
    pub limit: u64,
}

/// One changed row, reduced to what the ETL needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The changed row's primary key (a UUIDv7).
    pub id: Uuid,
    /// Its `updated_at`.
    pub updated_at: DateTime<Utc>,
    /// Its tenant.
    pub organization_id: Uuid,
    /// The (campaign, day) summary keys it belongs to.
    pub keys: Vec<(Uuid, NaiveDate)>,
    /// A channel code the ETL must understand (ads).
    pub channel: Option<String>,
    /// A currency the ETL must convert (money rows).
    pub currency: Option<String>,
}

impl Change {
    /// Its position in the table's order.
    pub fn watermark(&self) -> Watermark {
        Watermark {
            updated_at: self.updated_at,
            id: self.id,
        }
    }
}

/// Numbered placeholders for hand-written SQL that runs on SQLite and PostgreSQL.
#[derive(Debug)]
pub struct SqlParams {
    backend: sea_orm::DbBackend,
    /// The bound values, in placeholder order.
    pub values: Vec<sea_orm::Value>,
}

impl SqlParams {
    /// Empty, for `backend`.
    pub fn new(backend: sea_orm::DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `value`; returns its placeholder (`$n` on PostgreSQL, `?n` on SQLite).
    pub fn bind(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            sea_orm::DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// The condition and order of a change window over `alias`'s `updated_at` and `id`:
    /// `(where, order by and limit)`.
    pub fn window(&mut self, alias: &str, window: &ChangeWindow) -> (String, String) {
        let until = self.bind(window.until);
        let mut condition = format!("{alias}.updated_at <= {until}");
        if let Some(after) = window.after {
            let (t, t2, id) = (
                self.bind(after.updated_at),
                self.bind(after.updated_at),
                self.bind(after.id),
            );
            condition.push_str(&format!(
                " AND ({alias}.updated_at > {t} OR ({alias}.updated_at = {t2} AND {alias}.id > {id}))"
            ));
        }
        let order = format!(
            "ORDER BY {alias}.updated_at, {alias}.id LIMIT {}",
            window.limit.max(1)
        );
        (condition, order)
    }

    /// `(a, b) IN ((..), ..)` over (campaign, day) keys.
    pub fn keys_in(&mut self, campaign: &str, day: &str, keys: &[(Uuid, NaiveDate)]) -> String {
        let list: Vec<String> = keys
            .iter()
            .map(|(c, d)| format!("({}, {})", self.bind(*c), self.bind(*d)))
            .collect();
        format!("({campaign}, {day}) IN ({})", list.join(", "))
    }

    /// The statement of `sql` with the values bound so far.
    pub fn statement(self, sql: String) -> sea_orm::Statement {
        sea_orm::Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

/// Keys per statement: bounded so SQLite's parameter limit (32,766) is never reached.
pub const KEYS_PER_STATEMENT: usize = 2_000;

/// The UTC day of timestamp column `column`, as SQL (the same expression the ETL's indexes use).
pub fn day_of(backend: sea_orm::DbBackend, column: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("(({column} AT TIME ZONE 'UTC')::date)"),
        _ => format!("date({column})"),
    }
}
