//! SQL conditions shared by the adapter's queries: tenancy, filters, LIKE patterns.

use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use sea_orm::sea_query::{Expr, Func, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

use super::{campaign_asset, media_asset};
use crate::store::CampaignAssetFilter;

/// The escape character of every LIKE pattern built here.
const ESCAPE: char = '\\';

/// Rows of the request's tenant only (`organization_id = ?`), or every row for an unrestricted scope.
pub fn in_scope<C: ColumnTrait>(column: C, scope: TenantScope) -> Condition {
    match scope.organization() {
        Some(id) => Condition::all().add(column.eq(id)),
        None => Condition::all(),
    }
}

/// `text` with LIKE's wildcards escaped, so a user's `_` or `%` matches itself.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            escaped.push(ESCAPE);
        }
        escaped.push(c);
    }
    escaped
}

/// A LIKE pattern with an explicit escape character (SQLite has no default one).
pub fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape(ESCAPE)
}

/// Assets carrying exactly `tag`: the JSON array holds it as `"tag"`, and tags never contain quotes.
pub fn has_hashtag(tag: &str) -> SimpleExpr {
    Expr::col((media_asset::Entity, media_asset::Column::Hashtags))
        .like(like(format!("%\"{}\"%", escape_like(tag))))
}

/// Assets whose description (case-insensitively) or hashtags contain `term`.
pub fn mentions(term: &str) -> Condition {
    let pattern = format!("%{}%", escape_like(term));
    Condition::any()
        .add(
            Expr::expr(Func::lower(Expr::col((
                media_asset::Entity,
                media_asset::Column::Description,
            ))))
            .like(like(pattern.clone())),
        )
        .add(Expr::col((media_asset::Entity, media_asset::Column::Hashtags)).like(like(pattern)))
}

/// The kind and review filters of a campaign's assets.
pub fn campaign_filter(filter: &CampaignAssetFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(kind) = filter.kind {
        condition = condition
            .add(Expr::col((media_asset::Entity, media_asset::Column::Kind)).eq(kind.as_str()));
    }
    if let Some(status) = filter.review_status {
        condition = condition.add(
            Expr::col((media_asset::Entity, media_asset::Column::ReviewStatus)).eq(status.as_str()),
        );
    }
    condition
}

/// Links of the request's tenant only.
pub fn links_in_scope(scope: TenantScope) -> Condition {
    match scope.organization() {
        Some(id) => Condition::all().add(
            Expr::col((
                campaign_asset::Entity,
                campaign_asset::Column::OrganizationId,
            ))
            .eq(id),
        ),
        None => Condition::all(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(escape_like("trail_run 100%"), "trail\\_run 100\\%");
        assert_eq!(escape_like("a\\b"), "a\\\\b");
    }
}
