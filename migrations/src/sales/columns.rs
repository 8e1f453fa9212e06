//! Column and index helpers shared by the sales migrations (moving them here
//! changes no migration's effect on the schema).

use sea_orm_migration::prelude::*;

/// A UUID primary key.
pub(super) fn id_column<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

/// A required instant.
pub(super) fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// A (unique) index over `columns`.
pub(super) fn index(
    name: &str,
    table: impl IntoIden + 'static,
    columns: &[DynIden],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column.clone());
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

/// An identifier, type-erased.
pub(super) fn iden(i: impl IntoIden) -> DynIden {
    i.into_iden()
}
