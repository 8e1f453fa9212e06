//! Where an ad runs.

use promptsales_kit::StrEnum;

/// The channels an ad can run on; stored as the lower-case `code()`.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdChannel {
    /// Facebook (Meta).
    Facebook,
    /// Instagram (Meta).
    Instagram,
    /// YouTube (Google).
    Youtube,
    /// TikTok.
    Tiktok,
    /// Google Search and Display.
    Google,
    /// LinkedIn.
    Linkedin,
    /// E-mail campaigns.
    Email,
    /// SMS campaigns.
    Sms,
    /// Influencer placements.
    Influencer,
    /// Television.
    Tv,
    /// Radio.
    Radio,
    /// Print media.
    Print,
}

impl AdChannel {
    /// The stored code ([`StrEnum::as_str`]), the same one the demo plan and the sales
    /// summaries use.
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// Reads a stored code ([`StrEnum::parse`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::parse(code)
    }
}
