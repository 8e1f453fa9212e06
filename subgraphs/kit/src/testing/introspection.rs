//! The introspection query GraphiQL sends on load: every subgraph's depth and
//! complexity limits must let it through, or developers see an empty explorer.

use async_graphql::{ObjectType, Schema, SubscriptionType};

/// GraphiQL's full introspection query (seven levels of `ofType`).
pub const GRAPHIQL_INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

/// Panics unless `schema` answers GraphiQL's introspection and the router's `_service { sdl }` without error.
pub async fn assert_introspection_fits<Q, M, S>(schema: &Schema<Q, M, S>)
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let response = schema.execute(GRAPHIQL_INTROSPECTION).await;
    assert!(
        response.errors.is_empty(),
        "introspection refused: {:?}",
        response.errors
    );
    let types = response.data.into_json().unwrap_or_default()["__schema"]["types"].clone();
    assert!(
        types.as_array().is_some_and(|t| !t.is_empty()),
        "no types introspected"
    );
    let sdl = schema.execute("{ _service { sdl } }").await;
    assert!(
        sdl.errors.is_empty(),
        "_service.sdl refused: {:?}",
        sdl.errors
    );
}
