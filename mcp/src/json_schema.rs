//! JSON Schema (2020-12) of an operation's variables, read against the supergraph.
//!
//! Non-null variables without a default are `required`; nullable ones also accept `null`;
//! enums and input objects are `$defs` (so recursive inputs stay finite); the platform's
//! custom scalars get the string formats and patterns a model can fill in.

use std::collections::BTreeMap;

use graphql_tools::parser::schema::TypeDefinition;
use graphql_tools::static_graphql::{query, schema as ast};
use serde_json::{Map, Value, json};

use crate::schema::SchemaIndex;

/// The JSON Schema dialect of every input schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Pattern of the `Decimal` scalar (a decimal number as a string, never a float).
pub const DECIMAL_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// The input schema of an operation: one property per variable.
pub fn input_schema(
    index: &SchemaIndex,
    variables: &[query::VariableDefinition],
    descriptions: &BTreeMap<String, String>,
) -> Value {
    let mut defs = BTreeMap::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for variable in variables {
        let mut property = type_schema(index, &variable.var_type, &mut defs);
        if let Some(default) = &variable.default_value {
            property["default"] = value_to_json(default);
        }
        if let Some(description) = descriptions.get(&variable.name) {
            property["description"] = json!(description);
        }
        if matches!(variable.var_type, query::Type::NonNullType(_))
            && variable.default_value.is_none()
        {
            required.push(json!(variable.name));
        }
        properties.insert(variable.name.clone(), property);
    }
    let mut out = json!({
        "$schema": DIALECT,
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        out["required"] = Value::Array(required);
    }
    if !defs.is_empty() {
        out["$defs"] = Value::Object(defs.into_iter().collect());
    }
    out
}

/// The schema of a GraphQL input type; `null` allowed unless it is non-null.
fn type_schema(index: &SchemaIndex, t: &query::Type, defs: &mut BTreeMap<String, Value>) -> Value {
    match t {
        query::Type::NonNullType(inner) => non_null_schema(index, inner, defs),
        other => nullable(non_null_schema(index, other, defs)),
    }
}

fn non_null_schema(
    index: &SchemaIndex,
    t: &query::Type,
    defs: &mut BTreeMap<String, Value>,
) -> Value {
    match t {
        query::Type::NonNullType(inner) => non_null_schema(index, inner, defs),
        query::Type::ListType(item) => {
            json!({ "type": "array", "items": type_schema(index, item, defs) })
        }
        query::Type::NamedType(name) => named_schema(index, name, defs),
    }
}

fn named_schema(index: &SchemaIndex, name: &str, defs: &mut BTreeMap<String, Value>) -> Value {
    if let Some(s) = scalar_schema(name) {
        return s;
    }
    let reference = json!({ "$ref": format!("#/$defs/{name}") });
    if defs.contains_key(name) {
        return reference;
    }
    match index.type_def(name) {
        Some(TypeDefinition::Enum(e)) => {
            let values: Vec<&str> = e.values.iter().map(|v| v.name.as_str()).collect();
            let mut def = json!({ "type": "string", "enum": values });
            describe(&mut def, e.description.as_deref());
            defs.insert(name.to_string(), def);
            reference
        }
        Some(TypeDefinition::InputObject(input)) => {
            // Placeholder first: a field of the same type refers back instead of recursing forever.
            defs.insert(name.to_string(), json!({}));
            let def = input_object_schema(index, input, defs);
            defs.insert(name.to_string(), def);
            reference
        }
        Some(TypeDefinition::Scalar(s)) => {
            let mut def = json!({});
            describe(
                &mut def,
                Some(s.description.as_deref().unwrap_or("a custom scalar")),
            );
            def
        }
        // Output types cannot be variables; validation reports it, the schema stays permissive.
        _ => json!({}),
    }
}

fn input_object_schema(
    index: &SchemaIndex,
    input: &ast::InputObjectType,
    defs: &mut BTreeMap<String, Value>,
) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in &input.fields {
        let mut property = schema_type_schema(index, &field.value_type, defs);
        if let Some(default) = &field.default_value {
            property["default"] = schema_value_to_json(default);
        }
        describe(&mut property, field.description.as_deref());
        if matches!(field.value_type, ast::Type::NonNullType(_)) && field.default_value.is_none() {
            required.push(json!(field.name));
        }
        properties.insert(field.name.clone(), property);
    }
    let mut def =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        def["required"] = Value::Array(required);
    }
    describe(&mut def, input.description.as_deref());
    def
}

/// The same as [`type_schema`] for a type written in the schema document.
fn schema_type_schema(
    index: &SchemaIndex,
    t: &ast::Type,
    defs: &mut BTreeMap<String, Value>,
) -> Value {
    match t {
        ast::Type::NonNullType(inner) => match inner.as_ref() {
            ast::Type::ListType(item) => {
                json!({ "type": "array", "items": schema_type_schema(index, item, defs) })
            }
            ast::Type::NamedType(name) => named_schema(index, name, defs),
            nested => schema_type_schema(index, nested, defs),
        },
        ast::Type::ListType(item) => {
            nullable(json!({ "type": "array", "items": schema_type_schema(index, item, defs) }))
        }
        ast::Type::NamedType(name) => nullable(named_schema(index, name, defs)),
    }
}

/// GraphQL's scalars and the platform's custom ones.
pub fn scalar_schema(name: &str) -> Option<Value> {
    Some(match name {
        "String" => json!({ "type": "string" }),
        "Int" => json!({ "type": "integer", "minimum": i32::MIN, "maximum": i32::MAX }),
        "Float" => json!({ "type": "number" }),
        "Boolean" => json!({ "type": "boolean" }),
        // Every id of the platform is a UUID (v7).
        "ID" | "UUID" | "Uuid" => json!({ "type": "string", "format": "uuid" }),
        "Decimal" => json!({
            "type": "string",
            "pattern": DECIMAL_PATTERN,
            "description": "a decimal number written as a string, e.g. \"1250.50\"",
        }),
        "DateTime" => json!({ "type": "string", "format": "date-time" }),
        "NaiveDate" | "Date" => json!({ "type": "string", "format": "date" }),
        "NaiveTime" | "Time" => json!({ "type": "string", "format": "time" }),
        "Url" | "URL" => json!({ "type": "string", "format": "uri" }),
        "Email" => json!({ "type": "string", "format": "email" }),
        "JSON" | "Json" | "JSONObject" => json!({}),
        _ => return None,
    })
}

/// Allows `null` besides what `schema` allows.
fn nullable(mut schema: Value) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(t)) => {
            schema["type"] = json!([t, "null"]);
            schema
        }
        _ if schema.as_object().is_some_and(|o| o.is_empty()) => schema,
        _ => json!({ "anyOf": [schema, { "type": "null" }] }),
    }
}

fn describe(schema: &mut Value, description: Option<&str>) {
    if let (Some(d), Some(o)) = (description, schema.as_object_mut())
        && !o.contains_key("description")
    {
        o.insert("description".into(), json!(d.trim()));
    }
}

/// A GraphQL literal (a variable's default) as JSON.
pub fn value_to_json(value: &query::Value) -> Value {
    match value {
        query::Value::Variable(v) => json!(format!("${v}")),
        query::Value::Int(n) => n.as_i64().map_or(Value::Null, |n| json!(n)),
        query::Value::Float(f) => json!(f),
        query::Value::String(s) => json!(s),
        query::Value::Boolean(b) => json!(b),
        query::Value::Null => Value::Null,
        query::Value::Enum(e) => json!(e),
        query::Value::List(items) => Value::Array(items.iter().map(value_to_json).collect()),
        query::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
    }
}

fn schema_value_to_json(value: &ast::Value) -> Value {
    match value {
        ast::Value::Variable(v) => json!(format!("${v}")),
        ast::Value::Int(n) => n.as_i64().map_or(Value::Null, |n| json!(n)),
        ast::Value::Float(f) => json!(f),
        ast::Value::String(s) => json!(s),
        ast::Value::Boolean(b) => json!(b),
        ast::Value::Null => Value::Null,
        ast::Value::Enum(e) => json!(e),
        ast::Value::List(items) => Value::Array(items.iter().map(schema_value_to_json).collect()),
        ast::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), schema_value_to_json(v)))
                .collect(),
        ),
    }
}

/// The JSON Schema of what an operation returns: its selection read against the schema
/// (aliases as property names, nullable fields allow `null`, lists as arrays).
pub fn selection_schema(
    index: &SchemaIndex,
    parent: &str,
    set: &query::SelectionSet,
    fragments: &BTreeMap<&str, &query::FragmentDefinition>,
) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    collect_selection(
        index,
        parent,
        set,
        fragments,
        &mut properties,
        &mut required,
        true,
        0,
    );
    let mut out = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        out["required"] = Value::Array(required);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn collect_selection(
    index: &SchemaIndex,
    parent: &str,
    set: &query::SelectionSet,
    fragments: &BTreeMap<&str, &query::FragmentDefinition>,
    properties: &mut Map<String, Value>,
    required: &mut Vec<Value>,
    certain: bool,
    depth: usize,
) {
    // Fragment cycles are invalid GraphQL; the bound keeps a bad document from recursing forever.
    if depth > 32 {
        return;
    }
    for item in &set.items {
        match item {
            query::Selection::Field(field) => {
                let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
                let schema = if field.name == "__typename" {
                    json!({ "type": "string" })
                } else if let Some(definition) = index.field(parent, &field.name) {
                    output_type_schema(
                        index,
                        &definition.field_type,
                        &field.selection_set,
                        fragments,
                    )
                } else {
                    json!({})
                };
                let conditional = !field.directives.is_empty();
                if certain && !conditional && !required.iter().any(|r| r == &json!(key)) {
                    required.push(json!(key));
                }
                properties.entry(key).or_insert(schema);
            }
            query::Selection::InlineFragment(inline) => {
                let on = match &inline.type_condition {
                    Some(query::TypeCondition::On(t)) => t.as_str(),
                    None => parent,
                };
                let same = on == parent && inline.directives.is_empty();
                collect_selection(
                    index,
                    on,
                    &inline.selection_set,
                    fragments,
                    properties,
                    required,
                    certain && same,
                    depth + 1,
                );
            }
            query::Selection::FragmentSpread(spread) => {
                if let Some(fragment) = fragments.get(spread.fragment_name.as_str()) {
                    let query::TypeCondition::On(on) = &fragment.type_condition;
                    let same = on == parent && spread.directives.is_empty();
                    collect_selection(
                        index,
                        on,
                        &fragment.selection_set,
                        fragments,
                        properties,
                        required,
                        certain && same,
                        depth + 1,
                    );
                }
            }
        }
    }
}

fn output_type_schema(
    index: &SchemaIndex,
    t: &ast::Type,
    selection: &query::SelectionSet,
    fragments: &BTreeMap<&str, &query::FragmentDefinition>,
) -> Value {
    match t {
        ast::Type::NonNullType(inner) => match inner.as_ref() {
            ast::Type::ListType(item) => {
                json!({ "type": "array", "items": output_type_schema(index, item, selection, fragments) })
            }
            ast::Type::NamedType(name) => output_named(index, name, selection, fragments),
            nested => output_type_schema(index, nested, selection, fragments),
        },
        ast::Type::ListType(item) => nullable(
            json!({ "type": "array", "items": output_type_schema(index, item, selection, fragments) }),
        ),
        ast::Type::NamedType(name) => nullable(output_named(index, name, selection, fragments)),
    }
}

fn output_named(
    index: &SchemaIndex,
    name: &str,
    selection: &query::SelectionSet,
    fragments: &BTreeMap<&str, &query::FragmentDefinition>,
) -> Value {
    match index.type_def(name) {
        Some(TypeDefinition::Enum(e)) => {
            let values: Vec<&str> = e.values.iter().map(|v| v.name.as_str()).collect();
            json!({ "type": "string", "enum": values })
        }
        Some(
            TypeDefinition::Object(_) | TypeDefinition::Interface(_) | TypeDefinition::Union(_),
        ) => selection_schema(index, name, selection, fragments),
        // Output scalars: the same JSON types as inputs, without formats a server might not keep.
        _ => match name {
            "Int" => json!({ "type": "integer" }),
            "Float" => json!({ "type": "number" }),
            "Boolean" => json!({ "type": "boolean" }),
            "String" | "ID" | "Decimal" | "DateTime" | "NaiveDate" | "Date" | "UUID" => {
                json!({ "type": "string" })
            }
            _ => json!({}),
        },
    }
}
