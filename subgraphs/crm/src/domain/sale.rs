//! Sales: money a customer paid, optionally closing a lead of a campaign.

use chrono::{DateTime, Utc};
use promptsales_kit::{Decimal4, Money};
use uuid::Uuid;

use super::lead::Lead;
use super::{CLOCK_SKEW, Invalid};

/// A closed sale.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The tenant.
    pub organization_id: Uuid,
    /// Who bought.
    pub customer_id: Uuid,
    /// The lead it closed, if any.
    pub lead_id: Option<Uuid>,
    /// The campaign credited (owned by the sales subgraph).
    pub campaign_id: Uuid,
    /// The product sold (owned by the sales subgraph), when known.
    pub product_id: Option<Uuid>,
    /// Amount, > 0.
    pub amount: Decimal4,
    /// ISO 4217 currency.
    pub currency: String,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A sale to record; `id` is generated when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSale {
    /// A caller-chosen id, else a new one.
    pub id: Option<Uuid>,
    /// The tenant (the customer's).
    pub organization_id: Uuid,
    /// Who bought.
    pub customer_id: Uuid,
    /// The lead it closes: must be the same customer's, for the same campaign.
    pub lead_id: Option<Uuid>,
    /// The campaign credited.
    pub campaign_id: Uuid,
    /// The product sold.
    pub product_id: Option<Uuid>,
    /// Amount, > 0.
    pub amount: Decimal4,
    /// ISO 4217 currency (three upper-case letters).
    pub currency: String,
    /// When it closed, not in the future.
    pub closed_at: DateTime<Utc>,
}

/// Checks a new sale on its own; `now` bounds `closed_at`.
pub fn validate(new: &NewSale, now: DateTime<Utc>) -> Result<(), Invalid> {
    if new.amount.raw() <= 0 {
        return Err(Invalid::new(
            "input.amount",
            "input.amount must be greater than 0",
        ));
    }
    promptsales_kit::money::validate_currency("input.currency", &new.currency)
        .map_err(|e| Invalid::new("input.currency", e.message()))?;
    if new.closed_at > now + CLOCK_SKEW {
        return Err(Invalid::new(
            "input.closedAt",
            "input.closedAt must not be in the future",
        ));
    }
    Ok(())
}

/// Checks that the lead a sale closes is the same customer's, from the same campaign.
pub fn check_lead(new: &NewSale, lead: &Lead) -> Result<(), Invalid> {
    if lead.customer_id != new.customer_id {
        return Err(Invalid::new(
            "input.leadId",
            "input.leadId is a lead of another customer",
        ));
    }
    if lead.campaign_id != new.campaign_id {
        return Err(Invalid::new(
            "input.leadId",
            "input.leadId is a lead of another campaign",
        ));
    }
    Ok(())
}

/// What a campaign sold: the sum per currency (sorted by currency) and the number of sales.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignSales {
    /// Revenue per currency.
    pub revenue: Vec<Money>,
    /// Number of sales.
    pub count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_currencies_and_dates_are_checked() {
        let now = Utc::now();
        let sale = NewSale {
            id: None,
            organization_id: Uuid::nil(),
            customer_id: Uuid::nil(),
            lead_id: None,
            campaign_id: Uuid::nil(),
            product_id: None,
            amount: Decimal4::from_units(10),
            currency: "EUR".into(),
            closed_at: now,
        };
        assert!(validate(&sale, now).is_ok());
        let field = |s: NewSale| validate(&s, now).unwrap_err().field;
        assert_eq!(
            field(NewSale {
                amount: Decimal4::ZERO,
                ..sale.clone()
            }),
            "input.amount"
        );
        assert_eq!(
            field(NewSale {
                amount: Decimal4(-5),
                ..sale.clone()
            }),
            "input.amount"
        );
        assert_eq!(
            field(NewSale {
                currency: "eur".into(),
                ..sale.clone()
            }),
            "input.currency"
        );
        assert_eq!(
            field(NewSale {
                closed_at: now + chrono::Duration::hours(1),
                ..sale
            }),
            "input.closedAt"
        );
    }
}
