//! Outreach: prospect profiles, the messages written for them, batch jobs and their progress.

use promptsales_kit::StrEnum;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use promptsales_kit::ApiError;
use promptsales_kit::ai::ChatMessage;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::channel::Channel;
use super::text::{optional_text, required_text};

/// Most prospects in one batch.
pub const MAX_BATCH: usize = 500;
/// The longest name, role or company.
pub const MAX_FIELD_CHARS: usize = 120;
/// The longest notes.
pub const MAX_NOTES_CHARS: usize = 1000;

/// Who a message is for (personal data: sealed at rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prospect {
    /// Full name.
    pub name: String,
    /// Role or title.
    pub role: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// What we know (recent post, shared interest).
    pub notes: Option<String>,
}

/// Validates one profile; errors name `{field}.name` and so on (`prospects[3].name`).
pub fn validate_prospect(field: &str, raw: Prospect) -> Result<Prospect, ApiError> {
    Ok(Prospect {
        name: required_text(&format!("{field}.name"), &raw.name, MAX_FIELD_CHARS)?,
        role: optional_text(
            &format!("{field}.role"),
            raw.role.as_deref(),
            MAX_FIELD_CHARS,
        )?,
        company: optional_text(
            &format!("{field}.company"),
            raw.company.as_deref(),
            MAX_FIELD_CHARS,
        )?,
        notes: optional_text(
            &format!("{field}.notes"),
            raw.notes.as_deref(),
            MAX_NOTES_CHARS,
        )?,
    })
}

/// The outreach channel, checked.
pub fn outreach_channel(field: &str, channel: Channel) -> Result<Channel, ApiError> {
    if channel.is_outreach() {
        Ok(channel)
    } else {
        Err(ApiError::bad_input(
            field,
            format!("{field} must be LINKEDIN or EMAIL for outreach"),
        ))
    }
}

/// What the sender offers, and who signs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pitch {
    /// The offer in a sentence.
    pub offer: String,
    /// The signature.
    pub sender_name: Option<String>,
}

/// Placeholder values for one prospect.
pub fn values(
    prospect: &Prospect,
    pitch: &Pitch,
    channel: Channel,
) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("prospect_name", prospect.name.clone()),
        (
            "prospect_role",
            prospect.role.clone().unwrap_or_else(|| "a leader".into()),
        ),
        (
            "prospect_company",
            prospect
                .company
                .clone()
                .unwrap_or_else(|| "your company".into()),
        ),
        // Internal notes inform the writer (see [`messages`]) but are never pasted into what
        // the prospect receives: the placeholder stays empty.
        ("prospect_notes", String::new()),
        ("offer", pitch.offer.clone()),
        ("sender_name", pitch.sender_name.clone().unwrap_or_default()),
        ("channel", channel.label().to_string()),
    ])
}

/// Removes from `text` every sentence that quotes the internal `notes` (a run of six or more
/// of their words, or all of them when shorter): what a customer receives never repeats them.
pub fn without_internal_notes(text: &str, notes: Option<&str>) -> String {
    let Some(notes) = notes.map(str::trim).filter(|n| !n.is_empty()) else {
        return text.to_string();
    };
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let note_words = words(notes);
    let run = note_words.len().min(6);
    let quoted = |sentence: &str| {
        let said = words(sentence);
        run > 0
            && note_words
                .windows(run)
                .any(|window| said.windows(run).any(|w| w == window))
    };
    let mut out = String::new();
    for sentence in text.split_inclusive(['.', '!', '?', '\n']) {
        if !quoted(sentence) {
            out.push_str(sentence);
        }
    }
    out.trim().to_string()
}

/// The chat for one prospect: instructions (with the internal notes as private context that
/// may shape the message but is never quoted), and the filled template as the draft.
pub fn messages(channel: Channel, draft: String, notes: Option<&str>) -> Vec<ChatMessage> {
    let private = notes
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            format!(
                "\nInternal notes about the prospect (private: let them guide tone and angle, \
                 never quote, paraphrase or reveal them): {n}"
            )
        })
        .unwrap_or_default();
    vec![
        ChatMessage::system(format!(
            "You write a short, personal {} message to one prospect. Rewrite the user's draft: keep every \
             fact in it, invent none, sound like a person, one call to action, at most {} characters. \
             Answer with the message only.{private}",
            channel.label(),
            if channel == Channel::Linkedin {
                600
            } else {
                1500
            }
        )),
        ChatMessage::user(draft),
    ]
}

/// Where an outreach message stands.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutreachStatus {
    /// Written, not sent.
    Generated,
    /// Could not be written (the error says why).
    Failed,
    /// Sent.
    Sent,
    /// The prospect replied.
    Replied,
}

/// The next status when a message is marked sent or replied; a failed one can be neither.
pub fn advance(current: OutreachStatus, to: OutreachStatus) -> Result<OutreachStatus, ApiError> {
    use OutreachStatus::*;
    match (current, to) {
        (Generated, Sent) | (Sent, Replied) | (Generated, Replied) => Ok(to),
        (Sent, Sent) | (Replied, Replied) => Ok(current),
        _ => Err(ApiError::bad_input(
            "id",
            format!(
                "a {} message cannot be marked {}",
                current.as_str(),
                to.as_str()
            ),
        )),
    }
}

/// An outreach message with its prospect, opened (plain text in memory only).
#[derive(Debug, Clone, PartialEq)]
pub struct OutreachMessage {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// The batch it belongs to.
    pub job_id: Option<Uuid>,
    /// Its position in the batch.
    pub item_index: i32,
    /// The channel.
    pub channel: Channel,
    /// The template used (None: built-in).
    pub template_id: Option<Uuid>,
    /// Its version.
    pub template_version: Option<i32>,
    /// Who it is for (as given; may be invalid for a failed item).
    pub prospect: Prospect,
    /// The message (None when it failed).
    pub text: Option<String>,
    /// Where it stands.
    pub status: OutreachStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Served from the cache.
    pub from_cache: bool,
    /// Sent at.
    pub sent_at: Option<DateTime<Utc>>,
    /// Replied at.
    pub replied_at: Option<DateTime<Utc>>,
    /// Written at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Where a batch stands.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Items are being written.
    Running,
    /// Every item is done (some may have failed).
    Completed,
}

/// A batch of outreach messages and its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct OutreachJob {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// The channel.
    pub channel: Channel,
    /// The template (None: built-in).
    pub template_id: Option<Uuid>,
    /// Where it stands.
    pub status: JobStatus,
    /// Items.
    pub total: i32,
    /// Items written.
    pub succeeded: i32,
    /// Items failed.
    pub failed: i32,
    /// When the last item finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Started at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl OutreachJob {
    /// Items finished, written or failed.
    pub fn done(&self) -> i32 {
        self.succeeded + self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_notes_never_reach_the_prospect() {
        let notes = "Met at the Bilbao fair, budget frozen until March, boss is difficult";
        let text = "Hi Ana. Met at the Bilbao fair, budget frozen until March, boss is difficult. \
                    Our offer saves 20%. Open to a call?";
        let clean = without_internal_notes(text, Some(notes));
        assert!(!clean.contains("budget frozen"), "{clean}");
        assert!(clean.contains("Our offer saves 20%"), "{clean}");
        assert_eq!(without_internal_notes(text, None), text);
        let chat = messages(Channel::Email, "Hi Ana".into(), Some(notes));
        assert_eq!(chat.len(), 2, "the notes are private context, not a draft");
    }

    #[test]
    fn a_profile_without_a_name_is_refused_naming_the_item() {
        let bad = validate_prospect(
            "prospects[2]",
            Prospect {
                name: "  ".into(),
                role: Some("CTO".into()),
                company: None,
                notes: None,
            },
        );
        assert!(
            matches!(bad, Err(ApiError::BadInput { ref field, .. }) if field == "prospects[2].name")
        );
    }

    #[test]
    fn messages_move_forward_only() {
        use OutreachStatus::*;
        assert_eq!(advance(Generated, Sent).ok(), Some(Sent));
        assert_eq!(advance(Sent, Replied).ok(), Some(Replied));
        assert!(advance(Failed, Sent).is_err());
        assert!(advance(Replied, Sent).is_err());
    }
}
