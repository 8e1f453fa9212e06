//! Text search scoring over descriptions and hashtags.
//!
//! The store fetches candidates that contain any term; the ranking lives
//! here so that the semantic search planned later can replace or blend it
//! without touching the adapters.

use std::cmp::Ordering;

use promptsales_kit::ApiError;

use super::asset::MediaAsset;

/// The most terms a search uses.
pub const MAX_TERMS: usize = 10;
/// Shorter terms match nearly everything and are dropped.
pub const MIN_TERM_CHARS: usize = 2;
/// Longer words are no hashtag nor a plausible description word, and are dropped.
pub const MAX_TERM_CHARS: usize = 64;
/// Weight of a term equal to one of the asset's hashtags.
pub const HASHTAG_EXACT: f64 = 3.0;
/// Weight of a term found inside a hashtag.
pub const HASHTAG_PARTIAL: f64 = 1.0;
/// Weight of a term found in the description.
pub const DESCRIPTION_HIT: f64 = 1.0;
/// How many of the newest candidates the store hands to the ranking.
pub const CANDIDATE_LIMIT: u64 = 500;

/// The terms of a search text: lower case, `#` and punctuation dropped, deduplicated, in order.
pub fn terms(field: &str, text: &str) -> Result<Vec<String>, ApiError> {
    let mut terms: Vec<String> = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let term = word.to_lowercase();
        let length = term.chars().count();
        if !(MIN_TERM_CHARS..=MAX_TERM_CHARS).contains(&length) || terms.contains(&term) {
            continue;
        }
        terms.push(term);
    }
    if terms.is_empty() {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} must contain at least one word of {MIN_TERM_CHARS} or more letters or digits"
            ),
        ));
    }
    if terms.len() > MAX_TERMS {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} may hold at most {MAX_TERMS} distinct words, got {}",
                terms.len()
            ),
        ));
    }
    Ok(terms)
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The asset found.
    pub asset: MediaAsset,
    /// Sum of the matched terms' weights.
    pub score: f64,
    /// The terms it matched, in the order of the query.
    pub matched_terms: Vec<String>,
}

/// Scores one asset; `None` when it matches no term.
pub fn score(asset: &MediaAsset, terms: &[String]) -> Option<SearchHit> {
    let description = asset.description.to_lowercase();
    let mut score = 0.0;
    let mut matched_terms = Vec::new();
    for term in terms {
        let hashtag = if asset.hashtags.iter().any(|t| t == term) {
            HASHTAG_EXACT
        } else if asset.hashtags.iter().any(|t| t.contains(term.as_str())) {
            HASHTAG_PARTIAL
        } else {
            0.0
        };
        let text = if description.contains(term.as_str()) {
            DESCRIPTION_HIT
        } else {
            0.0
        };
        if hashtag + text > 0.0 {
            score += hashtag + text;
            matched_terms.push(term.clone());
        }
    }
    (!matched_terms.is_empty()).then(|| SearchHit {
        asset: asset.clone(),
        score,
        matched_terms,
    })
}

/// Ranks candidates: more matched terms first, then the higher score, then the newer asset.
pub fn rank(candidates: Vec<MediaAsset>, terms: &[String], limit: usize) -> Vec<SearchHit> {
    let mut hits: Vec<SearchHit> = candidates.iter().filter_map(|a| score(a, terms)).collect();
    hits.sort_by(|a, b| {
        b.matched_terms
            .len()
            .cmp(&a.matched_terms.len())
            .then_with(|| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal))
            .then_with(|| b.asset.created_at.cmp(&a.asset.created_at))
            .then_with(|| b.asset.id.cmp(&a.asset.id))
    });
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::asset::{AssetKind, ReviewStatus};
    use chrono::{Duration, Utc};
    use uuid::Uuid;

    fn asset(description: &str, hashtags: &[&str], age_days: i64) -> MediaAsset {
        let at = Utc::now() - Duration::days(age_days);
        MediaAsset {
            id: Uuid::now_v7(),
            organization_id: Uuid::nil(),
            kind: AssetKind::Image,
            url: "https://x.example/a.jpg".into(),
            thumbnail_url: None,
            description: description.into(),
            hashtags: hashtags.iter().map(|t| t.to_string()).collect(),
            category: None,
            technical: Default::default(),
            rights: Default::default(),
            review_status: ReviewStatus::Approved,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn terms_are_words_without_hash_or_case() {
        assert_eq!(
            terms("text", "#Hiking, winter  hiking a!").ok(),
            Some(vec!["hiking".into(), "winter".into()])
        );
        assert!(terms("text", " # ! a ").is_err());
        let many = (0..11)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(terms("text", &many).is_err());
    }

    #[test]
    fn hashtags_outweigh_descriptions_and_coverage_outranks_weight() {
        let terms = vec!["tent".to_string(), "family".to_string()];
        let tagged = asset("A camp at the lake", &["tent"], 3);
        let described = asset("A tent by the lake", &["camping"], 3);
        let both_terms = asset("A family tent", &[], 5);
        let older_tagged = asset("Old camp", &["tent"], 9);
        let unrelated = asset("Mountain boots", &["boots"], 1);
        let hits = rank(
            vec![
                described.clone(),
                older_tagged.clone(),
                tagged.clone(),
                both_terms.clone(),
                unrelated,
            ],
            &terms,
            10,
        );
        let order: Vec<Uuid> = hits.iter().map(|h| h.asset.id).collect();
        assert_eq!(
            order,
            vec![both_terms.id, tagged.id, older_tagged.id, described.id]
        );
        assert_eq!(hits[0].matched_terms, vec!["tent", "family"]);
        assert_eq!(hits[1].score, HASHTAG_EXACT);
        assert_eq!(hits[3].score, DESCRIPTION_HIT);
        assert_eq!(rank(vec![tagged], &terms, 0).len(), 0);
    }
}
