//! Who is calling, as far as the router can vouch for it: the claims of a
//! token Hive Router's JWT validation accepted, the PromptSales context
//! headers, and the client's address.

use std::net::IpAddr;

use base64::Engine as _;
use hive_router::ntex::http::HeaderMap;
use serde::Deserialize;

/// The prefix of the request headers subgraphs read a context from (`x-promptsales-organization`, ...).
pub const CONTEXT_HEADER_PREFIX: &str = "x-promptsales-";

/// The claims of a verified access token that scope what a caller may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// The user id (or client id).
    #[serde(default)]
    pub sub: Option<String>,
    /// The organization (tenant).
    #[serde(default)]
    pub org: Option<String>,
    /// `subsystem:role` grants.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// What the router knows of the caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A token Hive Router verified; its claims.
    Verified(Claims),
    /// A token the router did not verify (JWT validation off, or the token was rejected
    /// without failing the request): nothing about the caller can be trusted here.
    Unverified,
    /// No token at all.
    Anonymous,
}

/// The caller of a request with `headers`, given Hive Router's JWT status for it.
pub fn caller(headers: &HeaderMap, jwt_verified: bool) -> Caller {
    let Some(token) = bearer_token(headers) else {
        return Caller::Anonymous;
    };
    if !jwt_verified {
        return Caller::Unverified;
    }
    match decode_claims(token) {
        Some(claims) => Caller::Verified(claims),
        None => Caller::Unverified,
    }
}

/// The token of an `Authorization: Bearer ...` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// The payload of a JWT, read without checking its signature: call only for a
/// token Hive Router has verified.
fn decode_claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The PromptSales context headers of a request, lower-cased and sorted (`name=value`).
pub fn context_headers(headers: &HeaderMap) -> Vec<String> {
    let mut found: Vec<String> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with(CONTEXT_HEADER_PREFIX))
        .map(|(name, value)| {
            format!(
                "{}={}",
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes())
            )
        })
        .collect();
    found.sort();
    found
}

/// The value of one context header.
pub fn context_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The client's address, kept in the plugin context by the rate limit's HTTP hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router::ntex::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn token(claims: serde_json::Value) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            engine.encode(br#"{"alg":"ES256"}"#),
            engine.encode(claims.to_string())
        )
    }

    #[test]
    fn verified_tokens_give_their_claims() {
        let t =
            token(serde_json::json!({"sub": "u1", "org": "o1", "roles": ["sales:read"], "exp": 1}));
        let h = headers(&[("authorization", &format!("Bearer {t}"))]);
        assert_eq!(
            caller(&h, true),
            Caller::Verified(Claims {
                sub: Some("u1".into()),
                org: Some("o1".into()),
                roles: vec!["sales:read".into()],
            })
        );
        assert_eq!(caller(&h, false), Caller::Unverified);
        let garbage = headers(&[("authorization", "Bearer not-a-jwt")]);
        assert_eq!(caller(&garbage, true), Caller::Unverified);
        assert_eq!(caller(&headers(&[]), false), Caller::Anonymous);
        assert_eq!(
            caller(&headers(&[("authorization", "Basic abc")]), true),
            Caller::Anonymous
        );
    }

    #[test]
    fn context_headers_are_sorted() {
        let h = headers(&[
            ("x-promptsales-roles", "sales:read"),
            ("x-promptsales-organization", "o1"),
            ("accept", "application/json"),
        ]);
        assert_eq!(
            context_headers(&h),
            vec![
                "x-promptsales-organization=o1",
                "x-promptsales-roles=sales:read"
            ]
        );
        assert_eq!(context_header(&h, "x-promptsales-organization"), Some("o1"));
    }
}
