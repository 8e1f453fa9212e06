//! From a question to a plan: the slots it fills, then the kind of question among those
//! whose required slots are filled, chosen by sentence similarity. Below the similarity
//! floor, or when the closest kind lacks a slot, there is no plan: the answer says what
//! was understood and what can be asked instead (it never guesses).

use chrono::NaiveDate;
use serde::Serialize;

use super::kinds::{KINDS, Kind, Need};
use super::names::{KnownCampaign, named};
use super::period::{self, Period};
use super::vocabulary::{self, Channel};
use super::words::plain;

/// What the planner read in a question.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Understood {
    /// The period, when one was named.
    pub period: Option<Period>,
    /// The caller's campaigns it names.
    pub campaigns: Vec<KnownCampaign>,
    /// The channels it names.
    pub channels: Vec<Channel>,
    /// Campaign statuses it names (`ACTIVE`).
    pub statuses: Vec<&'static str>,
    /// The ranking measure it names (`CTR`).
    pub metric: Option<&'static str>,
}

impl Understood {
    /// One line for the user: "period 2026-09-01..2026-09-30 (in September); campaign Winter Summit".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.period {
            parts.push(format!("period {} to {} (\"{}\")", p.from, p.to, p.phrase));
        }
        match self.campaigns.as_slice() {
            [] => {}
            [one] => parts.push(format!("campaign {}", one.name)),
            many => parts.push(format!(
                "campaigns {}",
                many.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        if !self.channels.is_empty() {
            parts.push(format!(
                "channel {}",
                self.channels
                    .iter()
                    .map(|c| c.label)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.statuses.is_empty() {
            parts.push(format!("status {}", self.statuses.join(", ")));
        }
        if let Some(m) = self.metric {
            parts.push(format!("measure {m}"));
        }
        if parts.is_empty() {
            "no period, campaign or channel".into()
        } else {
            parts.join("; ")
        }
    }
}

/// Reads the slots of `question`: the period against `today`, campaign names against the
/// caller's own campaigns.
pub fn understand(question: &str, today: NaiveDate, campaigns: &[KnownCampaign]) -> Understood {
    let words = plain(question);
    Understood {
        period: period::parse(question, today),
        campaigns: named(&words, campaigns).into_iter().cloned().collect(),
        channels: vocabulary::channels(&words),
        statuses: vocabulary::statuses(&words),
        metric: vocabulary::ranking_metric(&words),
    }
}

/// Why `kind` cannot be answered from what was understood, if it cannot.
pub fn missing(kind: &Kind, understood: &Understood) -> Option<String> {
    if kind.campaign == Need::Required {
        match understood.campaigns.len() {
            0 => return Some("the name of one of your campaigns".into()),
            1 => {}
            _ => return Some("one campaign (several were named)".into()),
        }
    }
    if kind.period == Need::Required && understood.period.is_none() {
        return Some("a period".into());
    }
    if kind.channel == Need::Required && understood.channels.is_empty() {
        return Some("a channel".into());
    }
    None
}

/// A plan, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer as `kind` (its similarity with the question).
    Answer {
        /// The kind.
        kind: &'static Kind,
        /// Its similarity.
        score: f32,
    },
    /// No answer: the closest kind (if any was close enough) and what it lacked.
    CannotAnswer {
        /// The closest kind, when it was above the floor.
        closest: Option<&'static Kind>,
        /// What was missing, for the closest kind.
        lacking: Option<String>,
    },
}

/// Picks the kind: the most similar one whose slots are filled, when it is above `floor`
/// and no kind lacking a slot is clearly closer (then the question is about that one and
/// the missing slot is what to ask for, not a reason to answer something else).
pub fn choose(scores: &[f32], understood: &Understood, floor: f32) -> Decision {
    const CLEARLY: f32 = 0.05;
    let ranked = {
        let mut r: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
        r.sort_by(|a, b| b.1.total_cmp(&a.1));
        r
    };
    let Some(&(top, top_score)) = ranked.first() else {
        return Decision::CannotAnswer {
            closest: None,
            lacking: None,
        };
    };
    if top_score < floor {
        return Decision::CannotAnswer {
            closest: None,
            lacking: None,
        };
    }
    let fitting = ranked.iter().find(|(i, _)| {
        KINDS
            .get(*i)
            .is_some_and(|k| missing(k, understood).is_none())
    });
    match fitting {
        Some(&(i, score)) if score >= floor && score + CLEARLY >= top_score => Decision::Answer {
            kind: &KINDS[i],
            score,
        },
        _ => Decision::CannotAnswer {
            closest: KINDS.get(top),
            lacking: KINDS.get(top).and_then(|k| missing(k, understood)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::kinds::by_id;

    fn campaign(name: &str) -> KnownCampaign {
        KnownCampaign {
            id: name.to_lowercase(),
            name: name.into(),
            status: "ACTIVE".into(),
            start: None,
            end: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date")
    }

    fn scores(best: &str, value: f32, others: f32) -> Vec<f32> {
        KINDS
            .iter()
            .map(|k| if k.id == best { value } else { others })
            .collect()
    }

    #[test]
    fn every_slot_of_a_question_is_read() {
        let own = [campaign("Winter Summit"), campaign("Eco Collection")];
        let u = understand(
            "How many leads did Winter Summit bring last week on Instagram, by conversions?",
            today(),
            &own,
        );
        assert_eq!(u.campaigns, vec![own[0].clone()]);
        assert_eq!(u.channels.len(), 1);
        assert_eq!(u.metric, Some("CONVERSIONS"));
        let p = u.period.clone().expect("a period");
        assert_eq!(p.phrase, "last week");
        assert!(u.describe().contains("campaign Winter Summit"));
    }

    #[test]
    fn the_closest_fitting_kind_is_chosen() {
        let u = understand(
            "funnel of winter summit",
            today(),
            &[campaign("Winter Summit")],
        );
        match choose(&scores("funnel", 0.8, 0.3), &u, 0.5) {
            Decision::Answer { kind, .. } => assert_eq!(kind.id, "funnel"),
            other => panic!("expected an answer, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_campaign_is_asked_for_not_answered_with_another_kind() {
        let u = understand(
            "what does the funnel look like?",
            today(),
            &[campaign("Winter Summit")],
        );
        let mut s = scores("funnel", 0.8, 0.3);
        // An organization-wide kind is a little less similar: still not an answer.
        if let Some(i) = KINDS.iter().position(|k| k.id == "organization_results") {
            s[i] = 0.7;
        }
        match choose(&s, &u, 0.5) {
            Decision::CannotAnswer { closest, lacking } => {
                assert_eq!(closest.map(|k| k.id), Some("funnel"));
                assert_eq!(
                    lacking.as_deref(),
                    Some("the name of one of your campaigns")
                );
            }
            other => panic!("expected no answer, got {other:?}"),
        }
    }

    #[test]
    fn below_the_floor_nothing_is_answered() {
        let u = understand("what's the weather in Madrid?", today(), &[]);
        assert_eq!(
            choose(&scores("best_return", 0.3, 0.2), &u, 0.5),
            Decision::CannotAnswer {
                closest: None,
                lacking: None
            }
        );
        assert!(by_id("best_return").is_some());
    }
}
