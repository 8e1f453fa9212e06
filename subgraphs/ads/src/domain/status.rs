//! An ad's life cycle and the moves allowed within it.

use promptsales_kit::ApiError;

/// Where an ad is in its life cycle; stored as the lower-case `code()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdStatus {
    /// Being prepared; nothing is spent.
    Draft,
    /// Ready, waiting for its start.
    Scheduled,
    /// Serving and spending.
    Running,
    /// Stopped for now; may resume.
    Paused,
    /// Finished for good.
    Ended,
}

impl AdStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Scheduled,
        Self::Running,
        Self::Paused,
        Self::Ended,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Ended => "ended",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether an ad in this status may move to `next` (staying put is always allowed).
    pub fn can_become(self, next: Self) -> bool {
        use AdStatus::*;
        self == next
            || matches!(
                (self, next),
                (Draft, Scheduled | Ended)
                    | (Scheduled, Draft | Running | Ended)
                    | (Running, Paused | Ended)
                    | (Paused, Running | Ended)
            )
    }

    /// Checks the move to `next`, naming `field` when it is refused.
    pub fn transition(self, next: Self, field: &str) -> Result<Self, ApiError> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(ApiError::bad_input(
                field,
                format!(
                    "an ad that is {} cannot become {}",
                    self.code().to_uppercase(),
                    next.code().to_uppercase()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_is_final_and_drafts_do_not_start_without_a_schedule() {
        assert!(AdStatus::Draft.can_become(AdStatus::Scheduled));
        assert!(!AdStatus::Draft.can_become(AdStatus::Running));
        assert!(AdStatus::Paused.can_become(AdStatus::Running));
        for s in AdStatus::ALL {
            assert_eq!(AdStatus::Ended.can_become(s), s == AdStatus::Ended);
            assert_eq!(AdStatus::from_code(s.code()), Some(s));
        }
        let err = AdStatus::Ended
            .transition(AdStatus::Running, "input.status")
            .unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }
}
