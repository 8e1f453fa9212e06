//! The committed SDL (`schema/ads.graphql`) is what the code exports.

/// Where the committed SDL lives.
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/ads.graphql");

#[test]
fn the_committed_sdl_is_fresh() {
    let sdl = promptsales_ads::schema_sdl();
    if std::env::var("PROMPTSALES_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(PATH, &sdl).expect("write schema/ads.graphql");
        return;
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        committed == sdl,
        "schema/ads.graphql is stale; regenerate it with PROMPTSALES_UPDATE_SCHEMA=1 cargo test -p promptsales-ads"
    );
}

#[test]
fn the_sdl_declares_the_federation_contract() {
    let sdl = promptsales_ads::schema_sdl();
    for expected in [
        "type Ad @key(fields: \"id\")",
        "type Campaign @key(fields: \"id\")",
        "type MediaAsset @key(fields: \"id\")",
        "type Organization @key(fields: \"id\")",
        "campaignMetrics(campaignId: ID!): AdMetricEvent!",
        "type Money @shareable",
        "scalar Decimal",
    ] {
        assert!(sdl.contains(expected), "missing {expected:?} in\n{sdl}");
    }
}

/// GraphiQL's introspection query fits the depth and complexity limits; the router's SDL query too.
#[tokio::test]
async fn introspection_fits_the_limits() {
    promptsales_kit::testing::assert_introspection_fits(
        &promptsales_ads::schema::builder().finish(),
    )
    .await;
}
