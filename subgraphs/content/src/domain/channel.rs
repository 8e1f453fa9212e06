//! Channels content is written for, and what each one asks of the text.

/// Where a message is published or sent.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// LinkedIn posts and messages.
    Linkedin,
    /// E-mail.
    Email,
    /// Instagram.
    Instagram,
    /// Facebook.
    Facebook,
    /// TikTok.
    Tiktok,
    /// X (Twitter).
    X,
    /// A blog or landing page (search engines read it).
    Blog,
    /// A search ad.
    SearchAd,
}

impl Channel {
    /// The channel's display name, for prompts.
    pub fn label(self) -> &'static str {
        match self {
            Self::Linkedin => "LinkedIn",
            Self::Email => "e-mail",
            Self::Instagram => "Instagram",
            Self::Facebook => "Facebook",
            Self::Tiktok => "TikTok",
            Self::X => "X",
            Self::Blog => "blog article",
            Self::SearchAd => "search ad",
        }
    }

    /// The longest text the channel takes (characters).
    pub fn max_chars(self) -> usize {
        match self {
            Self::Linkedin => 1300,
            Self::Email => 2000,
            Self::Instagram => 2200,
            Self::Facebook => 1500,
            Self::Tiktok => 2200,
            Self::X => 280,
            Self::Blog => 4000,
            Self::SearchAd => 270,
        }
    }

    /// How many hashtags suit the channel (0: none).
    pub fn hashtag_count(self) -> usize {
        match self {
            Self::Instagram => 8,
            Self::Tiktok => 5,
            Self::Linkedin | Self::Facebook => 3,
            Self::X => 2,
            Self::Email | Self::Blog | Self::SearchAd => 0,
        }
    }

    /// Whether the text starts with a `Subject:` or title line.
    pub fn has_title(self) -> bool {
        matches!(self, Self::Email | Self::Blog)
    }

    /// Whether prospects can be reached one by one on it (outreach).
    pub fn is_outreach(self) -> bool {
        matches!(self, Self::Linkedin | Self::Email)
    }

    /// Style rules for the model, including search and AI answer engines.
    pub fn style(self) -> &'static str {
        match self {
            Self::Linkedin => {
                "professional, first line a hook, short paragraphs, 3 hashtags at the end"
            }
            Self::Email => {
                "a 'Subject:' line under 60 characters, then a personal, scannable body with one call to action"
            }
            Self::Instagram => "visual and warm, emojis sparingly, up to 8 hashtags at the end",
            Self::Facebook => "conversational, one question to invite comments, 3 hashtags",
            Self::Tiktok => "energetic, spoken style for a caption, 5 hashtags",
            Self::X => "at most 280 characters, 2 hashtags",
            Self::Blog => "a question-style title, a one-sentence direct answer first, then detail",
            Self::SearchAd => "a headline and a description, keywords first, no hashtags",
        }
    }
}

/// The rules every generation follows so that search engines and AI answer engines pick the text up.
pub const SEARCH_AND_ANSWER_ENGINE_RULES: &str = "Put the main keywords in the first sentence. \
Include one plain sentence that directly answers the audience's likely question (starting 'In short:'), \
so that search engines show it as a snippet and AI answer engines can quote it. Name the brand and the \
offer explicitly; avoid vague pronouns; no invented facts, figures or claims beyond the brief.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outreach_channels() {
        assert!(Channel::Email.is_outreach() && !Channel::Instagram.is_outreach());
    }
}
