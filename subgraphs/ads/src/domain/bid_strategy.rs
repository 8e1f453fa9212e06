//! How an ad bids for placements.

use promptsales_kit::StrEnum;

/// A bidding strategy; stored as the snake_case `code()`.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BidStrategy {
    /// The platform spends the budget for the most results.
    LowestCost,
    /// Most results while keeping the average cost per result under a cap.
    CostCap,
    /// A hard cap on every bid.
    BidCap,
    /// Aim at a cost per acquisition.
    TargetCpa,
    /// Aim at a return on ad spend.
    TargetRoas,
    /// A cost per click set by hand.
    ManualCpc,
}

impl BidStrategy {
    /// The stored code ([`StrEnum::as_str`]).
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// Reads a stored code ([`StrEnum::parse`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::parse(code)
    }
}
