//! The GraphQL parameters of an HTTP request as the persisted-query plugin
//! needs them: with `extensions` and `documentId`, from a POST body or a GET
//! query string (where `variables` and `extensions` are JSON text).

use std::collections::HashMap;

use hive_router::executor::hooks::on_graphql_params::GraphQLParams;
use hive_router::sonic_rs::{self, JsonContainerTrait, JsonValueTrait, Value};
use serde::Deserialize;

/// A request's parameters.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestParams {
    /// The operation text, when sent.
    pub query: Option<String>,
    /// The operation name.
    pub operation_name: Option<String>,
    /// The variables.
    pub variables: HashMap<String, Value>,
    /// The extensions.
    pub extensions: Option<HashMap<String, Value>>,
    /// A persisted document id sent as `documentId` (GraphQL-over-HTTP persisted documents).
    pub document_id: Option<String>,
}

#[derive(Deserialize)]
struct PostBody {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<HashMap<String, Value>>,
    extensions: Option<HashMap<String, Value>>,
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

#[derive(Deserialize)]
struct GetQuery {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

/// `extensions.persistedQuery` as Apollo clients send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistedQuery {
    /// The protocol version (1).
    pub version: Option<i64>,
    /// The hex SHA-256 of the operation text.
    pub sha256_hash: Option<String>,
}

impl RequestParams {
    /// Reads a POST body; `None` when it is not a JSON object of GraphQL parameters (Hive reports that).
    pub fn from_post(body: &[u8]) -> Option<Self> {
        let body: PostBody = sonic_rs::from_slice(body).ok()?;
        Some(Self {
            query: body.query,
            operation_name: body.operation_name,
            variables: body.variables.unwrap_or_default(),
            extensions: body.extensions,
            document_id: body.document_id,
        })
    }

    /// Reads a GET query string; `None` when it cannot be decoded (Hive reports that).
    pub fn from_get(query_string: &str) -> Option<Self> {
        let query: GetQuery =
            hive_router::ntex::web::types::Query::<GetQuery>::from_query(query_string)
                .ok()?
                .into_inner();
        let variables = match query.variables.as_deref().filter(|v| !v.is_empty()) {
            Some(text) => sonic_rs::from_str(text).ok()?,
            None => HashMap::new(),
        };
        let extensions = match query.extensions.as_deref().filter(|e| !e.is_empty()) {
            Some(text) => Some(sonic_rs::from_str(text).ok()?),
            None => None,
        };
        Some(Self {
            query: query.query,
            operation_name: query.operation_name,
            variables,
            extensions,
            document_id: query.document_id,
        })
    }

    /// Takes Hive's parameters (WebSocket operations arrive parsed already).
    pub fn from_params(params: GraphQLParams) -> Self {
        Self {
            query: params.query,
            operation_name: params.operation_name,
            variables: params.variables,
            extensions: params.extensions,
            document_id: None,
        }
    }

    /// `extensions.persistedQuery`, when present.
    pub fn persisted_query(&self) -> Option<PersistedQuery> {
        let value = self.extensions.as_ref()?.get("persistedQuery")?;
        let object = value.as_object()?;
        Some(PersistedQuery {
            version: object.get(&"version").and_then(|v| v.as_i64()),
            sha256_hash: object
                .get(&"sha256Hash")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        })
    }

    /// Hive's parameters, as sent.
    pub fn into_graphql_params(self) -> GraphQLParams {
        GraphQLParams {
            query: self.query,
            operation_name: self.operation_name,
            variables: self.variables,
            extensions: self.extensions,
        }
    }

    /// Hive's parameters, with `query` as the operation text.
    pub fn into_params(self, query: String) -> GraphQLParams {
        GraphQLParams {
            query: Some(query),
            operation_name: self.operation_name,
            variables: self.variables,
            extensions: self.extensions,
        }
    }
}

/// The lower-case hex SHA-256 of an operation text (the APQ hash).
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b";

    #[test]
    fn reads_apollo_post_bodies() {
        let body = format!(
            r#"{{"operationName":"Q","variables":{{"a":1}},"extensions":{{"persistedQuery":{{"version":1,"sha256Hash":"{HASH}"}}}}}}"#
        );
        let params = RequestParams::from_post(body.as_bytes()).unwrap();
        assert_eq!(params.query, None);
        assert_eq!(params.operation_name.as_deref(), Some("Q"));
        assert_eq!(
            params.persisted_query(),
            Some(PersistedQuery {
                version: Some(1),
                sha256_hash: Some(HASH.into())
            })
        );
        assert!(RequestParams::from_post(b"not json").is_none());
        let plain = RequestParams::from_post(br#"{"query":"{ a }","variables":null}"#).unwrap();
        assert_eq!(plain.persisted_query(), None);
    }

    #[test]
    fn reads_get_query_strings() {
        let qs = format!(
            "operationName=Q&variables=%7B%22a%22%3A1%7D&extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22{HASH}%22%7D%7D"
        );
        let params = RequestParams::from_get(&qs).unwrap();
        assert_eq!(params.variables.len(), 1);
        assert_eq!(
            params.persisted_query().and_then(|p| p.sha256_hash),
            Some(HASH.to_string())
        );
        let doc = RequestParams::from_get("documentId=abc").unwrap();
        assert_eq!(doc.document_id.as_deref(), Some("abc"));
    }

    #[test]
    fn hashes_like_apollo() {
        // sha256("{ __typename }")
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
