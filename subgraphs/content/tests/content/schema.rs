//! The exported SDL and the schema's limits.

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
        "searchContent(",
        "generateCampaignContent(",
        "usableContent(",
        "comparePromptTemplates(",
        "startOutreachBatch(",
        "type Subscription",
        "outreachJobProgress(",
        "registerThirdPartyService(",
    ] {
        assert!(sdl.contains(needle), "the SDL lacks {needle:?}");
    }
    Ok(())
}

/// GraphiQL's introspection query fits the depth and complexity limits; the router's SDL query too.
#[tokio::test]
async fn introspection_fits_the_limits() {
    promptsales_kit::testing::assert_introspection_fits(
        &promptsales_content::schema::builder().finish(),
    )
    .await;
}
