//! Content review: who may move an asset between review states.

use promptsales_kit::ApiError;

use super::asset::{MediaAsset, ReviewStatus};

/// The status after a reviewer's `decision` on an asset in `current`.
///
/// Only an asset waiting for review can be reviewed, and a review ends in
/// APPROVED or REJECTED; both errors name the `status` argument.
pub fn review(current: ReviewStatus, decision: ReviewStatus) -> Result<ReviewStatus, ApiError> {
    if decision == ReviewStatus::PendingReview {
        return Err(ApiError::bad_input(
            "status",
            "status must be APPROVED or REJECTED: a review decides",
        ));
    }
    if current != ReviewStatus::PendingReview {
        return Err(ApiError::bad_input(
            "status",
            format!(
                "only PENDING_REVIEW assets can be reviewed; this asset is {}",
                current.api_name()
            ),
        ));
    }
    Ok(decision)
}

/// Whether an asset may be used now: approved, and its usage rights not expired.
pub fn is_usable(asset: &MediaAsset, now: chrono::DateTime<chrono::Utc>) -> bool {
    asset.review_status == ReviewStatus::Approved
        && asset.rights.expires_at.is_none_or(|end| end > now)
}

/// Whether a change touches what the audience sees, so that an approval no longer holds.
pub fn needs_new_review(before: &MediaAsset, after: &MediaAsset) -> bool {
    before.kind != after.kind
        || before.url != after.url
        || before.thumbnail_url != after.thumbnail_url
        || before.description != after.description
        || before.hashtags != after.hashtags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_assets_are_reviewed_and_only_to_a_decision() {
        use ReviewStatus::*;
        assert_eq!(review(PendingReview, Approved).ok(), Some(Approved));
        assert_eq!(review(PendingReview, Rejected).ok(), Some(Rejected));
        for (current, decision) in [
            (Approved, Rejected),
            (Rejected, Approved),
            (PendingReview, PendingReview),
        ] {
            match review(current, decision) {
                Err(ApiError::BadInput { field, .. }) => assert_eq!(field, "status"),
                other => panic!("{current:?} -> {decision:?} gave {other:?}"),
            }
        }
    }
}
