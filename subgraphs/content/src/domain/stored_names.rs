//! The stored strings of every content enum with a derived table, pinned: they are in the
//! database and on the wire, so renaming a variant or changing the naming scheme must fail
//! here first. (`Angle` and `Language` keep their own tables: a fixed-length set that sizes
//! the generation, and a parser with its own rules for what clients may write.)

use promptsales_kit::names::assert_pinned;

use super::asset::{AssetKind, ReviewStatus};
use super::channel::Channel;
use super::outreach::{JobStatus, OutreachStatus};
use super::services::ServiceKind;
use super::template::TemplatePurpose;

#[test]
fn assets_and_reviews() {
    use AssetKind::*;
    assert_pinned(&[
        (Image, "image"),
        (Video, "video"),
        (Text, "text"),
        (Audio, "audio"),
    ]);
    use ReviewStatus::*;
    assert_pinned(&[
        (PendingReview, "pending_review"),
        (Approved, "approved"),
        (Rejected, "rejected"),
    ]);
}

#[test]
fn channels() {
    use Channel::*;
    assert_pinned(&[
        (Linkedin, "linkedin"),
        (Email, "email"),
        (Instagram, "instagram"),
        (Facebook, "facebook"),
        (Tiktok, "tiktok"),
        (X, "x"),
        (Blog, "blog"),
        (SearchAd, "search_ad"),
    ]);
}

#[test]
fn outreach_services_and_templates() {
    use OutreachStatus::*;
    assert_pinned(&[
        (Generated, "generated"),
        (Failed, "failed"),
        (Sent, "sent"),
        (Replied, "replied"),
    ]);
    assert_pinned(&[
        (JobStatus::Running, "running"),
        (JobStatus::Completed, "completed"),
    ]);
    use ServiceKind::*;
    assert_pinned(&[
        (Design, "design"),
        (Social, "social"),
        (ModelProvider, "model_provider"),
        (Other, "other"),
    ]);
    use TemplatePurpose::*;
    assert_pinned(&[
        (CampaignContent, "campaign_content"),
        (Outreach, "outreach"),
    ]);
}
