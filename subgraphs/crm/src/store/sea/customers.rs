//! The `customers` table.

use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, PageRequest, StoreError};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{Condition, ConnectionTrait, QueryOrder, QuerySelect, Set};

use super::errors::{Violation, unreadable, unsealable, violation};
use super::in_scope;
use crate::crypto::{Field, KeyRing};
use crate::domain;
use crate::domain::geo::BoundingBox;
use crate::store::{Customer, CustomerFilter, InsertError, NewCustomer};

/// A `customers` row: personal data only as envelopes and the e-mail's blind index.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub full_name_enc: String,
    pub email_enc: String,
    pub email_index: String,
    pub phone_enc: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub segment: Option<String>,
    pub lifetime_value: i64,
    pub data_key_id: Option<String>,
    pub consent_marketing: bool,
    pub erased_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The data key ids a batch of rows needs (to reload the key ring when one is new).
pub(super) fn key_ids(rows: &[Model]) -> impl Iterator<Item = &str> {
    rows.iter().filter_map(|r| {
        r.data_key_id
            .as_deref()
            .or_else(|| KeyRing::key_id_of(&r.email_enc))
    })
}

/// A row in clear; erased rows have nothing to open.
pub(super) fn decode(ring: &KeyRing, row: Model) -> Result<Customer, StoreError> {
    let id = row.id;
    let open = |field, text: &str| {
        if row.erased_at.is_some() {
            return Ok(String::new());
        }
        ring.open(field, id, text)
            .map_err(|e| unreadable("customer", id, e))
    };
    Ok(Customer {
        id,
        organization_id: row.organization_id,
        full_name: open(Field::FullName, &row.full_name_enc)?,
        email: open(Field::Email, &row.email_enc)?,
        phone: row
            .phone_enc
            .as_deref()
            .map(|p| open(Field::Phone, p))
            .transpose()?,
        country: row.country,
        city: row.city,
        latitude: row.latitude,
        longitude: row.longitude,
        segment: row.segment,
        lifetime_value: Decimal4(row.lifetime_value),
        consent_marketing: row.consent_marketing,
        erased_at: row.erased_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Model>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .all(db)
        .await?)
}

/// The e-mail envelope of one customer sealed under the legacy key, if any remain.
pub(super) async fn any_legacy_envelope(
    db: &impl ConnectionTrait,
) -> Result<Option<String>, StoreError> {
    let row = Entity::find()
        .filter(Column::DataKeyId.is_null())
        .filter(Column::ErasedAt.is_null())
        .order_by_desc(Column::Id)
        .one(db)
        .await?;
    Ok(row.map(|r| r.email_enc))
}

pub(super) async fn by_email_index(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    index: &str,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::EmailIndex.eq(index))
        .filter(in_scope(scope, Column::OrganizationId))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    filter: &CustomerFilter,
    page: &PageRequest,
) -> Result<Vec<Model>, StoreError> {
    let mut query = Entity::find().filter(in_scope(scope, Column::OrganizationId));
    if let Some(country) = &filter.country {
        query = query.filter(Column::Country.eq(country.as_str()));
    }
    if let Some(city) = &filter.city {
        query = query.filter(Column::City.eq(city.as_str()));
    }
    if let Some(segment) = &filter.segment {
        query = query.filter(Column::Segment.eq(segment.as_str()));
    }
    if let Some(after) = page.after {
        query = query.filter(Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Customers inside a bounding box (the index on organization, latitude, longitude serves it).
pub(super) async fn in_box(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    bbox: &BoundingBox,
) -> Result<Vec<Model>, StoreError> {
    let mut query = Entity::find()
        .filter(in_scope(scope, Column::OrganizationId))
        .filter(Column::ErasedAt.is_null())
        .filter(Column::Latitude.between(bbox.min_latitude, bbox.max_latitude));
    if !bbox.longitudes.is_empty() {
        let mut any = Condition::any();
        for (west, east) in &bbox.longitudes {
            any = any.add(Column::Longitude.between(*west, *east));
        }
        query = query.filter(any);
    }
    Ok(query.order_by_asc(Column::Id).all(db).await?)
}

fn row(
    ring: &KeyRing,
    id: Uuid,
    new: &NewCustomer,
    consent_marketing: bool,
    now: DateTime<Utc>,
) -> Result<ActiveModel, InsertError> {
    let seal = |field, text: &str| ring.seal(field, id, text).map_err(unsealable);
    Ok(ActiveModel {
        id: Set(id),
        organization_id: Set(new.organization_id),
        full_name_enc: Set(seal(Field::FullName, &new.full_name)?),
        email_enc: Set(seal(Field::Email, &new.email)?),
        email_index: Set(ring.email_index(&new.email)),
        phone_enc: Set(new
            .phone
            .as_deref()
            .map(|p| seal(Field::Phone, p))
            .transpose()?),
        country: Set(new.country.clone()),
        city: Set(new.city.clone()),
        latitude: Set(new.latitude),
        longitude: Set(new.longitude),
        segment: Set(new.segment.clone()),
        lifetime_value: Set(new.lifetime_value.raw()),
        data_key_id: Set(Some(ring.active_key_id().to_string())),
        consent_marketing: Set(consent_marketing),
        erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

fn created(id: Uuid, new: NewCustomer, consent_marketing: bool, now: DateTime<Utc>) -> Customer {
    Customer {
        id,
        organization_id: new.organization_id,
        full_name: new.full_name,
        email: new.email,
        phone: new.phone,
        country: new.country,
        city: new.city,
        latitude: new.latitude,
        longitude: new.longitude,
        segment: new.segment,
        lifetime_value: new.lifetime_value,
        consent_marketing,
        erased_at: None,
        created_at: now,
        updated_at: now,
    }
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    ring: &KeyRing,
    new: NewCustomer,
    now: DateTime<Utc>,
) -> Result<Customer, InsertError> {
    let new = domain::customer::validate(new)?;
    let id = new.id.unwrap_or_else(promptsales_kit::new_id);
    if let Err(err) = Entity::insert(row(ring, id, &new, false, now)?)
        .exec_without_returning(db)
        .await
    {
        return Err(match violation(err) {
            // SQLite names the columns (`email_index`), PostgreSQL the index (`ux_customers_org_email`).
            Ok(Violation::Unique(message)) if message.contains("email") => InsertError::Conflict(
                "a customer with this email already exists in the organization".to_string(),
            ),
            Ok(Violation::Unique(_)) => {
                InsertError::Conflict(format!("customer {id} already exists"))
            }
            Ok(Violation::ForeignKey) => InsertError::Store(StoreError::Corrupt(
                "customers reference no other table".to_string(),
            )),
            Err(err) => InsertError::Store(err.into()),
        });
    }
    Ok(created(id, new, false, now))
}

/// The customer of this e-mail in the organization: inserted when new, else the one already there.
///
/// `INSERT ... ON CONFLICT (organization_id, email_index) DO NOTHING` then a read
/// by the blind index: of two concurrent captures, one inserts and the other
/// finds that row, so one person is one customer. Returns the row and whether it was new.
pub(super) async fn insert_or_fetch(
    db: &impl ConnectionTrait,
    ring: &KeyRing,
    new: &NewCustomer,
    consent_marketing: bool,
    now: DateTime<Utc>,
) -> Result<(Model, bool), InsertError> {
    let id = promptsales_kit::new_id();
    let inserted = Entity::insert(row(ring, id, new, consent_marketing, now)?)
        .on_conflict(
            OnConflict::columns([Column::OrganizationId, Column::EmailIndex])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(StoreError::from)?;
    let index = ring.email_index(&new.email);
    let found = Entity::find()
        .filter(Column::OrganizationId.eq(new.organization_id))
        .filter(Column::EmailIndex.eq(index))
        .one(db)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| {
            StoreError::Corrupt("a customer vanished between its insert and its read".into())
        })?;
    Ok((found, inserted == 1))
}

/// Removes a customer's personal data; returns whether a row was erased.
pub(super) async fn erase(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    random_index: String,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = Entity::update_many()
        .col_expr(Column::FullNameEnc, Expr::value(""))
        .col_expr(Column::EmailEnc, Expr::value(""))
        // A random value in the blind index's shape: the unique index holds and nothing links back.
        .col_expr(Column::EmailIndex, Expr::value(random_index))
        .col_expr(Column::PhoneEnc, Expr::value(Option::<String>::None))
        .col_expr(Column::City, Expr::value(Option::<String>::None))
        .col_expr(Column::Latitude, Expr::value(Option::<f64>::None))
        .col_expr(Column::Longitude, Expr::value(Option::<f64>::None))
        .col_expr(Column::DataKeyId, Expr::value(Option::<String>::None))
        .col_expr(Column::ConsentMarketing, Expr::value(false))
        .col_expr(Column::ErasedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Rows not sealed under the active key (erased rows hold nothing to re-encrypt).
fn stale(active: &str) -> Condition {
    Condition::all().add(Column::ErasedAt.is_null()).add(
        Condition::any()
            .add(Column::DataKeyId.is_null())
            .add(Column::DataKeyId.ne(active)),
    )
}

/// How many customers still need re-encryption.
pub(super) async fn stale_count(
    db: &impl ConnectionTrait,
    active: &str,
) -> Result<u64, StoreError> {
    Ok(Entity::find().filter(stale(active)).count(db).await?)
}

/// Up to `limit` customers sealed under an older key.
pub(super) async fn stale_rows(
    db: &impl ConnectionTrait,
    active: &str,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(stale(active))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Re-seals one row with the active key, unless it changed since it was read; returns whether it did.
pub(super) async fn reseal(
    db: &impl ConnectionTrait,
    ring: &KeyRing,
    row: Model,
) -> Result<bool, StoreError> {
    let id = row.id;
    let reseal = |field, text: &str| -> Result<String, StoreError> {
        let plain = ring
            .open(field, id, text)
            .map_err(|e| unreadable("customer", id, e))?;
        ring.seal(field, id, &plain).map_err(unsealable)
    };
    let mut update = Entity::update_many()
        .col_expr(
            Column::FullNameEnc,
            Expr::value(reseal(Field::FullName, &row.full_name_enc)?),
        )
        .col_expr(
            Column::EmailEnc,
            Expr::value(reseal(Field::Email, &row.email_enc)?),
        )
        .col_expr(
            Column::PhoneEnc,
            Expr::value(
                row.phone_enc
                    .as_deref()
                    .map(|p| reseal(Field::Phone, p))
                    .transpose()?,
            ),
        )
        .col_expr(
            Column::DataKeyId,
            Expr::value(Some(ring.active_key_id().to_string())),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::ErasedAt.is_null())
        // Only if nobody re-sealed or erased it meanwhile (the ciphertext read is still there).
        .filter(Column::EmailEnc.eq(row.email_enc.clone()));
    // `updated_at` is left alone: re-encryption changes no fact the ETL reads.
    update = match &row.data_key_id {
        Some(old) => update.filter(Column::DataKeyId.eq(old.as_str())),
        None => update.filter(Column::DataKeyId.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// The number of customers sealed with each data key id (`None`: the legacy key).
pub(super) async fn per_key(
    db: &impl ConnectionTrait,
) -> Result<Vec<(Option<String>, i64)>, StoreError> {
    #[derive(Debug, sea_orm::FromQueryResult)]
    struct PerKey {
        data_key_id: Option<String>,
        rows: i64,
    }
    let rows = Entity::find()
        .select_only()
        .column(Column::DataKeyId)
        .column_as(Column::Id.count(), "rows")
        .filter(Column::ErasedAt.is_null())
        .group_by(Column::DataKeyId)
        .into_model::<PerKey>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.data_key_id, r.rows)).collect())
}
