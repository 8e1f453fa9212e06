//! What a failed write means to a caller.

use promptsales_kit::StoreError;
use sea_orm::{DbErr, SqlErr};

use crate::crypto::CryptoError;

/// The kind of constraint a write hit, when it hit one.
pub(crate) enum Violation {
    /// A unique index or key; the driver's message names it.
    Unique(String),
    /// A foreign key.
    ForeignKey,
}

/// Classifies a database error as a constraint violation, or hands it back.
pub(crate) fn violation(err: DbErr) -> Result<Violation, DbErr> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => Ok(Violation::Unique(message)),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => Ok(Violation::ForeignKey),
        _ => Err(err),
    }
}

/// A row whose personal data cannot be opened: the wrong key is configured, or the row was altered.
pub(crate) fn unreadable(what: &str, id: uuid::Uuid, err: CryptoError) -> StoreError {
    StoreError::Corrupt(format!("{what} {id}: {err}"))
}

/// Sealing failed (no randomness): nothing was written.
pub(crate) fn unsealable(err: CryptoError) -> StoreError {
    StoreError::Db(DbErr::Custom(format!(
        "cannot encrypt personal data: {err}"
    )))
}
