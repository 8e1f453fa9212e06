//! The stored strings of every crm enum, pinned: they are in the database and on the
//! wire (crm stores SCREAMING_SNAKE_CASE codes), so renaming a variant or changing the
//! naming scheme must fail here first.

use promptsales_kit::StrEnum;
use promptsales_kit::names::assert_pinned;

use super::interaction::{Actor, Direction, InteractionChannel};
use super::lead::{LeadSource, LeadStage};
use crate::crypto::keyring::KeyPurpose;

#[test]
fn leads() {
    use LeadSource::*;
    assert_pinned(&[
        (Facebook, "FACEBOOK"),
        (Instagram, "INSTAGRAM"),
        (Youtube, "YOUTUBE"),
        (Tiktok, "TIKTOK"),
        (Google, "GOOGLE"),
        (Linkedin, "LINKEDIN"),
        (Email, "EMAIL"),
        (Sms, "SMS"),
        (Influencer, "INFLUENCER"),
        (Web, "WEB"),
        (Referral, "REFERRAL"),
        (Event, "EVENT"),
        (Other, "OTHER"),
    ]);
    use LeadStage::*;
    assert_pinned(&[
        (Iql, "IQL"),
        (Mql, "MQL"),
        (Sql, "SQL"),
        (Opportunity, "OPPORTUNITY"),
        (Won, "WON"),
        (Lost, "LOST"),
    ]);
    // Parsing is exact: the ads channel code is upper-cased by `from_channel`, not by `parse`.
    assert_eq!(LeadStage::parse("won"), None);
    assert_eq!(LeadSource::from_channel("instagram"), Some(Instagram));
}

#[test]
fn interactions() {
    use InteractionChannel::*;
    assert_pinned(&[
        (Whatsapp, "WHATSAPP"),
        (Chat, "CHAT"),
        (Email, "EMAIL"),
        (Call, "CALL"),
        (Sms, "SMS"),
        (Web, "WEB"),
    ]);
    assert_pinned(&[
        (Direction::Inbound, "INBOUND"),
        (Direction::Outbound, "OUTBOUND"),
    ]);
    assert_pinned(&[(Actor::Bot, "BOT"), (Actor::Agent, "AGENT")]);
}

#[test]
fn key_purposes() {
    assert_pinned(&[(KeyPurpose::Data, "DATA"), (KeyPurpose::Index, "INDEX")]);
}
