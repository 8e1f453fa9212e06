//! The `webhook_deliveries` table: signatures of accepted webhook requests.

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

/// Inserts the signature unless present (one statement, so two copies racing agree on one winner).
pub(super) async fn first_delivery(
    db: &impl ConnectionTrait,
    signature: &str,
    now: DateTime<Utc>,
    keep: chrono::Duration,
) -> Result<bool, StoreError> {
    Entity::delete_many()
        .filter(Column::ReceivedAt.lt(now - keep))
        .exec(db)
        .await?;
    let inserted = Entity::insert(ActiveModel {
        signature: Set(signature.to_string()),
        received_at: Set(now),
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
