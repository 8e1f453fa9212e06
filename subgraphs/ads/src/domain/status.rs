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
        self == next || AdMove::between(self, next).is_some()
    }

    /// The status as it reads on `today`: an ad whose last day `end_date` has passed has
    /// ended, whatever was last written (its platform stops serving it at its end date).
    pub fn as_of(self, end_date: chrono::NaiveDate, today: chrono::NaiveDate) -> Self {
        if today > end_date && self != Self::Draft {
            Self::Ended
        } else {
            self
        }
    }

    /// Whether the ad counts against its campaign's budget (launched and not ended).
    pub fn is_launched(self) -> bool {
        matches!(self, Self::Scheduled | Self::Running | Self::Paused)
    }

    /// Applies `mv`, naming `field` when this status has no such move.
    pub fn apply(self, mv: AdMove, field: &str) -> Result<Self, ApiError> {
        TRANSITIONS
            .iter()
            .find(|(from, m, _)| *from == self && *m == mv)
            .map(|(_, _, to)| *to)
            .ok_or_else(|| {
                ApiError::bad_input(
                    field,
                    format!(
                        "an ad that is {} cannot {}",
                        self.code().to_uppercase(),
                        mv.verb()
                    ),
                )
            })
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

/// Every way an ad's status changes; nothing else writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdMove {
    /// Commit its plan to the campaign's budget, ready to run (`launchAds`, `updateAd`).
    Schedule,
    /// Take a scheduled ad back to draft, releasing its plan.
    Unschedule,
    /// Start or resume serving (`publishAd`): spending starts.
    Publish,
    /// Stop serving for now (`pauseAd`, a paused campaign).
    Pause,
    /// Stop for good (a cancelled or completed campaign), releasing what it did not spend.
    End,
}

/// The ads state machine: (from, move, to). The only table of ad status changes.
pub const TRANSITIONS: [(AdStatus, AdMove, AdStatus); 9] = {
    use AdMove::*;
    use AdStatus::*;
    [
        (Draft, Schedule, Scheduled),
        (Scheduled, Unschedule, Draft),
        (Scheduled, Publish, Running),
        (Paused, Publish, Running),
        (Running, Pause, Paused),
        (Draft, End, Ended),
        (Scheduled, End, Ended),
        (Running, End, Ended),
        (Paused, End, Ended),
    ]
};

impl AdMove {
    /// The move from `from` to `to`, if the machine has one.
    pub fn between(from: AdStatus, to: AdStatus) -> Option<Self> {
        TRANSITIONS
            .iter()
            .find(|(f, _, t)| *f == from && *t == to)
            .map(|(_, m, _)| *m)
    }

    /// Whether the move starts or continues spending, so the campaign must allow it.
    pub fn spends(self) -> bool {
        matches!(self, Self::Schedule | Self::Publish)
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Schedule => "be scheduled",
            Self::Unschedule => "go back to draft",
            Self::Publish => "run",
            Self::Pause => "be paused",
            Self::End => "be ended",
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

    #[test]
    fn running_is_reached_only_by_publishing() {
        for (from, mv, to) in TRANSITIONS {
            assert_eq!(from.apply(mv, "id").unwrap(), to);
            if to == AdStatus::Running {
                assert_eq!(mv, AdMove::Publish);
                assert!(mv.spends());
            }
        }
        assert!(AdStatus::Draft.apply(AdMove::Publish, "id").is_err());
    }
}
