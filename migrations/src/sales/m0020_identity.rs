//! Identity: users' password hashes, OAuth clients, refresh tokens and
//! per-subsystem permissions (with who granted and revoked them, and when).
//!
//! Secrets are stored only as digests: client secrets and passwords as
//! argon2id PHC strings, refresh tokens as SHA-256 hex (they are random
//! 256-bit values, so a fast digest is enough and lets them be looked up).

use sea_orm_migration::prelude::*;

use super::columns::{id_column, index, timestamp};

/// Adds `users.password_hash` and creates `oauth_clients`, `refresh_tokens`, `permissions`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganizationId,
    PasswordHash,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    OrganizationId,
    ClientId,
    SecretHash,
    Name,
    Roles,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    OrganizationId,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    RotatedAt,
    ReplacedBy,
    RevokedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Permissions {
    Table,
    Id,
    OrganizationId,
    UserId,
    Subsystem,
    Role,
    GrantedBy,
    GrantedAt,
    RevokedBy,
    RevokedAt,
    CreatedAt,
    UpdatedAt,
}

const SUBSYSTEMS: [&str; 4] = ["sales", "ads", "crm", "content"];
const ROLES: [&str; 3] = ["read", "write", "admin"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OauthClients::Table)
                    .col(id_column(OauthClients::Id))
                    // Absent only for platform clients (acting for every tenant).
                    .col(ColumnDef::new(OauthClients::OrganizationId).uuid().null())
                    .col(
                        ColumnDef::new(OauthClients::ClientId)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthClients::SecretHash)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthClients::Name)
                            .string_len(200)
                            .not_null(),
                    )
                    // JSON array of `subsystem:role` strings.
                    .col(ColumnDef::new(OauthClients::Roles).text().not_null())
                    .col(ColumnDef::new(OauthClients::Active).boolean().not_null())
                    .col(timestamp(OauthClients::CreatedAt))
                    .col(timestamp(OauthClients::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_clients_organization")
                            .from(OauthClients::Table, OauthClients::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_oauth_clients_client_id",
                OauthClients::Table,
                &[OauthClients::ClientId.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_oauth_clients_updated_at",
                OauthClients::Table,
                &[OauthClients::UpdatedAt.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(id_column(RefreshTokens::Id))
                    .col(
                        ColumnDef::new(RefreshTokens::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RefreshTokens::UserId).uuid().not_null())
                    // Every token rotated from one login shares its family: reuse revokes them all.
                    .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(RefreshTokens::ExpiresAt))
                    .col(
                        ColumnDef::new(RefreshTokens::RotatedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(RefreshTokens::ReplacedBy).uuid().null())
                    .col(
                        ColumnDef::new(RefreshTokens::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(RefreshTokens::CreatedAt))
                    .col(timestamp(RefreshTokens::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user")
                            .from(
                                RefreshTokens::Table,
                                (RefreshTokens::UserId, RefreshTokens::OrganizationId),
                            )
                            .to(Users::Table, (Users::Id, Users::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_refresh_tokens_hash",
                vec![RefreshTokens::TokenHash.into_iden()],
                true,
            ),
            (
                "ix_refresh_tokens_family",
                vec![RefreshTokens::FamilyId.into_iden()],
                false,
            ),
            (
                "ix_refresh_tokens_user",
                vec![RefreshTokens::UserId.into_iden()],
                false,
            ),
            (
                "ix_refresh_tokens_updated_at",
                vec![RefreshTokens::UpdatedAt.into_iden()],
                false,
            ),
        ] {
            manager
                .create_index(index(name, RefreshTokens::Table, &columns, unique))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Permissions::Table)
                    .col(id_column(Permissions::Id))
                    .col(
                        ColumnDef::new(Permissions::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Permissions::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(Permissions::Subsystem)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Permissions::Role).string_len(10).not_null())
                    // Absent when the system granted it (seeds, set-up).
                    .col(ColumnDef::new(Permissions::GrantedBy).uuid().null())
                    .col(timestamp(Permissions::GrantedAt))
                    .col(ColumnDef::new(Permissions::RevokedBy).uuid().null())
                    .col(
                        ColumnDef::new(Permissions::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(Permissions::CreatedAt))
                    .col(timestamp(Permissions::UpdatedAt))
                    .check(Expr::col(Permissions::Subsystem).is_in(SUBSYSTEMS))
                    .check(Expr::col(Permissions::Role).is_in(ROLES))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_permissions_user")
                            .from(
                                Permissions::Table,
                                (Permissions::UserId, Permissions::OrganizationId),
                            )
                            .to(Users::Table, (Users::Id, Users::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_permissions_user", vec![Permissions::UserId.into_iden()]),
            (
                "ix_permissions_updated_at",
                vec![Permissions::UpdatedAt.into_iden()],
            ),
        ] {
            manager
                .create_index(index(name, Permissions::Table, &columns, false))
                .await?;
        }
        // At most one live grant per user and subsystem: the database is the last guard
        // against two concurrent grants (partial indexes: PostgreSQL and SQLite alike).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_permissions_live ON permissions (user_id, subsystem) \
                 WHERE revoked_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Permissions::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            OauthClients::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::PasswordHash)
                    .to_owned(),
            )
            .await
    }
}
