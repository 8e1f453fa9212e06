//! Closed sets of names (statuses, kinds) stored in columns and sent on the wire.
//!
//! Each such enum derives its table with `strum` under one naming scheme, so the
//! strings are written once, by the compiler, and no hand-kept `ALL` array can miss a
//! variant:
//!
//! ```
//! // The strum derive first: `#[strum]` must follow the derive that declares it, and
//! // rustfmt would merge two adjacent derives into one twelve-line block per enum.
//! #[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
//! #[strum(serialize_all = "snake_case")]
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! enum Status { Draft, PendingApproval }
//!
//! use promptsales_kit::StrEnum;
//! assert_eq!(Status::PendingApproval.as_str(), "pending_approval");
//! assert_eq!(Status::parse("draft"), Some(Status::Draft));
//! assert_eq!(Status::ALL, &[Status::Draft, Status::PendingApproval]);
//! ```
//!
//! [`StrEnum`] gives every such enum the same three names (`as_str`, `parse`, `ALL`); the
//! callers turn a `None` from `parse` into their own error code and message.

use std::str::FromStr;

use strum::VariantArray;

/// An enum whose variants each have one stored name, derived with `strum`.
pub trait StrEnum: Copy + Into<&'static str> + FromStr + VariantArray {
    /// Every variant, in declaration order.
    const ALL: &'static [Self] = <Self as VariantArray>::VARIANTS;

    /// The stored (and wire) form.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads the stored form; exact, case-sensitive.
    fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl<T> StrEnum for T where T: Copy + Into<&'static str> + FromStr + VariantArray {}

/// Test helper: `pinned` names every variant once with its stored string; asserts that the
/// derived table says exactly that, both ways (so a renamed variant or a changed
/// `serialize_all` fails a test instead of orphaning stored rows).
#[cfg(any(test, feature = "testing"))]
pub fn assert_pinned<T>(pinned: &[(T, &str)])
where
    T: StrEnum + PartialEq + std::fmt::Debug + std::fmt::Display,
{
    for (variant, text) in pinned {
        assert_eq!(variant.as_str(), *text, "{variant:?} is stored as {text:?}");
        assert_eq!(
            variant.to_string(),
            *text,
            "{variant:?} displays as {text:?}"
        );
        assert_eq!(
            T::parse(text),
            Some(*variant),
            "{text:?} reads as {variant:?}"
        );
    }
    let listed: Vec<T> = pinned.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        listed,
        T::ALL,
        "pin every variant once, in declaration order"
    );
    for (_, text) in pinned {
        let upper = text.to_uppercase();
        if upper != *text {
            assert_eq!(
                T::parse(&upper),
                None,
                "{upper:?}: parsing is case-sensitive"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
    #[strum(serialize_all = "snake_case")]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Sample {
        Draft,
        PendingApproval,
    }

    #[test]
    fn the_derived_table_is_snake_case_both_ways_and_complete() {
        assert_pinned(&[
            (Sample::Draft, "draft"),
            (Sample::PendingApproval, "pending_approval"),
        ]);
        assert_eq!(Sample::parse("pendingApproval"), None);
        assert_eq!(Sample::parse(""), None);
    }
}
