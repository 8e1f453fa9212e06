//! Which channels can serve in which countries.
//!
//! A launch refuses an ad on a channel that does not operate in its market's
//! country (the platform would reject it after the budget was committed).
//! The list holds the long-standing national blocks; every other pair is open.

use super::AdChannel;

/// Countries (ISO 3166-1 alpha-2) where `channel` cannot serve ads.
pub fn blocked_countries(channel: AdChannel) -> &'static [&'static str] {
    match channel {
        // Meta's and Google's consumer services are blocked in mainland China;
        // Meta's in Russia, Iran and North Korea too.
        AdChannel::Facebook | AdChannel::Instagram => &["CN", "RU", "IR", "KP"],
        AdChannel::Google | AdChannel::Youtube => &["CN", "KP"],
        // TikTok is banned in India; in China the same company runs Douyin instead.
        AdChannel::Tiktok => &["CN", "IN", "KP"],
        // LinkedIn withdrew from China and is blocked in Russia.
        AdChannel::Linkedin => &["CN", "RU", "KP"],
        _ => &[],
    }
}

/// Whether `channel` serves ads in `country` (upper-case alpha-2).
pub fn serves(channel: AdChannel, country: &str) -> bool {
    !blocked_countries(channel).contains(&country)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_blocks_are_refused_and_the_rest_is_open() {
        assert!(!serves(AdChannel::Tiktok, "IN"));
        assert!(!serves(AdChannel::Linkedin, "RU"));
        assert!(serves(AdChannel::Tiktok, "ES"));
        assert!(serves(AdChannel::Email, "CN"));
    }
}
