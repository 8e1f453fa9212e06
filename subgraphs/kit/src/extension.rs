//! An async-graphql extension that gives every error a stable `extensions.code`.
//!
//! Resolver errors carry theirs already (see [`crate::error`]); parse,
//! validation and input-coercion errors come from async-graphql without one.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use crate::error::codes;

/// Adds `extensions.code` to errors that lack one.
#[derive(Debug, Default, Clone, Copy)]
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

/// Sets `code` on an error unless it already has one.
pub fn ensure_code(error: &mut ServerError, code: &str) {
    let ext = error.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

/// The code of an execution error that has none: input coercion failures are the client's.
fn execution_code(error: &ServerError) -> &'static str {
    let m = &error.message;
    // A custom scalar nested in an input object passes validation and fails
    // while the argument is parsed ("Expected input type ... (occurred while parsing ...)").
    if m.starts_with("Invalid value for argument")
        || m.starts_with("Failed to parse")
        || m.starts_with("Expected input type")
        || m.contains("(occurred while parsing")
        || m.contains("Invalid value for variable")
        || m.starts_with("Variable")
    {
        codes::BAD_USER_INPUT
    } else {
        codes::INTERNAL_SERVER_ERROR
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut e| {
            ensure_code(&mut e, codes::GRAPHQL_PARSE_FAILED);
            e
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            for e in &mut errors {
                ensure_code(e, codes::GRAPHQL_VALIDATION_FAILED);
            }
            errors
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        for e in response.errors.iter_mut().filter(|e| !has_code(e)) {
            let code = execution_code(e);
            if code == codes::INTERNAL_SERVER_ERROR {
                // An error nobody gave a code to may carry a driver's message (SQL,
                // hostnames): log it, send nothing of it.
                tracing::error!(error = %e.message, path = ?e.path, "unclassified resolver error");
                e.message = "internal error".to_string();
            }
            ensure_code(e, code);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;

    struct Query;

    #[derive(async_graphql::InputObject)]
    struct PriceInput {
        amount: crate::Decimal4,
    }

    #[Object]
    impl Query {
        async fn price(&self, input: PriceInput) -> String {
            input.amount.to_string()
        }
        async fn leaky(&self) -> async_graphql::Result<i32> {
            // What a bare `?` on a driver error produces: a message and no code.
            Err(async_graphql::Error::new(
                "connection to db.internal:5432 refused",
            ))
        }
        async fn coded(&self) -> async_graphql::Result<i32> {
            Err(crate::ApiError::bad_input("x", "x must be positive").into())
        }
        async fn number(&self, n: i32) -> i32 {
            n
        }
    }

    async fn run(query: &str) -> async_graphql::Response {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(ErrorCodes)
            .finish()
            .execute(query)
            .await
    }

    fn code(response: &async_graphql::Response) -> String {
        let ext = response.errors[0].extensions.as_ref().expect("extensions");
        ext.get("code").map(|v| v.to_string()).unwrap_or_default()
    }

    #[tokio::test]
    async fn every_error_gets_a_code_and_unclassified_messages_stay_private() {
        let leaky = run("{ leaky }").await;
        assert_eq!(code(&leaky), "\"INTERNAL_SERVER_ERROR\"");
        assert_eq!(leaky.errors[0].message, "internal error");

        let coded = run("{ coded }").await;
        assert_eq!(code(&coded), "\"BAD_USER_INPUT\"");
        assert_eq!(coded.errors[0].message, "x must be positive");

        assert_eq!(code(&run("{ leaky").await), "\"GRAPHQL_PARSE_FAILED\"");
        assert_eq!(
            code(&run("{ nope }").await),
            "\"GRAPHQL_VALIDATION_FAILED\""
        );
        assert_eq!(
            code(&run("{ number(n: \"x\") }").await),
            "\"GRAPHQL_VALIDATION_FAILED\""
        );

        // A custom scalar inside an input variable fails only while parsing the argument.
        let request = async_graphql::Request::new("query($i: PriceInput!) { price(input: $i) }")
            .variables(async_graphql::Variables::from_json(
                serde_json::json!({"i": {"amount": true}}),
            ));
        let nested = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(ErrorCodes)
            .finish()
            .execute(request)
            .await;
        assert_eq!(code(&nested), "\"BAD_USER_INPUT\"", "{:?}", nested.errors);
    }
}
