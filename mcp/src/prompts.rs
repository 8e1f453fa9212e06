//! Content's prompt templates as MCP prompts: `<name>@v<version>`, one argument per
//! placeholder; `prompts/get` fills them. Templates are read on the router with the caller's
//! token, so a tenant only ever sees its own (and the shared ones content offers it).

use std::collections::BTreeMap;

use rmcp::model::{Prompt, PromptArgument};
use serde_json::{Map, Value};

use crate::error::McpError;
use crate::graph::GraphClient;
use crate::identity::Caller;

/// How many active templates are offered (the first page of content's listing).
pub const MAX_PROMPTS: usize = 100;

const LIST: &str = "query McpPromptTemplates { promptTemplates(filter: { activeOnly: true }, \
    first: 100) { edges { node { id name version channel purpose useCase body placeholders } } } }";

/// The mutation tools whose success changes the templates (and so the prompt list).
pub const CHANGING_TOOLS: [&str; 2] = ["savePromptTemplate", "setPromptTemplateActive"];

/// One active template version.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The name grouping its versions.
    pub name: String,
    /// Its version.
    pub version: i64,
    /// The channel it writes for.
    pub channel: String,
    /// What it writes.
    pub purpose: String,
    /// The role or use it serves.
    pub use_case: String,
    /// The text with `{{placeholders}}`.
    pub body: String,
    /// The placeholders its body uses.
    pub placeholders: Vec<String>,
}

impl Template {
    /// The prompt's name.
    pub fn prompt_name(&self) -> String {
        format!("{}@v{}", self.name, self.version)
    }

    /// The MCP prompt: every placeholder is a required argument.
    pub fn prompt(&self) -> Prompt {
        let arguments = self
            .placeholders
            .iter()
            .map(|p| {
                PromptArgument::new(p.clone())
                    .with_description(format!("the value of {{{{{p}}}}} in the template"))
                    .with_required(true)
            })
            .collect();
        Prompt::new(
            self.prompt_name(),
            Some(format!(
                "{} ({} {}, version {}): {}",
                self.use_case,
                self.purpose.to_lowercase(),
                self.channel.to_lowercase(),
                self.version,
                self.name
            )),
            Some(arguments),
        )
    }

    /// The body with every placeholder filled; the missing arguments otherwise.
    pub fn fill(&self, arguments: &Map<String, Value>) -> Result<String, Vec<String>> {
        let missing: Vec<String> = self
            .placeholders
            .iter()
            .filter(|p| !arguments.contains_key(p.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let values: BTreeMap<&str, String> = arguments
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.as_str(), text)
            })
            .collect();
        Ok(fill(&self.body, &values))
    }
}

/// Replaces `{{ name }}` (spaces allowed inside the braces) by its value; unknown names and
/// unclosed braces stay as they are. One pass: a value containing braces is never expanded.
pub fn fill(body: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The caller's active templates, by prompt name. A caller who may not read content gets
/// none (the graph refuses; that is no error here: it simply has no prompts).
pub async fn templates(graph: &GraphClient, caller: &Caller) -> Result<Vec<Template>, McpError> {
    if caller.token.is_none() {
        return Ok(Vec::new());
    }
    let response = graph
        .execute(caller, LIST, Some("McpPromptTemplates"), Map::new())
        .await?;
    let edges = response["data"]["promptTemplates"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<Template> = edges
        .iter()
        .filter_map(|edge| {
            let node = &edge["node"];
            Some(Template {
                name: node["name"].as_str()?.to_string(),
                version: node["version"].as_i64()?,
                channel: node["channel"].as_str().unwrap_or_default().to_string(),
                purpose: node["purpose"].as_str().unwrap_or_default().to_string(),
                use_case: node["useCase"].as_str().unwrap_or_default().to_string(),
                body: node["body"].as_str()?.to_string(),
                placeholders: node["placeholders"]
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .take(MAX_PROMPTS)
        .collect();
    out.sort_by_key(Template::prompt_name);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Template {
        Template {
            name: "spring-mail".into(),
            version: 3,
            channel: "EMAIL".into(),
            purpose: "CAMPAIGN_CONTENT".into(),
            use_case: "spring e-mail".into(),
            body: "Hi {{ audience }}: {{key_message}} {{unknown}} {{".into(),
            placeholders: vec!["audience".into(), "key_message".into()],
        }
    }

    #[test]
    fn a_template_is_a_prompt_whose_arguments_are_its_placeholders() {
        let prompt = template().prompt();
        assert_eq!(prompt.name, "spring-mail@v3");
        let arguments = prompt.arguments.expect("arguments");
        let names: Vec<&str> = arguments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["audience", "key_message"]);
        assert!(arguments.iter().all(|a| a.required == Some(true)));
    }

    #[test]
    fn filling_replaces_each_placeholder_once_and_names_what_is_missing() {
        let filled = template()
            .fill(
                json!({ "audience": "{{key_message}}", "key_message": "Go" })
                    .as_object()
                    .unwrap(),
            )
            .expect("filled");
        assert_eq!(filled, "Hi {{key_message}}: Go {{unknown}} {{");
        let missing = template()
            .fill(json!({ "audience": "x" }).as_object().unwrap())
            .expect_err("missing");
        assert_eq!(missing, ["key_message"]);
    }
}
