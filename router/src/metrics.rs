//! The router plugins' counters, exported through Hive Router's own Prometheus
//! endpoint (`/metrics`) by the OpenTelemetry meter provider it installs.
//!
//! - `promptsales_router_redis_failures{feature, kind}`: Redis commands
//!   that failed or timed out (`feature`: `apq`, `response_cache`,
//!   `rate_limit`; `kind`: `timeout`, `error`, `unavailable`); each one was
//!   answered without Redis.
//! - `promptsales_router_response_cache{status}`: `hit`, `miss`, `bypass`.
//! - `promptsales_router_rate_limited`: requests refused with `RATE_LIMITED`.

use std::sync::OnceLock;

use hive_router::opentelemetry::KeyValue;
use hive_router::opentelemetry::global;
use hive_router::opentelemetry::metrics::Counter;

struct Counters {
    redis_failures: Counter<u64>,
    response_cache: Counter<u64>,
    rate_limited: Counter<u64>,
}

// Created on first use: by then Hive Router has installed its meter provider
// (an instrument made earlier would stay a no-op).
static COUNTERS: OnceLock<Counters> = OnceLock::new();

fn counters() -> &'static Counters {
    COUNTERS.get_or_init(|| {
        let meter = global::meter("promptsales_router");
        Counters {
            redis_failures: meter
                .u64_counter("promptsales_router_redis_failures")
                .with_description("Redis commands that failed or timed out; the request was answered without Redis")
                .build(),
            response_cache: meter
                .u64_counter("promptsales_router_response_cache")
                .with_description("Response cache lookups by status (hit, miss, bypass)")
                .build(),
            rate_limited: meter
                .u64_counter("promptsales_router_rate_limited")
                .with_description("Requests refused by the rate limit")
                .build(),
        }
    })
}

/// Counts one Redis failure of `feature` (`apq`, `response_cache`, `rate_limit`).
pub fn redis_failure(feature: &'static str, kind: &'static str) {
    counters().redis_failures.add(
        1,
        &[
            KeyValue::new("feature", feature),
            KeyValue::new("kind", kind),
        ],
    );
}

/// Counts one response cache outcome (`hit`, `miss`, `bypass`).
pub fn response_cache(status: &'static str) {
    counters()
        .response_cache
        .add(1, &[KeyValue::new("status", status)]);
}

/// Counts one request refused by the rate limit.
pub fn rate_limited() {
    counters().rate_limited.add(1, &[]);
}
