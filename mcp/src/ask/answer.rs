//! What `ask` answers: a short text, the figures, and the operations it ran.

use serde::Serialize;
use serde_json::{Map, Value};

use super::plan::Understood;

/// One operation `ask` ran on the router, so a person can check and reuse it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RanOperation {
    /// The operation's name in its operation file (`getCampaignFunnel`).
    pub operation_name: String,
    /// Its variables.
    pub variables: Map<String, Value>,
    /// The GraphQL document sent.
    pub document: String,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// Whether the question was answered (false: `text` says what was understood and what
    /// can be asked).
    pub answered: bool,
    /// A short answer in words.
    pub text: String,
    /// The kind of question, when the offline planner answered (`best_return`).
    pub kind: Option<String>,
    /// `offline` or `model`.
    pub planner: String,
    /// What the planner read in the question.
    pub understood: Understood,
    /// The figures, structured (null without an answer).
    pub figures: Value,
    /// Every operation run, in order, with its variables.
    pub operations: Vec<RanOperation>,
}

/// Money with two decimals and its currency ("1,234.50 EUR").
pub fn money(amount: f64, currency: &str) -> String {
    let cents = (amount * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 {
        ("-", -cents)
    } else {
        ("", cents)
    };
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02} {currency}", cents % 100)
        .trim_end()
        .to_string()
}

/// A JSON number or decimal string as a number (GraphQL `Decimal` is a string).
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Rounds money to cents, for figures that compare exactly.
pub fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_with_two_decimals() {
        assert_eq!(money(1234.5, "EUR"), "1,234.50 EUR");
        assert_eq!(money(0.0, "USD"), "0.00 USD");
        assert_eq!(money(-12.345, "EUR"), "-12.35 EUR");
        assert_eq!(money(1_000_000.0, "USD"), "1,000,000.00 USD");
        assert_eq!(number(&Value::String("12.5000".into())), Some(12.5));
    }
}
