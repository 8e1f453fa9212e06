//! `promptsales bench search`: embedding throughput and semantic-search latency.
//!
//! - Embedding: the demo assets' texts (varied, so no two are the same) through the
//!   configured local model (else the hashing embedder, said so) in batches of 32:
//!   sentences per second, and the latency of embedding one query.
//! - Index: `--assets` GENERATED vectors (default 100,000) in one organization (the worst
//!   case: every search walks one large graph): the demo assets' real embeddings, each copied
//!   with random noise, so the vectors cluster as real descriptions do. Build time of the
//!   HNSW index, search latency p50/p99 of the index (the content subgraph's own
//!   `SearchIndex`), of an exact scan over the same vectors, the graph's recall@10 against
//!   the exact scan, and query embedding + index search end to end.

use std::time::{Duration, Instant};

use anyhow::Context;
use promptsales_content::domain::semantic::new_asset_text;
use promptsales_content::engine::search_index::SearchIndex;
use promptsales_kit::ai::{AiConfig, Embedder, HashingEmbedder, LocalEmbedder};
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

/// What to measure.
#[derive(Debug, Clone, clap::Args)]
pub struct SearchBenchArgs {
    /// Vectors in the index (generated; see the module doc).
    #[arg(long, default_value_t = 100_000)]
    pub assets: usize,
    /// Searches timed.
    #[arg(long, default_value_t = 500)]
    pub queries: usize,
    /// Sentences embedded for the throughput figure.
    #[arg(long, default_value_t = 512)]
    pub sentences: usize,
}

enum Model {
    Local(LocalEmbedder),
    Hashing(HashingEmbedder),
}

impl Model {
    fn name(&self) -> &str {
        match self {
            Self::Local(m) => m.model(),
            Self::Hashing(m) => m.model(),
        }
    }

    fn embed(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        match self {
            Self::Local(m) => Ok(m
                .embed_blocking(texts)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .vectors),
            Self::Hashing(m) => Ok(texts.iter().map(|t| m.embed_one(t)).collect()),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A small deterministic generator (xorshift): the same index every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Runs the benchmark.
pub fn run(args: SearchBenchArgs) -> anyhow::Result<()> {
    let config = AiConfig::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = promptsales_kit::ai::local_embedder::model_dir(&config.models_dir);
    let model = match LocalEmbedder::new(&dir) {
        Ok(local) => Model::Local(local),
        Err(_) => {
            println!(
                "the local model is not in {} (`promptsales models fetch`): measuring the hashing embedder instead",
                dir.display()
            );
            Model::Hashing(HashingEmbedder::default())
        }
    };
    let assets = promptsales_content::seed::demo_assets()?;
    let texts: Vec<String> = assets.iter().map(new_asset_text).collect();
    println!("embedder: {}", model.name());
    // Loads the model (not timed) and gives the cluster centres of the generated index.
    let centres = model.embed(&texts).context("embedding the demo assets")?;
    let dims = centres.first().map_or(0, Vec::len);

    // Throughput: distinct sentences, batches of 32.
    let sentences: Vec<String> = (0..args.sentences.max(1))
        .map(|i| format!("{} (take {i})", texts[i % texts.len()]))
        .collect();
    let started = Instant::now();
    for chunk in sentences.chunks(32) {
        model.embed(chunk)?;
    }
    let elapsed = started.elapsed();
    println!(
        "embedding throughput: {} sentences in {:.2} s = {:.1} sentences/s (batch 32, {} threads)",
        sentences.len(),
        elapsed.as_secs_f64(),
        sentences.len() as f64 / elapsed.as_secs_f64(),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let query_texts: Vec<String> = include_str!("../../subgraphs/content/eval/search.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["query"].as_str().map(String::from))
        .collect();
    let mut embed_times = Vec::new();
    let mut queries = Vec::new();
    for text in query_texts.iter().cycle().take(args.queries.clamp(1, 200)) {
        let started = Instant::now();
        let mut v = model.embed(std::slice::from_ref(text))?;
        embed_times.push(started.elapsed());
        queries.push(v.pop().unwrap_or_default());
    }
    embed_times.sort();
    println!(
        "query embedding (one sentence): p50 {}, p99 {}",
        ms(percentile(&embed_times, 0.5)),
        ms(percentile(&embed_times, 0.99))
    );

    // The index: generated vectors clustered around the real ones.
    let organization = Uuid::now_v7();
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let scale = 2.0 / (dims.max(1) as f32).sqrt();
    let vectors: Vec<(Uuid, Vec<f32>)> = (0..args.assets)
        .map(|i| {
            let centre = &centres[i % centres.len()];
            let v = centre.iter().map(|x| x + scale * noise.next()).collect();
            (Uuid::from_u128(i as u128 + 1), unit(v))
        })
        .collect();
    let index = SearchIndex::new();
    let started = Instant::now();
    index.rebuild(
        vectors
            .iter()
            .map(|(id, v)| (organization, *id, v.clone()))
            .collect(),
    );
    println!(
        "index: {} generated {dims}-dimensional vectors in one organization ({}), built in {:.1} s",
        args.assets,
        if index.uses_graph(organization) {
            "HNSW graph"
        } else {
            "exact scan"
        },
        started.elapsed().as_secs_f64()
    );
    // The same vectors scanned exactly (the index's own exact path, never a graph).
    let exact_index = SearchIndex::with_exact_below(usize::MAX);
    exact_index.rebuild(
        vectors
            .iter()
            .map(|(id, v)| (organization, *id, v.clone()))
            .collect(),
    );
    let scope = TenantScope::Organization(organization);
    let (mut graph_times, mut exact_times, mut agreed) = (Vec::new(), Vec::new(), 0usize);
    for q in queries.iter().cycle().take(args.queries.max(1)) {
        let started = Instant::now();
        let got = index.search(scope, q, 40);
        graph_times.push(started.elapsed());
        let started = Instant::now();
        let exact = exact_index.search(scope, q, 10);
        exact_times.push(started.elapsed());
        agreed += exact
            .iter()
            .filter(|(id, _)| got.iter().take(10).any(|(g, _)| g == id))
            .count();
    }
    graph_times.sort();
    exact_times.sort();
    let searches = graph_times.len();
    println!(
        "index search (top 40 of {}): p50 {}, p99 {}; exact scan: p50 {}, p99 {}; graph recall@10 vs exact: {:.3}",
        args.assets,
        ms(percentile(&graph_times, 0.5)),
        ms(percentile(&graph_times, 0.99)),
        ms(percentile(&exact_times, 0.5)),
        ms(percentile(&exact_times, 0.99)),
        agreed as f64 / (searches * 10) as f64
    );
    let mut total: Vec<Duration> = Vec::new();
    for text in query_texts.iter().cycle().take(args.queries.clamp(1, 200)) {
        let started = Instant::now();
        let v = model.embed(std::slice::from_ref(text))?;
        let _ = index.search(scope, v.first().map_or(&[][..], Vec::as_slice), 40);
        total.push(started.elapsed());
    }
    total.sort();
    println!(
        "search end to end (embed the description + index): p50 {}, p99 {} over {} searches",
        ms(percentile(&total, 0.5)),
        ms(percentile(&total, 0.99)),
        total.len()
    );
    Ok(())
}
