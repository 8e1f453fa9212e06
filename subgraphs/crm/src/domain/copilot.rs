//! The copilot's draft: a complete, sendable reply built from the lead's
//! history, which the AI model rewrites (or which the offline default sends
//! as it is).

use super::interaction::{Direction, Interaction, InteractionChannel};
use super::lead::{Lead, LeadStage};

/// The instructions given to the model.
pub const INSTRUCTIONS: &str = "You are a sales copilot. Rewrite the draft reply to the customer: \
    friendly, concrete, in the customer's language, at most 400 characters, ending with one question. \
    Never invent prices, dates or promises that are not in the draft.";

/// The customer's first name, or nothing when unknown (erased customers included).
pub fn first_name(full_name: &str) -> Option<&str> {
    full_name.split_whitespace().next()
}

/// A draft reply from the lead's stage and its latest messages (newest first).
pub fn draft(full_name: &str, lead: &Lead, history: &[Interaction]) -> String {
    let greeting = match first_name(full_name) {
        Some(name) => format!("Hi {name},"),
        None => "Hello,".to_string(),
    };
    // Only the customer's own written words are quoted back: a call's summary is the agent's
    // internal note of it, even when the call was inbound.
    let last_inbound = history
        .iter()
        .find(|i| i.direction == Direction::Inbound && i.channel != InteractionChannel::Call)
        .and_then(|i| i.summary.as_deref());
    let acknowledgement = match last_inbound {
        Some(summary) => format!(" thank you for your message (\"{}\").", clip(summary, 160)),
        None => " thank you for your interest.".to_string(),
    };
    let next = match lead.stage {
        LeadStage::Iql | LeadStage::Mql => {
            " I'd be glad to tell you more about what we offer. What are you looking for, and when would you need it?"
        }
        LeadStage::Sql => " Could we book a short call this week to see how we can help you?",
        LeadStage::Opportunity => {
            " I can prepare a proposal for you. Is there anything else you need before deciding?"
        }
        LeadStage::Won => " Thank you for choosing us. Is everything going well so far?",
        LeadStage::Lost => {
            " We'd love to help you again whenever it suits you. Is there anything we could do better?"
        }
    };
    format!("{greeting}{acknowledgement}{next}")
}

fn clip(text: &str, max_chars: usize) -> String {
    let mut clipped: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        clipped.push('…');
    }
    clipped
}

/// The model's reply, trimmed; the draft when the model returned nothing usable.
pub fn final_text(model_text: &str, draft: &str) -> String {
    let text = model_text.trim();
    if text.is_empty() {
        draft.to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::interaction::Actor;
    use chrono::Utc;
    use uuid::Uuid;

    fn said(channel: InteractionChannel, summary: &str) -> Interaction {
        let now = Utc::now();
        Interaction {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            lead_id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            channel,
            direction: Direction::Inbound,
            actor: Actor::Agent,
            agent_id: None,
            summary: Some(summary.into()),
            sentiment: None,
            occurred_at: now,
            created_at: now,
        }
    }

    #[test]
    fn an_agents_call_note_is_never_quoted_to_the_customer() {
        let note = said(
            InteractionChannel::Call,
            "Price sensitive, wife decides, call back Tuesday",
        );
        let asked = said(InteractionChannel::Email, "Is the boot waterproof?");
        let lead = Lead {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            campaign_id: Uuid::now_v7(),
            source: crate::domain::lead::LeadSource::Instagram,
            source_ad_id: None,
            stage: LeadStage::Mql,
            score: 0,
            purchase_intent: 0.0,
            assigned_agent_id: None,
            version: 1,
            last_interaction_at: None,
            estimated_value: promptsales_kit::Decimal4::ZERO,
            ad_clicks: 0,
            queue_key: None,
            claimed_at: None,
            last_contacted_at: None,
            score_reasons: Vec::new(),
            scored_at: None,
            scored_by: None,
            captures: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let reply = draft("Lucía Gómez", &lead, &[note.clone(), asked]);
        assert!(!reply.contains("Price sensitive"), "{reply}");
        assert!(reply.contains("waterproof"), "{reply}");
        let only_note = draft("Lucía Gómez", &lead, &[note]);
        assert!(!only_note.contains("Price sensitive"), "{only_note}");
    }
}
