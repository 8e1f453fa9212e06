//! Users in the sea-orm store.

use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError, new_id};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entity::user;
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::domain::user::UserType;
use crate::store::{NewUser, User, UserFilter, WriteError};

fn from_model(m: user::Model) -> Result<User, StoreError> {
    let user_type = UserType::parse(&m.user_type).ok_or_else(|| {
        corrupt(
            "users",
            m.id,
            format!("unknown user type {:?}", m.user_type),
        )
    })?;
    Ok(User {
        id: m.id,
        organization_id: m.organization_id,
        email: m.email,
        name: m.name,
        phone: m.phone,
        user_type,
        timezone: m.timezone,
        active: m.active,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(super) async fn insert(db: &impl ConnectionTrait, new: NewUser) -> Result<User, WriteError> {
    let now = domain::now();
    let id = new.id.unwrap_or_else(new_id);
    let row = user::Model {
        id,
        organization_id: new.organization_id,
        email: new.email,
        name: new.name,
        phone: new.phone,
        user_type: new.user_type.as_str().to_string(),
        timezone: new.timezone,
        active: new.active,
        created_at: now,
        updated_at: now,
    };
    let inserted = user::Entity::insert(user::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await;
    if let Err(e) = inserted {
        // Both the id and the e-mail are unique; the message says which one was hit.
        let unique = if e.to_string().contains("email") {
            format!("the e-mail {} is already taken", row.email)
        } else {
            format!("a user with id {id} already exists")
        };
        return Err(write_error(
            e,
            &unique,
            &format!("organization {} does not exist", row.organization_id),
        ));
    }
    Ok(from_model(row)?)
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<User>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(user::Column::OrganizationId, scope))
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    filter: &UserFilter,
    page: PageRequest,
) -> Result<Page<User>, StoreError> {
    let mut query = user::Entity::find().filter(in_scope(user::Column::OrganizationId, scope));
    if let Some(organization) = filter.organization_id {
        query = query.filter(user::Column::OrganizationId.eq(organization));
    }
    if let Some(user_type) = filter.user_type {
        query = query.filter(user::Column::UserType.eq(user_type.as_str()));
    }
    if let Some(after) = page.after {
        query = query.filter(user::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(user::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let users = rows
        .into_iter()
        .map(from_model)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(users, &page))
}
