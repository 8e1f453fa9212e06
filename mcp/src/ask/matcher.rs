//! The sentence embedder's part: how close a question is to each kind of question, from
//! the kind's phrasings and its operation's description in the catalogue.

use std::collections::BTreeMap;
use std::sync::Arc;

use promptsales_kit::ai::{AiError, Embedder, cosine};

use super::kinds::KINDS;

/// Similarity below which the local model's closest kind is not trusted (tuned on the
/// labelled set's tuning part, `mcp/eval/ask.jsonl`).
pub const LOCAL_FLOOR: f32 = 0.45;
/// The same for the hashing embedder (word overlap gives lower cosines).
pub const HASHING_FLOOR: f32 = 0.2;

/// The kinds' vectors under one embedder.
pub struct KindIndex {
    embedder: Arc<dyn Embedder>,
    /// Per kind, the vectors of its texts.
    vectors: Vec<Vec<Vec<f32>>>,
    floor: f32,
}

impl std::fmt::Debug for KindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindIndex")
            .field("model", &self.embedder.model())
            .field("floor", &self.floor)
            .finish()
    }
}

impl KindIndex {
    /// Embeds every kind's phrasings and its operation's description (`descriptions`, by
    /// operation name, from the catalogue).
    pub async fn build(
        embedder: Arc<dyn Embedder>,
        descriptions: &BTreeMap<String, String>,
    ) -> Result<Self, AiError> {
        let mut texts = Vec::new();
        let mut owner = Vec::new();
        for (i, kind) in KINDS.iter().enumerate() {
            for phrasing in kind.phrasings {
                texts.push((*phrasing).to_string());
                owner.push(i);
            }
            texts.push(kind.summary.to_string());
            owner.push(i);
            if let Some(description) = descriptions.get(kind.operation) {
                texts.push(description.replace('\n', " "));
                owner.push(i);
            }
        }
        let embedded = embedder.embed(&texts).await?.vectors;
        let mut vectors = vec![Vec::new(); KINDS.len()];
        for (vector, i) in embedded.into_iter().zip(owner) {
            vectors[i].push(vector);
        }
        let floor = if embedder.model().contains("hashing") {
            HASHING_FLOOR
        } else {
            LOCAL_FLOOR
        };
        Ok(Self {
            embedder,
            vectors,
            floor,
        })
    }

    /// The embedder's model name.
    pub fn model(&self) -> &str {
        self.embedder.model()
    }

    /// The similarity floor for this embedder.
    pub fn floor(&self) -> f32 {
        self.floor
    }

    /// Per kind (in [`KINDS`] order), the best similarity of the question with its texts.
    pub async fn scores(&self, question: &str) -> Result<Vec<f32>, AiError> {
        let q = self
            .embedder
            .embed(&[question.to_string()])
            .await?
            .vectors
            .into_iter()
            .next()
            .unwrap_or_default();
        Ok(self
            .vectors
            .iter()
            .map(|texts| texts.iter().map(|v| cosine(&q, v)).fold(0.0f32, f32::max))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_kit::ai::HashingEmbedder;

    #[tokio::test]
    async fn the_closest_kind_by_words_with_the_hashing_embedder() {
        let index = KindIndex::build(Arc::new(HashingEmbedder::default()), &BTreeMap::new())
            .await
            .expect("hashing never fails");
        let scores = index
            .scores("which approvals are pending?")
            .await
            .expect("scores");
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| KINDS[i].id);
        assert_eq!(best, Some("pending_approvals"));
        assert!(index.model().contains("hashing"));
    }
}
