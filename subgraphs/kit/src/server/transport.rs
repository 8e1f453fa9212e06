//! GraphQL over HTTP as the spec says, for a subgraph reached without the router.
//!
//! Each subgraph can be deployed on its own, so it follows the rules the router
//! follows: POST only with a JSON media type (a form, multipart or `text/plain`
//! POST, which a browser sends cross-site without a preflight, never executes:
//! 415), no mutation over GET (405), bodies bounded in size and JSON depth, the
//! document checked by [`crate::document_guard`] before async-graphql parses it,
//! `Accept: application/json` (or none) answered as `application/json` and
//! `application/graphql-response+json` with HTTP 400 and no `data` for a document
//! that does not parse or validate. Every refusal is a JSON body with a code.

use std::time::Duration;

use async_graphql::ServerError;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::{ConfigError, Vars};
use crate::document_guard::{self, DocumentLimits, LimitExceeded};

/// `Content-Type` of the spec's GraphQL response media type.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
/// `Content-Type` of plain JSON.
pub const APPLICATION_JSON: &str = "application/json";

/// Code of a request that is not a GraphQL request (not JSON, a batch, no query).
pub const BAD_REQUEST: &str = "BAD_REQUEST";
/// Code of a mutation sent over GET, or a method other than GET and POST.
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
/// Code of a POST body that is not JSON.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
/// Code of a body over the size limit.
pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// Code of a request that took longer than the timeout.
pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
/// Code of a path no route serves.
pub const NOT_FOUND: &str = "NOT_FOUND";

/// Default largest request body (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`): the router's own limit.
pub const DEFAULT_MAX_BODY_SIZE: usize = 2_000_000;
/// Default time one HTTP request may take (`PROMPTSALES_SUBGRAPH_REQUEST_TIMEOUT`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default most tokens in a subgraph document (`PROMPTSALES_SUBGRAPH_MAX_TOKENS`): above the
/// router's 4000, since the router's entity fetches add to what a client sent.
pub const DEFAULT_MAX_TOKENS: usize = 10_000;

/// The transport limits of a subgraph's HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest request body, in bytes.
    pub max_body_size: usize,
    /// Longest time to answer one HTTP request (not a WebSocket's lifetime).
    pub request_timeout: Duration,
    /// Deepest JSON nesting of a body or of GET `variables`/`extensions`.
    pub max_json_depth: usize,
    /// What a document may hold before it is parsed.
    pub document: DocumentLimits,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_json_depth: document_guard::DEFAULT_MAX_JSON_DEPTH,
            document: DocumentLimits {
                max_tokens: DEFAULT_MAX_TOKENS,
                ..DocumentLimits::default()
            },
        }
    }
}

fn parse_count(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "expected a positive whole number".to_string())
}

/// Parses a size in bytes: `2000000`, `64KB`, `2MB` (decimal units, as the router's config).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let upper = text.to_ascii_uppercase();
    let (digits, unit) = match upper.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => upper.split_at(at),
        None => (upper.as_str(), ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| "expected a size such as 2MB".to_string())?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "KIB" => 1_024,
        "MB" => 1_000_000,
        "MIB" => 1_048_576,
        other => return Err(format!("unknown size unit {other:?}")),
    };
    n.checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| "size out of range".to_string())
}

/// Parses a duration: `30s`, `500ms`, `2m`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| "expected a duration such as 30s".to_string())?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        other => return Err(format!("unknown duration unit {other:?}")),
    };
    if duration.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(duration)
}

impl ServerLimits {
    /// The limits from the environment (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`,
    /// `PROMPTSALES_SUBGRAPH_REQUEST_TIMEOUT`, `PROMPTSALES_SUBGRAPH_MAX_JSON_DEPTH`,
    /// `PROMPTSALES_SUBGRAPH_MAX_TOKENS`), each defaulting to [`ServerLimits::default`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&Vars::from_env())
    }

    /// [`ServerLimits::from_env`] from `vars`.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let mut limits = Self::default();
        if let Some(size) = vars.parse("PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE", parse_size)? {
            limits.max_body_size = size;
        }
        if let Some(timeout) = vars.parse("PROMPTSALES_SUBGRAPH_REQUEST_TIMEOUT", parse_duration)? {
            limits.request_timeout = timeout;
        }
        if let Some(depth) = vars.parse("PROMPTSALES_SUBGRAPH_MAX_JSON_DEPTH", parse_count)? {
            limits.max_json_depth = depth;
        }
        if let Some(tokens) = vars.parse("PROMPTSALES_SUBGRAPH_MAX_TOKENS", parse_count)? {
            limits.document.max_tokens = tokens;
        }
        Ok(limits)
    }
}

/// The media type an answer is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMedia {
    /// `application/json`: request errors keep HTTP 200 (the spec's legacy rules).
    Json,
    /// `application/graphql-response+json`: request errors get HTTP 4xx and no `data`.
    GraphQLResponseJson,
}

impl ResponseMedia {
    /// What `Accept` asks for: `application/graphql-response+json` when listed (and not
    /// refused with `q=0`) ahead of plain JSON; otherwise `application/json`, which is also
    /// the answer to no `Accept`, `*/*`, or types this server does not speak.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for value in headers.get_all(header::ACCEPT) {
            let Ok(text) = value.to_str() else { continue };
            for item in text.split(',') {
                let mut parts = item.split(';');
                let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let kind = match media.as_str() {
                    GRAPHQL_RESPONSE_JSON => Self::GraphQLResponseJson,
                    APPLICATION_JSON | "application/*" | "*/*" => Self::Json,
                    _ => continue,
                };
                if q <= 0.0 {
                    continue;
                }
                // Ties go to the first listed.
                if best.is_none_or(|(best_q, _)| q > best_q) {
                    best = Some((q, kind));
                }
            }
        }
        best.map_or(Self::Json, |(_, kind)| kind)
    }

    /// The `Content-Type` value.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => APPLICATION_JSON,
            Self::GraphQLResponseJson => GRAPHQL_RESPONSE_JSON,
        }
    }
}

/// A JSON GraphQL error body `{"errors":[{message, extensions.code}]}` with `status`.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message.into(), "extensions": { "code": code } }]
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(APPLICATION_JSON),
    );
    response
}

/// Whether a POST's `Content-Type` is JSON (`application/json`, any parameters, or a
/// `+json` type); a browser cannot send one cross-site without a CORS preflight.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == APPLICATION_JSON
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Why a request was refused before execution.
#[derive(Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// The JSON answer.
    pub fn into_response(self) -> Response {
        let mut response = error_response(self.status, self.code, self.message);
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        }
        response
    }
}

impl From<LimitExceeded> for Refusal {
    fn from(exceeded: LimitExceeded) -> Self {
        Self::new(StatusCode::BAD_REQUEST, exceeded.code, exceeded.message)
    }
}

/// Reads a GraphQL request from `method`, `headers`, the query string and `body`,
/// checking every limit before decoding JSON or parsing the document.
pub async fn read_request(
    limits: &ServerLimits,
    method: &Method,
    headers: &HeaderMap,
    query_string: Option<&str>,
    body: Body,
) -> Result<async_graphql::Request, Refusal> {
    let request = if *method == Method::GET {
        read_get(limits, query_string.unwrap_or_default())?
    } else if *method == Method::POST {
        if !is_json_content_type(headers) {
            return Err(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                UNSUPPORTED_MEDIA_TYPE,
                "a GraphQL POST must have Content-Type: application/json",
            ));
        }
        let bytes = axum::body::to_bytes(body, limits.max_body_size)
            .await
            .map_err(|_| {
                Refusal::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    PAYLOAD_TOO_LARGE,
                    format!("the body is over {} bytes", limits.max_body_size),
                )
            })?;
        document_guard::check_json_depth(&bytes, limits.max_json_depth)?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                "batched requests are not supported",
            ));
        }
        serde_json::from_slice::<async_graphql::Request>(&bytes).map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                format!("not a GraphQL request: {e}"),
            )
        })?
    } else {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            METHOD_NOT_ALLOWED,
            "GraphQL requests are GET or POST",
        ));
    };
    if request.query.trim().is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            BAD_REQUEST,
            "the request has no query",
        ));
    }
    document_guard::check_document(&request.query, &limits.document)?;
    if *method == Method::GET && is_mutation(&request) {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            METHOD_NOT_ALLOWED,
            "mutations are not allowed over GET; use POST",
        ));
    }
    Ok(request)
}

#[derive(serde::Deserialize)]
struct GetText {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

fn read_get(limits: &ServerLimits, query_string: &str) -> Result<async_graphql::Request, Refusal> {
    let bad = |message: String| Refusal::new(StatusCode::BAD_REQUEST, BAD_REQUEST, message);
    let text: GetText = serde_urlencoded_from(query_string)
        .map_err(|e| bad(format!("cannot decode the query string: {e}")))?;
    let mut request = async_graphql::Request::new(text.query.unwrap_or_default());
    if let Some(name) = text.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    if let Some(variables) = text.variables.filter(|v| !v.is_empty()) {
        document_guard::check_json_depth(variables.as_bytes(), limits.max_json_depth)?;
        let value: serde_json::Value = serde_json::from_str(&variables)
            .map_err(|e| bad(format!("`variables` is not JSON: {e}")))?;
        request = request.variables(async_graphql::Variables::from_json(value));
    }
    if let Some(extensions) = text.extensions.filter(|v| !v.is_empty()) {
        document_guard::check_json_depth(extensions.as_bytes(), limits.max_json_depth)?;
        serde_json::from_str::<serde_json::Value>(&extensions)
            .map_err(|e| bad(format!("`extensions` is not JSON: {e}")))?;
    }
    Ok(request)
}

/// Decodes an `application/x-www-form-urlencoded` query string (axum's own decoder).
fn serde_urlencoded_from<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, String> {
    let uri: axum::http::Uri = format!("/?{query}")
        .parse()
        .map_err(|e: axum::http::uri::InvalidUri| e.to_string())?;
    axum::extract::Query::<T>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| e.body_text())
}

/// Whether the operation `request` selects is a mutation (a document that does not
/// parse is not one: execution reports the parse error).
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let ty = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op.node.ty),
        // Ambiguous without a name: execution refuses it; refuse here if any is a mutation.
        (DocumentOperations::Multiple(ops), None) => ops
            .values()
            .any(|op| op.node.ty == OperationType::Mutation)
            .then_some(OperationType::Mutation),
    };
    ty == Some(OperationType::Mutation)
}

/// Codes of errors raised before execution starts: with them alone and no data, the
/// document did not parse or validate.
fn is_request_error(error: &ServerError) -> bool {
    let code = error
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        });
    matches!(
        code.as_deref(),
        Some(
            crate::error::codes::GRAPHQL_PARSE_FAILED
                | crate::error::codes::GRAPHQL_VALIDATION_FAILED
        )
    )
}

/// The HTTP answer to an executed (or refused-at-validation) request in `media`.
pub fn graphql_response(response: async_graphql::Response, media: ResponseMedia) -> Response {
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(is_request_error);
    let mut body = match serde_json::to_value(&response) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "a GraphQL response could not be serialized");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::error::codes::INTERNAL_SERVER_ERROR,
                "the response could not be serialized",
            );
        }
    };
    let status = if request_error && media == ResponseMedia::GraphQLResponseJson {
        // The spec: a document that does not parse or validate has no `data` at all.
        if let Some(object) = body.as_object_mut() {
            object.remove("data");
        }
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut http = (status, body.to_string()).into_response();
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    if response.is_ok()
        && let Some(cache_control) = response.cache_control.value()
        && let Ok(value) = HeaderValue::from_str(&cache_control)
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.extend(response.http_headers);
    http
}

/// Turns an error answer that is not JSON (an unknown path, a method no route takes,
/// the body limit's or the timeout's own answers) into a JSON body with a code.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED => METHOD_NOT_ALLOWED,
        StatusCode::PAYLOAD_TOO_LARGE => PAYLOAD_TOO_LARGE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => UNSUPPORTED_MEDIA_TYPE,
        StatusCode::REQUEST_TIMEOUT => REQUEST_TIMEOUT,
        StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
        s if s.is_server_error() => crate::error::codes::INTERNAL_SERVER_ERROR,
        _ => BAD_REQUEST,
    };
    let message = status.canonical_reason().unwrap_or("request refused");
    let mut json = error_response(status, code, message);
    // Keep what the original said about the method or retrying.
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            json.headers_mut().insert(name, value.clone());
        }
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn negotiates_the_response_media_type() {
        assert_eq!(
            ResponseMedia::negotiate(&HeaderMap::new()),
            ResponseMedia::Json
        );
        assert_eq!(
            ResponseMedia::negotiate(&accept("application/json")),
            ResponseMedia::Json
        );
        assert_eq!(
            ResponseMedia::negotiate(&accept("application/graphql-response+json")),
            ResponseMedia::GraphQLResponseJson
        );
        assert_eq!(
            ResponseMedia::negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            ResponseMedia::GraphQLResponseJson
        );
        assert_eq!(
            ResponseMedia::negotiate(&accept(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            ResponseMedia::Json
        );
        assert_eq!(
            ResponseMedia::negotiate(&accept("*/*")),
            ResponseMedia::Json
        );
        assert_eq!(
            ResponseMedia::negotiate(&accept("text/html")),
            ResponseMedia::Json
        );
    }

    #[test]
    fn only_json_content_types_post() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            is_json_content_type(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/graphql-response+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!with("multipart/form-data; boundary=x"));
        assert!(!with("application/jsonp"));
        assert!(!is_json_content_type(&HeaderMap::new()));
    }

    #[test]
    fn parses_sizes_and_durations() {
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("64kb"), Ok(64_000));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size("0").is_err());
        assert!(parse_size("2XB").is_err());
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn finds_mutations() {
        let m = |q: &str, name: Option<&str>| {
            let mut request = async_graphql::Request::new(q);
            if let Some(name) = name {
                request = request.operation_name(name);
            }
            is_mutation(&request)
        };
        assert!(m("mutation { a }", None));
        assert!(!m("{ a }", None));
        assert!(!m("query Q { a } mutation M { b }", Some("Q")));
        assert!(m("query Q { a } mutation M { b }", Some("M")));
        assert!(m("query Q { a } mutation M { b }", None));
        assert!(!m("mutation {", None));
    }
}
