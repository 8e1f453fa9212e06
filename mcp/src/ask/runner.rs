//! Runs catalogue operations on the router as the caller, and keeps what it ran.
//!
//! Only queries run: a mutation is refused here whatever asked for it, and an operation
//! needing roles the caller lacks is not sent (the graph would refuse it anyway).

use serde_json::{Map, Value};

use super::answer::RanOperation;
use crate::graph::GraphClient;
use crate::identity::Caller;
use crate::schema::OperationKind;
use crate::server::Catalog;

/// Why an operation gave no data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// The catalogue has no such operation (it was removed from the operation folder).
    #[error("the operation {0} is not in the catalogue")]
    Unknown(String),
    /// Not a query.
    #[error("refused: {0} is not a read (ask never runs mutations)")]
    NotARead(String),
    /// The caller lacks a role it needs.
    #[error("{0} needs roles you do not hold")]
    Forbidden(String),
    /// The router could not be reached.
    #[error("the graph could not be reached: {0}")]
    Unreachable(String),
    /// The graph answered with errors (their codes and messages).
    #[error("the graph refused {operation}: {messages}")]
    Graph {
        /// The operation.
        operation: String,
        /// `CODE: message`, joined.
        messages: String,
        /// The codes alone.
        codes: Vec<String>,
    },
}

/// Runs operations for one question.
pub struct Runner<'a> {
    graph: &'a GraphClient,
    caller: &'a Caller,
    catalog: &'a Catalog,
    /// Every operation sent, in order.
    pub ran: Vec<RanOperation>,
}

impl<'a> Runner<'a> {
    /// A runner for `caller`.
    pub fn new(graph: &'a GraphClient, caller: &'a Caller, catalog: &'a Catalog) -> Self {
        Self {
            graph,
            caller,
            catalog,
            ran: Vec::new(),
        }
    }

    /// The caller.
    pub fn caller(&self) -> &'a Caller {
        self.caller
    }

    /// The catalogue the operations come from.
    pub fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    /// Runs the catalogue's operation `name` with `variables`; its `data`.
    pub async fn run(
        &mut self,
        name: &str,
        variables: Map<String, Value>,
    ) -> Result<Value, RunError> {
        let op = self
            .catalog
            .operations
            .iter()
            .find(|op| op.name == name)
            .ok_or_else(|| RunError::Unknown(name.to_string()))?;
        if op.kind != OperationKind::Query {
            return Err(RunError::NotARead(name.to_string()));
        }
        if !self.caller.may(&op.roles) {
            return Err(RunError::Forbidden(name.to_string()));
        }
        let document = op.document.clone();
        self.send(name, document, variables).await
    }

    /// Sends a document already checked to be a read (the model path checks it itself).
    pub async fn send(
        &mut self,
        name: &str,
        document: String,
        variables: Map<String, Value>,
    ) -> Result<Value, RunError> {
        self.ran.push(RanOperation {
            operation_name: name.to_string(),
            variables: variables.clone(),
            document: document.clone(),
        });
        let response = self
            .graph
            .execute(self.caller, &document, Some(name), variables)
            .await
            .map_err(|e| RunError::Unreachable(e.to_string()))?;
        let errors: Vec<&Value> = response
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let data = response.get("data").cloned().unwrap_or(Value::Null);
        if errors.is_empty() && !data.is_null() {
            return Ok(data);
        }
        let codes: Vec<String> = errors
            .iter()
            .filter_map(|e| e.pointer("/extensions/code").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        // Partial data with errors is refused whole: an answer is never built on half the figures.
        let messages = errors
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.pointer("/extensions/code")
                        .and_then(Value::as_str)
                        .unwrap_or("ERROR"),
                    e.get("message").and_then(Value::as_str).unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(RunError::Graph {
            operation: name.to_string(),
            messages: if messages.is_empty() {
                "no data".into()
            } else {
                messages
            },
            codes,
        })
    }
}
