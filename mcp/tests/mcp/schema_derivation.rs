//! Input schemas derived from operation variables, checked by a real 2020-12 validator.

use promptsales_mcp::operations::parse_file;
use promptsales_mcp::schema::SchemaIndex;
use serde_json::{Value, json};

const SDL: &str = r#"
schema { query: Query mutation: Mutation }
scalar Decimal
scalar DateTime
scalar NaiveDate
scalar UUID
"A kind of asset."
enum AssetKind { IMAGE VIDEO }
"A filter; `parent` makes it recursive."
input Filter {
  "Only this kind."
  kind: AssetKind
  tags: [String!]
  parent: Filter
  budget: Decimal!
  since: DateTime
  limit: Int = 5
}
type Asset { id: ID! }
type Query {
  search(
    "Words to match."
    text: String!
    kind: AssetKind
    filter: Filter
    day: NaiveDate
    owner: UUID
    ids: [ID!]
    ratio: Float
    first: Int
  ): [Asset!]!
}
type Mutation { make(flag: Boolean!): Asset! }
"#;

const OPERATION: &str = r#"
# Finds assets.
query find($text: String!, $kind: AssetKind, $filter: Filter, $day: NaiveDate, $owner: UUID,
           $ids: [ID!], $ratio: Float, $first: Int = 3) {
  search(text: $text, kind: $kind, filter: $filter, day: $day, owner: $owner, ids: $ids, ratio: $ratio, first: $first) { id }
}
"""Makes one."""
mutation make($flag: Boolean!) { make(flag: $flag) { id } }
"#;

fn schemas() -> (Value, Value) {
    let index = SchemaIndex::parse(SDL).expect("the SDL parses");
    let tools = parse_file(&index, "test.graphql", OPERATION).expect("the operations are valid");
    let find = tools.iter().find(|t| t.name == "find").expect("find");
    let make = tools.iter().find(|t| t.name == "make").expect("make");
    (find.input_schema.clone(), make.input_schema.clone())
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the derived schema is a valid 2020-12 schema")
}

#[test]
fn non_null_variables_without_default_are_required_and_nullable_ones_accept_null() {
    let (find, make) = schemas();
    assert_eq!(
        find["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(find["required"], json!(["text"]));
    assert_eq!(make["required"], json!(["flag"]));
    assert_eq!(find["properties"]["text"]["type"], "string");
    assert_eq!(
        find["properties"]["ratio"]["type"],
        json!(["number", "null"])
    );
    assert_eq!(find["properties"]["first"]["default"], 3);
    assert_eq!(find["additionalProperties"], false);
    let v = validator(&find);
    assert!(v.is_valid(&json!({ "text": "snow", "kind": null, "ratio": null })));
    assert!(!v.is_valid(&json!({ "kind": "IMAGE" })), "text is required");
    assert!(!v.is_valid(&json!({ "text": null })), "text is non-null");
    assert!(!v.is_valid(&json!({ "text": "a", "unknown": 1 })));
}

#[test]
fn enums_and_input_objects_are_definitions_and_recursion_stays_finite() {
    let (find, _) = schemas();
    assert_eq!(
        find["$defs"]["AssetKind"]["enum"],
        json!(["IMAGE", "VIDEO"])
    );
    assert_eq!(
        find["$defs"]["AssetKind"]["description"],
        "A kind of asset."
    );
    let filter = &find["$defs"]["Filter"];
    assert_eq!(filter["type"], "object");
    assert_eq!(filter["required"], json!(["budget"]));
    assert_eq!(
        filter["properties"]["kind"]["description"],
        "Only this kind."
    );
    assert_eq!(filter["properties"]["limit"]["default"], 5);
    let v = validator(&find);
    assert!(v.is_valid(&json!({ "text": "a", "kind": "VIDEO",
        "filter": { "budget": "10.5", "parent": { "budget": "1", "tags": ["x"] } } })));
    assert!(!v.is_valid(&json!({ "text": "a", "kind": "AUDIO" })));
    assert!(
        !v.is_valid(&json!({ "text": "a", "filter": { "parent": { "budget": "1" } } })),
        "the outer filter lacks its budget"
    );
    assert!(!v.is_valid(&json!({ "text": "a", "filter": { "budget": "1", "nope": true } })));
}

#[test]
fn custom_scalars_are_typed() {
    let (find, _) = schemas();
    let v = validator(&find);
    let filter = &find["$defs"]["Filter"]["properties"];
    assert!(filter["budget"]["pattern"].is_string());
    assert_eq!(filter["since"]["format"], "date-time");
    assert_eq!(find["properties"]["day"]["format"], "date");
    assert_eq!(find["properties"]["owner"]["format"], "uuid");
    assert!(v.is_valid(
        &json!({ "text": "a", "filter": { "budget": "-12.50", "since": "2026-10-01T09:00:00Z" } })
    ));
    assert!(
        !v.is_valid(&json!({ "text": "a", "filter": { "budget": 12.5 } })),
        "Decimal is a string"
    );
    assert!(!v.is_valid(&json!({ "text": "a", "filter": { "budget": "12,5" } })));
    assert!(!v.is_valid(&json!({ "text": "a", "day": "1 Oct" })));
    assert!(!v.is_valid(&json!({ "text": "a", "owner": "not-a-uuid" })));
    assert!(v.is_valid(&json!({ "text": "a", "owner": "0190a0b2-7c1d-7e3f-8a9b-0c1d2e3f4a5b", "day": "2026-10-01" })));
}

#[test]
fn descriptions_come_from_comments_block_strings_and_argument_docs() {
    let index = SchemaIndex::parse(SDL).expect("the SDL parses");
    let tools = parse_file(&index, "test.graphql", OPERATION).expect("valid");
    let find = tools.iter().find(|t| t.name == "find").expect("find");
    let make = tools.iter().find(|t| t.name == "make").expect("make");
    assert_eq!(find.description, "Finds assets.");
    assert_eq!(make.description, "Makes one.");
    assert_eq!(
        find.input_schema["properties"]["text"]["description"],
        "Words to match."
    );
}

#[test]
fn an_invalid_operation_is_refused_with_the_reason() {
    let index = SchemaIndex::parse(SDL).expect("the SDL parses");
    let error = parse_file(
        &index,
        "bad.graphql",
        "query bad { search(text: \"a\") { nope } }",
    )
    .expect_err("nope is not a field");
    assert!(error.to_string().contains("nope"), "{error}");
    let anonymous = parse_file(&index, "anon.graphql", "{ search(text: \"a\") { id } }")
        .expect_err("anonymous");
    assert!(anonymous.to_string().contains("name it"), "{anonymous}");
}

#[test]
fn arguments_are_checked_before_sending_and_the_message_names_the_argument() {
    let index = SchemaIndex::parse(SDL).expect("the SDL parses");
    let tools = parse_file(&index, "test.graphql", OPERATION).expect("valid");
    let find = tools.iter().find(|t| t.name == "find").expect("find");
    let check = |args: Value| {
        promptsales_mcp::args::check(&index, &find.variables, args.as_object().expect("object"))
    };
    assert!(check(json!({ "text": "a" })).is_ok());
    let e = check(json!({ "text": "a", "first": "ten" })).expect_err("first is an Int");
    assert!(e.contains("`first`"), "{e}");
    let e = check(json!({ "text": "a", "kind": "AUDIO" })).expect_err("enum");
    assert!(e.contains("`kind`") && e.contains("IMAGE, VIDEO"), "{e}");
    let e = check(json!({ "text": "a", "filter": { "budget": "x" } })).expect_err("decimal");
    assert!(e.contains("`filter.budget`"), "{e}");
    let e = check(json!({ "texts": "a" })).expect_err("unknown");
    assert!(e.contains("`texts`"), "{e}");
    let e = check(json!({})).expect_err("missing");
    assert!(e.contains("`text` is required"), "{e}");
}

#[test]
fn the_output_schema_follows_the_selection_with_aliases_lists_and_nulls() {
    let index = SchemaIndex::parse(SDL).expect("the SDL parses");
    let tools = parse_file(
        &index,
        "out.graphql",
        "query out($t: String!) { hits: search(text: $t) { id ...more } }\nfragment more on Asset { __typename }",
    )
    .expect("valid");
    let schema = promptsales_mcp::results::output_schema(Some(&tools[0].data_schema));
    let v = validator(&schema);
    assert!(v.is_valid(&json!({ "data": { "hits": [{ "id": "a", "__typename": "Asset" }] } })));
    assert!(v.is_valid(&json!({ "data": null, "truncated": true, "note": "too big" })));
    assert!(
        !v.is_valid(&json!({ "data": { "search": [] } })),
        "the alias is the key"
    );
    assert!(!v.is_valid(&json!({ "data": { "hits": [{ "id": 5, "__typename": "Asset" }] } })));
    assert!(
        !v.is_valid(&json!({ "data": { "hits": null } })),
        "a non-null list"
    );
}
