//! `Interaction`, its enums and inputs.

use async_graphql::{Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::references::User;
use crate::domain::interaction as domain;
use crate::store;

/// The channel of an interaction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
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

/// Who started an exchange.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionDirection {
    /// From the customer.
    Inbound,
    /// To the customer.
    Outbound,
}

/// Who handled an interaction on the organization's side.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionActor {
    /// An automated assistant.
    Bot,
    /// A human sales agent.
    Agent,
}

macro_rules! mirror {
    ($graphql:ident, $domain:path, [$($variant:ident),*]) => {
        impl From<$graphql> for $domain {
            fn from(value: $graphql) -> Self {
                match value { $($graphql::$variant => Self::$variant),* }
            }
        }
        impl From<$domain> for $graphql {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => Self::$variant),* }
            }
        }
    };
}

mirror!(
    InteractionChannel,
    domain::InteractionChannel,
    [Whatsapp, Chat, Email, Call, Sms, Web]
);
mirror!(InteractionDirection, domain::Direction, [Inbound, Outbound]);
mirror!(InteractionActor, domain::Actor, [Bot, Agent]);

/// A contact with a lead: channel, direction, who, what and how it felt.
pub struct Interaction(pub store::Interaction);

/// A contact with a lead: channel, direction, who, what and how it felt. Its summary is personal data.
#[Object(cache_control(max_age = 30, private))]
impl Interaction {
    /// The interaction's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The lead's id.
    async fn lead_id(&self) -> ID {
        ID(self.0.lead_id.to_string())
    }

    /// Channel.
    async fn channel(&self) -> InteractionChannel {
        self.0.channel.into()
    }

    /// Direction.
    async fn direction(&self) -> InteractionDirection {
        self.0.direction.into()
    }

    /// Bot or agent.
    async fn actor(&self) -> InteractionActor {
        self.0.actor.into()
    }

    /// The agent who handled it.
    async fn agent(&self) -> Option<User> {
        self.0.agent_id.map(User::reference)
    }

    /// What was said, in short (encrypted at rest; absent once erased).
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Sentiment, -1 (negative) .. 1 (positive).
    async fn sentiment(&self) -> Option<f64> {
        self.0.sentiment
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An interaction to record on a lead.
#[derive(InputObject, Debug, Clone)]
pub struct RecordInteractionInput {
    /// The lead.
    pub lead_id: ID,
    /// Channel.
    pub channel: InteractionChannel,
    /// Direction.
    pub direction: InteractionDirection,
    /// Bot or agent.
    pub actor: InteractionActor,
    /// The agent (a user id); for agent interactions, default the caller.
    pub agent_id: Option<ID>,
    /// What was said, in short.
    pub summary: Option<String>,
    /// Sentiment, -1..1.
    pub sentiment: Option<f64>,
    /// When it happened (default now).
    pub occurred_at: Option<DateTime<Utc>>,
}
