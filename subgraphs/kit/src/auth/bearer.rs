//! Where a request carries its token: `Authorization: Bearer <token>`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::verifier::TokenError;

/// The bearer token of `headers`: `Ok(None)` without an `Authorization` header,
/// an error when the header is there but is not `Bearer <token>`.
pub fn from_headers(headers: &HeaderMap) -> Result<Option<String>, TokenError> {
    match headers.get(AUTHORIZATION) {
        None => Ok(None),
        Some(value) => {
            let text = value.to_str().map_err(|_| TokenError::Malformed)?;
            parse(text).map(Some)
        }
    }
}

/// The bearer token of a WebSocket `connection_init` payload: an `Authorization`
/// field (any case) at the top level, where the router puts forwarded headers,
/// or under `headers`, where browser clients often put them.
pub fn from_connection_payload(payload: &serde_json::Value) -> Result<Option<String>, TokenError> {
    fn authorization(
        object: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Option<&serde_json::Value> {
        object.and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v)
        })
    }
    let top = authorization(payload.as_object());
    let nested = authorization(payload.get("headers").and_then(|h| h.as_object()));
    match top.or(nested) {
        None => Ok(None),
        Some(value) => parse(value.as_str().ok_or(TokenError::Malformed)?).map(Some),
    }
}

fn parse(value: &str) -> Result<String, TokenError> {
    let (scheme, token) = value.trim().split_once(' ').ok_or(TokenError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(TokenError::Malformed);
    }
    Ok(token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_bearer_tokens_from_headers_and_payloads() {
        let mut headers = HeaderMap::new();
        assert!(matches!(from_headers(&headers), Ok(None)));
        headers.insert(AUTHORIZATION, "Bearer abc.def.ghi".parse().expect("value"));
        assert_eq!(
            from_headers(&headers).ok().flatten().as_deref(),
            Some("abc.def.ghi")
        );
        headers.insert(AUTHORIZATION, "Basic dXNlcjpwYXNz".parse().expect("value"));
        assert!(from_headers(&headers).is_err());

        let top = json!({ "authorization": "bearer t1" });
        assert_eq!(
            from_connection_payload(&top).ok().flatten().as_deref(),
            Some("t1")
        );
        let nested = json!({ "headers": { "Authorization": "Bearer t2" } });
        assert_eq!(
            from_connection_payload(&nested).ok().flatten().as_deref(),
            Some("t2")
        );
        assert!(matches!(from_connection_payload(&json!({})), Ok(None)));
        assert!(from_connection_payload(&json!({ "Authorization": 7 })).is_err());
    }
}
