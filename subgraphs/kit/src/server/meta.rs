//! What the transport knows about a request besides the verified identity: its
//! headers and the TCP peer's address.
//!
//! The kit's server builds one [`RequestMeta`] per HTTP request and one per
//! WebSocket connection, hands it to the app's [`super::RequestDataHook`] and
//! puts it in the request's data, so a resolver reads it with
//! `ctx.data_opt::<RequestMeta>()` whichever transport the operation came over.
//! (Task-locals set by a middleware do not work for this: axum runs a WebSocket
//! in a task of its own, where they are empty.)

use std::net::{IpAddr, SocketAddr};

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::client_addr::{TrustedProxies, client_ip_from_headers};

/// Headers that name the client's address: they count only as the hop that
/// delivered the request set them, never from a WebSocket payload.
const ADDRESS_HEADERS: [&str; 3] = ["x-forwarded-for", "forwarded", "x-real-ip"];

/// A request's headers and peer address, as its transport received them.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    headers: HeaderMap,
    peer: Option<SocketAddr>,
}

impl RequestMeta {
    /// The metadata of an HTTP request: its headers, and its TCP peer when the server
    /// records it (served with `into_make_service_with_connect_info`, as [`super::serve`] does).
    pub fn new(headers: HeaderMap, peer: Option<SocketAddr>) -> Self {
        Self { headers, peer }
    }

    /// The metadata of a WebSocket connection: the upgrade request's headers, with the
    /// string fields of the `connection_init` payload that are named like headers laid
    /// over them (fields under `headers` first, then top-level ones, which is where the
    /// router puts a subscriber's forwarded headers; the same precedence as the token).
    /// Address headers (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`) are taken from the
    /// upgrade request only.
    pub fn for_connection(
        upgrade_headers: &HeaderMap,
        payload: &serde_json::Value,
        peer: Option<SocketAddr>,
    ) -> Self {
        let mut headers = upgrade_headers.clone();
        let nested = payload.get("headers").and_then(|h| h.as_object());
        for fields in [nested, payload.as_object()].into_iter().flatten() {
            for (name, value) in fields {
                let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    value.as_str().map(HeaderValue::from_str),
                ) else {
                    continue;
                };
                if ADDRESS_HEADERS.contains(&name.as_str()) {
                    continue;
                }
                headers.insert(name, value);
            }
        }
        Self { headers, peer }
    }

    /// Every header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name` (any case), when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Authorization` header as sent (`Bearer <token>`): what a subgraph forwards
    /// when it calls another one on the caller's behalf.
    pub fn authorization(&self) -> Option<&str> {
        self.header(AUTHORIZATION.as_str())
    }

    /// The bearer token of the `Authorization` header, without its scheme.
    pub fn bearer(&self) -> Option<&str> {
        let (scheme, token) = self.authorization()?.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }

    /// The TCP peer (a proxy's address when one is in front), when known.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The client's address: the peer, or what a `trusted` proxy forwarded
    /// ([`crate::client_addr::client_ip`]).
    pub fn client_ip(&self, trusted: &TrustedProxies) -> Option<IpAddr> {
        client_ip_from_headers(self.peer.map(|p| p.ip()), &self.headers, trusted)
    }

    /// The `User-Agent`, trimmed, cut to `max_chars`; `None` when absent or blank.
    pub fn user_agent(&self, max_chars: usize) -> Option<String> {
        self.header("user-agent")
            .map(str::trim)
            .filter(|ua| !ua.is_empty())
            .map(|ua| ua.chars().take(max_chars).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_bearer_headers_and_address() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer  abc "));
        headers.insert("user-agent", HeaderValue::from_static("  portal/1.0 "));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.7"));
        let peer: SocketAddr = "10.0.0.2:5000".parse().expect("addr");
        let meta = RequestMeta::new(headers, Some(peer));
        assert_eq!(meta.authorization(), Some("bearer  abc "));
        assert_eq!(meta.bearer(), Some("abc"));
        assert_eq!(meta.header("User-Agent"), Some("  portal/1.0 "));
        assert_eq!(meta.user_agent(6).as_deref(), Some("portal"));
        assert_eq!(meta.peer(), Some(peer));
        assert_eq!(
            meta.client_ip(&TrustedProxies::none()),
            Some(peer.ip()),
            "an untrusted peer cannot choose its address"
        );
        let proxies = TrustedProxies::parse("10.0.0.0/8").expect("cidr");
        assert_eq!(meta.client_ip(&proxies), "203.0.113.7".parse().ok());

        let mut basic = HeaderMap::new();
        basic.insert(AUTHORIZATION, HeaderValue::from_static("Basic dXNlcg=="));
        assert_eq!(RequestMeta::new(basic, None).bearer(), None);
        assert_eq!(RequestMeta::default().bearer(), None);
        assert_eq!(RequestMeta::default().client_ip(&proxies), None);
    }

    #[test]
    fn a_connection_takes_payload_headers_but_not_addresses_from_it() {
        let mut upgrade = HeaderMap::new();
        upgrade.insert(AUTHORIZATION, HeaderValue::from_static("Bearer upgrade"));
        upgrade.insert("user-agent", HeaderValue::from_static("browser"));
        let payload = json!({
            "Authorization": "Bearer top",
            "x-forwarded-for": "6.6.6.6",
            "count": 7,
            "not a header": "x",
            "headers": { "authorization": "Bearer nested", "x-request-id": "r1" },
        });
        let meta = RequestMeta::for_connection(&upgrade, &payload, None);
        assert_eq!(meta.bearer(), Some("top"));
        assert_eq!(meta.header("x-request-id"), Some("r1"));
        assert_eq!(meta.header("user-agent"), Some("browser"));
        assert_eq!(meta.header("x-forwarded-for"), None);
        assert_eq!(meta.header("count"), None);
        let nested_only = json!({ "headers": { "authorization": "Bearer nested" } });
        assert_eq!(
            RequestMeta::for_connection(&upgrade, &nested_only, None).bearer(),
            Some("nested")
        );
        assert_eq!(
            RequestMeta::for_connection(&upgrade, &json!(null), None).bearer(),
            Some("upgrade")
        );
    }
}
