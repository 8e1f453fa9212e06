//! The in-process vector index of semantic search: one HNSW graph per tenant
//! (`instant-distance`), rebuilt from the store at start and kept current on
//! registration.
//!
//! `instant-distance` builds static graphs, so new or changed vectors first go
//! to a small per-tenant "fresh" list that is scanned exactly; once it holds
//! [`REBUILD_AFTER`] vectors the tenant's graph is rebuilt. Results are
//! re-scored against the current vector of each asset, so a stale point in
//! the graph never ranks an asset by its old text.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use instant_distance::{Builder, HnswMap, Point, Search};
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

/// Fresh vectors a tenant accumulates before its graph is rebuilt.
pub const REBUILD_AFTER: usize = 32;
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
    fn rebuild(&mut self) {
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
        self.fresh.clear();
    }

    fn search(&self, query: &Vector, limit: usize) -> Vec<(Uuid, f32)> {
        let mut seen: HashMap<Uuid, f32> = HashMap::new();
        if let Some(graph) = &self.graph {
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
#[derive(Default)]
pub struct SearchIndex {
    tenants: RwLock<HashMap<Uuid, TenantIndex>>,
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
            tenant.rebuild();
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
        tenant.vectors.insert(id, Vector::normalised(vector));
        tenant.fresh.push(id);
        if tenant.fresh.len() >= REBUILD_AFTER {
            tenant.rebuild();
        }
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
}
