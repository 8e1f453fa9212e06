//! `HashingEmbedder`: the offline default embedder, a feature-hashing bag of words.
//!
//! It is NOT a neural embedding: it knows no synonyms. Each text becomes the
//! counts of its words (lower case, common English stop words dropped, a
//! light suffix stemming) and of their character trigrams (so `runner` and
//! `running` or `mountain` and `mountaineer` share features), hashed with
//! FNV-1a into a fixed number of signed buckets, log-scaled and normalised
//! to unit length. Cosine similarity then measures shared vocabulary.
//! Deterministic across processes and platforms.

use async_trait::async_trait;

use super::{AiError, Embedder, Embeddings, TokenUsage};

/// Default number of dimensions.
pub const DEFAULT_DIMENSIONS: usize = 512;
/// Weight of a whole word relative to one of its trigrams.
const WORD_WEIGHT: f32 = 1.0;
/// Weight of one character trigram.
const TRIGRAM_WEIGHT: f32 = 0.35;

const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "for",
    "from",
    "has",
    "have",
    "in",
    "into",
    "is",
    "it",
    "its",
    "me",
    "of",
    "on",
    "or",
    "our",
    "over",
    "some",
    "that",
    "the",
    "their",
    "them",
    "this",
    "to",
    "under",
    "up",
    "was",
    "we",
    "with",
    "you",
    "your",
    "give",
    "show",
    "something",
    "content",
    "about",
    "want",
    "need",
    "looking",
    "like",
    "i",
];

/// Feature-hashing bag-of-words embedder (offline, deterministic, not a neural model).
#[derive(Debug, Clone)]
pub struct HashingEmbedder {
    dimensions: usize,
    model: String,
}

impl Default for HashingEmbedder {
    fn default() -> Self {
        Self::new(DEFAULT_DIMENSIONS)
    }
}

/// FNV-1a, 64 bits: stable across runs (unlike the standard library's keyed hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A light English stemmer: enough for plurals and -ing/-ed/-er forms to meet.
fn stem(word: &str) -> String {
    for suffix in ["ing", "ers", "ies", "ed", "er", "es", "s"] {
        if let Some(base) = word.strip_suffix(suffix)
            && base.chars().count() >= 3
        {
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_string()
            };
        }
    }
    word.to_string()
}

/// The words of a text that carry meaning, stemmed.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

impl HashingEmbedder {
    /// An embedder of `dimensions` buckets (at least 16).
    pub fn new(dimensions: usize) -> Self {
        let dimensions = dimensions.max(16);
        Self {
            dimensions,
            model: format!("hashing-bow-{dimensions}"),
        }
    }

    fn add(&self, vector: &mut [f32], feature: &str, weight: f32) {
        let hash = fnv1a(feature.as_bytes());
        let bucket = (hash % self.dimensions as u64) as usize;
        // The sign bit spreads collisions around zero instead of piling them up.
        let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
        vector[bucket] += sign * weight;
    }

    /// The vector of one text (unit length, or all zeros for a text without words).
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut vector = vec![0.0f32; self.dimensions];
        for word in words(text) {
            self.add(&mut vector, &format!("w:{word}"), WORD_WEIGHT);
            let padded: Vec<char> = format!("^{word}$").chars().collect();
            for gram in padded.windows(3) {
                let gram: String = gram.iter().collect();
                self.add(&mut vector, &format!("g:{gram}"), TRIGRAM_WEIGHT);
            }
        }
        for x in vector.iter_mut() {
            // Log scaling keeps a repeated word from dominating.
            *x = x.signum() * (1.0 + x.abs()).ln();
        }
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for x in vector.iter_mut() {
                *x /= norm;
            }
        }
        vector
    }
}

#[async_trait]
impl Embedder for HashingEmbedder {
    fn provider(&self) -> &str {
        "offline"
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn embed(&self, texts: &[String]) -> Result<Embeddings, AiError> {
        Ok(Embeddings {
            vectors: texts.iter().map(|t| self.embed_one(t)).collect(),
            usage: TokenUsage::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::cosine;

    #[test]
    fn shared_vocabulary_is_closer_than_none() {
        let e = HashingEmbedder::default();
        let query = e.embed_one("trail runners in the mountains");
        let close = e.embed_one("A trail runner climbing a mountain switchback");
        let far = e.embed_one("A cloud cost dashboard for finance teams");
        assert!(cosine(&query, &close) > cosine(&query, &far) + 0.2);
        assert_eq!(e.embed_one("same text"), e.embed_one("same text"));
        assert!(e.embed_one("the of and").iter().all(|x| *x == 0.0));
        let norm: f32 = close.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_eq!(e.model(), "hashing-bow-512");
    }

    #[test]
    fn stemming_meets_plurals_and_verb_forms() {
        assert_eq!(
            words("Runners running stories"),
            vec!["runn", "runn", "story"]
        );
    }
}
