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

use hive_router::executor::hooks::on_graphql_error::{
    OnGraphQLErrorHookPayload, OnGraphQLErrorHookResult,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::RouterPlugin;
use hive_router::sonic_rs::Value;

/// The code every schema-validation failure gets.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// The code every token failure gets (Hive Router's JWT codes are kept in `extensions.reason`).
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

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
    fn tells_token_codes() {
        assert!(is_token_code("INVALID_JWT"));
        assert!(is_token_code("JWT_LOOKUP_FAILED"));
        assert!(!is_token_code("UNAUTHENTICATED"));
        assert!(!is_token_code("INTERNAL_SERVER_ERROR"));
    }
}
