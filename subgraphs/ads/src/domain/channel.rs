//! Where an ad runs.

/// The channels an ad can run on; stored as the lower-case `code()`.
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
    /// Every channel, in declaration order.
    pub const ALL: [Self; 12] = [
        Self::Facebook,
        Self::Instagram,
        Self::Youtube,
        Self::Tiktok,
        Self::Google,
        Self::Linkedin,
        Self::Email,
        Self::Sms,
        Self::Influencer,
        Self::Tv,
        Self::Radio,
        Self::Print,
    ];

    /// The stored code, the same one the demo plan and the sales summaries use.
    pub fn code(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
            Self::Youtube => "youtube",
            Self::Tiktok => "tiktok",
            Self::Google => "google",
            Self::Linkedin => "linkedin",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Influencer => "influencer",
            Self::Tv => "tv",
            Self::Radio => "radio",
            Self::Print => "print",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for channel in AdChannel::ALL {
            assert_eq!(AdChannel::from_code(channel.code()), Some(channel));
        }
        assert_eq!(AdChannel::from_code("myspace"), None);
    }
}
