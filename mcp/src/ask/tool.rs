//! The MCP `ask` tool: a question in, a short text, the figures (structured content) and
//! the operations it ran out.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use crate::identity::Caller;
use crate::json_schema::DIALECT;
use crate::results::tool_error;
use crate::server::Shared;

/// The tool's name.
pub const NAME: &str = "ask";

fn object(value: Value) -> Arc<Map<String, Value>> {
    Arc::new(value.as_object().cloned().unwrap_or_default())
}

/// The tool as listed.
pub fn definition() -> Tool {
    Tool::new(
        NAME,
        "Answers a question about your marketing and sales results in plain words (best return \
         by campaign in a period, a campaign's leads by channel, spend against budget per \
         channel, funnels, revenue, top ads, pending approvals, ...), with the figures and the \
         GraphQL operations it ran as you. It never changes anything.",
        object(json!({
            "$schema": DIALECT,
            "type": "object",
            "properties": {
                "question": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": super::engine::MAX_QUESTION_CHARS,
                    "description": "e.g. \"How many leads did <campaign> bring last week, by channel?\" (one of your campaigns by name)"
                }
            },
            "required": ["question"],
            "additionalProperties": false,
        })),
    )
    .with_raw_output_schema(object(json!({
        "$schema": DIALECT,
        "type": "object",
        "properties": {
            "answered": { "type": "boolean" },
            "text": { "type": "string" },
            "kind": { "type": ["string", "null"] },
            "planner": { "type": "string" },
            "understood": { "type": "object" },
            "figures": {},
            "operations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "operationName": { "type": "string" },
                        "variables": { "type": "object" },
                        "document": { "type": "string" }
                    },
                    "required": ["operationName", "variables", "document"]
                }
            }
        },
        "required": ["answered", "text", "planner", "understood", "figures", "operations"],
    })))
    .with_annotations(
        ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
    )
}

/// Runs the tool for `caller`.
pub async fn call(shared: &Shared, caller: &Caller, args: &Map<String, Value>) -> CallToolResult {
    if let Some(unknown) = args.keys().find(|k| k.as_str() != "question") {
        return tool_error(format!(
            "unknown argument `{unknown}`: the only one is `question`"
        ));
    }
    let Some(question) = args.get("question").and_then(Value::as_str) else {
        return tool_error("argument `question` (a string) is required");
    };
    let answer = shared.answer(caller, question).await;
    let text = answer.text.clone();
    let structured = serde_json::to_value(&answer).unwrap_or(Value::Null);
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result
}
