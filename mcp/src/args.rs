//! Checks a tool call's arguments against the operation's variables before anything is sent,
//! so a model learns which argument to fix and how, in words it can act on.

use graphql_tools::parser::schema::TypeDefinition;
use graphql_tools::static_graphql::{query, schema as ast};
use serde_json::{Map, Value};

use crate::json_schema::DECIMAL_PATTERN;
use crate::schema::SchemaIndex;

/// Returns the variables to send, or a message naming the argument at fault.
pub fn check(
    index: &SchemaIndex,
    variables: &[query::VariableDefinition],
    arguments: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    for name in arguments.keys() {
        if !variables.iter().any(|v| &v.name == name) {
            let known: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
            return Err(format!(
                "unknown argument `{name}`; this tool takes {}",
                if known.is_empty() {
                    "no arguments".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    let mut out = Map::new();
    for variable in variables {
        match arguments.get(&variable.name) {
            None => {
                if matches!(variable.var_type, query::Type::NonNullType(_))
                    && variable.default_value.is_none()
                {
                    return Err(format!(
                        "argument `{}` is required ({})",
                        variable.name, variable.var_type
                    ));
                }
            }
            Some(value) => {
                check_value(index, &variable.var_type, value, &variable.name)?;
                out.insert(variable.name.clone(), value.clone());
            }
        }
    }
    Ok(out)
}

fn check_value(
    index: &SchemaIndex,
    t: &ast::Type,
    value: &Value,
    path: &str,
) -> Result<(), String> {
    match t {
        ast::Type::NonNullType(inner) => {
            if value.is_null() {
                return Err(format!("argument `{path}` must not be null ({t})"));
            }
            check_value(index, inner, value, path)
        }
        _ if value.is_null() => Ok(()),
        ast::Type::ListType(item) => match value {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    check_value(index, item, v, &format!("{path}[{i}]"))?;
                }
                Ok(())
            }
            // GraphQL coerces a single value to a one-item list.
            single => check_value(index, item, single, path),
        },
        ast::Type::NamedType(name) => check_named(index, name, value, path),
    }
}

fn check_named(index: &SchemaIndex, name: &str, value: &Value, path: &str) -> Result<(), String> {
    let wrong = |expected: &str| {
        Err(format!(
            "argument `{path}` must be {expected}, got {}",
            describe(value)
        ))
    };
    match name {
        "String" => value
            .is_string()
            .then_some(())
            .map_or_else(|| wrong("a string"), Ok),
        "Int" => match value.as_i64() {
            Some(n) if i32::try_from(n).is_ok() => Ok(()),
            Some(_) => wrong("a 32-bit integer"),
            None => wrong("an integer"),
        },
        "Float" => value
            .is_number()
            .then_some(())
            .map_or_else(|| wrong("a number"), Ok),
        "Boolean" => value
            .is_boolean()
            .then_some(())
            .map_or_else(|| wrong("true or false"), Ok),
        // Every id of the platform is a UUID: say so before the graph has to.
        "ID" | "UUID" | "Uuid" => match value {
            Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => Ok(()),
            _ => wrong("an id: a UUID string such as \"0190a0b2-7c1d-7e3f-8a9b-0c1d2e3f4a5b\""),
        },
        "Decimal" => match value {
            Value::String(s) if is_decimal(s) => Ok(()),
            _ => wrong(&format!(
                "a decimal number written as a string (pattern {DECIMAL_PATTERN}), e.g. \"1250.50\""
            )),
        },
        "NaiveDate" | "Date" => match value {
            Value::String(s) if is_date(s) => Ok(()),
            _ => wrong("a date written YYYY-MM-DD"),
        },
        "DateTime" => match value {
            Value::String(s) if s.len() >= 20 && is_date(&s[..10]) && s.as_bytes()[10] == b'T' => {
                Ok(())
            }
            _ => wrong("an RFC 3339 date-time, e.g. \"2026-10-01T09:00:00Z\""),
        },
        _ => match index.type_def(name) {
            Some(TypeDefinition::Enum(e)) => {
                let allowed: Vec<&str> = e.values.iter().map(|v| v.name.as_str()).collect();
                match value.as_str() {
                    Some(s) if allowed.contains(&s) => Ok(()),
                    _ => Err(format!(
                        "argument `{path}` must be one of {}, got {}",
                        allowed.join(", "),
                        describe(value)
                    )),
                }
            }
            Some(TypeDefinition::InputObject(input)) => {
                let Value::Object(fields) = value else {
                    return wrong(&format!("an object ({name})"));
                };
                for key in fields.keys() {
                    if !input.fields.iter().any(|f| &f.name == key) {
                        let known: Vec<&str> =
                            input.fields.iter().map(|f| f.name.as_str()).collect();
                        return Err(format!(
                            "argument `{path}` has no field `{key}`; {name} takes {}",
                            known.join(", ")
                        ));
                    }
                }
                for field in &input.fields {
                    let field_path = format!("{path}.{}", field.name);
                    match fields.get(&field.name) {
                        None if matches!(field.value_type, ast::Type::NonNullType(_))
                            && field.default_value.is_none() =>
                        {
                            return Err(format!(
                                "argument `{field_path}` is required ({})",
                                field.value_type
                            ));
                        }
                        None => {}
                        Some(v) => check_value(index, &field.value_type, v, &field_path)?,
                    }
                }
                Ok(())
            }
            // Other custom scalars: the graph checks them.
            _ => Ok(()),
        },
    }
}

fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 60 {
        format!("{}…", &text[..text.floor_char_boundary(60)])
    } else {
        text
    }
}

fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
