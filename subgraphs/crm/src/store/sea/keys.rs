//! The `crm_data_keys` table: data keys and the blind-index key, only ever wrapped.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, QueryOrder, Set, TransactionTrait};

use crate::crypto::keyring::INDEX_KEY_ID;
use crate::crypto::{CryptoError, DataKey, DataKeyRecord, KeyEncryptionKey, KeyPurpose, KeyRing};

/// A stored key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_data_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub purpose: String,
    pub wrapped_key: String,
    pub kek_fingerprint: String,
    pub state: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A key failure as a store failure (the message names key ids and fingerprints, never key bytes).
pub(crate) fn key_error(err: CryptoError) -> StoreError {
    StoreError::Corrupt(format!("crm keys: {err}"))
}

fn to_record(row: Model) -> Result<DataKeyRecord, StoreError> {
    Ok(DataKeyRecord {
        purpose: KeyPurpose::parse(&row.purpose).ok_or_else(|| {
            StoreError::Corrupt(format!("data key {} has purpose {:?}", row.id, row.purpose))
        })?,
        id: row.id,
        wrapped: row.wrapped_key,
        kek_fingerprint: row.kek_fingerprint,
        active: row.state == "ACTIVE",
        created_at: row.created_at,
    })
}

fn to_row(record: &DataKeyRecord) -> ActiveModel {
    ActiveModel {
        id: Set(record.id.clone()),
        purpose: Set(record.purpose.as_str().to_string()),
        wrapped_key: Set(record.wrapped.clone()),
        kek_fingerprint: Set(record.kek_fingerprint.clone()),
        state: Set(if record.active { "ACTIVE" } else { "RETIRED" }.to_string()),
        created_at: Set(record.created_at),
        updated_at: Set(record.created_at),
    }
}

/// Every stored key.
pub(super) async fn records(db: &impl ConnectionTrait) -> Result<Vec<DataKeyRecord>, StoreError> {
    Entity::find()
        .order_by_desc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

async fn insert_if_absent(
    db: &impl ConnectionTrait,
    record: &DataKeyRecord,
) -> Result<(), StoreError> {
    Entity::insert(to_row(record))
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn new_data_key_id() -> String {
    // UUID v7: time-ordered, so the newest active key is the greatest id.
    promptsales_kit::new_id().simple().to_string()
}

/// Creates the index key and a first data key when missing, then unwraps every key.
///
/// The index key has a fixed id, so instances starting together agree on one;
/// migrating from the legacy key keeps its index derivation (old rows stay findable).
pub(super) async fn bootstrap(
    db: &impl ConnectionTrait,
    kek: &KeyEncryptionKey,
    legacy: Option<&DataKey>,
    now: DateTime<Utc>,
) -> Result<KeyRing, StoreError> {
    let existing = records(db).await?;
    if !existing.iter().any(|r| r.purpose == KeyPurpose::Index) {
        let record = match legacy {
            Some(legacy) => {
                let key = DataKeyRecord::legacy_index_key(legacy).map_err(key_error)?;
                DataKeyRecord::wrap(kek, KeyPurpose::Index, INDEX_KEY_ID.into(), &key, now)
            }
            None => DataKeyRecord::generate(kek, KeyPurpose::Index, INDEX_KEY_ID.into(), now),
        }
        .map_err(key_error)?;
        insert_if_absent(db, &record).await?;
    }
    if !existing
        .iter()
        .any(|r| r.purpose == KeyPurpose::Data && r.active)
    {
        let record = DataKeyRecord::generate(kek, KeyPurpose::Data, new_data_key_id(), now)
            .map_err(key_error)?;
        insert_if_absent(db, &record).await?;
        tracing::info!(data_key = %record.id, "created the first crm data key");
    }
    ring(db, kek, legacy).await
}

/// Unwraps every stored key into a key ring.
pub(super) async fn ring(
    db: &impl ConnectionTrait,
    kek: &KeyEncryptionKey,
    legacy: Option<&DataKey>,
) -> Result<KeyRing, StoreError> {
    KeyRing::unwrap(&records(db).await?, kek, legacy).map_err(key_error)
}

/// Retires every data key and makes a new active one, in one transaction; returns its id.
pub(super) async fn rotate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    kek: &KeyEncryptionKey,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let record = DataKeyRecord::generate(kek, KeyPurpose::Data, new_data_key_id(), now)
        .map_err(key_error)?;
    let txn = db.begin().await?;
    Entity::update_many()
        .col_expr(Column::State, Expr::value("RETIRED"))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Purpose.eq("DATA"))
        .exec(&txn)
        .await?;
    Entity::insert(to_row(&record))
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(data_key = %record.id, "rotated the crm data key; older rows are re-encrypted in batches");
    Ok(record.id)
}

/// Re-wraps every key wrapped under `previous` with `current` (a certificate rotation), in one
/// transaction; returns how many keys moved. Data is not touched: only the wrapping changes.
pub async fn rewrap<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    previous: &KeyEncryptionKey,
    current: &KeyEncryptionKey,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let txn = db.begin().await?;
    let mut moved = 0;
    for record in records(&txn).await? {
        if record.kek_fingerprint != previous.fingerprint() {
            continue;
        }
        let key = record.unwrap_with(previous).map_err(key_error)?;
        let rewrapped = DataKeyRecord::wrap(current, record.purpose, record.id.clone(), &key, now)
            .map_err(key_error)?;
        Entity::update_many()
            .col_expr(Column::WrappedKey, Expr::value(rewrapped.wrapped))
            .col_expr(
                Column::KekFingerprint,
                Expr::value(rewrapped.kek_fingerprint),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(record.id.as_str()))
            .filter(Column::KekFingerprint.eq(previous.fingerprint()))
            .exec(&txn)
            .await?;
        moved += 1;
    }
    txn.commit().await?;
    if moved > 0 {
        tracing::info!(
            keys = moved,
            from = previous.fingerprint(),
            to = current.fingerprint(),
            "re-wrapped the crm data keys under the new certificate"
        );
    }
    Ok(moved)
}
