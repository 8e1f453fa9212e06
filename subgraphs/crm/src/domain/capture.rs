//! Lead capture: a person raised by a campaign through a form, an ad or a message.
//!
//! A capture names the person (the e-mail is what identifies them) and the
//! attribution (campaign, source channel, ad). The store merges it into the
//! customer it already knows by the e-mail's blind index, and into that
//! customer's open lead of the same campaign, so repeated or concurrent
//! captures of one person never make duplicates.

use chrono::{DateTime, Utc};
use promptsales_kit::Decimal4;
use uuid::Uuid;

use super::customer::{self, NewCustomer};
use super::interaction::InteractionChannel;
use super::lead::LeadSource;
use super::{Invalid, optional_text};

/// A capture, validated and normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadCapture {
    /// The person (normalized; `id` unused: a new customer gets a new id).
    pub customer: NewCustomer,
    /// The campaign credited.
    pub campaign_id: Uuid,
    /// The channel it came from.
    pub source: LeadSource,
    /// The ad it came from.
    pub source_ad_id: Option<Uuid>,
    /// The deal's estimated value.
    pub estimated_value: Decimal4,
    /// Engagement with the organization's ads before the capture (clicks, reactions).
    pub ad_clicks: i32,
    /// Consent to marketing messages given with the capture.
    pub consent_marketing: bool,
    /// A message the person sent with it, recorded as an inbound interaction.
    pub message: Option<String>,
    /// The channel of that message.
    pub message_channel: InteractionChannel,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
}

/// What a capture did.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureOutcome {
    /// The customer (new or known).
    pub customer_id: Uuid,
    /// The lead (new or merged into).
    pub lead_id: Uuid,
    /// Whether the customer was new.
    pub new_customer: bool,
    /// Whether the lead was new.
    pub new_lead: bool,
}

/// Validates a capture's values (the customer's rules, plus attribution and counters).
pub fn validate(capture: LeadCapture) -> Result<LeadCapture, Invalid> {
    let customer = customer::validate(capture.customer)?;
    if capture.estimated_value.is_negative() {
        return Err(Invalid::new(
            "input.estimatedValue",
            "input.estimatedValue must be >= 0",
        ));
    }
    if capture.ad_clicks < 0 {
        return Err(Invalid::new(
            "input.adClicks",
            "input.adClicks must be >= 0",
        ));
    }
    let message = optional_text("input.message", capture.message, 4000)?;
    Ok(LeadCapture {
        customer,
        message,
        ..capture
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_are_normalized_and_checked() {
        let capture = LeadCapture {
            customer: NewCustomer {
                organization_id: Uuid::nil(),
                full_name: " Ana ".into(),
                email: "ANA@Example.com".into(),
                ..Default::default()
            },
            campaign_id: Uuid::nil(),
            source: LeadSource::Instagram,
            source_ad_id: None,
            estimated_value: Decimal4::ZERO,
            ad_clicks: 3,
            consent_marketing: true,
            message: Some("  ".into()),
            message_channel: InteractionChannel::Web,
            captured_at: Utc::now(),
        };
        let ok = validate(capture.clone()).unwrap();
        assert_eq!(ok.customer.email, "ana@example.com");
        assert_eq!(ok.message, None);
        assert_eq!(
            validate(LeadCapture {
                ad_clicks: -1,
                ..capture.clone()
            })
            .unwrap_err()
            .field,
            "input.adClicks"
        );
        assert_eq!(
            validate(LeadCapture {
                estimated_value: Decimal4(-1),
                ..capture
            })
            .unwrap_err()
            .field,
            "input.estimatedValue"
        );
    }
}
