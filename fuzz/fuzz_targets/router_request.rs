//! The router's request decoding, as it runs before and just after Hive Router's own:
//! the limits (`promptsales_guard::http`, JSON depth, then the document's nesting, tokens,
//! aliases and fragment-expanded size) on a POST body or a GET query string, then, for what
//! passes, what Hive does next: sonic-rs decodes the body (or `variables`/`extensions`) and
//! graphql-tools parses the query with the token limit. Whatever the bytes: no panic, no
//! stack overflow, and time and memory bounded (libFuzzer's `-timeout` and `-rss_limit_mb`).
//!
//! The first byte chooses POST (even) or GET (odd); the rest is the body or query string.

#![no_main]

use libfuzzer_sys::fuzz_target;
use promptsales_guard::http::{check_get_query, check_post_body};
use promptsales_guard::{DEFAULT_MAX_JSON_DEPTH, DocumentLimits};
use serde::Deserialize;

/// The query of a POST body, as Hive decodes it.
#[derive(Deserialize)]
struct Post {
    query: Option<String>,
}

/// The text fields of a GET query string, as ntex's `Query` hands them to Hive.
#[derive(Deserialize)]
struct Get {
    query: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    // The router's defaults (an empty `promptsales_request_limits` config).
    let limits = DocumentLimits::default();
    let query = if choice % 2 == 0 {
        if check_post_body(rest, DEFAULT_MAX_JSON_DEPTH, &limits).is_err() {
            return;
        }
        // Hive decodes `variables` and `extensions` into values (recursively).
        if sonic_rs::from_slice::<sonic_rs::Value>(rest).is_err() {
            return;
        }
        match sonic_rs::from_slice::<Post>(rest) {
            Ok(Post { query: Some(query) }) => query,
            _ => return,
        }
    } else {
        let Ok(query_string) = std::str::from_utf8(rest) else {
            return;
        };
        if check_get_query(query_string, DEFAULT_MAX_JSON_DEPTH, &limits).is_err() {
            return;
        }
        let Ok(get) = serde_urlencoded::from_str::<Get>(query_string) else {
            return;
        };
        for json in [&get.variables, &get.extensions].into_iter().flatten() {
            let _ = sonic_rs::from_str::<sonic_rs::Value>(json);
        }
        match get.query {
            Some(query) => query,
            None => return,
        }
    };
    let _ =
        graphql_tools::parser::parse_query_with_token_limit::<String>(&query, limits.max_tokens);
});
