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
#[tokio::test]
async fn graphiql_introspection_fits_the_limits() {
    promptsales_kit::testing::assert_introspection_fits(
        &promptsales_crm::schema::builder().finish(),
    )
    .await;
}
