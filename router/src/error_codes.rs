//! One error-code convention for every client: Apollo-style upper-snake codes.
//!
//! Hive Router 0.2.19 reports a validation failure with the name of the
//! rule that failed as its `extensions.code` (`FieldsOnCorrectType`), while
//! parse, variable and subgraph errors carry upper-snake codes
//! (`GRAPHQL_PARSE_FAILED`, `BAD_USER_INPUT`). Clients should match one code
//! per kind of failure, so this plugin turns a rule-named code into
//! `GRAPHQL_VALIDATION_FAILED` and keeps the rule in `extensions.rule`; and it
//! turns Hive Router's token codes (`INVALID_JWT`, ...) into `UNAUTHENTICATED`,
//! the code the subgraphs use, keeping Hive's in `extensions.reason`.
//!
//! A subgraph that cannot be reached (stopped, restarting, killed mid-request)
//! surfaces in Hive Router as one of several codes depending on the moment
//! it failed (`SUBREQUEST_HTTP_ERROR` for a refused connection or a 502/503/504,
//! `SUBGRAPH_RESPONSE_FAILURE` for a connection cut mid-answer, ...). Clients
//! get one: `SUBGRAPH_UNAVAILABLE`, with the subgraph in `extensions.service`
//! (Hive's field) and Hive's code in `extensions.reason`; that subgraph's fields
//! are null and the rest of the answer is served.

use hive_router::executor::hooks::on_graphql_error::{
    OnGraphQLErrorHookPayload, OnGraphQLErrorHookResult,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::RouterPlugin;
use hive_router::sonic_rs::{JsonValueTrait as _, Value};

/// The code every schema-validation failure gets.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// The code every token failure gets (Hive Router's JWT codes are kept in `extensions.reason`).
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

/// The code of an error for a subgraph that cannot be reached (its name in `extensions.service`).
pub const SUBGRAPH_UNAVAILABLE: &str = "SUBGRAPH_UNAVAILABLE";

/// Whether Hive Router's `code` (with the subgraph's HTTP status, when it answered one)
/// means the subgraph could not be reached, rather than that it answered with an error.
pub fn is_unavailable_code(code: &str, http_status: Option<u64>) -> bool {
    match code {
        // Without a status: the request never got an answer (refused, reset).
        "SUBREQUEST_HTTP_ERROR" => http_status.is_none_or(|s| matches!(s, 502..=504)),
        "SUBGRAPH_RESPONSE_FAILURE"
        | "SUBGRAPH_RESPONSE_BODY_READ_FAILURE"
        | "SUBGRAPH_RESPONSE_BODY_EMPTY"
        | "SUBGRAPH_CIRCUIT_BREAKER_REJECTED" => true,
        _ => false,
    }
}

/// Hive Router's codes for a missing, malformed or unverifiable token
/// (`PROMPTSALES_ROUTER_REQUIRE_AUTH=true`); clients see `UNAUTHENTICATED`, as from the subgraphs.
pub fn is_token_code(code: &str) -> bool {
    matches!(
        code,
        "MISSING_JWT"
            | "INVALID_JWT"
            | "INVALID_JWT_HEADER"
            | "JWT_NOT_SUPPORTED"
            | "JWT_LOOKUP_FAILED"
            | "JWK_ALGORITHM_NOT_SUPPORTED"
    )
}

/// The router plugin that normalises validation error codes.
#[derive(Debug, Default)]
pub struct ErrorCodesPlugin;

/// Whether `code` is a validation rule's name rather than an upper-snake code.
pub fn is_rule_name(code: &str) -> bool {
    code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && code.chars().any(|c| c.is_ascii_lowercase())
}

#[hive_router::async_trait]
impl RouterPlugin for ErrorCodesPlugin {
    type Config = ();

    fn plugin_name() -> &'static str {
        "promptsales_error_codes"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        payload.initialize_plugin_with_defaults()
    }

    fn on_graphql_error<'req>(
        &'req self,
        mut payload: OnGraphQLErrorHookPayload<'req>,
    ) -> OnGraphQLErrorHookResult<'req> {
        let extensions = &mut payload.error.extensions;
        if let Some(rule) = extensions.code.take_if(|code| is_rule_name(code)) {
            extensions
                .extensions
                .insert("rule".to_string(), Value::from(rule.as_str()));
            extensions.code = Some(VALIDATION_FAILED.to_string());
        }
        if let Some(reason) = extensions.code.take_if(|code| is_token_code(code)) {
            extensions
                .extensions
                .insert("reason".to_string(), Value::from(reason.as_str()));
            extensions.code = Some(UNAUTHENTICATED.to_string());
        }
        let http_status = extensions
            .extensions
            .get("http")
            .and_then(|http| http.get("status"))
            .and_then(|status| status.as_u64());
        if let Some(service) = extensions.service_name.clone()
            && let Some(reason) = extensions
                .code
                .take_if(|code| is_unavailable_code(code, http_status))
        {
            extensions
                .extensions
                .insert("reason".to_string(), Value::from(reason.as_str()));
            extensions.code = Some(SUBGRAPH_UNAVAILABLE.to_string());
            payload.error.message = format!(
                "the {service} subgraph is unavailable ({})",
                payload.error.message
            );
        }
        payload.proceed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_rule_names_from_codes() {
        assert!(is_rule_name("FieldsOnCorrectType"));
        assert!(is_rule_name("NoUnusedVariables"));
        assert!(!is_rule_name("GRAPHQL_PARSE_FAILED"));
        assert!(!is_rule_name("MAX_DEPTH_EXCEEDED"));
        assert!(!is_rule_name(""));
    }

    #[test]
    fn tells_an_unreachable_subgraph_from_one_that_answered() {
        assert!(is_unavailable_code("SUBREQUEST_HTTP_ERROR", None));
        assert!(is_unavailable_code("SUBREQUEST_HTTP_ERROR", Some(503)));
        assert!(!is_unavailable_code("SUBREQUEST_HTTP_ERROR", Some(400)));
        assert!(is_unavailable_code("SUBGRAPH_RESPONSE_FAILURE", None));
        assert!(is_unavailable_code(
            "SUBGRAPH_CIRCUIT_BREAKER_REJECTED",
            None
        ));
        // Slow is not down: a timeout keeps its own code.
        assert!(!is_unavailable_code("SUBGRAPH_REQUEST_TIMEOUT", None));
        assert!(!is_unavailable_code("UNAUTHENTICATED", None));
    }

    #[test]
    fn tells_token_codes() {
        assert!(is_token_code("INVALID_JWT"));
        assert!(is_token_code("JWT_LOOKUP_FAILED"));
        assert!(!is_token_code("UNAUTHENTICATED"));
        assert!(!is_token_code("INTERNAL_SERVER_ERROR"));
    }
}
