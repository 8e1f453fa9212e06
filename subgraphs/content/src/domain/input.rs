//! Validation of what clients send: a new asset (draft) and a change to one (patch).

use promptsales_kit::ApiError;
use uuid::Uuid;

use super::asset::{
    AssetKind, MediaAsset, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights,
};
use super::hashtags::normalize_hashtags;
use super::review::needs_new_review;
use super::text::{http_url, optional_text, required_text};

/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The longest category.
pub const MAX_CATEGORY_CHARS: usize = 64;
/// The longest format code.
pub const MAX_FORMAT_CHARS: usize = 32;
/// The longest licence or attribution.
pub const MAX_RIGHTS_CHARS: usize = 200;
/// The most campaigns one registration may link.
pub const MAX_CAMPAIGN_LINKS: usize = 50;

/// A new asset as received, before validation.
#[derive(Debug, Clone)]
pub struct AssetDraft {
    /// A caller-given id, if any.
    pub id: Option<Uuid>,
    /// The tenant (already checked against the request's scope).
    pub organization_id: Uuid,
    /// What it is.
    pub kind: AssetKind,
    /// Where the file is.
    pub url: String,
    /// A small preview.
    pub thumbnail_url: Option<String>,
    /// What it shows or says.
    pub description: String,
    /// Hashtags as typed.
    pub hashtags: Vec<String>,
    /// A free grouping.
    pub category: Option<String>,
    /// File facts.
    pub technical: TechnicalMetadata,
    /// Usage terms.
    pub rights: UsageRights,
    /// Initial review state.
    pub review_status: ReviewStatus,
    /// Campaigns to link.
    pub campaign_ids: Vec<Uuid>,
}

/// Validates and normalises a draft; every error names its `input.*` field.
pub fn validate_new_asset(draft: AssetDraft) -> Result<NewMediaAsset, ApiError> {
    let mut campaign_ids = Vec::with_capacity(draft.campaign_ids.len());
    for id in draft.campaign_ids {
        if !campaign_ids.contains(&id) {
            campaign_ids.push(id);
        }
    }
    if campaign_ids.len() > MAX_CAMPAIGN_LINKS {
        return Err(ApiError::bad_input(
            "input.campaignIds",
            format!("input.campaignIds may hold at most {MAX_CAMPAIGN_LINKS} campaigns"),
        ));
    }
    Ok(NewMediaAsset {
        id: draft.id,
        organization_id: draft.organization_id,
        kind: draft.kind,
        url: http_url("input.url", &draft.url)?,
        thumbnail_url: draft
            .thumbnail_url
            .as_deref()
            .map(|u| http_url("input.thumbnailUrl", u))
            .transpose()?,
        description: required_text(
            "input.description",
            &draft.description,
            MAX_DESCRIPTION_CHARS,
        )?,
        hashtags: normalize_hashtags("input.hashtags", &draft.hashtags)?,
        category: optional_text(
            "input.category",
            draft.category.as_deref(),
            MAX_CATEGORY_CHARS,
        )?,
        technical: validate_technical("input.technical", draft.technical)?,
        rights: validate_rights("input.rights", draft.rights)?,
        review_status: draft.review_status,
        campaign_ids,
    })
}

/// Checks file facts: none may be negative, durations must be finite.
pub fn validate_technical(
    field: &str,
    technical: TechnicalMetadata,
) -> Result<TechnicalMetadata, ApiError> {
    let non_negative = |name: &str, negative: bool| {
        if negative {
            Err(ApiError::bad_input(
                format!("{field}.{name}"),
                format!("{field}.{name} must not be negative"),
            ))
        } else {
            Ok(())
        }
    };
    non_negative("width", technical.width.is_some_and(|w| w < 0))?;
    non_negative("height", technical.height.is_some_and(|h| h < 0))?;
    non_negative("sizeBytes", technical.size_bytes.is_some_and(|s| s < 0))?;
    if technical
        .duration_seconds
        .is_some_and(|s| !s.is_finite() || s < 0.0)
    {
        return Err(ApiError::bad_input(
            format!("{field}.durationSeconds"),
            format!("{field}.durationSeconds must be a finite number of seconds, not negative"),
        ));
    }
    Ok(TechnicalMetadata {
        format: optional_text(
            &format!("{field}.format"),
            technical.format.as_deref(),
            MAX_FORMAT_CHARS,
        )?
        .map(|f| f.to_lowercase()),
        ..technical
    })
}

/// Checks usage terms (bounded, non-empty texts).
pub fn validate_rights(field: &str, rights: UsageRights) -> Result<UsageRights, ApiError> {
    Ok(UsageRights {
        license: optional_text(
            &format!("{field}.license"),
            rights.license.as_deref(),
            MAX_RIGHTS_CHARS,
        )?,
        attribution: optional_text(
            &format!("{field}.attribution"),
            rights.attribution.as_deref(),
            MAX_RIGHTS_CHARS,
        )?,
        expires_at: rights.expires_at,
    })
}

/// What a patch does to one optional field.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Change<T> {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Empty it.
    Clear,
    /// Replace it.
    Set(T),
}

/// A change to an asset as received; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct AssetPatch {
    /// New kind.
    pub kind: Option<AssetKind>,
    /// New URL.
    pub url: Option<String>,
    /// New or no thumbnail.
    pub thumbnail_url: Change<String>,
    /// New description.
    pub description: Option<String>,
    /// New hashtags (replacing the old list).
    pub hashtags: Option<Vec<String>>,
    /// New or no category.
    pub category: Change<String>,
    /// New (whole) or no file facts.
    pub technical: Change<TechnicalMetadata>,
    /// New (whole) or no usage terms.
    pub rights: Change<UsageRights>,
}

/// The asset after `patch`, or `None` when nothing would change.
///
/// A real change bumps the version; a change to what people see (file,
/// preview, text, tags) sends the asset back to review.
pub fn apply_patch(
    current: &MediaAsset,
    patch: AssetPatch,
) -> Result<Option<MediaAsset>, ApiError> {
    let mut next = current.clone();
    if let Some(kind) = patch.kind {
        next.kind = kind;
    }
    if let Some(url) = &patch.url {
        next.url = http_url("input.url", url)?;
    }
    match patch.thumbnail_url {
        Change::Keep => {}
        Change::Clear => next.thumbnail_url = None,
        Change::Set(url) => next.thumbnail_url = Some(http_url("input.thumbnailUrl", &url)?),
    }
    if let Some(description) = &patch.description {
        next.description = required_text("input.description", description, MAX_DESCRIPTION_CHARS)?;
    }
    if let Some(hashtags) = &patch.hashtags {
        next.hashtags = normalize_hashtags("input.hashtags", hashtags)?;
    }
    match patch.category {
        Change::Keep => {}
        Change::Clear => next.category = None,
        Change::Set(category) => {
            next.category = Some(required_text(
                "input.category",
                &category,
                MAX_CATEGORY_CHARS,
            )?);
        }
    }
    match patch.technical {
        Change::Keep => {}
        Change::Clear => next.technical = TechnicalMetadata::default(),
        Change::Set(technical) => {
            next.technical = validate_technical("input.technical", technical)?
        }
    }
    match patch.rights {
        Change::Keep => {}
        Change::Clear => next.rights = UsageRights::default(),
        Change::Set(rights) => next.rights = validate_rights("input.rights", rights)?,
    }
    if next == *current {
        return Ok(None);
    }
    next.version = current.version.checked_add(1).ok_or_else(|| {
        ApiError::Conflict(format!(
            "media asset {} has reached its last version",
            current.id
        ))
    })?;
    if needs_new_review(current, &next) {
        next.review_status = ReviewStatus::PendingReview;
    }
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn draft() -> AssetDraft {
        AssetDraft {
            id: None,
            organization_id: Uuid::now_v7(),
            kind: AssetKind::Image,
            url: "https://assets.promptsales.example/a.jpg".into(),
            thumbnail_url: None,
            description: " Summit at dawn ".into(),
            hashtags: vec!["#Summit".into(), "summit".into()],
            category: Some("hero".into()),
            technical: TechnicalMetadata {
                format: Some("JPG".into()),
                width: Some(1080),
                height: Some(1350),
                duration_seconds: None,
                size_bytes: Some(420_000),
            },
            rights: UsageRights::default(),
            review_status: ReviewStatus::PendingReview,
            campaign_ids: vec![],
        }
    }

    fn asset(new: NewMediaAsset) -> MediaAsset {
        MediaAsset {
            id: Uuid::now_v7(),
            organization_id: new.organization_id,
            kind: new.kind,
            url: new.url,
            thumbnail_url: new.thumbnail_url,
            description: new.description,
            hashtags: new.hashtags,
            category: new.category,
            technical: new.technical,
            rights: new.rights,
            review_status: ReviewStatus::Approved,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_draft_is_normalised() {
        let new = validate_new_asset(draft()).expect("valid");
        assert_eq!(new.description, "Summit at dawn");
        assert_eq!(new.hashtags, vec!["summit"]);
        assert_eq!(new.technical.format.as_deref(), Some("jpg"));
    }

    #[test]
    fn errors_name_the_field() {
        let field = |d: AssetDraft| match validate_new_asset(d) {
            Err(ApiError::BadInput { field, .. }) => field,
            other => panic!("expected bad input, got {other:?}"),
        };
        assert_eq!(
            field(AssetDraft {
                url: "ftp://x".into(),
                ..draft()
            }),
            "input.url"
        );
        assert_eq!(
            field(AssetDraft {
                description: " ".into(),
                ..draft()
            }),
            "input.description"
        );
        assert_eq!(
            field(AssetDraft {
                hashtags: vec!["a b".into()],
                ..draft()
            }),
            "input.hashtags"
        );
        let mut d = draft();
        d.technical.size_bytes = Some(-1);
        assert_eq!(field(d), "input.technical.sizeBytes");
        let mut d = draft();
        d.technical.duration_seconds = Some(f64::NAN);
        assert_eq!(field(d), "input.technical.durationSeconds");
    }

    #[test]
    fn a_patch_bumps_the_version_and_visible_changes_need_review() {
        let current = asset(validate_new_asset(draft()).expect("valid"));
        let same = AssetPatch {
            description: Some("Summit at dawn".into()),
            ..AssetPatch::default()
        };
        assert_eq!(apply_patch(&current, same).ok(), Some(None));

        let rights = AssetPatch {
            rights: Change::Set(UsageRights {
                license: Some("royalty-free".into()),
                ..UsageRights::default()
            }),
            ..AssetPatch::default()
        };
        let next = apply_patch(&current, rights)
            .ok()
            .flatten()
            .expect("changed");
        assert_eq!(
            (next.version, next.review_status),
            (2, ReviewStatus::Approved)
        );

        let text = AssetPatch {
            description: Some("Summit at dusk".into()),
            ..AssetPatch::default()
        };
        let next = apply_patch(&current, text).ok().flatten().expect("changed");
        assert_eq!(
            (next.version, next.review_status),
            (2, ReviewStatus::PendingReview)
        );
    }
}
