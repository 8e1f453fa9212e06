//! The exported SDL and the schema's limits.

use serde_json::json;
use uuid::Uuid;

use crate::support::{Backend, Harness, tenant};

const SDL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/content.graphql");

/// `schema/content.graphql` is what the code exports; `PROMPTSALES_UPDATE_SCHEMA=1` rewrites it.
#[test]
fn the_committed_sdl_is_fresh() -> anyhow::Result<()> {
    let sdl = promptsales_content::schema_sdl();
    if std::env::var("PROMPTSALES_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(SDL_PATH, &sdl)?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(SDL_PATH).map_err(|e| {
        anyhow::anyhow!("cannot read {SDL_PATH} ({e}); run with PROMPTSALES_UPDATE_SCHEMA=1")
    })?;
    assert!(
        committed == sdl,
        "{SDL_PATH} is stale: run `PROMPTSALES_UPDATE_SCHEMA=1 cargo test -p promptsales-content the_committed_sdl_is_fresh`"
    );
    for needle in [
        "type MediaAsset @key(fields: \"id\")",
        "type Campaign @key(fields: \"id\")",
        "type Organization @key(fields: \"id\", resolvable: false)",
        "enum AssetKind",
        "enum AssetReviewStatus",
        "searchAssets(",
    ] {
        assert!(sdl.contains(needle), "the SDL lacks {needle:?}");
    }
    Ok(())
}

/// GraphiQL's introspection query fits the depth and complexity limits; the router's SDL query too.
#[tokio::test]
async fn introspection_fits_the_limits() -> anyhow::Result<()> {
    let h = Harness::new(Backend::Sqlite).await?;
    let ctx = tenant(Uuid::now_v7());
    let data = h.ok(&ctx, INTROSPECTION, json!({})).await?;
    assert!(
        data["__schema"]["types"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    let data = h.ok(&ctx, "{ _service { sdl } }", json!({})).await?;
    assert!(
        data["_service"]["sdl"]
            .as_str()
            .is_some_and(|s| s.contains("MediaAsset"))
    );
    Ok(())
}

const INTROSPECTION: &str = r#"
query IntrospectionQuery {
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
}
"#;
