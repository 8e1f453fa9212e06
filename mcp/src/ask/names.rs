//! Campaign names matched against the caller's own campaigns (fetched as the caller, so a
//! name of another tenant is never known here, let alone matched).

use chrono::NaiveDate;
use serde::Serialize;

use super::words::plain;

/// One of the caller's campaigns, as `listCampaigns` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnownCampaign {
    /// The campaign's id as the graph returned it (a UUID).
    pub id: String,
    /// As the graph returned it: what a question's words are matched against.
    pub name: String,
    /// Its status (`ACTIVE`).
    pub status: String,
    /// First day.
    pub start: Option<NaiveDate>,
    /// Last day.
    pub end: Option<NaiveDate>,
}

/// Words that name nothing on their own.
const FILLER: &[&str] = &["the", "a", "an", "of", "and", "for", "campaign", "in", "on"];

fn significant(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| !FILLER.contains(&w.as_str()))
        .cloned()
        .collect()
}

/// A word of the question matches a word of a name: equal, or the plural/possessive of it.
fn same_word(question: &str, name: &str) -> bool {
    question == name
        || question.strip_suffix('s') == Some(name)
        || name.strip_suffix('s') == Some(question)
}

/// How well the question names the campaign: the number of its significant words found as
/// one run in the question, when they all are; 0 otherwise.
fn score(question: &[String], campaign: &str) -> usize {
    let name = significant(&plain(campaign));
    if name.is_empty() {
        return 0;
    }
    let question = significant(question);
    let found = question
        .windows(name.len())
        .any(|w| w.iter().zip(&name).all(|(q, n)| same_word(q, n)));
    if found { name.len() } else { 0 }
}

/// The campaigns the question names: those whose whole name appears, longest names first;
/// when a longer name contains a shorter one ("Summit" in "Winter Summit"), only the longer.
pub fn named<'a>(question: &[String], campaigns: &'a [KnownCampaign]) -> Vec<&'a KnownCampaign> {
    let mut scored: Vec<(usize, &KnownCampaign)> = campaigns
        .iter()
        .map(|c| (score(question, &c.name), c))
        .filter(|(s, _)| *s > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    let mut chosen: Vec<&KnownCampaign> = Vec::new();
    for (_, campaign) in scored {
        let words = significant(&plain(&campaign.name));
        let inside_longer = chosen.iter().any(|longer| {
            let long = significant(&plain(&longer.name));
            long.windows(words.len()).any(|w| w == words.as_slice())
        });
        if !inside_longer && !chosen.iter().any(|c| c.id == campaign.id) {
            chosen.push(campaign);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(id: &str, name: &str) -> KnownCampaign {
        KnownCampaign {
            id: id.into(),
            name: name.into(),
            status: "ACTIVE".into(),
            start: None,
            end: None,
        }
    }

    fn found(question: &str, campaigns: &[KnownCampaign]) -> Vec<String> {
        named(&plain(question), campaigns)
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    #[test]
    fn whole_names_match_in_any_case_with_possessives() {
        let own = [
            campaign("1", "Winter Summit"),
            campaign("2", "Trail Running Spring"),
            campaign("3", "Eco Collection"),
        ];
        assert_eq!(
            found("How many leads did winter summit bring last week?", &own),
            ["1"]
        );
        assert_eq!(found("Winter Summit's funnel", &own), ["1"]);
        assert_eq!(found("the trail running spring campaign", &own), ["2"]);
        assert_eq!(found("funnel of the eco collections", &own), ["3"]);
    }

    #[test]
    fn part_of_a_name_is_not_a_match() {
        let own = [
            campaign("1", "Winter Summit"),
            campaign("2", "Trail Running Spring"),
        ];
        assert!(found("how is the winter going", &own).is_empty());
        assert!(found("trail spring results", &own).is_empty());
    }

    #[test]
    fn a_longer_name_wins_over_the_shorter_name_inside_it() {
        let own = [campaign("1", "Summit"), campaign("2", "Winter Summit")];
        assert_eq!(found("winter summit revenue", &own), ["2"]);
        assert_eq!(found("summit revenue", &own), ["1"]);
        let two = [
            campaign("1", "Winter Summit"),
            campaign("2", "Eco Collection"),
        ];
        assert_eq!(found("winter summit vs eco collection", &two).len(), 2);
    }

    #[test]
    fn only_the_callers_campaigns_can_match() {
        let own = [campaign("1", "Winter Summit")];
        assert!(found("what did Rival Launch earn", &own).is_empty());
    }
}
