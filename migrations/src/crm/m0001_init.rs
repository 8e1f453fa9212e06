//! Customers, leads and sales.
//!
//! Tenancy is also guarded by the database: a lead or a sale references its
//! customer (and a sale its lead) by `(id, organization_id)`, so a row can
//! never point at another tenant's row even if a caller forgets the scope.
//! Personal data columns (`*_enc`) hold AES-256-GCM envelopes written by the
//! crm crate; only the e-mail's keyed hash (`email_index`) is searchable.

use sea_orm_migration::prelude::*;

/// Lead stages as stored (upper case, the GraphQL enum's values).
const LEAD_STAGES: &[&str] = &["IQL", "MQL", "SQL", "OPPORTUNITY", "WON", "LOST"];
/// Lead source channels as stored.
const LEAD_SOURCES: &[&str] = &[
    "FACEBOOK",
    "INSTAGRAM",
    "YOUTUBE",
    "TIKTOK",
    "GOOGLE",
    "LINKEDIN",
    "EMAIL",
    "SMS",
    "INFLUENCER",
    "WEB",
    "REFERRAL",
    "EVENT",
    "OTHER",
];

/// Creates `customers`, `leads` and `sales` with their checks, keys and indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    OrganizationId,
    FullNameEnc,
    EmailEnc,
    EmailIndex,
    PhoneEnc,
    Country,
    City,
    Latitude,
    Longitude,
    Segment,
    LifetimeValue,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    CampaignId,
    Source,
    SourceAdId,
    Stage,
    Score,
    PurchaseIntent,
    AssignedAgentId,
    Version,
    LastInteractionAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    LeadId,
    CampaignId,
    ProductId,
    Amount,
    Currency,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
}

/// `'A', 'B', ...` for an SQL `IN` list of constants.
fn sql_list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn customers() -> TableCreateStatement {
    Table::create()
        .table(Customers::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(Customers::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Customers::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(Customers::FullNameEnc).text().not_null())
        .col(ColumnDef::new(Customers::EmailEnc).text().not_null())
        .col(
            ColumnDef::new(Customers::EmailIndex)
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(Customers::PhoneEnc).text().null())
        .col(ColumnDef::new(Customers::Country).string_len(2).null())
        .col(ColumnDef::new(Customers::City).string_len(100).null())
        .col(ColumnDef::new(Customers::Latitude).double().null())
        .col(ColumnDef::new(Customers::Longitude).double().null())
        .col(ColumnDef::new(Customers::Segment).string_len(64).null())
        .col(
            ColumnDef::new(Customers::LifetimeValue)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(Customers::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Customers::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .check(Expr::cust("length(email_index) = 64"))
        .check(Expr::cust("country IS NULL OR length(country) = 2"))
        .check(Expr::cust(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
        ))
        .check(Expr::cust(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
        ))
        .check(Expr::cust("(latitude IS NULL) = (longitude IS NULL)"))
        .check(Expr::cust("lifetime_value >= 0"))
        .to_owned()
}

fn leads() -> TableCreateStatement {
    Table::create()
        .table(Leads::Table)
        .if_not_exists()
        .col(ColumnDef::new(Leads::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Leads::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(Leads::CustomerId).uuid().not_null())
        .col(ColumnDef::new(Leads::CampaignId).uuid().not_null())
        .col(ColumnDef::new(Leads::Source).string_len(16).not_null())
        .col(ColumnDef::new(Leads::SourceAdId).uuid().null())
        .col(ColumnDef::new(Leads::Stage).string_len(16).not_null())
        .col(ColumnDef::new(Leads::Score).integer().not_null())
        .col(ColumnDef::new(Leads::PurchaseIntent).double().not_null())
        .col(ColumnDef::new(Leads::AssignedAgentId).uuid().null())
        .col(ColumnDef::new(Leads::Version).integer().not_null())
        .col(
            ColumnDef::new(Leads::LastInteractionAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(Leads::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Leads::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .check(Expr::cust(format!("stage IN ({})", sql_list(LEAD_STAGES))))
        .check(Expr::cust(format!(
            "source IN ({})",
            sql_list(LEAD_SOURCES)
        )))
        .check(Expr::cust("score >= 0 AND score <= 100"))
        .check(Expr::cust("purchase_intent >= 0 AND purchase_intent <= 1"))
        .check(Expr::cust("version >= 1"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_leads_customer")
                .from(Leads::Table, (Leads::CustomerId, Leads::OrganizationId))
                .to(Customers::Table, (Customers::Id, Customers::OrganizationId))
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

fn sales() -> TableCreateStatement {
    Table::create()
        .table(Sales::Table)
        .if_not_exists()
        .col(ColumnDef::new(Sales::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Sales::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(Sales::CustomerId).uuid().not_null())
        .col(ColumnDef::new(Sales::LeadId).uuid().null())
        .col(ColumnDef::new(Sales::CampaignId).uuid().not_null())
        .col(ColumnDef::new(Sales::ProductId).uuid().null())
        .col(ColumnDef::new(Sales::Amount).big_integer().not_null())
        .col(ColumnDef::new(Sales::Currency).string_len(3).not_null())
        .col(
            ColumnDef::new(Sales::ClosedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Sales::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Sales::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .check(Expr::cust("amount > 0"))
        .check(Expr::cust(
            "length(currency) = 3 AND currency = upper(currency)",
        ))
        .foreign_key(
            ForeignKey::create()
                .name("fk_sales_customer")
                .from(Sales::Table, (Sales::CustomerId, Sales::OrganizationId))
                .to(Customers::Table, (Customers::Id, Customers::OrganizationId))
                .on_delete(ForeignKeyAction::Restrict),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_sales_lead")
                .from(Sales::Table, (Sales::LeadId, Sales::OrganizationId))
                .to(Leads::Table, (Leads::Id, Leads::OrganizationId))
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

/// An index on `table(columns)`.
fn index<T: IntoIndexColumn, C: IntoIterator<Item = T>>(
    name: &str,
    table: impl IntoTableRef,
    columns: C,
    unique: bool,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table).if_not_exists();
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // Tenancy composite keys: what leads and sales reference.
        index(
            "ux_customers_id_org",
            Customers::Table,
            [Customers::Id, Customers::OrganizationId],
            true,
        ),
        // De-duplication and exact lookup by e-mail, per organization.
        index(
            "ux_customers_org_email",
            Customers::Table,
            [Customers::OrganizationId, Customers::EmailIndex],
            true,
        ),
        index(
            "ix_customers_org_id",
            Customers::Table,
            [Customers::OrganizationId, Customers::Id],
            false,
        ),
        index(
            "ix_customers_org_country_city",
            Customers::Table,
            [
                Customers::OrganizationId,
                Customers::Country,
                Customers::City,
            ],
            false,
        ),
        index(
            "ix_customers_org_segment",
            Customers::Table,
            [Customers::OrganizationId, Customers::Segment],
            false,
        ),
        index(
            "ix_customers_updated_at",
            Customers::Table,
            [Customers::UpdatedAt],
            false,
        ),
    ]
}

fn lead_indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(
            "ux_leads_id_org",
            Leads::Table,
            [Leads::Id, Leads::OrganizationId],
            true,
        ),
        index(
            "ix_leads_org_id",
            Leads::Table,
            [Leads::OrganizationId, Leads::Id],
            false,
        ),
        index(
            "ix_leads_customer",
            Leads::Table,
            [Leads::CustomerId, Leads::OrganizationId],
            false,
        ),
        // The funnel's GROUP BY and a campaign's leads by stage.
        index(
            "ix_leads_campaign_stage",
            Leads::Table,
            [Leads::CampaignId, Leads::Stage],
            false,
        ),
        index(
            "ix_leads_agent",
            Leads::Table,
            [Leads::AssignedAgentId],
            false,
        ),
        index(
            "ix_leads_updated_at",
            Leads::Table,
            [Leads::UpdatedAt],
            false,
        ),
    ]
}

fn sale_indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(
            "ix_sales_org_id",
            Sales::Table,
            [Sales::OrganizationId, Sales::Id],
            false,
        ),
        index(
            "ix_sales_customer",
            Sales::Table,
            [Sales::CustomerId, Sales::OrganizationId],
            false,
        ),
        index(
            "ix_sales_lead",
            Sales::Table,
            [Sales::LeadId, Sales::OrganizationId],
            false,
        ),
        // A campaign's revenue per currency.
        index(
            "ix_sales_campaign_currency",
            Sales::Table,
            [Sales::CampaignId, Sales::Currency],
            false,
        ),
        index(
            "ix_sales_updated_at",
            Sales::Table,
            [Sales::UpdatedAt],
            false,
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Each parent's unique (id, organization_id) must exist before a child's foreign key names it.
        manager.create_table(customers()).await?;
        for statement in indexes() {
            manager.create_index(statement).await?;
        }
        manager.create_table(leads()).await?;
        for statement in lead_indexes() {
            manager.create_index(statement).await?;
        }
        manager.create_table(sales()).await?;
        for statement in sale_indexes() {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Sales::Table.into_iden(),
            Leads::Table.into_iden(),
            Customers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
