//! An ad's life cycle and the moves allowed within it.

use chrono::NaiveDate;
use promptsales_kit::{ApiError, StrEnum};

/// Where today falls against an ad's dates (first day `start`, last day `end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatesOn {
    /// Anywhere.
    Any,
    /// Not after its last day: `today <= end`.
    NotEnded,
    /// Before its first day: `today < start` (and so not ended).
    NotStarted,
    /// Within its days: `start <= today <= end`.
    Within,
    /// After its last day: `end < today`.
    Ended,
}

impl DatesOn {
    /// Whether `today` falls there for an ad running `start..=end`.
    pub fn holds(self, start: NaiveDate, end: NaiveDate, today: NaiveDate) -> bool {
        match self {
            Self::Any => true,
            Self::NotEnded => today <= end,
            Self::NotStarted => today < start && today <= end,
            Self::Within => start <= today && today <= end,
            Self::Ended => end < today,
        }
    }
}

/// Where an ad is in its life cycle; stored as the lower-case `code()`.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
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
    /// The stored code ([`StrEnum::as_str`]).
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// Reads a stored code ([`StrEnum::parse`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::parse(code)
    }

    /// Whether an ad in this status may move to `next` (staying put is always allowed).
    pub fn can_become(self, next: Self) -> bool {
        self == next || AdMove::between(self, next).is_some()
    }

    /// The status as it reads on `today`, from the status last written and the ad's dates:
    /// past its end date a launched ad has ENDED (its platform stops serving it then), and
    /// before its start date a published ad is SCHEDULED (it does not serve yet). A DRAFT
    /// never launched and stays one; ENDED is final.
    ///
    /// Why a read-time rule and not a job that writes ENDED when the day comes: no process
    /// runs at midnight for every tenant, and a status that depends on a sweep having run
    /// would read RUNNING after the end date whenever it was late. The store applies this to
    /// every ad it returns and filters by it ([`Self::read_from`]), so every read path
    /// (queries, campaign lists, budgets, the state machine, the webhook gate) sees the same
    /// status; a write then stores what it read, so the transition is also recorded the first
    /// time the ad is written after its end.
    pub fn as_of(self, start_date: NaiveDate, end_date: NaiveDate, today: NaiveDate) -> Self {
        match self {
            Self::Draft | Self::Ended => self,
            _ if today > end_date => Self::Ended,
            Self::Running if today < start_date => Self::Scheduled,
            _ => self,
        }
    }

    /// The stored statuses, each with where today must fall against the ad's dates, that read
    /// as `self` ([`Self::as_of`] turned around): the store's status filter.
    pub fn read_from(self) -> &'static [(Self, DatesOn)] {
        match self {
            Self::Draft => &[(Self::Draft, DatesOn::Any)],
            Self::Scheduled => &[
                (Self::Scheduled, DatesOn::NotEnded),
                (Self::Running, DatesOn::NotStarted),
            ],
            Self::Running => &[(Self::Running, DatesOn::Within)],
            Self::Paused => &[(Self::Paused, DatesOn::NotEnded)],
            Self::Ended => &[
                (Self::Ended, DatesOn::Any),
                (Self::Scheduled, DatesOn::Ended),
                (Self::Running, DatesOn::Ended),
                (Self::Paused, DatesOn::Ended),
            ],
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
        for s in AdStatus::ALL.iter().copied() {
            assert_eq!(AdStatus::Ended.can_become(s), s == AdStatus::Ended);
            assert_eq!(AdStatus::from_code(s.code()), Some(s));
        }
        let err = AdStatus::Ended
            .transition(AdStatus::Running, "input.status")
            .unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn an_ad_reads_running_only_within_its_dates_and_the_filter_agrees() {
        let d = |n: i64| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(n);
        let (start, end) = (d(10), d(20));
        for today in (0..30).map(d) {
            for stored in AdStatus::ALL.iter().copied() {
                let reads = stored.as_of(start, end, today);
                if reads == AdStatus::Running {
                    assert!(start <= today && today <= end, "{stored:?} runs on {today}");
                }
                if today > end {
                    assert!(matches!(reads, AdStatus::Ended | AdStatus::Draft));
                }
                assert_eq!(reads.as_of(start, end, today), reads, "stable");
                for shown in AdStatus::ALL.iter().copied() {
                    let matched = shown
                        .read_from()
                        .iter()
                        .any(|(s, on)| *s == stored && on.holds(start, end, today));
                    assert_eq!(
                        matched,
                        reads == shown,
                        "stored {stored:?} on {today}: reads {reads:?}, filter for {shown:?}"
                    );
                }
            }
        }
        assert_eq!(
            AdStatus::Running.as_of(start, end, d(9)),
            AdStatus::Scheduled
        );
        assert_eq!(AdStatus::Paused.as_of(start, end, d(21)), AdStatus::Ended);
        assert_eq!(AdStatus::Draft.as_of(start, end, d(21)), AdStatus::Draft);
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
