//! `ask(question: String!)` as GraphQL, served by the adapter at its own `/graphql`.
//!
//! Not composed into the supergraph on purpose: `ask` runs its operations on the router,
//! so a router field resolved by it would loop router -> ask -> router, and every request
//! would carry the caller's token twice through the graph. Served here, it answers from the
//! same engine as the MCP tool, as the caller of the bearer token it is given.

use std::sync::{Arc, OnceLock};

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, Json, Object, Schema, SimpleObject,
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::answer::Answer;
use crate::identity::Caller;
use crate::server::Shared;

/// The schema of the adapter's `/graphql`.
pub type AskSchema = Schema<AskQuery, EmptyMutation, EmptySubscription>;

/// The root.
pub struct AskQuery;

/// An operation `ask` ran.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct AskOperation {
    /// The operation's name in its operation file (`getCampaignFunnel`).
    operation_name: String,
    /// Its variables.
    variables: Json<Value>,
    /// The document sent to the router.
    document: String,
}

/// The answer to a question.
#[derive(SimpleObject)]
pub struct AskAnswer {
    /// Whether it was answered (false: `text` says what was understood and what can be asked).
    answered: bool,
    /// The answer in words.
    text: String,
    /// The kind of question (offline planner).
    kind: Option<String>,
    /// `offline` or `model`.
    planner: String,
    /// What was read in the question (period, campaigns, channels).
    understood: Json<Value>,
    /// The figures.
    figures: Json<Value>,
    /// The operations it ran, with their variables.
    operations: Vec<AskOperation>,
}

impl From<Answer> for AskAnswer {
    fn from(a: Answer) -> Self {
        Self {
            answered: a.answered,
            text: a.text,
            kind: a.kind,
            planner: a.planner,
            understood: Json(serde_json::to_value(&a.understood).unwrap_or(Value::Null)),
            figures: Json(a.figures),
            operations: a
                .operations
                .into_iter()
                .map(|o| AskOperation {
                    operation_name: o.operation_name,
                    variables: Json(Value::Object(o.variables)),
                    document: o.document,
                })
                .collect(),
        }
    }
}

fn coded(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

#[Object]
impl AskQuery {
    /// Answers a question about your results in plain words, as you: the figures and the
    /// operations it ran. It never changes anything.
    async fn ask(&self, ctx: &Context<'_>, question: String) -> async_graphql::Result<AskAnswer> {
        let shared = ctx.data::<Arc<Shared>>()?;
        let Some(caller) = ctx.data_opt::<Caller>() else {
            return Err(coded("a bearer token is required", "UNAUTHENTICATED"));
        };
        let length = question.trim().chars().count();
        if length == 0 || length > super::engine::MAX_QUESTION_CHARS {
            return Err(coded(
                format!(
                    "question must have 1 to {} characters",
                    super::engine::MAX_QUESTION_CHARS
                ),
                "BAD_USER_INPUT",
            ));
        }
        Ok(shared.answer(caller, &question).await.into())
    }
}

/// The schema (built once).
pub fn schema() -> AskSchema {
    static SCHEMA: OnceLock<AskSchema> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Schema::build(AskQuery, EmptyMutation, EmptySubscription)
                // Parse and validation errors get a stable code like every subgraph's.
                .extension(promptsales_kit::extension::ErrorCodes)
                .limit_depth(8)
                .limit_complexity(200)
                .finish()
        })
        .clone()
}

/// `POST /graphql`: the bearer verified (unless token checks are off), then the query.
pub async fn handler(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let token = crate::http::bearer_of(&headers);
    let caller = if !shared.config.auth {
        Some(Caller {
            token,
            ..crate::http::development_caller()
        })
    } else if let Some(token) = token {
        match shared.verifier.verify(&token).await {
            Ok(caller) => Some(caller),
            Err(reason) => {
                tracing::info!(%reason, "bearer token refused at /graphql");
                None
            }
        }
    } else {
        None
    };
    let mut request = request.into_inner().data(shared.clone());
    if let Some(caller) = caller {
        request = request.data(caller);
    }
    GraphQLResponse::from(schema().execute(request).await).into_response()
}
