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
    let named: Vec<KnownCampaign> = named(&words, campaigns).into_iter().cloned().collect();
    // The words of a named campaign say nothing else: "Trail Running Spring" is no status.
    let name_words = name_words(&named);
    let rest: Vec<String> = words
        .iter()
        .filter(|w| !name_words.contains(w))
        .cloned()
        .collect();
    Understood {
        period: period::parse(question, today),
        campaigns: named,
        channels: vocabulary::channels(&rest),
        statuses: vocabulary::statuses(&rest),
        metric: vocabulary::ranking_metric(&rest),
    }
}

/// The significant words of the named campaigns' names.
fn name_words(campaigns: &[KnownCampaign]) -> Vec<String> {
    campaigns
        .iter()
        .flat_map(|c| plain(&c.name))
        .filter(|w| !matches!(w.as_str(), "the" | "a" | "an" | "of" | "and" | "campaign"))
        .collect()
}

/// The question as the embedder compares it with the kinds' phrasings: each named campaign
/// becomes "the campaign", as the phrasings say it ("where did the campaign's leads come
/// from"), so an unusual name weighs nothing in the similarity.
pub fn templated(question: &str, understood: &Understood) -> String {
    let name_words = name_words(&understood.campaigns);
    if name_words.is_empty() {
        return question.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut in_name = false;
    for word in plain(question) {
        if name_words.contains(&word) {
            if !in_name {
                if out.last().map(String::as_str) != Some("the") {
                    out.push("the".into());
                }
                out.push("campaign".into());
            }
            in_name = true;
            continue;
        }
        // "the Black Friday Outdoor campaign": one "campaign"; "Winter Summit's": possessive.
        if in_name && (word == "campaign" || word == "s") {
            if word == "s"
                && let Some(last) = out.last_mut()
            {
                last.push_str("'s");
            }
            continue;
        }
        in_name = false;
        out.push(word);
    }
    out.join(" ")
}

/// Words that ask for a change: `ask` only reads, so such a question is refused (never
/// answered with some read that looks close).
const CHANGE_VERBS: &[&str] = &[
    "pause", "resume", "launch", "start", "stop", "delete", "remove", "erase", "create", "add",
    "approve", "reject", "cancel", "send", "move", "update", "change", "set", "rename", "increase",
    "decrease", "raise", "lower", "assign", "claim", "archive", "publish", "edit",
];

/// Words before the verb of a request ("please", "can you", "let's").
const POLITE: &[&str] = &[
    "please", "can", "could", "would", "will", "you", "kindly", "lets", "let", "us", "i", "want",
    "to", "go", "ahead", "and",
];

/// The verb, when the question asks for a change ("Pause the Black Friday campaign").
pub fn asks_for_a_change(question: &str) -> Option<String> {
    plain(question)
        .into_iter()
        .find(|w| !POLITE.contains(&w.as_str()))
        .filter(|w| CHANGE_VERBS.contains(&w.as_str()))
}

/// Why `kind` cannot be answered from what was understood, if it cannot.
pub fn missing(kind: &Kind, understood: &Understood) -> Option<String> {
    // A named campaign is never dropped silently: an organization-wide answer would look
    // like the campaign's own figures.
    if kind.campaign == Need::Unused && !understood.campaigns.is_empty() {
        return Some("no campaign (it covers the whole organization)".into());
    }
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
    fn a_named_campaign_is_the_campaign_and_never_an_organization_answer() {
        let own = [
            campaign("Trail Running Spring"),
            campaign("Black Friday Outdoor"),
        ];
        let u = understand(
            "Where did the leads of Trail Running Spring come from?",
            today(),
            &own,
        );
        // "Running" in the name is no status.
        assert!(u.statuses.is_empty(), "{:?}", u.statuses);
        assert_eq!(
            templated("Where did the leads of Trail Running Spring come from?", &u),
            "where did the leads of the campaign come from"
        );
        let u = understand(
            "Is the Black Friday Outdoor campaign's budget gone?",
            today(),
            &own,
        );
        assert_eq!(
            templated("Is the Black Friday Outdoor campaign's budget gone?", &u),
            "is the campaign's budget gone"
        );
        let organization_wide = by_id("organization_results").expect("a kind");
        assert!(missing(organization_wide, &u).is_some());
        assert!(missing(by_id("campaign_budget").expect("a kind"), &u).is_none());
    }

    #[test]
    fn a_request_for_a_change_is_recognised() {
        assert_eq!(
            asks_for_a_change("Please pause the Black Friday Outdoor campaign").as_deref(),
            Some("pause")
        );
        assert_eq!(
            asks_for_a_change("Can you launch Winter Summit?").as_deref(),
            Some("launch")
        );
        assert_eq!(asks_for_a_change("Which campaigns are paused?"), None);
        assert_eq!(asks_for_a_change("Show the draft campaigns"), None);
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
