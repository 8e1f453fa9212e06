//! Which ads show which creatives, as rows: content's `MediaAsset.ads` (the ads that
//! use an asset) reads them by asset through an index, where the ads' JSON list of
//! creative ids could only be scanned. `ads.creative_ids` stays the ordered list the
//! ad shows; these rows mirror it, written in the same transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::sea_orm::prelude::Uuid;

/// Rows per backfill insert: far below SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 500;

/// Creates `ad_creatives` and fills it from the existing ads.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AdCreatives {
    Table,
    AdId,
    OrganizationId,
    AssetId,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum Ads {
    Table,
    Id,
    OrganizationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AdCreatives as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(C::AdId).uuid().not_null())
                    .col(ColumnDef::new(C::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(C::AssetId).uuid().not_null())
                    .col(ColumnDef::new(C::Position).integer().not_null())
                    .primary_key(Index::create().col(C::AdId).col(C::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ad_creatives_ad")
                            .from(C::Table, (C::AdId, C::OrganizationId))
                            .to(Ads::Table, (Ads::Id, Ads::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ad_creatives_asset")
                    .table(C::Table)
                    .col(C::AssetId)
                    .col(C::OrganizationId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AdCreatives::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

/// The ids of a JSON array of UUID strings (`["…","…"]`, as the ads store writes it).
fn parse_ids(list: &str) -> Option<Vec<Uuid>> {
    let inner = list.trim().strip_prefix('[')?.strip_suffix(']')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s.strip_prefix('"')?.strip_suffix('"')?).ok())
        .collect()
}

/// One row per creative of every existing ad (parsed here: SQL JSON functions differ
/// between SQLite and PostgreSQL).
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let select = Query::select()
        .columns([
            Alias::new("id"),
            Alias::new("organization_id"),
            Alias::new("creative_ids"),
        ])
        .from(Ads::Table)
        .to_owned();
    let mut values: Vec<[SimpleExpr; 4]> = Vec::new();
    for row in db.query_all(backend.build(&select)).await? {
        let ad: Uuid = row.try_get("", "id")?;
        let org: Uuid = row.try_get("", "organization_id")?;
        let list: String = row.try_get("", "creative_ids")?;
        let ids = parse_ids(&list)
            .ok_or_else(|| DbErr::Custom(format!("ad {ad}: unreadable creative ids {list:?}")))?;
        for (position, asset) in ids.into_iter().enumerate() {
            let position = <i32 as std::convert::TryFrom<usize>>::try_from(position)
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            values.push([ad.into(), org.into(), asset.into(), position.into()]);
        }
    }
    for chunk in values.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(AdCreatives::Table).columns([
            AdCreatives::AdId,
            AdCreatives::OrganizationId,
            AdCreatives::AssetId,
            AdCreatives::Position,
        ]);
        for row in chunk {
            insert
                .values(row.clone())
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(backend.build(&insert)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_lists_parse() {
        let a = Uuid::nil();
        assert_eq!(parse_ids("[]"), Some(vec![]));
        assert_eq!(parse_ids(&format!("[\"{a}\",\"{a}\"]")), Some(vec![a, a]));
        assert_eq!(parse_ids("[\"nope\"]"), None);
    }
}
