//! The built-in schema tools: search the schema, introspect a type, validate an operation,
//! and (opt-in) execute an arbitrary one.

use std::sync::Arc;

use promptsales_kit::document_guard::{self, DocumentLimits};
use rmcp::model::{CallToolResult, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use crate::identity::{Caller, role_name, subsystem_name};
use crate::json_schema::DIALECT;
use crate::operations;
use crate::results::{self, tool_error};
use crate::schema::{OperationKind, SchemaIndex};

/// Searches types and fields.
pub const SEARCH: &str = "searchSchema";
/// Describes one type.
pub const INTROSPECT: &str = "introspectType";
/// Validates an operation.
pub const VALIDATE: &str = "validateOperation";
/// Executes an operation (opt-in).
pub const EXECUTE: &str = "executeOperation";

fn object(value: Value) -> Arc<Map<String, Value>> {
    Arc::new(value.as_object().cloned().unwrap_or_default())
}

/// The built-in tools offered (execute only when allowed).
pub fn tools(allow_execute: bool) -> Vec<Tool> {
    let output = object(json!({
        "$schema": DIALECT,
        "type": "object",
        "properties": { "data": {} },
        "required": ["data"],
    }));
    let read_only = ToolAnnotations::new().read_only(true).open_world(false);
    let mut out = vec![
        Tool::new(
            SEARCH,
            "Searches the PromptSales GraphQL schema: types and fields whose names or descriptions contain the words, best first. Use it to find what to query.",
            object(json!({
                "$schema": DIALECT,
                "type": "object",
                "properties": {
                    "words": { "type": "string", "description": "words to look for, e.g. \"campaign leads funnel\"" },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 50, "default": 15 },
                },
                "required": ["words"],
                "additionalProperties": false,
            })),
        )
        .with_raw_output_schema(output.clone())
        .with_annotations(read_only.clone().with_title_text("Search the schema")),
        Tool::new(
            INTROSPECT,
            "Describes a GraphQL type: its fields with arguments and types, and the types they use down to `depth` levels (1 to 4).",
            object(json!({
                "$schema": DIALECT,
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "the type name, e.g. \"Campaign\"" },
                    "depth": { "type": "integer", "minimum": 1, "maximum": 4, "default": 1 },
                },
                "required": ["name"],
                "additionalProperties": false,
            })),
        )
        .with_raw_output_schema(output.clone())
        .with_annotations(read_only.clone().with_title_text("Describe a type")),
        Tool::new(
            VALIDATE,
            "Validates a GraphQL operation against the schema without running it; says what is wrong and which subsystem roles it needs.",
            object(json!({
                "$schema": DIALECT,
                "type": "object",
                "properties": {
                    "operation": { "type": "string", "description": "the GraphQL document (named operations)" },
                },
                "required": ["operation"],
                "additionalProperties": false,
            })),
        )
        .with_raw_output_schema(output.clone())
        .with_annotations(read_only.with_title_text("Validate an operation")),
    ];
    if allow_execute {
        out.push(
            Tool::new(
                EXECUTE,
                "Runs a GraphQL operation on the PromptSales graph as the caller. Validate it first; mutations run only when the adapter allows them.",
                object(json!({
                    "$schema": DIALECT,
                    "type": "object",
                    "properties": {
                        "operation": { "type": "string", "description": "the GraphQL document" },
                        "operationName": { "type": ["string", "null"], "description": "which operation of the document to run" },
                        "variables": { "type": ["object", "null"], "description": "the operation's variables" },
                    },
                    "required": ["operation"],
                    "additionalProperties": false,
                })),
            )
            .with_raw_output_schema(object(results::output_schema(None)))
            .with_annotations(
                ToolAnnotations::new()
                    .read_only(false)
                    .destructive(true)
                    .open_world(false)
                    .with_title_text("Execute an operation"),
            ),
        );
    }
    out
}

trait TitleText {
    fn with_title_text(self, title: &str) -> Self;
}

impl TitleText for ToolAnnotations {
    fn with_title_text(mut self, title: &str) -> Self {
        self.title = Some(title.to_string());
        self
    }
}

fn text_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<&'a str, CallToolResult> {
    match args.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(other) => Err(tool_error(format!(
            "argument `{name}` must be a non-empty string, got {other}"
        ))),
        None => Err(tool_error(format!("argument `{name}` is required"))),
    }
}

fn int_arg(
    args: &Map<String, Value>,
    name: &str,
    default: u64,
    max: u64,
) -> Result<u64, CallToolResult> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(tool_error(format!(
                "argument `{name}` must be an integer from 1 to {max}, got {v}"
            ))),
        },
    }
}

fn unknown_args(args: &Map<String, Value>, known: &[&str]) -> Option<CallToolResult> {
    args.keys().find(|k| !known.contains(&k.as_str())).map(|k| {
        tool_error(format!(
            "unknown argument `{k}`; this tool takes {}",
            known.join(", ")
        ))
    })
}

/// `searchSchema`.
pub fn search(index: &SchemaIndex, args: &Map<String, Value>, max: usize) -> CallToolResult {
    if let Some(e) = unknown_args(args, &["words", "limit"]) {
        return e;
    }
    let words = match text_arg(args, "words") {
        Ok(w) => w,
        Err(e) => return e,
    };
    let limit = match int_arg(args, "limit", 15, 50) {
        Ok(l) => l as usize,
        Err(e) => return e,
    };
    let hits = index.search(words, limit);
    if hits.is_empty() {
        return results::structured(
            json!({ "hits": [], "hint": "no match: try other words, or introspectType on Query or Mutation" }),
            max,
        );
    }
    results::structured(json!({ "hits": hits }), max)
}

/// `introspectType`.
pub fn introspect(index: &SchemaIndex, args: &Map<String, Value>, max: usize) -> CallToolResult {
    if let Some(e) = unknown_args(args, &["name", "depth"]) {
        return e;
    }
    let name = match text_arg(args, "name") {
        Ok(n) => n.trim(),
        Err(e) => return e,
    };
    let depth = match int_arg(args, "depth", 1, 4) {
        Ok(d) => d as usize,
        Err(e) => return e,
    };
    if SchemaIndex::is_internal(name) {
        return tool_error(format!("argument `name`: no type {name}"));
    }
    match index.introspect(name, depth) {
        Some(description) => results::structured(description, max),
        None => {
            let similar = index.similar_types(name);
            tool_error(if similar.is_empty() {
                format!("argument `name`: no type {name}; use searchSchema to find one")
            } else {
                format!(
                    "argument `name`: no type {name}; did you mean {}?",
                    similar.join(", ")
                )
            })
        }
    }
}

/// The roles an operation needs, as `subsystem:role` strings.
fn roles_of(tool: &operations::OperationTool) -> Vec<String> {
    tool.roles
        .iter()
        .map(|(s, r)| format!("{}:{}", subsystem_name(*s), role_name(*r)))
        .collect()
}

/// `validateOperation`: the router's limits first (in time linear in the document), then
/// parsing and validation.
pub fn validate(
    index: &SchemaIndex,
    args: &Map<String, Value>,
    max: usize,
    limits: &DocumentLimits,
) -> CallToolResult {
    if let Some(e) = unknown_args(args, &["operation"]) {
        return e;
    }
    let operation = match text_arg(args, "operation") {
        Ok(o) => o,
        Err(e) => return e,
    };
    if let Err(exceeded) = document_guard::check_document(operation, limits) {
        return results::structured(
            json!({ "valid": false, "code": exceeded.code, "errors": [exceeded.message] }),
            max,
        );
    }
    match operations::parse_file(index, "operation", operation) {
        Ok(tools) => results::structured(
            json!({
                "valid": true,
                "operations": tools.iter().map(|t| json!({
                    "name": t.name,
                    "kind": match t.kind { OperationKind::Query => "query", OperationKind::Mutation => "mutation" },
                    "requiredRoles": roles_of(t),
                    "variables": t.input_schema,
                })).collect::<Vec<_>>(),
            }),
            max,
        ),
        Err(crate::error::McpError::Operation { message, .. }) => results::structured(
            json!({ "valid": false, "errors": message.split("; ").collect::<Vec<_>>() }),
            max,
        ),
        Err(other) => tool_error(other.to_string()),
    }
}

/// An operation `executeOperation` may send.
#[derive(Debug)]
pub struct Prepared {
    /// The document.
    pub document: String,
    /// The operation to run.
    pub operation_name: String,
    /// Its checked variables.
    pub variables: Map<String, Value>,
    /// Its risk class.
    pub risk: crate::risk::RiskClass,
}

/// What `executeOperation` should run, once checked; or the tool error that explains why not.
pub fn prepare_execute(
    index: &SchemaIndex,
    caller: &Caller,
    policy: &crate::risk::ToolPolicy,
    args: &Map<String, Value>,
    limits: &DocumentLimits,
) -> Result<Prepared, CallToolResult> {
    if let Some(e) = unknown_args(args, &["operation", "operationName", "variables"]) {
        return Err(e);
    }
    let operation = text_arg(args, "operation")?;
    let operation_name = match args.get("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(tool_error(format!(
                "argument `operationName` must be a string, got {other}"
            )));
        }
    };
    let variables = match args.get("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(other) => {
            return Err(tool_error(format!(
                "argument `variables` must be an object, got {other}"
            )));
        }
    };
    document_guard::check_document(operation, limits).map_err(|exceeded| {
        tool_error(format!(
            "argument `operation` is refused ({}): {}",
            exceeded.code, exceeded.message
        ))
    })?;
    let tools = operations::parse_file(index, "operation", operation).map_err(|e| match e {
        crate::error::McpError::Operation { message, .. } => tool_error(format!(
            "argument `operation` is not valid against the schema: {message}"
        )),
        other => tool_error(other.to_string()),
    })?;
    let chosen = match &operation_name {
        Some(name) => tools.iter().find(|t| &t.name == name).ok_or_else(|| {
            tool_error(format!(
                "argument `operationName`: the document has no operation {name}"
            ))
        })?,
        None if tools.len() == 1 => &tools[0],
        None => {
            return Err(tool_error(
                "argument `operationName` is required when the document has several operations",
            ));
        }
    };
    // An arbitrary operation runs only when its risk class runs without supervision: what
    // needs a person's approval goes through its own tool, which asks for it.
    match policy.decide(EXECUTE, chosen.risk) {
        crate::risk::Policy::Run => {}
        crate::risk::Policy::Approve => {
            return Err(tool_error(format!(
                "refused: the operation's risk is {} and needs a person's approval; use the \
                 dedicated tool, which asks for it",
                chosen.risk
            )));
        }
        crate::risk::Policy::Deny => {
            return Err(tool_error(format!(
                "refused: {} operations are disabled on this adapter \
                 (PROMPTSALES_MCP_ALLOW_MUTATIONS / PROMPTSALES_MCP_TOOL_POLICY)",
                chosen.risk
            )));
        }
    }
    if !caller.may(&chosen.roles) {
        return Err(tool_error(format!(
            "refused: the operation needs the roles {} and the caller does not hold them all",
            roles_of(chosen).join(", ")
        )));
    }
    let variables = crate::args::check(index, &chosen.variables, &variables)
        .map_err(|m| tool_error(format!("variables: {m}")))?;
    Ok(Prepared {
        document: chosen.document.clone(),
        operation_name: chosen.name.clone(),
        variables,
        risk: chosen.risk,
    })
}
