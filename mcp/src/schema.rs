//! The supergraph, indexed for the adapter: type lookup, the subsystem that serves each
//! field (from the `@join__*` directives), search and introspection for models.

use std::collections::{BTreeMap, BTreeSet};

use graphql_tools::parser::schema::{
    Definition, Field, InputValue, ObjectType, TypeDefinition, parse_schema,
};
use graphql_tools::static_graphql::schema as ast;
use promptsales_kit::StrEnum;
use promptsales_kit::context::Subsystem;
use serde_json::{Value, json};

use crate::error::McpError;

/// The parsed supergraph and the indexes the adapter reads.
#[derive(Debug)]
pub struct SchemaIndex {
    /// The whole document (what operations are validated against).
    pub document: ast::Document,
    types: BTreeMap<String, ast::TypeDefinition>,
    query: String,
    mutation: Option<String>,
}

/// What kind of root an operation starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// A read.
    Query,
    /// A write.
    Mutation,
}

impl SchemaIndex {
    /// Parses a supergraph SDL.
    pub fn parse(sdl: &str) -> Result<Self, McpError> {
        let mut document = parse_schema::<String>(sdl)
            .map_err(|e| McpError::Schema(e.to_string()))?
            .into_static();
        // SDL may leave GraphQL's own scalars implicit; validation needs them declared.
        let declared: BTreeSet<String> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::TypeDefinition(t) => Some(name_of(t).to_string()),
                _ => None,
            })
            .collect();
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] {
            if !declared.contains(builtin) {
                let scalar = parse_schema::<String>(&format!("scalar {builtin}"))
                    .map_err(|e| McpError::Schema(e.to_string()))?
                    .into_static();
                document.definitions.extend(scalar.definitions);
            }
        }
        let mut types = BTreeMap::new();
        let mut query = "Query".to_string();
        let mut mutation = None;
        let mut saw_mutation_type = false;
        for definition in &document.definitions {
            match definition {
                Definition::SchemaDefinition(schema) => {
                    if let Some(q) = &schema.query {
                        query = q.clone();
                    }
                    mutation = schema.mutation.clone();
                }
                Definition::TypeDefinition(t) => {
                    if name_of(t) == "Mutation" {
                        saw_mutation_type = true;
                    }
                    types.insert(name_of(t).to_string(), t.clone());
                }
                _ => {}
            }
        }
        if mutation.is_none() && saw_mutation_type {
            mutation = Some("Mutation".into());
        }
        Ok(Self {
            document,
            types,
            query,
            mutation,
        })
    }

    /// The values of enum `name` (none when it is not an enum).
    pub fn enum_values(&self, name: &str) -> Vec<String> {
        match self.types.get(name) {
            Some(TypeDefinition::Enum(e)) => e.values.iter().map(|v| v.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// The definition of type `name`.
    pub fn type_def(&self, name: &str) -> Option<&ast::TypeDefinition> {
        self.types.get(name)
    }

    /// The root type of an operation kind.
    pub fn root(&self, kind: OperationKind) -> Option<&str> {
        match kind {
            OperationKind::Query => Some(self.query.as_str()),
            OperationKind::Mutation => self.mutation.as_deref(),
        }
    }

    /// The fields of an object or interface type.
    pub fn fields(&self, type_name: &str) -> &[ast::Field] {
        match self.types.get(type_name) {
            Some(TypeDefinition::Object(o)) => &o.fields,
            Some(TypeDefinition::Interface(i)) => &i.fields,
            _ => &[],
        }
    }

    /// One field of an object or interface type.
    pub fn field(&self, type_name: &str, field: &str) -> Option<&ast::Field> {
        self.fields(type_name).iter().find(|f| f.name == field)
    }

    /// The subsystem that resolves `type_name.field`, when exactly one does.
    pub fn field_subsystem(&self, type_name: &str, field: &ast::Field) -> Option<Subsystem> {
        let from_field: Vec<String> = graphs_in(&field.directives, "join__field");
        if from_field.len() == 1 {
            return subsystem_of(&from_field[0]);
        }
        if !from_field.is_empty() {
            return None;
        }
        let owners = match self.types.get(type_name) {
            Some(TypeDefinition::Object(ObjectType { directives, .. })) => {
                graphs_in(directives, "join__type")
            }
            _ => Vec::new(),
        };
        if owners.len() == 1 {
            subsystem_of(&owners[0])
        } else {
            None
        }
    }

    /// Whether a type belongs to the federation machinery rather than the product.
    pub fn is_internal(name: &str) -> bool {
        name.starts_with("join__") || name.starts_with("link__") || name.starts_with("__")
    }

    /// Types and root fields whose names or descriptions contain the words, best first.
    pub fn search(&self, words: &str, limit: usize) -> Vec<Value> {
        let words: Vec<String> = words
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        let score = |name: &str, description: Option<&str>| -> usize {
            let name = name.to_lowercase();
            let description = description.unwrap_or("").to_lowercase();
            words
                .iter()
                .map(|w| {
                    if name.contains(w.as_str()) {
                        3
                    } else if description.contains(w.as_str()) {
                        1
                    } else {
                        0
                    }
                })
                .sum()
        };
        let mut hits: Vec<(usize, Value)> = Vec::new();
        for (name, definition) in &self.types {
            if Self::is_internal(name) {
                continue;
            }
            let s = score(name, description_of(definition));
            if s > 0 {
                hits.push((
                    s + 1,
                    json!({
                        "kind": kind_of(definition),
                        "name": name,
                        "description": short(description_of(definition)),
                    }),
                ));
            }
            for field in self.fields(name) {
                let s = score(&field.name, field.description.as_deref());
                if s > 0 {
                    hits.push((
                        s,
                        json!({
                            "kind": "FIELD",
                            "name": format!("{name}.{}", field.name),
                            "signature": field_signature(field),
                            "description": short(field.description.as_deref()),
                        }),
                    ));
                }
            }
        }
        // Stable: by score, then by name, so the same question gets the same answer.
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1["name"].as_str().cmp(&b.1["name"].as_str()))
        });
        hits.into_iter().take(limit).map(|(_, v)| v).collect()
    }

    /// A type described to `depth` levels: its fields (with arguments) and, below, the types they use.
    pub fn introspect(&self, name: &str, depth: usize) -> Option<Value> {
        let mut seen = BTreeSet::new();
        self.describe(name, depth.clamp(1, 4), &mut seen)
    }

    fn describe(&self, name: &str, depth: usize, seen: &mut BTreeSet<String>) -> Option<Value> {
        let definition = self.types.get(name)?;
        seen.insert(name.to_string());
        let mut out = json!({ "name": name, "kind": kind_of(definition) });
        if let Some(d) = description_of(definition) {
            out["description"] = json!(d);
        }
        let mut uses = Vec::new();
        match definition {
            TypeDefinition::Object(o) => {
                out["fields"] = fields_json(&o.fields, &mut uses);
            }
            TypeDefinition::Interface(i) => {
                out["fields"] = fields_json(&i.fields, &mut uses);
            }
            TypeDefinition::InputObject(i) => {
                out["inputFields"] = Value::Array(
                    i.fields
                        .iter()
                        .map(|f| {
                            uses.push(named(&f.value_type).to_string());
                            input_json(f)
                        })
                        .collect(),
                );
            }
            TypeDefinition::Enum(e) => {
                out["values"] = Value::Array(
                    e.values
                        .iter()
                        .map(|v| match &v.description {
                            Some(d) => json!({ "name": v.name, "description": d }),
                            None => json!(v.name),
                        })
                        .collect(),
                );
            }
            TypeDefinition::Union(u) => {
                out["possibleTypes"] = json!(u.types);
                uses.extend(u.types.iter().cloned());
            }
            TypeDefinition::Scalar(_) => {}
        }
        if depth > 1 {
            let mut related = Vec::new();
            for used in uses {
                if seen.contains(&used) || Self::is_internal(&used) || is_builtin_scalar(&used) {
                    continue;
                }
                if let Some(v) = self.describe(&used, depth - 1, seen) {
                    related.push(v);
                }
            }
            if !related.is_empty() {
                out["related"] = Value::Array(related);
            }
        }
        Some(out)
    }

    /// Names of types similar to `name` (for "did you mean").
    pub fn similar_types(&self, name: &str) -> Vec<String> {
        let lower = name.to_lowercase();
        self.types
            .keys()
            .filter(|t| !Self::is_internal(t))
            .filter(|t| {
                let t = t.to_lowercase();
                t.contains(&lower) || lower.contains(&t)
            })
            .take(5)
            .cloned()
            .collect()
    }
}

fn fields_json(fields: &[ast::Field], uses: &mut Vec<String>) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| {
                uses.push(named(&f.field_type).to_string());
                for a in &f.arguments {
                    uses.push(named(&a.value_type).to_string());
                }
                let mut v = json!({ "name": f.name, "type": f.field_type.to_string() });
                if !f.arguments.is_empty() {
                    v["args"] = Value::Array(f.arguments.iter().map(input_json).collect());
                }
                if let Some(d) = &f.description {
                    v["description"] = json!(short(Some(d)));
                }
                v
            })
            .collect(),
    )
}

fn input_json(input: &ast::InputValue) -> Value {
    let mut v = json!({ "name": input.name, "type": input.value_type.to_string() });
    if let Some(d) = &input.default_value {
        v["default"] = json!(d.to_string());
    }
    if let Some(d) = &input.description {
        v["description"] = json!(short(Some(d)));
    }
    v
}

fn field_signature(field: &Field<'static, String>) -> String {
    if field.arguments.is_empty() {
        format!("{}: {}", field.name, field.field_type)
    } else {
        let args: Vec<String> = field
            .arguments
            .iter()
            .map(|a: &InputValue<'static, String>| format!("{}: {}", a.name, a.value_type))
            .collect();
        format!("{}({}): {}", field.name, args.join(", "), field.field_type)
    }
}

/// The first sentence of a description: models need the gist, not the essay.
fn short(description: Option<&str>) -> Value {
    match description {
        None => Value::Null,
        Some(d) => {
            let d = d.trim();
            let first = d.split("\n\n").next().unwrap_or(d).trim();
            json!(first.replace('\n', " "))
        }
    }
}

/// The named type under list and non-null wrappers.
pub fn named(t: &ast::Type) -> &str {
    match t {
        ast::Type::NamedType(n) => n,
        ast::Type::ListType(inner) | ast::Type::NonNullType(inner) => named(inner),
    }
}

/// Whether a scalar is one of GraphQL's own.
pub fn is_builtin_scalar(name: &str) -> bool {
    matches!(name, "String" | "Int" | "Float" | "Boolean" | "ID")
}

fn name_of(t: &ast::TypeDefinition) -> &str {
    match t {
        TypeDefinition::Scalar(s) => &s.name,
        TypeDefinition::Object(o) => &o.name,
        TypeDefinition::Interface(i) => &i.name,
        TypeDefinition::Union(u) => &u.name,
        TypeDefinition::Enum(e) => &e.name,
        TypeDefinition::InputObject(i) => &i.name,
    }
}

fn description_of(t: &ast::TypeDefinition) -> Option<&str> {
    match t {
        TypeDefinition::Scalar(s) => s.description.as_deref(),
        TypeDefinition::Object(o) => o.description.as_deref(),
        TypeDefinition::Interface(i) => i.description.as_deref(),
        TypeDefinition::Union(u) => u.description.as_deref(),
        TypeDefinition::Enum(e) => e.description.as_deref(),
        TypeDefinition::InputObject(i) => i.description.as_deref(),
    }
}

fn kind_of(t: &ast::TypeDefinition) -> &'static str {
    match t {
        TypeDefinition::Scalar(_) => "SCALAR",
        TypeDefinition::Object(_) => "OBJECT",
        TypeDefinition::Interface(_) => "INTERFACE",
        TypeDefinition::Union(_) => "UNION",
        TypeDefinition::Enum(_) => "ENUM",
        TypeDefinition::InputObject(_) => "INPUT_OBJECT",
    }
}

/// The `graph:` arguments of every `@name` directive.
fn graphs_in(directives: &[ast::Directive], name: &str) -> Vec<String> {
    directives
        .iter()
        .filter(|d| d.name == name)
        .filter_map(|d| {
            d.arguments.iter().find_map(|(arg, value)| match value {
                ast::Value::Enum(graph) if arg == "graph" => Some(graph.clone()),
                _ => None,
            })
        })
        .collect()
}

/// The subsystem of a `join__Graph` value (`SALES`, `ADS`, `CRM`, `CONTENT`).
fn subsystem_of(graph: &str) -> Option<Subsystem> {
    Subsystem::parse(&graph.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
schema { query: Query }
enum join__Graph { ADS @join__graph(name: "ads", url: "x") CRM @join__graph(name: "crm", url: "y") }
type Query @join__type(graph: ADS) @join__type(graph: CRM) {
  "All the ads."
  ads(first: Int): [Ad!]! @join__field(graph: ADS)
  leads: [Lead!]! @join__field(graph: CRM)
}
type Ad @join__type(graph: ADS) { id: ID! name: String! }
type Lead @join__type(graph: CRM) { id: ID! score: Int! }
"#;

    #[test]
    fn field_subsystems_come_from_join_directives() {
        let index = SchemaIndex::parse(SDL).expect("parses");
        let ads = index.field("Query", "ads").expect("ads");
        assert_eq!(index.field_subsystem("Query", ads), Some(Subsystem::Ads));
        let score = index.field("Lead", "score").expect("score");
        assert_eq!(index.field_subsystem("Lead", score), Some(Subsystem::Crm));
    }

    #[test]
    fn search_finds_fields_by_description_and_skips_federation_types() {
        let index = SchemaIndex::parse(SDL).expect("parses");
        let hits = index.search("ads", 10);
        assert_eq!(hits[0]["name"], "Query.ads");
        assert!(index.search("graph", 10).is_empty());
    }

    #[test]
    fn introspect_follows_types_to_the_depth_asked() {
        let index = SchemaIndex::parse(SDL).expect("parses");
        let shallow = index.introspect("Query", 1).expect("Query");
        assert!(shallow.get("related").is_none());
        let deep = index.introspect("Query", 2).expect("Query");
        let related: Vec<&str> = deep["related"]
            .as_array()
            .expect("related")
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(related, ["Ad", "Lead"]);
    }
}
