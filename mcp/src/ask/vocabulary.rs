//! Channels, lead stages, campaign statuses and ranking measures named in a question,
//! with the GraphQL enum values they stand for.

use serde::Serialize;

/// A marketing channel: the ads `AdChannel` value and the crm `LeadSource` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Channel {
    /// The `AdChannel` value (`TIKTOK`).
    pub value: &'static str,
    /// How the answer names it.
    pub label: &'static str,
}

/// Words (or word pairs, space separated) for each channel.
const CHANNELS: &[(&[&str], &str, &str)] = &[
    (&["tiktok", "tik tok"], "TIKTOK", "TikTok"),
    (&["instagram", "insta", "ig"], "INSTAGRAM", "Instagram"),
    (&["facebook", "fb"], "FACEBOOK", "Facebook"),
    (&["google", "adwords", "search ads"], "GOOGLE", "Google"),
    (&["linkedin", "linked in"], "LINKEDIN", "LinkedIn"),
    (&["youtube", "you tube"], "YOUTUBE", "YouTube"),
    (
        &[
            "email",
            "e mail",
            "emails",
            "mail",
            "newsletter",
            "newsletters",
        ],
        "EMAIL",
        "e-mail",
    ),
    (&["sms", "text messages", "texts"], "SMS", "SMS"),
    (&["influencer", "influencers"], "INFLUENCER", "influencers"),
    (&["tv", "television"], "TV", "TV"),
    (&["radio"], "RADIO", "radio"),
    (&["print", "press"], "PRINT", "print"),
];

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let parts: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(parts.len())
        .any(|w| w.iter().zip(&parts).all(|(a, b)| a == b))
}

/// The channels a question names, in the catalogue's order, each once.
pub fn channels(words: &[String]) -> Vec<Channel> {
    CHANNELS
        .iter()
        .filter(|(names, _, _)| names.iter().any(|n| contains_phrase(words, n)))
        .map(|(_, value, label)| Channel { value, label })
        .collect()
}

/// How an ad ranking is ordered (`AdRankingMetric`).
pub fn ranking_metric(words: &[String]) -> Option<&'static str> {
    let has = |w: &str| words.iter().any(|x| x == w);
    if has("ctr") || contains_phrase(words, "click through") || has("clickthrough") {
        Some("CTR")
    } else if has("roas") || has("return") || has("roi") {
        Some("ROAS")
    } else if has("conversions") || has("conversion") || has("converting") || has("converted") {
        Some("CONVERSIONS")
    } else {
        None
    }
}

/// The campaign statuses a question names (`CampaignStatus` values).
pub fn statuses(words: &[String]) -> Vec<&'static str> {
    let table: &[(&[&str], &str)] = &[
        (&["running", "active", "live"], "ACTIVE"),
        (&["paused"], "PAUSED"),
        (&["completed", "finished", "ended"], "COMPLETED"),
        (&["draft", "drafts"], "DRAFT"),
        (&["cancelled", "canceled"], "CANCELLED"),
        (&["approved"], "APPROVED"),
    ];
    table
        .iter()
        .filter(|(names, _)| names.iter().any(|n| words.iter().any(|w| w == n)))
        .map(|(_, v)| *v)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::words::plain;

    #[test]
    fn channels_are_found_in_several_spellings() {
        let found =
            |q: &str| -> Vec<&str> { channels(&plain(q)).iter().map(|c| c.value).collect() };
        assert_eq!(
            found("what did we spend on TikTok this quarter?"),
            ["TIKTOK"]
        );
        assert_eq!(found("Tik Tok and E-mail"), ["TIKTOK", "EMAIL"]);
        assert_eq!(found("Instagram vs Google"), ["INSTAGRAM", "GOOGLE"]);
        assert!(found("which campaigns are running").is_empty());
    }

    #[test]
    fn ranking_measures_and_statuses() {
        assert_eq!(ranking_metric(&plain("top ads by CTR")), Some("CTR"));
        assert_eq!(
            ranking_metric(&plain("best ads by return on ad spend")),
            Some("ROAS")
        );
        assert_eq!(ranking_metric(&plain("top ads")), None);
        assert_eq!(
            statuses(&plain("which campaigns are running or paused")),
            ["ACTIVE", "PAUSED"]
        );
    }
}
