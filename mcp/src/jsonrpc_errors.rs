//! Every refusal of the streamable HTTP transport as a JSON-RPC error.
//!
//! rmcp answers what it cannot take (malformed JSON, a wrong media type, an unknown
//! session, a bad protocol header) with a plain-text body; a client can cause each of
//! them, so each becomes a JSON-RPC error object with a stable code: `-32700` (parse
//! error) for a body that is not JSON, `-32600` (invalid request) otherwise. The HTTP
//! status stays what the transport chose, except that a body that does not parse is
//! a 400 (rmcp says 415) and a body that could not be read is the client's 400, not a 500.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// JSON-RPC: the body is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the body is not a valid request.
pub const INVALID_REQUEST: i64 = -32600;

/// The most of a plain-text refusal kept in the error's message.
const MAX_MESSAGE: usize = 2_048;

/// The JSON-RPC error body of a refusal (no `id`: the request could not be read).
pub fn error_body(code: i64, message: &str) -> serde_json::Value {
    json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code, "message": message } })
}

/// The body of hyper's own refusal of a request it could not parse (bad HTTP, headers or URI
/// too large): `-32600`, as for any request that is not a valid one.
pub fn wire_refusal(status: StatusCode) -> String {
    error_body(
        INVALID_REQUEST,
        promptsales_kit::server::wire::refusal_message(status),
    )
    .to_string()
}

/// The code and status of a plain-text refusal.
pub fn classify(status: StatusCode, text: &str) -> (i64, StatusCode) {
    let lower = text.to_ascii_lowercase();
    if lower.contains("deserialize") || lower.contains("parse") {
        (PARSE_ERROR, StatusCode::BAD_REQUEST)
    } else if status.is_server_error() && lower.contains("read request body") {
        (INVALID_REQUEST, StatusCode::BAD_REQUEST)
    } else {
        (INVALID_REQUEST, status)
    }
}

/// Middleware: rewrites non-JSON error answers of `/mcp` as JSON-RPC errors.
pub async fn as_jsonrpc(request: Request, next: Next) -> Response {
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
    let (parts, body) = response.into_parts();
    let text = match to_bytes(body, MAX_MESSAGE * 4).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut message: String = text.trim().chars().take(MAX_MESSAGE).collect();
    if message.is_empty() {
        message = status
            .canonical_reason()
            .unwrap_or("request refused")
            .into();
    }
    let (code, status) = classify(status, &message);
    let mut json = (status, Body::from(error_body(code, &message).to_string())).into_response();
    json.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // What the transport said about methods, sessions and authentication still holds.
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            json.headers_mut().insert(name, value.clone());
        }
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_transport_refusals() {
        assert_eq!(
            classify(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "fail to deserialize request body expected value at line 1 column 1"
            ),
            (PARSE_ERROR, StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            classify(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type: Content-Type must be application/json"
            ),
            (INVALID_REQUEST, StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert_eq!(
            classify(
                StatusCode::BAD_REQUEST,
                "Bad Request: Session ID is required"
            ),
            (INVALID_REQUEST, StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            classify(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Failed to read request body: reset"
            ),
            (INVALID_REQUEST, StatusCode::BAD_REQUEST)
        );
    }
}
