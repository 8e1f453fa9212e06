//! What the adapter shares: the tenant condition and the mapping of database errors.

use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::{ColumnTrait, Condition, DbErr, SqlErr};

use crate::store::WriteError;

/// The condition that keeps a query inside `scope`, on the table's `organization_id` column.
pub(super) fn in_scope(column: impl ColumnTrait, scope: TenantScope) -> Condition {
    match scope.organization() {
        Some(organization) => Condition::all().add(column.eq(organization)),
        None => Condition::all(),
    }
}

/// A database error on a write: constraint violations become conflicts the caller can act on.
pub(super) fn write_error(err: DbErr, unique: &str, reference: &str) -> WriteError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => WriteError::Conflict(unique.to_string()),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            WriteError::Conflict(reference.to_string())
        }
        _ => WriteError::Store(StoreError::Db(err)),
    }
}

/// A row value the domain cannot read (a row written by something else, or a newer schema).
pub(super) fn corrupt(table: &str, id: uuid::Uuid, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table} {id}: {what}"))
}
