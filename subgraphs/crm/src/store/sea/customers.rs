//! The `customers` table.

use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect, Set};

use super::errors::{Violation, unreadable, unsealable, violation};
use super::in_scope;
use crate::crypto::{Field, PersonalDataCipher};
use crate::domain;
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
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn to_domain(cipher: &PersonalDataCipher, row: Model) -> Result<Customer, StoreError> {
    let id = row.id;
    let open = |field, text: &str| {
        cipher
            .open(field, id, text)
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
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn all_to_domain(
    cipher: &PersonalDataCipher,
    rows: Vec<Model>,
) -> Result<Vec<Customer>, StoreError> {
    rows.into_iter().map(|row| to_domain(cipher, row)).collect()
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    cipher: &PersonalDataCipher,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Customer>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .all(db)
        .await?;
    all_to_domain(cipher, rows)
}

/// The key id in one stored envelope, if any customer exists.
pub(super) async fn any_key_id(db: &impl ConnectionTrait) -> Result<Option<String>, StoreError> {
    let row = Entity::find().order_by_desc(Column::Id).one(db).await?;
    Ok(row.and_then(|r| r.email_enc.split('.').nth(1).map(str::to_string)))
}

pub(super) async fn by_email(
    db: &impl ConnectionTrait,
    cipher: &PersonalDataCipher,
    scope: TenantScope,
    email: &str,
) -> Result<Vec<Customer>, StoreError> {
    let rows = Entity::find()
        .filter(Column::EmailIndex.eq(cipher.email_index(email)))
        .filter(in_scope(scope, Column::OrganizationId))
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    all_to_domain(cipher, rows)
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    cipher: &PersonalDataCipher,
    scope: TenantScope,
    filter: &CustomerFilter,
    page: &PageRequest,
) -> Result<Page<Customer>, StoreError> {
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
    let rows = query
        .order_by_asc(Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(all_to_domain(cipher, rows)?, page))
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    cipher: &PersonalDataCipher,
    new: NewCustomer,
    now: DateTime<Utc>,
) -> Result<Customer, InsertError> {
    let new = domain::customer::validate(new)?;
    let id = new.id.unwrap_or_else(promptsales_kit::new_id);
    let seal = |field, text: &str| cipher.seal(field, id, text).map_err(unsealable);
    let row = ActiveModel {
        id: Set(id),
        organization_id: Set(new.organization_id),
        full_name_enc: Set(seal(Field::FullName, &new.full_name)?),
        email_enc: Set(seal(Field::Email, &new.email)?),
        email_index: Set(cipher.email_index(&new.email)),
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
        created_at: Set(now),
        updated_at: Set(now),
    };
    match Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => {}
        Err(err) => {
            return Err(match violation(err) {
                // SQLite names the columns (`email_index`), PostgreSQL the index (`ux_customers_org_email`).
                Ok(Violation::Unique(message)) if message.contains("email") => {
                    InsertError::Conflict(
                        "a customer with this email already exists in the organization".to_string(),
                    )
                }
                Ok(Violation::Unique(_)) => {
                    InsertError::Conflict(format!("customer {id} already exists"))
                }
                Ok(Violation::ForeignKey) => InsertError::Store(StoreError::Corrupt(
                    "customers reference no other table".to_string(),
                )),
                Err(err) => InsertError::Store(err.into()),
            });
        }
    }
    Ok(Customer {
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
        created_at: now,
        updated_at: now,
    })
}
