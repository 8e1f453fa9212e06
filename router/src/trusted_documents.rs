//! Trusted documents: the manifest of the only operations a production router accepts.
//!
//! Two manifest shapes are read, the ones client build tools write:
//! Apollo's persisted-query manifest (`generate-persisted-query-manifest`):
//! `{"format": "apollo-persisted-query-manifest", "version": 1,
//!   "operations": [{"id": "<sha256>", "name": "...", "type": "query", "body": "..."}]}`,
//! and GraphQL Codegen's client-preset `persisted-documents.json`: `{"<hash>": "<body>"}`.
//!
//! Hive Router has persisted documents of its own, but its file storage is
//! required whenever the feature is on and cannot be switched by one
//! variable, and its codes differ from the APQ ones clients already handle;
//! so the manifest is enforced here, next to APQ, with one variable
//! (`PROMPTSALES_TRUSTED_DOCUMENTS`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::graphql_request::sha256_hex;

/// The operations of a manifest, by id and by the hash of their text.
#[derive(Debug, Default, Clone)]
pub struct TrustedDocuments {
    by_id: HashMap<String, Arc<str>>,
    body_hashes: HashSet<String>,
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file cannot be read.
    #[error("cannot read the trusted documents manifest {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not one of the two manifest shapes.
    #[error("{} is not a persisted-operations manifest (Apollo's or GraphQL Codegen's): {reason}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Manifest {
    Apollo {
        format: String,
        version: u32,
        operations: Vec<ApolloOperation>,
    },
    KeyValue(HashMap<String, String>),
}

#[derive(Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

impl TrustedDocuments {
    /// Reads a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| ManifestError::Shape {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Reads a manifest's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let pairs: Vec<(String, String)> = match manifest {
            Manifest::Apollo {
                format,
                version,
                operations,
            } => {
                if format != "apollo-persisted-query-manifest" || version != 1 {
                    return Err(format!(
                        "unsupported manifest format {format:?} version {version} (expected apollo-persisted-query-manifest 1)"
                    ));
                }
                operations.into_iter().map(|op| (op.id, op.body)).collect()
            }
            Manifest::KeyValue(map) => map.into_iter().collect(),
        };
        let mut documents = Self::default();
        for (id, body) in pairs {
            documents.body_hashes.insert(sha256_hex(&body));
            documents.by_id.insert(id, Arc::from(body));
        }
        Ok(documents)
    }

    /// The operation text of `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<str>> {
        self.by_id
            .get(id)
            .or_else(|| self.by_id.get(&id.to_ascii_lowercase()))
    }

    /// Whether `query` is, word for word, one of the manifest's operations.
    pub fn contains_text(&self, query: &str) -> bool {
        self.body_hashes.contains(&sha256_hex(query))
    }

    /// How many operations the manifest lists.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the manifest lists none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_apollo_manifests() {
        let body = "query Q { __typename }";
        let id = sha256_hex(body);
        let text = serde_json::json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": id, "name": "Q", "type": "query", "body": body}]
        })
        .to_string();
        let docs = TrustedDocuments::parse(&text).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs.get(&id).map(|b| b.as_ref()), Some(body));
        assert!(docs.contains_text(body));
        assert!(!docs.contains_text("query Other { __typename }"));
        assert!(docs.get("unknown").is_none());
    }

    #[test]
    fn reads_codegen_manifests_and_refuses_others() {
        let docs = TrustedDocuments::parse(r#"{"abc": "{ __typename }"}"#).unwrap();
        assert_eq!(docs.get("abc").map(|b| b.as_ref()), Some("{ __typename }"));
        assert!(
            TrustedDocuments::parse(
                r#"{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}"#
            )
            .is_err()
        );
        assert!(TrustedDocuments::parse("[1, 2]").is_err());
        assert!(TrustedDocuments::load(Path::new("/nonexistent/manifest.json")).is_err());
    }
}
