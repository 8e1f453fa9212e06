//! The client's address as the router forwards it to the subgraphs (`X-Forwarded-For`).
//!
//! The subgraphs audit each operation with its client's address and user agent, and sales
//! counts failed logins per address; behind the router they only see the router's own
//! connection. This plugin writes the `X-Forwarded-For` the router propagates
//! (`headers` in `router.yaml`): the chain a trusted proxy in front of the router sent
//! (`PROMPTSALES_TRUSTED_PROXIES`, as the rate limit reads it) followed by the router's TCP
//! peer, or only that peer when it is not a trusted proxy, so a client's own
//! `X-Forwarded-For` never passes through. A subgraph believes it only from a peer in its
//! own `PROMPTSALES_TRUSTED_PROXIES` (the router's address), reading it from the right.
//!
//! HTTP requests only: Hive Router 0.2.19 takes a WebSocket operation's headers from the
//! client's `connection_init` payload and `extensions.headers` alone, with no hook that
//! knows the connection's peer, so the router cannot vouch for a subscriber's address;
//! the subgraphs ignore address headers in WebSocket payloads (`RequestMeta::for_connection`),
//! and a WebSocket operation keeps the router's address.

use hive_router::executor::hooks::on_http_request::{
    OnHttpRequestHookFuture, OnHttpRequestHookPayload,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::{RouterPlugin, StartHookPayload};
use hive_router::ntex::http::header::{HeaderName, HeaderValue};
use promptsales_kit::client_addr::TrustedProxies;

/// The header the router forwards.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The plugin that writes the forwarded `X-Forwarded-For`.
#[derive(Debug, Default)]
pub struct ForwardedPlugin {
    trusted_proxies: TrustedProxies,
}

impl ForwardedPlugin {
    /// The plugin believing the chains of `trusted_proxies` (tests build it without the router).
    pub fn new(trusted_proxies: TrustedProxies) -> Self {
        Self { trusted_proxies }
    }

    /// The `X-Forwarded-For` to forward for a request from `peer` that carried `received`.
    pub fn forwarded_for<'a>(
        &self,
        peer: Option<std::net::IpAddr>,
        received: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        let peer = peer?;
        let mut hops: Vec<&str> = Vec::new();
        if self.trusted_proxies.contains(peer) {
            hops.extend(
                received
                    .into_iter()
                    .flat_map(|value| value.split(','))
                    .map(str::trim)
                    .filter(|hop| !hop.is_empty()),
            );
        }
        let peer = peer.to_string();
        hops.push(&peer);
        Some(hops.join(", "))
    }
}

#[hive_router::async_trait]
impl RouterPlugin for ForwardedPlugin {
    // Nothing to configure: the trusted proxies are `PROMPTSALES_TRUSTED_PROXIES`, as for
    // the rate limit and the subgraphs.
    type Config = ();

    fn plugin_name() -> &'static str {
        "promptsales_forwarded"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let trusted = TrustedProxies::from_env().map_err(|e| e.to_string())?;
        payload.initialize_plugin(Self::new(trusted))
    }

    fn on_http_request<'req>(
        &'req self,
        mut payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            let request = &mut payload.router_http_request;
            let peer = request.peer_addr().map(|a| a.ip());
            let forwarded = {
                let received = request
                    .headers()
                    .get_all(X_FORWARDED_FOR)
                    .filter_map(|v| v.to_str().ok());
                self.forwarded_for(peer, received)
            };
            let headers = request.headers_mut();
            headers.remove(X_FORWARDED_FOR);
            if let Some(value) = forwarded.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(HeaderName::from_static(X_FORWARDED_FOR), value);
            }
            payload.proceed()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<std::net::IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn a_clients_own_chain_is_replaced_by_its_address() {
        let plugin = ForwardedPlugin::new(TrustedProxies::none());
        assert_eq!(
            plugin.forwarded_for(ip("203.0.113.9"), ["6.6.6.6, 7.7.7.7"]),
            Some("203.0.113.9".to_string())
        );
        assert_eq!(plugin.forwarded_for(None, ["6.6.6.6"]), None);
    }

    #[test]
    fn a_trusted_proxys_chain_is_kept_and_the_proxy_appended() {
        let plugin = ForwardedPlugin::new(TrustedProxies::parse("10.0.0.0/8").unwrap());
        assert_eq!(
            plugin.forwarded_for(ip("10.1.2.3"), ["198.51.100.4, 10.9.9.9", " 10.8.8.8 "]),
            Some("198.51.100.4, 10.9.9.9, 10.8.8.8, 10.1.2.3".to_string())
        );
        assert_eq!(
            plugin.forwarded_for(ip("10.1.2.3"), []),
            Some("10.1.2.3".to_string())
        );
    }
}
