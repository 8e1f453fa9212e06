//! The `webhook_deliveries` table: signatures of webhook requests whose capture committed.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, Set};

/// An accepted request.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub signature: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Forgets requests received before `before` (outside every replay window).
pub(super) async fn forget_before(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::delete_many()
        .filter(Column::ReceivedAt.lt(before))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts the request's key unless present; `false` when it was (one statement, so two copies
/// racing agree on one winner).
pub(super) async fn remember(
    db: &impl ConnectionTrait,
    key: &str,
    received_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let inserted = Entity::insert(ActiveModel {
        signature: Set(key.to_string()),
        received_at: Set(received_at),
    })
    .on_conflict(
        OnConflict::column(Column::Signature)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}
