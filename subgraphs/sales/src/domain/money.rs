//! Budget movements, payment methods and transactions: the rules.
//!
//! A campaign's budget is an account: its balance is `total - spent`.
//! Deposits raise the total, spends raise the spent amount, refunds give
//! spent money back, adjustments correct the total either way. No movement
//! may take the balance (or the spent amount) below zero; the store applies
//! each one with a conditional update under a row lock, and the database's
//! CHECKs are the last guard.

use chrono::{Datelike, NaiveDate};
use promptsales_kit::{ApiError, ApiResult, Decimal4};

use super::campaign::Budget;
use super::error::{PortalError, PortalResult};
use super::text;

/// Kinds of budget movement.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// Money added to the budget.
    Deposit,
    /// Money spent (by ads, content generation, ...).
    Spend,
    /// Spent money returned.
    Refund,
    /// A correction of the total, up or down.
    Adjustment,
}

/// What a movement changes: deltas to the total and to the spent amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta {
    /// Added to the total.
    pub total: i64,
    /// Added to the spent amount.
    pub spent: i64,
}

/// Validates a movement's amount and turns it into deltas. Only adjustments may be negative.
pub fn delta(kind: MovementKind, amount: Decimal4) -> ApiResult<Delta> {
    let raw = amount.raw();
    if raw == 0 || (raw < 0 && kind != MovementKind::Adjustment) {
        return Err(ApiError::bad_input(
            "input.amount",
            "the amount must be above zero (only adjustments may be negative)",
        ));
    }
    Ok(match kind {
        MovementKind::Deposit | MovementKind::Adjustment => Delta {
            total: raw,
            spent: 0,
        },
        MovementKind::Spend => Delta {
            total: 0,
            spent: raw,
        },
        MovementKind::Refund => Delta {
            total: 0,
            spent: -raw,
        },
    })
}

/// Applies `delta` to `budget`: refused with `INSUFFICIENT_FUNDS` when the
/// balance would go negative, or a refund exceeds what was spent.
pub fn apply(budget: Budget, delta: Delta) -> PortalResult<Budget> {
    let total = budget.total.raw().checked_add(delta.total);
    let spent = budget.spent.raw().checked_add(delta.spent);
    let (Some(total), Some(spent)) = (total, spent) else {
        return Err(ApiError::bad_input("input.amount", "the amount is too large").into());
    };
    if spent < 0 || total < 0 || spent > total {
        let requested = Decimal4(delta.total.abs().max(delta.spent.abs()));
        let available = if spent < 0 {
            budget.spent
        } else {
            budget.available()
        };
        return Err(PortalError::InsufficientFunds {
            available: available.to_string(),
            requested: requested.to_string(),
        });
    }
    Ok(Budget {
        total: Decimal4(total),
        spent: Decimal4(spent),
    })
}

/// The subsystems a movement may come from.
pub const SOURCES: [&str; 4] = ["sales", "ads", "crm", "content"];

/// Validates the source subsystem and reference of a movement.
pub fn source(subsystem: &str, reference: Option<&str>) -> ApiResult<(String, Option<String>)> {
    let subsystem = subsystem.trim().to_lowercase();
    if !SOURCES.contains(&subsystem.as_str()) {
        return Err(ApiError::bad_input(
            "input.sourceSubsystem",
            format!("the source must be one of {}", SOURCES.join(", ")),
        ));
    }
    Ok((
        subsystem,
        text::optional("input.reference", reference, 200)?,
    ))
}

/// Whether `text` holds something that looks like a payment card number: a
/// run of 13 to 19 digits (spaces and dashes ignored) passing the Luhn check.
pub fn looks_like_card_number(text: &str) -> bool {
    let mut run: Vec<u32> = Vec::new();
    // A whole run of digits, not a window of a longer one: long numeric ids are not cards.
    let check = |run: &[u32]| (13..=19).contains(&run.len()) && luhn(run);
    for c in text.chars() {
        match c {
            '0'..='9' => run.push(c as u32 - '0' as u32),
            ' ' | '-' => {}
            _ => {
                if check(&run) {
                    return true;
                }
                run.clear();
            }
        }
    }
    check(&run)
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A payment method as given by the caller: a provider's token and display details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodInput {
    /// Payment provider (`stripe`, `adyen`...).
    pub provider: String,
    /// The provider's token for the card (never the card number).
    pub provider_token: String,
    /// Card brand.
    pub brand: String,
    /// Last four digits.
    pub last_four: String,
    /// Expiry month 1..12.
    pub exp_month: i32,
    /// Expiry year (four digits).
    pub exp_year: i32,
}

/// Validates a payment method: a token that looks like a card number is refused
/// (the platform must never hold one), as is an expired card.
pub fn validate_payment_method(
    input: PaymentMethodInput,
    today: NaiveDate,
) -> ApiResult<PaymentMethodInput> {
    let provider = text::required("input.provider", &input.provider, 50)?.to_lowercase();
    let token = text::required("input.providerToken", &input.provider_token, 255)?;
    for (field, value) in [
        ("input.providerToken", token.as_str()),
        ("input.brand", input.brand.as_str()),
        ("input.provider", provider.as_str()),
    ] {
        if looks_like_card_number(value) {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "{field} looks like a card number; send the provider's token, never the card number"
                ),
            ));
        }
    }
    let brand = text::required("input.brand", &input.brand, 30)?.to_lowercase();
    if input.last_four.len() != 4 || !input.last_four.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_input(
            "input.lastFour",
            "lastFour is exactly four digits",
        ));
    }
    if !(1..=12).contains(&input.exp_month) {
        return Err(ApiError::bad_input("input.expMonth", "expMonth is 1 to 12"));
    }
    if !(2000..=2200).contains(&input.exp_year) {
        return Err(ApiError::bad_input(
            "input.expYear",
            "expYear is a four-digit year",
        ));
    }
    if (input.exp_year, input.exp_month as u32) < (today.year(), today.month()) {
        return Err(ApiError::bad_input("input.expYear", "the card has expired"));
    }
    Ok(PaymentMethodInput {
        provider,
        provider_token: token,
        brand,
        ..input
    })
}

/// What a transaction pays for.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// A subscription fee.
    Subscription,
    /// Money for a campaign's budget (a succeeded one deposits into it).
    CampaignBudget,
}

/// Where a transaction stands with the provider.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    /// Sent, not settled.
    Pending,
    /// Paid.
    Succeeded,
    /// Refused by the provider.
    Failed,
    /// Paid back.
    Refunded,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(total: i64, spent: i64) -> Budget {
        Budget {
            total: Decimal4::from_units(total),
            spent: Decimal4::from_units(spent),
        }
    }

    #[test]
    fn movements_keep_the_balance_non_negative() {
        let b = budget(100, 40);
        let spend = |n| delta(MovementKind::Spend, Decimal4::from_units(n)).expect("valid");
        assert_eq!(
            apply(b, spend(60)).expect("covers").available(),
            Decimal4::ZERO
        );
        assert_eq!(
            apply(b, spend(61)).map_err(|e| e.code()),
            Err("INSUFFICIENT_FUNDS")
        );
        let refund = |n| delta(MovementKind::Refund, Decimal4::from_units(n)).expect("valid");
        assert_eq!(apply(b, refund(40)).expect("ok").spent, Decimal4::ZERO);
        assert!(apply(b, refund(41)).is_err());
        let adjust = |n| delta(MovementKind::Adjustment, Decimal4::from_units(n)).expect("valid");
        assert_eq!(
            apply(b, adjust(-60)).expect("ok").total,
            Decimal4::from_units(40)
        );
        assert!(apply(b, adjust(-61)).is_err());
        assert_eq!(
            apply(
                b,
                delta(MovementKind::Deposit, Decimal4::from_units(5)).expect("valid")
            )
            .expect("ok")
            .total,
            Decimal4::from_units(105)
        );
        assert!(delta(MovementKind::Spend, Decimal4::from_units(-1)).is_err());
        assert!(delta(MovementKind::Deposit, Decimal4::ZERO).is_err());
    }

    #[test]
    fn card_numbers_are_recognised_anywhere() {
        assert!(looks_like_card_number("4242424242424242"));
        assert!(looks_like_card_number("4242 4242 4242 4242"));
        assert!(looks_like_card_number("tok_4111-1111-1111-1111"));
        assert!(!looks_like_card_number("4242424242424241"), "fails Luhn");
        assert!(!looks_like_card_number("pm_1NqA2b3C4d5E6f"));
        assert!(!looks_like_card_number("1234"));
    }

    #[test]
    fn payment_methods_hold_tokens_never_cards() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default();
        let input = PaymentMethodInput {
            provider: "Stripe".into(),
            provider_token: "pm_1NqA2b3C4d5E6f".into(),
            brand: "Visa".into(),
            last_four: "4242".into(),
            exp_month: 11,
            exp_year: 2026,
        };
        let ok = validate_payment_method(input.clone(), today).expect("valid");
        assert_eq!(
            (ok.provider.as_str(), ok.brand.as_str()),
            ("stripe", "visa")
        );
        let field = |i: PaymentMethodInput| match validate_payment_method(i, today) {
            Err(ApiError::BadInput { field, .. }) => field,
            other => format!("{other:?}"),
        };
        assert_eq!(
            field(PaymentMethodInput {
                provider_token: "4000 0566 5566 5556".into(),
                ..input.clone()
            }),
            "input.providerToken"
        );
        assert_eq!(
            field(PaymentMethodInput {
                last_four: "42a2".into(),
                ..input.clone()
            }),
            "input.lastFour"
        );
        assert_eq!(
            field(PaymentMethodInput {
                exp_month: 10,
                ..input.clone()
            }),
            "input.expYear"
        );
        assert_eq!(
            field(PaymentMethodInput {
                exp_month: 13,
                ..input
            }),
            "input.expMonth"
        );
    }
}
