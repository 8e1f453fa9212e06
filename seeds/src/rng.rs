//! Deterministic randomness and ids: every figure is drawn from a generator
//! keyed by (seed, kind, index), so rows can be built in any order, on any
//! core, and still be the same rows.

use uuid::Uuid;

/// SplitMix64: small, fast, and good enough for plausible figures.
#[derive(Debug, Clone)]
pub struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The generator of item `index` of `kind` under `seed`.
    pub fn of(seed: u64, kind: u8, index: u64) -> Self {
        Self(mix(mix(seed ^ (u64::from(kind) << 56))
            .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1).max(1) as u64;
        low + (self.next_u64() % span) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A standard logistic draw (the noise of a logit model).
    pub fn logistic(&mut self) -> f64 {
        let u = self.unit().clamp(1e-9, 1.0 - 1e-9);
        (u / (1.0 - u)).ln()
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// An index drawn with the given weights (which must not all be zero).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut roll = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Id kinds of generated rows; clear of the demo's (1-39), so both sets live side by side.
pub mod kind {
    /// Organizations.
    pub const ORGANIZATION: u8 = 41;
    /// Users.
    pub const USER: u8 = 42;
    /// Campaigns.
    pub const CAMPAIGN: u8 = 43;
    /// Campaign objectives (targets).
    pub const OBJECTIVE: u8 = 44;
    /// Approvals.
    pub const APPROVAL: u8 = 45;
    /// Schedule tasks.
    pub const TASK: u8 = 46;
    /// Subscriptions.
    pub const SUBSCRIPTION: u8 = 47;
    /// Markets (ads).
    pub const MARKET: u8 = 50;
    /// Ads.
    pub const AD: u8 = 51;
    /// Daily ad metrics.
    pub const METRIC: u8 = 52;
    /// Customers (crm).
    pub const CUSTOMER: u8 = 60;
    /// Leads.
    pub const LEAD: u8 = 61;
    /// Interactions.
    pub const INTERACTION: u8 = 62;
    /// Sales.
    pub const SALE: u8 = 63;
    /// Media assets (content).
    pub const ASSET: u8 = 70;
}

/// The id of generated row `index` of `kind` under `seed`: a UUID v7 whose time part
/// orders rows of a kind by index and whose random part names seed, kind and index.
pub fn id(seed: u64, kind: u8, index: u64) -> Uuid {
    // 2025-01-01T00:00:00Z plus one millisecond per row, a wide gap between kinds.
    let millis = 1_735_689_600_000u64 + u64::from(kind - 40) * 10_000_000_000 + index;
    let mut random = [0u8; 10];
    random[0] = kind;
    random[1..5].copy_from_slice(&(seed as u32).to_be_bytes());
    random[5..10].copy_from_slice(&index.to_be_bytes()[3..8]);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_across_kinds_and_seeds() {
        assert_ne!(id(1, kind::CUSTOMER, 5), id(2, kind::CUSTOMER, 5));
        assert_ne!(id(1, kind::CUSTOMER, 5), id(1, kind::LEAD, 5));
        assert!(id(1, kind::LEAD, 5) < id(1, kind::LEAD, 6));
        assert_eq!(Rng::of(7, 1, 2).next_u64(), Rng::of(7, 1, 2).next_u64());
    }
}
