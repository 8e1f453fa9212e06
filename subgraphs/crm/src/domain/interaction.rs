//! Interactions: every contact with a lead, on which channel, in which direction, by whom.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{CLOCK_SKEW, Invalid, optional_text};

/// The channel of an interaction.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InteractionChannel {
    /// WhatsApp.
    Whatsapp,
    /// Web or in-app chat.
    Chat,
    /// E-mail.
    Email,
    /// A phone call.
    Call,
    /// SMS.
    Sms,
    /// The web site (a form, a visit).
    Web,
}

/// Who started the exchange.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the customer.
    Inbound,
    /// To the customer.
    Outbound,
}

/// Who handled it on the organization's side.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// An automated assistant (the copilot's replies when sent, chat bots).
    Bot,
    /// A human sales agent.
    Agent,
}

/// A recorded interaction (its summary in clear: only ever in memory).
#[derive(Clone, PartialEq)]
pub struct Interaction {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The tenant.
    pub organization_id: Uuid,
    /// The lead it is about.
    pub lead_id: Uuid,
    /// The lead's customer.
    pub customer_id: Uuid,
    /// Channel.
    pub channel: InteractionChannel,
    /// Direction.
    pub direction: Direction,
    /// Bot or agent.
    pub actor: Actor,
    /// The agent (a user), when an agent handled it.
    pub agent_id: Option<Uuid>,
    /// What was said, in short (erased with the customer).
    pub summary: Option<String>,
    /// Sentiment, -1 (negative) .. 1 (positive).
    pub sentiment: Option<f64>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Interaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interaction")
            .field("id", &self.id)
            .field("lead_id", &self.lead_id)
            .field("channel", &self.channel)
            .field("direction", &self.direction)
            .field("summary", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// An interaction to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    /// The lead.
    pub lead_id: Uuid,
    /// Channel.
    pub channel: InteractionChannel,
    /// Direction.
    pub direction: Direction,
    /// Bot or agent.
    pub actor: Actor,
    /// The agent, for agent interactions.
    pub agent_id: Option<Uuid>,
    /// Summary.
    pub summary: Option<String>,
    /// Sentiment -1..1.
    pub sentiment: Option<f64>,
    /// When it happened (default now), not in the future.
    pub occurred_at: DateTime<Utc>,
}

/// Validates and normalizes an interaction.
pub fn validate(new: NewInteraction, now: DateTime<Utc>) -> Result<NewInteraction, Invalid> {
    let summary = optional_text("input.summary", new.summary, 4000)?;
    if let Some(s) = new.sentiment
        && !(s.is_finite() && (-1.0..=1.0).contains(&s))
    {
        return Err(Invalid::new(
            "input.sentiment",
            format!("input.sentiment must be between -1 and 1, got {s}"),
        ));
    }
    if new.occurred_at > now + CLOCK_SKEW {
        return Err(Invalid::new(
            "input.occurredAt",
            "input.occurredAt must not be in the future",
        ));
    }
    if new.actor == Actor::Bot && new.agent_id.is_some() {
        return Err(Invalid::new(
            "input.agentId",
            "input.agentId is for interactions handled by an agent, not a bot",
        ));
    }
    Ok(NewInteraction { summary, ..new })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentiment_dates_and_actors_are_checked() {
        let now = Utc::now();
        let ok = NewInteraction {
            lead_id: Uuid::nil(),
            channel: InteractionChannel::Whatsapp,
            direction: Direction::Inbound,
            actor: Actor::Agent,
            agent_id: Some(Uuid::nil()),
            summary: Some("  asked for a price ".into()),
            sentiment: Some(0.4),
            occurred_at: now,
        };
        assert_eq!(
            validate(ok.clone(), now).unwrap().summary.as_deref(),
            Some("asked for a price")
        );
        let field = |n: NewInteraction| validate(n, now).unwrap_err().field;
        assert_eq!(
            field(NewInteraction {
                sentiment: Some(1.5),
                ..ok.clone()
            }),
            "input.sentiment"
        );
        assert_eq!(
            field(NewInteraction {
                sentiment: Some(f64::NAN),
                ..ok.clone()
            }),
            "input.sentiment"
        );
        assert_eq!(
            field(NewInteraction {
                occurred_at: now + chrono::Duration::hours(2),
                ..ok.clone()
            }),
            "input.occurredAt"
        );
        assert_eq!(
            field(NewInteraction {
                actor: Actor::Bot,
                ..ok
            }),
            "input.agentId"
        );
    }
}
