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

/// The code of an execution error that has none: input coercion failures are the client's.
fn execution_code(error: &ServerError) -> &'static str {
    let m = &error.message;
    if m.starts_with("Invalid value for argument")
        || m.starts_with("Failed to parse")
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
        for e in &mut response.errors {
            let code = execution_code(e);
            ensure_code(e, code);
        }
        response
    }
}
