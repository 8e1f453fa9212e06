//! How an ad bids for placements.

/// A bidding strategy; stored as the lower-case `code()`.
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
    /// Every strategy.
    pub const ALL: [Self; 6] = [
        Self::LowestCost,
        Self::CostCap,
        Self::BidCap,
        Self::TargetCpa,
        Self::TargetRoas,
        Self::ManualCpc,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::LowestCost => "lowest_cost",
            Self::CostCap => "cost_cap",
            Self::BidCap => "bid_cap",
            Self::TargetCpa => "target_cpa",
            Self::TargetRoas => "target_roas",
            Self::ManualCpc => "manual_cpc",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in BidStrategy::ALL {
            assert_eq!(BidStrategy::from_code(s.code()), Some(s));
        }
    }
}
