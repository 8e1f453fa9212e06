//! Database connections: the embedded SQLite default and PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

/// Opens a connection pool for `url` (`sqlite://...` or `postgres://...`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(url) {
        // SQLite creates the file but not its folder.
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 20 })
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Per-connection settings must be connect options: a PRAGMA run once
        // would reach only one connection of the pool. WAL lets readers work
        // beside the one writer; SQLite leaves foreign keys off unless asked.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    Database::connect(options).await
}

/// Opens a connection and applies every pending migration of `M`; errors name the database, never its password.
pub async fn connect_and_migrate<M: MigratorTrait>(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url)
        .await
        .map_err(|e| DbErr::Custom(format!("cannot connect to {}: {e}", redacted(url))))?;
    M::up(&db, None)
        .await
        .map_err(|e| DbErr::Custom(format!("cannot migrate {}: {e}", redacted(url))))?;
    Ok(db)
}

/// A database URL fit for messages and logs: the password replaced by `***`.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Counts the SQL statements a connection runs (how tests prove batching).
#[derive(Debug, Clone, Default)]
pub struct QueryCounter(Arc<AtomicU64>);

impl QueryCounter {
    /// Attaches a new counter to `db`; every statement run on it from now on is counted.
    pub fn attach(db: &mut DatabaseConnection) -> Self {
        let counter = Self::default();
        let inner = counter.0.clone();
        db.set_metric_callback(move |_info| {
            inner.fetch_add(1, Ordering::Relaxed);
        });
        counter
    }

    /// Statements counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Resets the count to zero.
    pub fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_stay_out_of_messages() {
        assert_eq!(
            redacted("postgres://ads:s3cret@db:5432/ads"),
            "postgres://ads:***@db:5432/ads"
        );
        assert_eq!(redacted("postgres://ads@db/ads"), "postgres://ads@db/ads");
        assert_eq!(
            redacted("sqlite://data/ads.db?mode=rwc"),
            "sqlite://data/ads.db?mode=rwc"
        );
    }

    #[test]
    fn finds_the_sqlite_file_to_create_its_folder() {
        assert_eq!(
            sqlite_file("sqlite://data/sales.db?mode=rwc"),
            Some("data/sales.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
    }
}
