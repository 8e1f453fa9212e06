//! The model path: a chat model (the OpenAI-compatible client) writes the operation from
//! the question and the schema pruned to what the caller may read; the operation is then
//! checked like any client document (the router's limits, the composed schema, the
//! caller's roles) and refused unless it is a read. Mutations never run from `ask`.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;

use graphql_tools::static_graphql::schema as ast;
use promptsales_kit::ai::{ChatMessage, ChatModel, ChatRequest};
use promptsales_kit::context::Role;
use promptsales_kit::document_guard::DocumentLimits;
use serde_json::{Map, Value, json};

use crate::identity::Caller;
use crate::schema::{SchemaIndex, named};

/// Upper bound of the schema text sent to the model.
const MAX_SCHEMA_CHARS: usize = 40_000;

/// What the model wrote, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOperation {
    /// The document.
    pub document: String,
    /// The operation's name.
    pub operation_name: String,
    /// Its checked variables.
    pub variables: Map<String, Value>,
}

/// Why the model path gave no operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The model could not be called.
    #[error("the model is unavailable: {0}")]
    Unavailable(String),
    /// Its answer holds no operation.
    #[error("the model's answer holds no GraphQL operation")]
    NoOperation,
    /// The operation is refused (not a read, invalid, over the limits, roles).
    #[error("the model's operation is refused: {0}")]
    Refused(String),
}

/// The schema a caller may read, as SDL: the query root's fields of the subsystems they hold
/// a role in, and the types reachable from them (fields of other subsystems left out).
pub fn pruned_schema(index: &SchemaIndex, caller: &Caller) -> String {
    let may_read =
        |type_name: &str, field: &ast::Field| match index.field_subsystem(type_name, field) {
            Some(s) => caller.roles.get(&s).is_some_and(|r| *r >= Role::Read),
            None => true,
        };
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::new();
    if let Some(root) = index.root(crate::schema::OperationKind::Query) {
        queue.push_back(root.to_string());
    }
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name.clone()) || SchemaIndex::is_internal(&name) {
            continue;
        }
        let Some(definition) = index.type_def(&name) else {
            continue;
        };
        let add = |t: &ast::Type, queue: &mut VecDeque<String>| {
            let n = named(t).to_string();
            if !seen.contains(&n) {
                queue.push_back(n);
            }
        };
        match definition {
            ast::TypeDefinition::Object(o) => {
                let _ = writeln!(out, "type {name} {{");
                for f in o
                    .fields
                    .iter()
                    .filter(|f| !f.name.starts_with('_') && may_read(&name, f))
                {
                    let args: Vec<String> = f
                        .arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.name, a.value_type))
                        .collect();
                    let args = if args.is_empty() {
                        String::new()
                    } else {
                        format!("({})", args.join(", "))
                    };
                    let _ = writeln!(out, "  {}{args}: {}", f.name, f.field_type);
                    add(&f.field_type, &mut queue);
                    for a in &f.arguments {
                        add(&a.value_type, &mut queue);
                    }
                }
                out.push_str("}\n");
            }
            ast::TypeDefinition::InputObject(i) => {
                let _ = writeln!(out, "input {name} {{");
                for f in &i.fields {
                    let _ = writeln!(out, "  {}: {}", f.name, f.value_type);
                    add(&f.value_type, &mut queue);
                }
                out.push_str("}\n");
            }
            ast::TypeDefinition::Enum(e) => {
                let values: Vec<&str> = e.values.iter().map(|v| v.name.as_str()).collect();
                let _ = writeln!(out, "enum {name} {{ {} }}", values.join(" "));
            }
            ast::TypeDefinition::Scalar(_) => {
                let _ = writeln!(out, "scalar {name}");
            }
            ast::TypeDefinition::Interface(i) => {
                let _ = writeln!(out, "interface {name} {{");
                for f in &i.fields {
                    let _ = writeln!(out, "  {}: {}", f.name, f.field_type);
                    add(&f.field_type, &mut queue);
                }
                out.push_str("}\n");
            }
            ast::TypeDefinition::Union(u) => {
                let _ = writeln!(out, "union {name} = {}", u.types.join(" | "));
                for t in &u.types {
                    if !seen.contains(t) {
                        queue.push_back(t.clone());
                    }
                }
            }
        }
        if out.len() > MAX_SCHEMA_CHARS {
            out.push_str("# (schema cut here: it is longer than the model's share)\n");
            break;
        }
    }
    out
}

/// The instructions and the question, for the model.
pub fn messages(schema: &str, question: &str, today: &str, caller: &Caller) -> Vec<ChatMessage> {
    let organization = caller
        .organization
        .map_or("none (a platform operator)".to_string(), |o| o.to_string());
    vec![
        ChatMessage::system(format!(
            "You write one GraphQL query that answers a question about the PromptSales \
             marketing platform. Use only this schema (what the caller may read):\n\n{schema}\n\
             Today is {today}. The caller's organization id is {organization}.\n\
             Answer with JSON only: {{\"query\": \"<one named GraphQL query>\", \"variables\": {{...}}}}. \
             Never write a mutation or a subscription."
        )),
        ChatMessage::user(question.to_string()),
    ]
}

/// The `{query, variables}` in the model's text (JSON, possibly in a code fence), or a bare
/// GraphQL document.
pub fn parse_reply(text: &str) -> Result<(String, Map<String, Value>), ModelError> {
    let trimmed = text.trim();
    let unfenced = match trimmed.strip_prefix("```") {
        Some(rest) => {
            let body = rest.split_once('\n').map_or("", |(_, b)| b);
            body.rsplit_once("```").map_or(body, |(b, _)| b).trim()
        }
        None => trimmed,
    };
    if let Some(start) = unfenced.find('{')
        && let Some(end) = unfenced.rfind('}')
        && let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&unfenced[start..=end])
        && let Some(query) = o.get("query").and_then(Value::as_str)
    {
        let variables = o
            .get("variables")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        return Ok((query.to_string(), variables));
    }
    let starts = ["query", "mutation", "subscription", "{"];
    if starts.iter().any(|s| unfenced.starts_with(s)) {
        return Ok((unfenced.to_string(), Map::new()));
    }
    Err(ModelError::NoOperation)
}

/// Checks a document as `executeOperation` does, with mutations always refused.
pub fn check(
    index: &SchemaIndex,
    caller: &Caller,
    document: &str,
    variables: Map<String, Value>,
    limits: &DocumentLimits,
) -> Result<ModelOperation, ModelError> {
    let args = json!({ "operation": document, "variables": variables });
    let args = args.as_object().cloned().unwrap_or_default();
    let prepared = crate::builtin::prepare_execute(
        index,
        caller,
        &crate::risk::ToolPolicy::reads_only(),
        &args,
        limits,
    )
    .map_err(|refusal| {
        let text = refusal
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join(" ");
        ModelError::Refused(text)
    })?;
    Ok(ModelOperation {
        document: prepared.document,
        operation_name: prepared.operation_name,
        variables: prepared.variables,
    })
}

/// Asks the model for an operation and checks it.
pub async fn write_operation(
    model: &dyn ChatModel,
    index: &SchemaIndex,
    caller: &Caller,
    question: &str,
    today: &str,
    limits: &DocumentLimits,
) -> Result<ModelOperation, ModelError> {
    let schema = pruned_schema(index, caller);
    let mut request = ChatRequest::new(messages(&schema, question, today, caller));
    request.temperature = Some(0.0);
    let reply = model
        .generate(&request)
        .await
        .map_err(|e| ModelError::Unavailable(e.to_string()))?;
    let (document, variables) = parse_reply(&reply.text)?;
    check(index, caller, &document, variables, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_from_json_fences_or_bare_documents() {
        let (q, v) = parse_reply(
            "```json\n{\"query\": \"query A { plans { code } }\", \"variables\": {\"x\": 1}}\n```",
        )
        .expect("a reply");
        assert_eq!(q, "query A { plans { code } }");
        assert_eq!(v.get("x"), Some(&json!(1)));
        let (q, v) = parse_reply("query B { plans { code } }").expect("a bare document");
        assert!(q.starts_with("query B"));
        assert!(v.is_empty());
        assert_eq!(
            parse_reply("I cannot help with that."),
            Err(ModelError::NoOperation)
        );
    }
}
