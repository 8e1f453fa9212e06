//! Tools from operation files: every named operation in a folder of `.graphql` files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use graphql_tools::parser::query::{
    Definition, OperationDefinition, Selection, SelectionSet, TypeCondition, parse_query,
};
use graphql_tools::static_graphql::query;
use graphql_tools::validation::rules::default_rules_validation_plan;
use graphql_tools::validation::validate::validate;
use promptsales_kit::context::{Role, Subsystem};
use serde_json::Value;

use crate::error::McpError;
use crate::json_schema;
use crate::risk::RiskClass;
use crate::schema::{OperationKind, SchemaIndex, named};

/// The operation files compiled into the binary, for when it runs outside the repository.
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_operations.rs"));

/// One tool made from one named operation.
#[derive(Debug, Clone)]
pub struct OperationTool {
    /// The tool name: the operation's name.
    pub name: String,
    /// Query or mutation.
    pub kind: OperationKind,
    /// From the operation's description or its leading comment.
    pub description: String,
    /// The document sent to the router (the whole file: fragments included).
    pub document: String,
    /// The JSON Schema of the arguments.
    pub input_schema: Value,
    /// The JSON Schema of the operation's `data` (from its selection).
    pub data_schema: Value,
    /// The variables, to check arguments before anything is sent.
    pub variables: Vec<query::VariableDefinition>,
    /// The subsystem roles a caller needs (read for queries, write for mutations).
    pub roles: BTreeMap<Subsystem, Role>,
    /// Where it came from (file name).
    pub source: String,
    /// What it risks: the strongest class of its root fields.
    pub risk: RiskClass,
}

/// Reads every `.graphql` file of `dir` (sorted by name); a bad file is reported and skipped.
pub fn load_dir(index: &SchemaIndex, dir: &Path) -> (Vec<OperationTool>, Vec<McpError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let path = entry.path();
                if path
                    .extension()
                    .is_some_and(|e| e == "graphql" || e == "gql")
                {
                    match std::fs::read_to_string(&path) {
                        Ok(text) => files.push((path.display().to_string(), text)),
                        Err(e) => errors.push(McpError::Operation {
                            file: path.display().to_string(),
                            message: e.to_string(),
                        }),
                    }
                }
            }
        }
        Err(e) => errors.push(McpError::Operation {
            file: dir.display().to_string(),
            message: e.to_string(),
        }),
    }
    files.sort();
    load_texts(
        index,
        files.iter().map(|(f, t)| (f.as_str(), t.as_str())),
        errors,
    )
}

/// The `.graphql` files of `dir` as written: (file name, text); unreadable ones are left out.
pub fn read_dir_texts(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql" || e == "gql"))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read_to_string(&p).ok()?))
        })
        .collect()
}

/// Builds the tools of the embedded operation files.
pub fn load_embedded(index: &SchemaIndex) -> (Vec<OperationTool>, Vec<McpError>) {
    load_texts(index, EMBEDDED.iter().copied(), Vec::new())
}

fn load_texts<'a>(
    index: &SchemaIndex,
    files: impl Iterator<Item = (&'a str, &'a str)>,
    mut errors: Vec<McpError>,
) -> (Vec<OperationTool>, Vec<McpError>) {
    let mut tools: Vec<OperationTool> = Vec::new();
    let mut names = BTreeSet::new();
    for (file, text) in files {
        match parse_file(index, file, text) {
            Ok(found) => {
                for tool in found {
                    if names.insert(tool.name.clone()) {
                        tools.push(tool);
                    } else {
                        errors.push(McpError::Operation {
                            file: file.to_string(),
                            message: format!(
                                "operation {} is defined twice; the first one is kept",
                                tool.name
                            ),
                        });
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    (tools, errors)
}

/// The tools of one file: validated against the schema, each with its schema and roles.
pub fn parse_file(
    index: &SchemaIndex,
    file: &str,
    text: &str,
) -> Result<Vec<OperationTool>, McpError> {
    let fail = |message: String| McpError::Operation {
        file: file.to_string(),
        message,
    };
    let (clean, descriptions) = split_descriptions(text);
    let document = parse_query::<String>(&clean)
        .map_err(|e| fail(e.to_string()))?
        .into_static();
    let problems = validate(&index.document, &document, &default_rules_validation_plan());
    if !problems.is_empty() {
        let messages: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        return Err(fail(messages.join("; ")));
    }
    let fragments: BTreeMap<&str, &query::FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let mut tools = Vec::new();
    for definition in &document.definitions {
        let Definition::Operation(operation) = definition else {
            continue;
        };
        let (name, kind, variables, selection) = match operation {
            OperationDefinition::Query(q) => (
                q.name.clone(),
                OperationKind::Query,
                &q.variable_definitions,
                &q.selection_set,
            ),
            OperationDefinition::Mutation(m) => (
                m.name.clone(),
                OperationKind::Mutation,
                &m.variable_definitions,
                &m.selection_set,
            ),
            OperationDefinition::Subscription(_) => {
                return Err(fail(
                    "subscriptions cannot be tools (a tool call has one answer)".into(),
                ));
            }
            OperationDefinition::SelectionSet(_) => {
                return Err(fail(
                    "an anonymous operation cannot be a tool: name it".into(),
                ));
            }
        };
        let Some(name) = name else {
            return Err(fail(
                "an anonymous operation cannot be a tool: name it".into(),
            ));
        };
        let root = index
            .root(kind)
            .ok_or_else(|| fail("the schema has no mutation type".into()))?;
        let mut walk = Walk {
            index,
            fragments: &fragments,
            roles: BTreeMap::new(),
            variable_descriptions: BTreeMap::new(),
            level: match kind {
                OperationKind::Query => Role::Read,
                OperationKind::Mutation => Role::Write,
            },
            visited: BTreeSet::new(),
        };
        walk.selection(root, selection, true);
        let description = descriptions
            .get(&name)
            .cloned()
            .unwrap_or_else(|| format!("Runs the GraphQL {} {name}.", kind_word(kind)));
        let data_schema = json_schema::selection_schema(index, root, selection, &fragments);
        let risk = root_risk(kind, selection, &fragments);
        tools.push(OperationTool {
            risk,
            data_schema,
            input_schema: json_schema::input_schema(index, variables, &walk.variable_descriptions),
            roles: walk.roles,
            variables: variables.clone(),
            name,
            kind,
            description,
            document: clean.clone(),
            source: file.to_string(),
        });
    }
    if tools.is_empty() {
        return Err(fail("no named operation in the file".into()));
    }
    Ok(tools)
}

/// The strongest risk class of the root fields (through fragments at the root too).
fn root_risk(
    kind: OperationKind,
    set: &SelectionSet<'static, String>,
    fragments: &BTreeMap<&str, &query::FragmentDefinition>,
) -> RiskClass {
    fn walk(
        mutation: bool,
        set: &SelectionSet<'static, String>,
        fragments: &BTreeMap<&str, &query::FragmentDefinition>,
        seen: &mut BTreeSet<String>,
        risk: &mut RiskClass,
    ) {
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    let class = RiskClass::of_root_field(mutation, &field.name, &field.arguments);
                    *risk = (*risk).max(class);
                }
                Selection::InlineFragment(inline) => {
                    walk(mutation, &inline.selection_set, fragments, seen, risk);
                }
                Selection::FragmentSpread(spread) => {
                    if seen.insert(spread.fragment_name.clone())
                        && let Some(fragment) = fragments.get(spread.fragment_name.as_str())
                    {
                        walk(mutation, &fragment.selection_set, fragments, seen, risk);
                    }
                }
            }
        }
    }
    let mut risk = RiskClass::Read;
    walk(
        kind == OperationKind::Mutation,
        set,
        fragments,
        &mut BTreeSet::new(),
        &mut risk,
    );
    risk
}

fn kind_word(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Query => "query",
        OperationKind::Mutation => "mutation",
    }
}

/// Walks a selection to find the subsystems it touches and what the variables mean.
struct Walk<'a> {
    index: &'a SchemaIndex,
    fragments: &'a BTreeMap<&'a str, &'a query::FragmentDefinition>,
    roles: BTreeMap<Subsystem, Role>,
    variable_descriptions: BTreeMap<String, String>,
    /// The role the root fields need; nested fields only need read.
    level: Role,
    visited: BTreeSet<String>,
}

impl Walk<'_> {
    fn selection(&mut self, parent: &str, set: &SelectionSet<'static, String>, root: bool) {
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    if field.name.starts_with("__") {
                        continue;
                    }
                    let Some(definition) = self.index.field(parent, &field.name) else {
                        continue;
                    };
                    if let Some(subsystem) = self.index.field_subsystem(parent, definition) {
                        let needed = if root { self.level } else { Role::Read };
                        let entry = self.roles.entry(subsystem).or_insert(needed);
                        *entry = (*entry).max(needed);
                    }
                    for (argument, value) in &field.arguments {
                        if let query::Value::Variable(variable) = value
                            && let Some(arg) =
                                definition.arguments.iter().find(|a| &a.name == argument)
                            && let Some(description) = &arg.description
                        {
                            self.variable_descriptions
                                .entry(variable.clone())
                                .or_insert_with(|| description.trim().to_string());
                        }
                    }
                    let child = named(&definition.field_type).to_string();
                    self.selection(&child, &field.selection_set, false);
                }
                Selection::InlineFragment(inline) => {
                    let on = match &inline.type_condition {
                        Some(TypeCondition::On(t)) => t.clone(),
                        None => parent.to_string(),
                    };
                    self.selection(&on, &inline.selection_set, root);
                }
                Selection::FragmentSpread(spread) => {
                    // A fragment used twice is walked once (and a cycle never loops).
                    if !self.visited.insert(spread.fragment_name.clone()) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()) {
                        let TypeCondition::On(on) = &fragment.type_condition;
                        self.selection(on, &fragment.selection_set, root);
                    }
                }
            }
        }
    }
}

/// Removes operation descriptions (`"""..."""` before `query`/`mutation`, which the parser
/// does not know yet) and records them, with leading `#` comments, by operation name.
pub fn split_descriptions(text: &str) -> (String, BTreeMap<String, String>) {
    let bytes = text.as_bytes();
    let mut clean = String::with_capacity(text.len());
    let mut descriptions = BTreeMap::new();
    let mut pending: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if let Some(after) = rest.strip_prefix("\"\"\"") {
            let end = after.find("\"\"\"").map_or(rest.len(), |e| e + 6);
            let literal = &rest[..end];
            if depth == 0 {
                pending.push(literal.trim_matches('"').trim().to_string());
                clean.extend(literal.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
            } else {
                clean.push_str(literal);
            }
            i += end;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        match c {
            '#' => {
                let end = rest.find('\n').unwrap_or(rest.len());
                if depth == 0 {
                    let line = rest[1..end].trim();
                    if !line.is_empty() {
                        pending.push(line.to_string());
                    }
                }
                clean.push_str(&rest[..end]);
                i += end;
                continue;
            }
            '"' => {
                // A plain string: copy it whole so braces inside do not count.
                let mut end = 1;
                let mut escaped = false;
                for (k, ch) in rest[1..].char_indices() {
                    if escaped {
                        escaped = false;
                    } else if ch == '\\' {
                        escaped = true;
                    } else if ch == '"' || ch == '\n' {
                        end = k + 2;
                        break;
                    }
                    end = k + 1 + ch.len_utf8();
                }
                let literal = &rest[..end.min(rest.len())];
                if depth == 0 {
                    pending.push(literal.trim_matches('"').trim().to_string());
                    clean.extend(literal.chars().map(|_| ' '));
                } else {
                    clean.push_str(literal);
                }
                i += literal.len().max(1);
                continue;
            }
            '{' | '(' => depth += 1,
            '}' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && c.is_alphabetic() {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if matches!(
                word.as_str(),
                "query" | "mutation" | "subscription" | "fragment"
            ) {
                let after = rest[word.len()..].trim_start();
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !pending.is_empty() && !name.is_empty() && word != "fragment" {
                    descriptions.insert(name, pending.join("\n"));
                }
                pending.clear();
            }
            clean.push_str(&word);
            i += word.len().max(1);
            continue;
        }
        if !c.is_whitespace() && c != '{' {
            // Anything else between a comment and an operation detaches the comment.
            if depth == 0 {
                pending.clear();
            }
        }
        clean.push(c);
        i += c.len_utf8();
    }
    (clean, descriptions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_come_from_block_strings_and_leading_comments() {
        let (clean, d) = split_descriptions(
            "# Finds assets.\n# Best first.\nquery A($t: String!) { a(t: $t) }\n\n\"\"\"Makes a draft.\"\"\"\nmutation B { b(x: \"{\") }\n",
        );
        assert_eq!(d["A"], "Finds assets.\nBest first.");
        assert_eq!(d["B"], "Makes a draft.");
        assert!(!clean.contains("Makes a draft"));
        assert!(clean.contains("b(x: \"{\")"));
    }
}
