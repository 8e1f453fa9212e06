//! A rate limit per subject in Redis: the verified token's `sub`, else the
//! client's address; a fixed window counted in `rl:{subject}:{window}`.
//!
//! Over the limit, a request gets HTTP 429, `Retry-After` (seconds to the next
//! window) and one error with `extensions.code = RATE_LIMITED` and
//! `extensions.retryAfter`. Redis slow or down: the request passes (fail
//! open), counted in `promptsales_router_redis_failures{feature="rate_limit"}`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hive_router::executor::hooks::on_execute::{
    OnExecuteStartHookPayload, OnExecuteStartHookResult,
};
use hive_router::executor::hooks::on_http_request::{
    OnHttpRequestHookFuture, OnHttpRequestHookPayload,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::{
    EarlyHTTPResponse, EndHookPayload, RouterPlugin, StartHookPayload,
};
use hive_router::ntex::http::header::{HeaderName, HeaderValue};
use hive_router::sonic_rs::json;
use serde::Deserialize;

use crate::identity::{self, Caller, ClientAddress};
use crate::metrics;
use crate::redis_conn::{self, Redis, RedisSettings};
use crate::settings::{de_bool, de_duration, de_u64};
use promptsales_kit::client_addr::{TrustedProxies, client_ip};

/// The error code of a refused request.
pub const RATE_LIMITED: &str = "RATE_LIMITED";

/// `plugins.promptsales_rate_limit.config` in `router.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests one subject may make per window; 0 turns the limit off (`PROMPTSALES_RATE_LIMIT`).
    #[serde(default = "default_limit", deserialize_with = "de_u64")]
    pub limit: u64,
    /// The window (`PROMPTSALES_RATE_LIMIT_WINDOW`).
    #[serde(default = "default_window", deserialize_with = "de_duration")]
    pub window: Duration,
    /// Legacy: believe `X-Forwarded-For` from any peer. Leave it off and list the proxies
    /// in `PROMPTSALES_TRUSTED_PROXIES` (CIDRs) instead: only their forwarded hops count.
    #[serde(default, deserialize_with = "de_bool")]
    pub trust_forwarded_for: bool,
    /// The Redis it counts in.
    #[serde(default)]
    pub redis: RedisSettings,
}

fn default_limit() -> u64 {
    1000
}

fn default_window() -> Duration {
    Duration::from_secs(60)
}

/// The rate-limit plugin.
pub struct RateLimitPlugin {
    redis: Arc<Redis>,
    limit: u64,
    window_secs: u64,
    trusted_proxies: TrustedProxies,
}

/// A refusal, kept in the plugin context for the HTTP hook to add `Retry-After`.
#[derive(Debug, Clone, Copy)]
struct Limited {
    retry_after: u64,
}

/// The proxies whose forwarded hops name the client: `PROMPTSALES_TRUSTED_PROXIES`, or
/// every peer when the legacy `trust_forwarded_for` is on and no list is given.
fn trusted_proxies(legacy_trust_all: bool) -> Result<TrustedProxies, String> {
    let listed = TrustedProxies::from_env().map_err(|e| e.to_string())?;
    if legacy_trust_all && listed.is_empty() {
        tracing::warn!(
            "trust_forwarded_for is on: any client can choose its rate-limit address; \
             list your proxies in PROMPTSALES_TRUSTED_PROXIES instead"
        );
        return TrustedProxies::parse("0.0.0.0/0, ::/0");
    }
    Ok(listed)
}

/// The subject a request is counted against.
pub fn subject(caller: &Caller, address: Option<IpAddr>) -> String {
    match caller {
        Caller::Verified(claims) if claims.sub.is_some() => {
            format!("sub:{}", claims.sub.as_deref().unwrap_or_default())
        }
        _ => match address {
            Some(ip) => format!("ip:{ip}"),
            None => "ip:unknown".to_string(),
        },
    }
}

/// The current window's number and the seconds until the next one (at least 1).
pub fn window(now_secs: u64, window_secs: u64) -> (u64, u64) {
    let window_secs = window_secs.max(1);
    let index = now_secs / window_secs;
    let retry_after = ((index + 1) * window_secs).saturating_sub(now_secs).max(1);
    (index, retry_after)
}

#[hive_router::async_trait]
impl RouterPlugin for RateLimitPlugin {
    type Config = RateLimitConfig;

    fn plugin_name() -> &'static str {
        "promptsales_rate_limit"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        if config.limit == 0 {
            return payload.disable_plugin();
        }
        let redis = redis_conn::shared(&config.redis)?;
        payload.initialize_plugin(Self {
            redis,
            limit: config.limit,
            window_secs: config.window.as_secs().max(1),
            trusted_proxies: trusted_proxies(config.trust_forwarded_for)?,
        })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            let request = &payload.router_http_request;
            let forwarded = request
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok());
            let peer = request.peer_addr().map(|a| a.ip());
            if let Some(ip) = client_ip(peer, forwarded, &self.trusted_proxies) {
                payload.context.insert(ClientAddress(ip));
            }
            payload.on_end(|end| {
                let limited = end.context.get_ref::<Limited>().map(|l| *l);
                match limited {
                    Some(limited) => end
                        .map_response(|mut response| {
                            response.headers_mut().insert(
                                HeaderName::from_static("retry-after"),
                                HeaderValue::from(limited.retry_after),
                            );
                            response
                        })
                        .proceed(),
                    None => end.proceed(),
                }
            })
        })
    }

    async fn on_execute<'exec>(
        &'exec self,
        payload: OnExecuteStartHookPayload<'exec>,
    ) -> OnExecuteStartHookResult<'exec> {
        let jwt_verified = payload
            .request_context
            .read()
            .ok()
            .and_then(|read| read.authentication().jwt_status().copied())
            .unwrap_or(false);
        let caller = identity::caller(payload.router_http_request.headers, jwt_verified);
        let address = payload.context.get_ref::<ClientAddress>().map(|a| a.0);
        let subject = subject(&caller, address);
        let (index, retry_after) = window(crate::response_cache::store::now(), self.window_secs);
        let key = self.redis.key(&format!("rl:{subject}:{index}"));
        let mut pipe = redis::pipe();
        pipe.cmd("INCR").arg(&key);
        pipe.cmd("EXPIRE")
            .arg(&key)
            .arg(self.window_secs * 2)
            .ignore();
        let count: (u64,) = match self.redis.pipeline("rate_limit", &pipe).await {
            Ok(count) => count,
            // Fail open: an outage of the counter must not refuse traffic (counted by `query`).
            Err(_) => return payload.proceed(),
        };
        if count.0 <= self.limit {
            return payload.proceed();
        }
        metrics::rate_limited();
        payload.context.insert(Limited { retry_after });
        let body = json!({
            "errors": [{
                "message": format!("Too many requests: at most {} per {} s; retry in {retry_after} s", self.limit, self.window_secs),
                "extensions": { "code": RATE_LIMITED, "retryAfter": retry_after },
            }]
        });
        let response = EarlyHTTPResponse {
            body: hive_router::sonic_rs::to_vec(&body).unwrap_or_default(),
            headers: Default::default(),
            status_code: hive_router::http::StatusCode::TOO_MANY_REQUESTS,
        };
        payload.end_with_response(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Claims;

    #[test]
    fn windows_and_retry_delays() {
        assert_eq!(window(120, 60), (2, 60));
        assert_eq!(window(121, 60), (2, 59));
        assert_eq!(window(179, 60), (2, 1));
        assert_eq!(window(5, 0), (5, 1));
    }

    #[test]
    fn subjects_prefer_the_verified_user() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let verified = Caller::Verified(std::sync::Arc::new(Claims {
            sub: Some("u1".into()),
            ..Claims::default()
        }));
        assert_eq!(subject(&verified, Some(ip)), "sub:u1");
        assert_eq!(subject(&Caller::Unverified, Some(ip)), "ip:10.0.0.7");
        assert_eq!(subject(&Caller::Anonymous, None), "ip:unknown");
    }
}
