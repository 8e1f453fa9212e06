//! The in-process vector index of semantic search, per tenant: an exact scan
//! below [`EXACT_BELOW`] vectors (exact, and faster than a graph at that size),
//! an HNSW graph (`instant-distance`) above, rebuilt from the store at start
//! and kept current on registration.
//!
//! `instant-distance` builds static graphs, so new or changed vectors first go
//! to a per-tenant "fresh" list that is scanned exactly; once it holds
//! [`REBUILD_AFTER`] vectors or an eighth of the tenant's (so that rebuilds
//! stay amortised while a large backfill streams in) the graph is rebuilt.
//! Results are re-scored against the current vector of each asset, so a stale
//! point in the graph never ranks an asset by its old text.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use instant_distance::{Builder, HnswMap, Point, Search};
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

/// Fresh vectors a tenant accumulates before its graph is rebuilt (at least; see the module doc).
pub const REBUILD_AFTER: usize = 32;
/// Tenants with fewer vectors are searched exactly, without a graph.
pub const EXACT_BELOW: usize = 2_000;
/// Candidates read from a graph per search (before re-scoring and filtering).
pub const GRAPH_CANDIDATES: usize = 200;

/// A unit vector; distance is 1 - cosine.
#[derive(Clone, Debug)]
pub struct Vector(Arc<[f32]>);

impl Vector {
    /// `values` scaled to unit length (all zeros stay zeros).
    pub fn normalised(values: &[f32]) -> Self {
        let norm = values.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            Self(values.iter().map(|x| x / norm).collect())
        } else {
            Self(values.into())
        }
    }

    /// Cosine similarity with another unit vector (0 when dimensions differ).
    pub fn similarity(&self, other: &Vector) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum()
    }
}

impl Point for Vector {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - self.similarity(other)
    }
}

#[derive(Default)]
struct TenantIndex {
    graph: Option<HnswMap<Vector, Uuid>>,
    fresh: Vec<Uuid>,
    vectors: HashMap<Uuid, Vector>,
}

impl TenantIndex {
    fn rebuild(&mut self, exact_below: usize) {
        self.fresh.clear();
        if self.vectors.len() < exact_below {
            self.graph = None;
            return;
        }
        let mut ids: Vec<Uuid> = self.vectors.keys().copied().collect();
        // A deterministic graph for the same data (ids sorted, fixed seed).
        ids.sort();
        let points: Vec<Vector> = ids
            .iter()
            .filter_map(|id| self.vectors.get(id).cloned())
            .collect();
        self.graph = (!points.is_empty()).then(|| {
            Builder::default()
                .seed(0x5eed)
                .ef_search(GRAPH_CANDIDATES)
                .build(points, ids)
        });
    }

    fn upsert(&mut self, id: Uuid, vector: Vector, exact_below: usize) {
        self.vectors.insert(id, vector);
        if self.graph.is_none() && self.vectors.len() < exact_below {
            return;
        }
        self.fresh.push(id);
    }

    fn rebuild_when_due(&mut self, exact_below: usize) {
        let due = REBUILD_AFTER.max(self.vectors.len() / 8);
        if (self.graph.is_none() && self.vectors.len() >= exact_below) || self.fresh.len() >= due {
            self.rebuild(exact_below);
        }
    }

    fn search(&self, query: &Vector, limit: usize) -> Vec<(Uuid, f32)> {
        let Some(graph) = &self.graph else {
            let mut hits: Vec<(Uuid, f32)> = self
                .vectors
                .iter()
                .map(|(id, v)| (*id, v.similarity(query)))
                .collect();
            hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
            hits.truncate(limit);
            return hits;
        };
        let mut seen: HashMap<Uuid, f32> = HashMap::new();
        {
            let mut search = Search::default();
            for item in graph.search(query, &mut search).take(GRAPH_CANDIDATES) {
                let id = *item.value;
                if let Some(current) = self.vectors.get(&id) {
                    seen.insert(id, current.similarity(query));
                }
            }
        }
        for id in &self.fresh {
            if let Some(current) = self.vectors.get(id) {
                seen.insert(*id, current.similarity(query));
            }
        }
        let mut hits: Vec<(Uuid, f32)> = seen.into_iter().collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        hits.truncate(limit);
        hits
    }
}

/// The index of every tenant's asset vectors, for one embedding model.
pub struct SearchIndex {
    tenants: RwLock<HashMap<Uuid, TenantIndex>>,
    exact_below: usize,
}

impl Default for SearchIndex {
    fn default() -> Self {
        Self::with_exact_below(EXACT_BELOW)
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("vectors", &self.len())
            .finish()
    }
}

impl SearchIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index whose tenants with fewer than `exact_below` vectors are scanned exactly
    /// (benchmarks: `usize::MAX` never builds a graph; tests: a small graph).
    pub fn with_exact_below(exact_below: usize) -> Self {
        Self {
            tenants: RwLock::default(),
            exact_below,
        }
    }

    /// How many vectors it holds.
    pub fn len(&self) -> usize {
        self.tenants
            .read()
            .map(|t| t.values().map(|x| x.vectors.len()).sum())
            .unwrap_or(0)
    }

    /// Whether it holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the whole index with `vectors` (organization, asset, vector) and builds every graph.
    pub fn rebuild(&self, vectors: Vec<(Uuid, Uuid, Vec<f32>)>) {
        let mut tenants: HashMap<Uuid, TenantIndex> = HashMap::new();
        for (organization, id, vector) in vectors {
            tenants
                .entry(organization)
                .or_default()
                .vectors
                .insert(id, Vector::normalised(&vector));
        }
        for tenant in tenants.values_mut() {
            tenant.rebuild(self.exact_below);
        }
        if let Ok(mut guard) = self.tenants.write() {
            *guard = tenants;
        }
    }

    /// Adds or replaces one asset's vector.
    pub fn upsert(&self, organization: Uuid, id: Uuid, vector: &[f32]) {
        let Ok(mut guard) = self.tenants.write() else {
            return;
        };
        let tenant = guard.entry(organization).or_default();
        tenant.upsert(id, Vector::normalised(vector), self.exact_below);
        tenant.rebuild_when_due(self.exact_below);
    }

    /// Adds or replaces many vectors (organization, asset, vector); each tenant's graph is
    /// rebuilt at most once for the lot.
    pub fn upsert_many<'a>(&self, vectors: impl IntoIterator<Item = (Uuid, Uuid, &'a [f32])>) {
        let Ok(mut guard) = self.tenants.write() else {
            return;
        };
        let mut touched = std::collections::HashSet::new();
        for (organization, id, vector) in vectors {
            guard.entry(organization).or_default().upsert(
                id,
                Vector::normalised(vector),
                self.exact_below,
            );
            touched.insert(organization);
        }
        for organization in touched {
            if let Some(tenant) = guard.get_mut(&organization) {
                tenant.rebuild_when_due(self.exact_below);
            }
        }
    }

    /// Whether `organization`'s vectors are searched through a graph (else exactly).
    pub fn uses_graph(&self, organization: Uuid) -> bool {
        self.tenants
            .read()
            .is_ok_and(|t| t.get(&organization).is_some_and(|x| x.graph.is_some()))
    }

    /// The `limit` assets nearest to `query` within `scope`, best first, with their cosine similarity.
    pub fn search(&self, scope: TenantScope, query: &[f32], limit: usize) -> Vec<(Uuid, f32)> {
        let query = Vector::normalised(query);
        let Ok(guard) = self.tenants.read() else {
            return Vec::new();
        };
        let mut hits: Vec<(Uuid, f32)> = match scope.organization() {
            Some(org) => guard
                .get(&org)
                .map(|t| t.search(&query, limit))
                .unwrap_or_default(),
            None => guard
                .values()
                .flat_map(|t| t.search(&query, limit))
                .collect(),
        };
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_within_the_tenant_only_and_follows_updates() {
        let index = SearchIndex::new();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let ids: Vec<Uuid> = (0..50).map(|_| Uuid::now_v7()).collect();
        let mut vectors = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let angle = i as f32 / 10.0;
            vectors.push((a, *id, vec![angle.cos(), angle.sin(), 0.0]));
        }
        let other = Uuid::now_v7();
        vectors.push((b, other, vec![1.0, 0.0, 0.0]));
        index.rebuild(vectors);
        let hits = index.search(TenantScope::Organization(a), &[1.0, 0.0, 0.0], 3);
        assert_eq!(hits[0].0, ids[0]);
        assert!(hits.iter().all(|(id, _)| *id != other), "tenant filtered");
        assert_eq!(
            index.search(TenantScope::Organization(b), &[1.0, 0.0, 0.0], 3)[0].0,
            other
        );
        // A changed vector ranks by its new value at once.
        index.upsert(a, ids[0], &[0.0, 0.0, 1.0]);
        let hits = index.search(TenantScope::Organization(a), &[0.0, 0.0, 1.0], 1);
        assert_eq!(hits[0].0, ids[0]);
        assert!((hits[0].1 - 1.0).abs() < 1e-5);
        let hits = index.search(TenantScope::Organization(a), &[1.0, 0.0, 0.0], 1);
        assert_eq!(hits[0].0, ids[1]);
        // Enough fresh vectors rebuild the graph; all stay findable.
        for i in 0..REBUILD_AFTER {
            index.upsert(a, Uuid::now_v7(), &[0.0, 1.0, i as f32]);
        }
        assert_eq!(index.len(), 51 + REBUILD_AFTER);
        assert_eq!(index.search(TenantScope::All, &[1.0, 0.0, 0.0], 2).len(), 2);
    }

    fn pseudo_random(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                (0..dims)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn large_tenants_use_a_graph_that_agrees_with_the_exact_scan() {
        // A small threshold keeps the test quick; the graph logic is the same at any size.
        let index = SearchIndex::with_exact_below(400);
        let (big, small) = (Uuid::now_v7(), Uuid::now_v7());
        let vectors = pseudo_random(600, 24, 7);
        let ids: Vec<Uuid> = (0..vectors.len()).map(|_| Uuid::now_v7()).collect();
        let mut rows: Vec<(Uuid, Uuid, Vec<f32>)> = ids
            .iter()
            .zip(&vectors)
            .map(|(id, v)| (big, *id, v.clone()))
            .collect();
        let lone = Uuid::now_v7();
        rows.push((small, lone, vectors[0].clone()));
        index.rebuild(rows);
        assert!(index.uses_graph(big));
        assert!(
            !index.uses_graph(small),
            "small tenants are scanned exactly"
        );
        // Top-10 of the graph against the exact top-10, over 40 queries.
        let queries = pseudo_random(40, 24, 99);
        let mut agreed = 0;
        for query in &queries {
            let q = Vector::normalised(query);
            let mut exact: Vec<(Uuid, f32)> = ids
                .iter()
                .zip(&vectors)
                .map(|(id, v)| (*id, Vector::normalised(v).similarity(&q)))
                .collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1));
            let got = index.search(TenantScope::Organization(big), query, 10);
            assert!(got.iter().all(|(id, _)| *id != lone), "tenant filtered");
            agreed += exact[..10]
                .iter()
                .filter(|(id, _)| got.iter().any(|(g, _)| g == id))
                .count();
        }
        let recall = agreed as f64 / (queries.len() * 10) as f64;
        assert!(recall >= 0.9, "graph recall@10 {recall}");
        // A stored vector finds itself; a vector added after the build is found at once.
        let hit = index.search(TenantScope::Organization(big), &vectors[123], 1);
        assert_eq!(hit[0].0, ids[123]);
        let late = Uuid::now_v7();
        index.upsert_many([(big, late, [1.0f32; 24].as_slice())]);
        let hit = index.search(TenantScope::Organization(big), &[1.0; 24], 1);
        assert_eq!(hit[0].0, late);
    }
}
