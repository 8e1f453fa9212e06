//! Who is calling, as far as the router can vouch for it: the claims of a
//! token Hive Router's JWT validation accepted, the PromptSales context
//! headers, and the client's address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use hive_router::ntex::http::HeaderMap;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

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
    Verified(Arc<Claims>),
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
    match remembered_claims(token) {
        Some(claims) => Caller::Verified(claims),
        None => Caller::Unverified,
    }
}

/// The claims of verified tokens until they expire, keyed by the token's SHA-256 (the
/// token itself is never kept): every plugin of every request with the same token reads
/// them here instead of decoding the token again.
struct Remembered {
    claims: Arc<Claims>,
    expires_at: u64,
}

/// The most tokens remembered; past it, expired ones go, and if none had, all of them.
const REMEMBERED_TOKENS: usize = 10_000;

static REMEMBERED: OnceLock<Mutex<HashMap<[u8; 32], Remembered>>> = OnceLock::new();

/// The claims of a verified `token`, remembered by its digest until its `exp`.
fn remembered_claims(token: &str) -> Option<Arc<Claims>> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let now = crate::response_cache::store::now();
    let memo = REMEMBERED.get_or_init(Mutex::default);
    if let Ok(memo) = memo.lock()
        && let Some(found) = memo.get(&digest)
        && now < found.expires_at
    {
        return Some(found.claims.clone());
    }
    let (claims, expires_at) = decode_claims(token)?;
    let claims = Arc::new(claims);
    // A token without an expiry is decoded every time rather than remembered for ever.
    if let Some(expires_at) = expires_at
        && now < expires_at
        && let Ok(mut memo) = memo.lock()
    {
        if memo.len() >= REMEMBERED_TOKENS {
            memo.retain(|_, r| now < r.expires_at);
            if memo.len() >= REMEMBERED_TOKENS {
                memo.clear();
            }
        }
        memo.insert(
            digest,
            Remembered {
                claims: claims.clone(),
                expires_at,
            },
        );
    }
    Some(claims)
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

/// The claims and expiry (`exp`) a JWT's payload carries.
#[derive(Deserialize)]
struct Payload {
    #[serde(flatten)]
    claims: Claims,
    #[serde(default)]
    exp: Option<u64>,
}

/// The payload of a JWT, read without checking its signature: call only for a
/// token Hive Router has verified.
fn decode_claims(token: &str) -> Option<(Claims, Option<u64>)> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let payload: Payload = serde_json::from_slice(&bytes).ok()?;
    Some((payload.claims, payload.exp))
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
        let t = token(
            serde_json::json!({"sub": "u1", "org": "o1", "roles": ["sales:read"], "exp": 4_000_000_000u64}),
        );
        let h = headers(&[("authorization", &format!("Bearer {t}"))]);
        let expected = Caller::Verified(Arc::new(Claims {
            sub: Some("u1".into()),
            org: Some("o1".into()),
            roles: vec!["sales:read".into()],
        }));
        assert_eq!(caller(&h, true), expected);
        // Remembered: the same answer again.
        assert_eq!(caller(&h, true), expected);
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
    fn remembered_claims_end_with_their_token() {
        let expired = token(serde_json::json!({"sub": "old", "exp": 1}));
        let h = headers(&[("authorization", &format!("Bearer {expired}"))]);
        // Hive Router refuses an expired token; were it let through, its claims would still
        // be read from the token each time, never from a stale memory.
        for _ in 0..2 {
            let Caller::Verified(claims) = caller(&h, true) else {
                panic!("claims expected");
            };
            assert_eq!(claims.sub.as_deref(), Some("old"));
        }
        let digest: [u8; 32] = Sha256::digest(expired.as_bytes()).into();
        let memo = REMEMBERED.get_or_init(Mutex::default).lock().unwrap();
        assert!(
            !memo.contains_key(&digest),
            "an expired token is not remembered"
        );
        let no_exp = token(serde_json::json!({"sub": "forever"}));
        let digest: [u8; 32] = Sha256::digest(no_exp.as_bytes()).into();
        drop(memo);
        let h = headers(&[("authorization", &format!("Bearer {no_exp}"))]);
        assert!(matches!(caller(&h, true), Caller::Verified(_)));
        let memo = REMEMBERED.get_or_init(Mutex::default).lock().unwrap();
        assert!(!memo.contains_key(&digest), "no expiry: not remembered");
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
