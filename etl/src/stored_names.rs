//! The stored names of the ETL's groups and sources, pinned: a group's name is its lease's
//! and a source's is its watermark's key (both in sales' tables) and its metrics' label, so
//! renaming a variant must fail here first.

use promptsales_kit::StrEnum;
use promptsales_kit::names::assert_pinned;

use super::{Group, Source};

#[test]
fn groups_and_sources() {
    assert_pinned(&[
        (Group::Ads, "ads"),
        (Group::Crm, "crm"),
        (Group::Content, "content"),
    ]);
    use Source::*;
    assert_pinned(&[
        (AdMetrics, "ads.ad_metrics"),
        (Leads, "crm.leads"),
        (Sales, "crm.sales"),
        (MediaAssets, "content.media_assets"),
        (GeneratedContent, "content.generated_content"),
    ]);
    assert_eq!(Group::Crm.name(), "crm");
    assert_eq!(MediaAssets.name(), "content.media_assets");
    // Every source is read by its own group's cycle, once.
    for source in Source::ALL {
        let group = source.group();
        assert_eq!(
            group.sources().iter().filter(|s| *s == source).count(),
            1,
            "{source:?} in {group:?}"
        );
    }
}
