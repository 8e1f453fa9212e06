//! The stored strings of every ads enum, pinned: they are in the database, in the demo plan
//! and in the sales summaries (ads stores lower-case codes), so renaming a variant or
//! changing the naming scheme must fail here first.

use promptsales_kit::names::assert_pinned;

use super::{AdChannel, AdStatus, BidStrategy};

#[test]
fn channels() {
    use AdChannel::*;
    assert_pinned(&[
        (Facebook, "facebook"),
        (Instagram, "instagram"),
        (Youtube, "youtube"),
        (Tiktok, "tiktok"),
        (Google, "google"),
        (Linkedin, "linkedin"),
        (Email, "email"),
        (Sms, "sms"),
        (Influencer, "influencer"),
        (Tv, "tv"),
        (Radio, "radio"),
        (Print, "print"),
    ]);
    assert_eq!(AdChannel::from_code("myspace"), None);
    assert_eq!(Linkedin.code(), "linkedin");
    assert_eq!(AdChannel::from_code("tiktok"), Some(Tiktok));
}

#[test]
fn bid_strategies() {
    use BidStrategy::*;
    assert_pinned(&[
        (LowestCost, "lowest_cost"),
        (CostCap, "cost_cap"),
        (BidCap, "bid_cap"),
        (TargetCpa, "target_cpa"),
        (TargetRoas, "target_roas"),
        (ManualCpc, "manual_cpc"),
    ]);
    assert_eq!(TargetRoas.code(), "target_roas");
    assert_eq!(BidStrategy::from_code("manual_cpc"), Some(ManualCpc));
}

#[test]
fn statuses() {
    use AdStatus::*;
    assert_pinned(&[
        (Draft, "draft"),
        (Scheduled, "scheduled"),
        (Running, "running"),
        (Paused, "paused"),
        (Ended, "ended"),
    ]);
    assert_eq!(Paused.code(), "paused");
    assert_eq!(AdStatus::from_code("ended"), Some(Ended));
}
