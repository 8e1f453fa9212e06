//! GraphQL answers turned into tool results a model can use: structured content plus text,
//! errors that say what to fix, and large answers cut down with a note.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

/// The output schema of an operation tool: the operation's `data` (shaped by `data_schema`,
/// or any object), and a note when lists were cut. `data` is null when nothing fit.
pub fn output_schema(data_schema: Option<&Value>) -> Value {
    let data = match data_schema {
        Some(schema) => json!({ "anyOf": [schema, { "type": "null" }],
                                "description": "the operation's result, shaped like its selection" }),
        None => json!({ "type": ["object", "null"], "description": "the operation's result" }),
    };
    json!({
        "$schema": crate::json_schema::DIALECT,
        "type": "object",
        "properties": {
            "data": data,
            "truncated": { "type": "boolean", "description": "true when lists were cut to fit" },
            "note": { "type": "string", "description": "what was cut and how to get the rest" },
            "approval": {
                "type": "object",
                "description": "present when the call did not run but waits for a person's approval",
                "properties": {
                    "requestId": { "type": "string" },
                    "status": { "type": "string" },
                    "riskClass": { "type": "string" },
                    "message": { "type": "string" },
                },
                "required": ["requestId", "status"],
            },
        },
        "required": ["data"],
    })
}

/// A tool error with one message (the model reads it and tries again).
pub fn tool_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// The result of a GraphQL response: errors become a tool error, data a structured result.
pub fn from_response(response: Value, max_bytes: usize) -> CallToolResult {
    if let Some(errors) = response.get("errors").and_then(Value::as_array)
        && !errors.is_empty()
    {
        let lines: Vec<String> = errors.iter().map(explain).collect();
        let mut result = tool_error(format!(
            "The operation failed; fix the following and call again:\n- {}",
            lines.join("\n- ")
        ));
        // Partial data (a subgraph down) is still worth showing.
        if let Some(data) = response.get("data").filter(|d| !d.is_null()) {
            let (data, note) = truncate(data.clone(), max_bytes);
            let mut structured = json!({ "data": data, "errors": lines });
            if let Some(note) = note {
                structured["truncated"] = json!(true);
                structured["note"] = json!(note);
            }
            result.structured_content = Some(structured);
        }
        return result;
    }
    let data = response.get("data").cloned().unwrap_or(Value::Null);
    structured(data, max_bytes)
}

/// A structured success: `{data, truncated?, note?}` and the same as text.
pub fn structured(data: Value, max_bytes: usize) -> CallToolResult {
    let (data, note) = truncate(data, max_bytes);
    let mut out = json!({ "data": data });
    if let Some(note) = &note {
        out["truncated"] = json!(true);
        out["note"] = json!(note);
    }
    let mut text = serde_json::to_string(&out["data"]).unwrap_or_default();
    if let Some(note) = note {
        text.push_str("\n\nNote: ");
        text.push_str(&note);
    }
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(out);
    result
}

/// One GraphQL error as an instruction: the message, where, its code, and the field at fault.
fn explain(error: &Value) -> String {
    let message = error["message"].as_str().unwrap_or("unknown error");
    let mut line = message.to_string();
    let extensions = &error["extensions"];
    if let Some(field) = extensions["field"].as_str() {
        line.push_str(&format!(" (argument field `{field}`)"));
    }
    if let Some(path) = error["path"].as_array().filter(|p| !p.is_empty()) {
        let path: Vec<String> = path
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        line.push_str(&format!(" [at {}]", path.join(".")));
    }
    if let Some(code) = extensions["code"].as_str() {
        line.push_str(&format!(" [code {code}]"));
        let hint = match code {
            "UNAUTHENTICATED" => Some("the caller's token is missing, expired or invalid"),
            "FORBIDDEN" => Some("the caller lacks the subsystem role this needs"),
            "NOT_FOUND" => Some("check the id: it does not exist for this caller's organization"),
            "CONFLICT" => Some("it already exists or changed meanwhile: read it again first"),
            _ => None,
        };
        if let Some(hint) = hint {
            line.push_str(&format!(" — {hint}"));
        }
    }
    line
}

/// Cuts the longest lists until the JSON fits in `max_bytes`; says what was cut.
pub fn truncate(mut data: Value, max_bytes: usize) -> (Value, Option<String>) {
    let total = serde_json::to_string(&data).map_or(0, |s| s.len());
    if total <= max_bytes {
        return (data, None);
    }
    let mut cut = Vec::new();
    for _ in 0..64 {
        let size = serde_json::to_string(&data).map_or(0, |s| s.len());
        if size <= max_bytes {
            break;
        }
        let mut longest: Option<(String, usize)> = None;
        find_longest(&data, String::new(), &mut longest);
        let Some((path, len)) = longest.filter(|(_, len)| *len > 1) else {
            break;
        };
        let keep = (len / 2).max(1);
        if let Some(Value::Array(items)) = pointer_mut(&mut data, &path) {
            items.truncate(keep);
        }
        cut.push((path, len, keep));
    }
    let size = serde_json::to_string(&data).map_or(0, |s| s.len());
    let mut note = format!("the answer was {total} bytes, more than the {max_bytes} allowed; ");
    if cut.is_empty() || size > max_bytes {
        note.push_str(
            "it could not be cut by lists, so it is replaced by null; select fewer fields",
        );
        return (Value::Null, Some(note));
    }
    let mut merged: Vec<(String, usize, usize)> = Vec::new();
    for (path, len, keep) in cut {
        match merged.iter_mut().find(|(p, _, _)| *p == path) {
            Some(entry) => entry.2 = keep,
            None => merged.push((path, len, keep)),
        }
    }
    let parts: Vec<String> = merged
        .iter()
        .map(|(path, len, keep)| {
            format!(
                "{} kept {keep} of {len} items",
                if path.is_empty() { "/" } else { path }
            )
        })
        .collect();
    note.push_str(&parts.join(", "));
    note.push_str("; ask for fewer items (first/after) or fewer fields for the rest");
    (data, Some(note))
}

fn find_longest(value: &Value, path: String, longest: &mut Option<(String, usize)>) {
    match value {
        Value::Array(items) => {
            if longest.as_ref().is_none_or(|(_, len)| items.len() > *len) {
                *longest = Some((path.clone(), items.len()));
            }
            for (i, item) in items.iter().enumerate() {
                find_longest(item, format!("{path}/{i}"), longest);
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                find_longest(
                    v,
                    format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    longest,
                );
            }
        }
        _ => {}
    }
}

fn pointer_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    if path.is_empty() {
        Some(value)
    } else {
        value.pointer_mut(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_the_code() {
        let result = from_response(
            json!({ "errors": [{ "message": "end before start", "path": ["createCampaign"],
                    "extensions": { "code": "BAD_USER_INPUT", "field": "input.endDate" } }] }),
            10_000,
        );
        assert_eq!(result.is_error, Some(true));
        let text = format!("{:?}", result.content);
        assert!(text.contains("input.endDate"), "{text}");
        assert!(text.contains("BAD_USER_INPUT"), "{text}");
    }

    #[test]
    fn large_lists_are_cut_with_a_note() {
        let items: Vec<Value> = (0..1000)
            .map(|i| json!({ "n": i, "text": "x".repeat(20) }))
            .collect();
        let (data, note) = truncate(json!({ "items": items }), 2_000);
        let kept = data["items"].as_array().expect("items").len();
        assert!(kept < 1000 && kept > 0, "kept {kept}");
        assert!(serde_json::to_string(&data).expect("json").len() <= 2_000);
        assert!(note.expect("a note").contains("/items kept"));
    }

    #[test]
    fn small_answers_are_untouched() {
        let (data, note) = truncate(json!({ "a": [1, 2, 3] }), 2_000);
        assert_eq!(data, json!({ "a": [1, 2, 3] }));
        assert!(note.is_none());
    }
}
