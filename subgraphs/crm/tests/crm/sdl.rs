//! The committed SDL is the schema's.

/// `schema/crm.graphql` at the repository root.
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/crm.graphql");

#[test]
fn committed_sdl_is_fresh() -> anyhow::Result<()> {
    let sdl = promptsales_crm::schema_sdl();
    if std::env::var("PROMPTSALES_UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::write(PATH, &sdl)?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(PATH)?;
    assert!(
        committed == sdl,
        "schema/crm.graphql is stale: regenerate it with PROMPTSALES_UPDATE_SCHEMA=1 cargo test -p promptsales-crm committed_sdl_is_fresh"
    );
    Ok(())
}

#[test]
fn sdl_declares_the_federation_contract() {
    let sdl = promptsales_crm::schema_sdl();
    for expected in [
        "type Customer @key(fields: \"id\")",
        "type Campaign @key(fields: \"id\")",
        "type User @key(fields: \"id\", resolvable: false)",
        "type Organization @key(fields: \"id\", resolvable: false)",
        "enum LeadStage",
        "enum LeadSource",
        "type LeadFunnel",
    ] {
        assert!(sdl.contains(expected), "SDL lacks {expected:?}:\n{sdl}");
    }
}

/// The query GraphiQL sends to learn the schema: the depth and complexity limits must let it through.
const INTROSPECTION: &str = r#"query IntrospectionQuery {
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

#[tokio::test]
async fn graphiql_introspection_fits_the_limits() {
    let schema = promptsales_crm::schema::builder().finish();
    let response = schema.execute(INTROSPECTION).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
}
