//! Bulk loading: rows built on every core, written in few transactions.
//!
//! PostgreSQL gets `COPY ... FROM STDIN` (text format) inside one transaction
//! per store, so a store is either fully seeded or not at all; a store that
//! already holds part of the set (another size, a different run) is merged
//! through a temporary table and `INSERT ... ON CONFLICT DO NOTHING`. SQLite
//! (in WAL) gets multi-row `INSERT ... ON CONFLICT DO NOTHING` statements in
//! transactions of [`SQLITE_ROWS_PER_COMMIT`] rows, so a run that stopped
//! half-way is completed by the next. A builder thread makes the next chunk
//! while the current one is written.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use sea_orm::sqlx;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::progress::Progress;

/// Items handed to a row builder at once.
pub const CHUNK: usize = 20_000;
/// SQLite rows per transaction.
pub const SQLITE_ROWS_PER_COMMIT: u64 = 100_000;
/// SQLite's limit on bound parameters per statement (since 3.32).
const SQLITE_MAX_PARAMS: usize = 32_766;

/// One value of a generated row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A UUID.
    Uuid(Uuid),
    /// Text.
    Text(String),
    /// Text that depends on the store's keys, not on the data (ciphertexts, blind indexes,
    /// data key ids): written, but left out of the digest.
    Sealed(String),
    /// A 64-bit integer.
    Int(i64),
    /// A 32-bit integer.
    Int32(i32),
    /// A double.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A calendar day.
    Date(NaiveDate),
    /// An instant (microsecond precision, as the stores keep them).
    Time(DateTime<Utc>),
}

impl Cell {
    /// The optional `value`, or NULL.
    pub fn opt<T: Into<Cell>>(value: Option<T>) -> Self {
        value.map_or(Cell::Null, Into::into)
    }

    fn value(&self) -> Value {
        match self {
            Cell::Null => Value::String(None),
            Cell::Uuid(u) => (*u).into(),
            Cell::Text(t) | Cell::Sealed(t) => t.clone().into(),
            Cell::Int(i) => (*i).into(),
            Cell::Int32(i) => (*i).into(),
            Cell::Float(f) => (*f).into(),
            Cell::Bool(b) => (*b).into(),
            Cell::Date(d) => (*d).into(),
            Cell::Time(t) => (*t).into(),
        }
    }

    /// Appends the value in PostgreSQL's COPY text format.
    fn copy_text(&self, out: &mut String) {
        match self {
            Cell::Null => out.push_str("\\N"),
            Cell::Uuid(u) => {
                let _ = write!(out, "{}", u.hyphenated());
            }
            Cell::Text(t) | Cell::Sealed(t) => {
                for c in t.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            Cell::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Cell::Int32(i) => {
                let _ = write!(out, "{i}");
            }
            Cell::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Cell::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            Cell::Date(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
            Cell::Time(t) => {
                let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
            }
        }
    }

    /// Appends what the digest covers: the value, or a placeholder for sealed text.
    fn digest_text(&self, out: &mut String) {
        out.push('\x01');
        match self {
            Cell::Sealed(_) => out.push_str("sealed"),
            other => other.copy_text(out),
        }
    }
}

macro_rules! cell_from {
    ($t:ty, $v:ident) => {
        impl From<$t> for Cell {
            fn from(value: $t) -> Self {
                Cell::$v(value.into())
            }
        }
    };
}
cell_from!(Uuid, Uuid);
cell_from!(String, Text);
cell_from!(&str, Text);
cell_from!(i64, Int);
cell_from!(i32, Int32);
cell_from!(f64, Float);
cell_from!(bool, Bool);
cell_from!(NaiveDate, Date);
cell_from!(DateTime<Utc>, Time);

/// A generated row.
pub type Row = Vec<Cell>;

/// Builds the rows of a range of items (on the calling thread; builders use rayon inside).
pub type Builder = Arc<dyn Fn(Range<usize>) -> anyhow::Result<Vec<Row>> + Send + Sync>;

/// A table to fill: its columns and how to build its rows.
#[derive(Clone)]
pub struct Table {
    /// Table name.
    pub name: &'static str,
    /// Column names, in row order.
    pub columns: &'static [&'static str],
    /// Positions of the primary-key columns.
    pub key: &'static [usize],
    /// Items to build (an item may give zero or several rows).
    pub items: usize,
    /// Rows it will give (for progress).
    pub rows: u64,
    /// The row builder.
    pub build: Builder,
}

/// What loading one store did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReport {
    /// The store (subgraph name).
    pub store: &'static str,
    /// Rows the set has for it.
    pub rows: u64,
    /// Rows actually written (0 when the set was already there).
    pub written: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Digest of the set's rows (ciphertexts excluded); empty when skipped.
    pub digest: String,
    /// Rows per table, in load order.
    pub tables: Vec<(&'static str, u64)>,
}

impl StoreReport {
    /// Rows written per second.
    pub fn rows_per_second(&self) -> f64 {
        self.written as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

enum Msg {
    /// Rows to bind (SQLite).
    Rows(Vec<Row>),
    /// Rows already in COPY text format (PostgreSQL), and how many.
    Copy(Vec<u8>, u64),
    End,
}

/// Rows hashed (and, for PostgreSQL, encoded) in parallel parts of a fixed size, so the
/// digest does not depend on how many cores did the work.
const PART: usize = 1_024;

fn digest_and_encode(rows: &[Row], copy: bool) -> (Vec<[u8; 32]>, Vec<u8>) {
    let parts: Vec<([u8; 32], String)> = rows
        .par_chunks(PART)
        .map(|part| {
            let mut digest = String::with_capacity(part.len() * 128);
            let mut text = String::with_capacity(if copy { part.len() * 256 } else { 0 });
            for row in part {
                digest.push('\n');
                for (i, cell) in row.iter().enumerate() {
                    cell.digest_text(&mut digest);
                    if copy {
                        if i > 0 {
                            text.push('\t');
                        }
                        cell.copy_text(&mut text);
                    }
                }
                if copy {
                    text.push('\n');
                }
            }
            (Sha256::digest(digest.as_bytes()).into(), text)
        })
        .collect();
    let mut bytes = Vec::new();
    let mut hashes = Vec::with_capacity(parts.len());
    for (hash, text) in parts {
        hashes.push(hash);
        bytes.extend_from_slice(text.as_bytes());
    }
    (hashes, bytes)
}

/// Whether the row of `table` whose key is `key` exists.
async fn exists(db: &DatabaseConnection, table: &Table, row: &Row) -> anyhow::Result<bool> {
    let backend = db.get_database_backend();
    let mut sql = format!("SELECT 1 FROM {} WHERE ", table.name);
    let mut values = Vec::new();
    for (n, &k) in table.key.iter().enumerate() {
        if n > 0 {
            sql.push_str(" AND ");
        }
        match backend {
            DatabaseBackend::Postgres => {
                let _ = write!(sql, "{} = ${}", table.columns[k], n + 1);
            }
            _ => {
                let _ = write!(sql, "{} = ?", table.columns[k]);
            }
        }
        values.push(row[k].value());
    }
    sql.push_str(" LIMIT 1");
    Ok(db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .is_some())
}

/// The first row of the first table with rows, and the last row of the last.
fn markers(tables: &[Table]) -> anyhow::Result<Option<((usize, Row), (usize, Row))>> {
    let Some(first) = tables.iter().position(|t| t.items > 0) else {
        return Ok(None);
    };
    let Some(last) = tables.iter().rposition(|t| t.items > 0) else {
        return Ok(None);
    };
    let first_row = (0..tables[first].items)
        .find_map(|i| (tables[first].build)(i..i + 1).ok()?.into_iter().next());
    let last_table = &tables[last];
    let last_row = (0..last_table.items)
        .rev()
        .find_map(|i| (last_table.build)(i..i + 1).ok()?.into_iter().next_back());
    Ok(match (first_row, last_row) {
        (Some(f), Some(l)) => Some(((first, f), (last, l))),
        _ => None,
    })
}

/// Loads `tables` (in order: parents first) into one store.
pub async fn load_store(
    store: &'static str,
    db: &DatabaseConnection,
    tables: Vec<Table>,
    progress: &Progress,
) -> anyhow::Result<StoreReport> {
    let started = Instant::now();
    let rows: u64 = tables.iter().map(|t| t.rows).sum();
    let mut report = StoreReport {
        store,
        rows,
        written: 0,
        elapsed: Duration::ZERO,
        digest: String::new(),
        tables: Vec::new(),
    };
    let Some(((fi, first), (li, last))) = markers(&tables)? else {
        return Ok(report);
    };
    if exists(db, &tables[li], &last).await? {
        tracing::info!(store, "the generated set is already there");
        progress.skipped(store);
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    let fresh = !exists(db, &tables[fi], &first).await?;
    let bar = progress.store(store, rows);

    // The builder thread: chunks in table order, hashed as they are made.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(3);
    let builder_tables = tables.clone();
    let copy = db.get_database_backend() == DatabaseBackend::Postgres;
    let builder = std::thread::spawn(move || -> anyhow::Result<String> {
        let mut hasher = Sha256::new();
        for table in &builder_tables {
            hasher.update(table.name.as_bytes());
            let mut start = 0;
            while start < table.items {
                let end = (start + CHUNK).min(table.items);
                let rows = (table.build)(start..end)?;
                let (hashes, bytes) = digest_and_encode(&rows, copy);
                for hash in hashes {
                    hasher.update(hash);
                }
                let msg = if copy {
                    Msg::Copy(bytes, rows.len() as u64)
                } else {
                    Msg::Rows(rows)
                };
                if tx.blocking_send(msg).is_err() {
                    anyhow::bail!("the writer stopped");
                }
                start = end;
            }
            if tx.blocking_send(Msg::End).is_err() {
                anyhow::bail!("the writer stopped");
            }
        }
        Ok(hex::encode(hasher.finalize()))
    });

    let written = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            write_postgres(
                db.get_postgres_connection_pool(),
                &tables,
                fresh,
                &mut rx,
                &bar,
            )
            .await
        }
        _ => write_sqlite(db, &tables, &mut rx, &bar).await,
    };
    // Unblock the builder if the writer failed, then collect it.
    drop(rx);
    let digest = builder
        .join()
        .map_err(|_| anyhow::anyhow!("the {store} row builder panicked"))?;
    let per_table = written?;
    report.digest = digest?;
    report.written = per_table.iter().map(|(_, n)| n).sum();
    report.tables = per_table;
    report.elapsed = started.elapsed();
    bar.finish(&report);
    Ok(report)
}

async fn write_postgres(
    pool: &sqlx::PgPool,
    tables: &[Table],
    fresh: bool,
    rx: &mut tokio::sync::mpsc::Receiver<Msg>,
    bar: &crate::progress::StoreBar,
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let mut tx = pool.begin().await?;
    // One commit per store: durability is the commit's, not each row's.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    let mut counts = Vec::new();
    for table in tables {
        let columns = table.columns.join(", ");
        let target = if fresh {
            table.name.to_string()
        } else {
            let temp = format!("seed_{}", table.name);
            sqlx::query(&format!(
                "CREATE TEMP TABLE {temp} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP",
                table.name
            ))
            .execute(&mut *tx)
            .await?;
            temp
        };
        let mut copy = tx
            .copy_in_raw(&format!("COPY {target} ({columns}) FROM STDIN"))
            .await?;
        let mut copied = 0u64;
        loop {
            match rx.recv().await {
                Some(Msg::Copy(bytes, rows)) => {
                    // Messages of a megabyte, as a client library would stream a file.
                    for piece in bytes.chunks(1 << 20) {
                        copy.send(piece).await?;
                    }
                    copied += rows;
                    bar.add(rows);
                }
                Some(Msg::Rows(_)) => anyhow::bail!("rows for PostgreSQL come encoded"),
                Some(Msg::End) => break,
                None => anyhow::bail!("the row builder stopped early"),
            }
        }
        copy.finish().await?;
        let written = if fresh {
            copied
        } else {
            let merged = sqlx::query(&format!(
                "INSERT INTO {} ({columns}) SELECT {columns} FROM {target} ON CONFLICT DO NOTHING",
                table.name
            ))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(&format!("DROP TABLE {target}"))
                .execute(&mut *tx)
                .await?;
            merged
        };
        counts.push((table.name, written));
    }
    tx.commit().await?;
    Ok(counts)
}

async fn write_sqlite(
    db: &DatabaseConnection,
    tables: &[Table],
    rx: &mut tokio::sync::mpsc::Receiver<Msg>,
    bar: &crate::progress::StoreBar,
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let backend = db.get_database_backend();
    let mut counts = Vec::new();
    let mut txn = db.begin().await?;
    let mut in_txn = 0u64;
    for table in tables {
        let per_statement = (SQLITE_MAX_PARAMS / table.columns.len()).clamp(1, 500);
        let head = format!(
            "INSERT INTO {} ({}) VALUES ",
            table.name,
            table.columns.join(", ")
        );
        let one = format!("({})", vec!["?"; table.columns.len()].join(","));
        let mut written = 0u64;
        loop {
            match rx.recv().await {
                Some(Msg::Rows(rows)) => {
                    for batch in rows.chunks(per_statement) {
                        let mut sql =
                            String::with_capacity(head.len() + batch.len() * (one.len() + 1) + 32);
                        sql.push_str(&head);
                        let mut values = Vec::with_capacity(batch.len() * table.columns.len());
                        for (i, row) in batch.iter().enumerate() {
                            if i > 0 {
                                sql.push(',');
                            }
                            sql.push_str(&one);
                            values.extend(row.iter().map(Cell::value));
                        }
                        sql.push_str(" ON CONFLICT DO NOTHING");
                        written += txn
                            .execute(Statement::from_sql_and_values(backend, sql, values))
                            .await?
                            .rows_affected();
                        in_txn += batch.len() as u64;
                        bar.add(batch.len() as u64);
                    }
                    if in_txn >= SQLITE_ROWS_PER_COMMIT {
                        txn.commit().await?;
                        txn = db.begin().await?;
                        in_txn = 0;
                    }
                }
                Some(Msg::Copy(..)) => anyhow::bail!("rows for SQLite come as values"),
                Some(Msg::End) => break,
                None => anyhow::bail!("the row builder stopped early"),
            }
        }
        counts.push((table.name, written));
    }
    txn.commit().await?;
    Ok(counts)
}
