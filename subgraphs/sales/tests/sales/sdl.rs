//! The committed SDL is the one the code exports.

const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/sales.graphql");

#[test]
fn the_committed_sdl_is_fresh() {
    let sdl = promptsales_sales::schema_sdl();
    if std::env::var("PROMPTSALES_UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::write(SCHEMA_FILE, &sdl).expect("write schema/sales.graphql");
        return;
    }
    let committed = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
    assert!(
        committed == sdl,
        "schema/sales.graphql is stale; regenerate it with PROMPTSALES_UPDATE_SCHEMA=1 cargo test -p promptsales-sales the_committed_sdl_is_fresh"
    );
}

#[test]
fn the_sdl_declares_the_owned_entities() {
    let sdl = promptsales_sales::schema_sdl();
    for entity in ["Organization", "User", "Campaign"] {
        let declaration = format!("type {entity} @key(fields: \"id\")");
        assert!(
            sdl.contains(&declaration),
            "{declaration} missing from:\n{sdl}"
        );
    }
    let password_field = sdl
        .lines()
        .any(|l| l.trim_start().to_lowercase().starts_with("password"));
    assert!(
        !password_field,
        "no password field before the identity work"
    );
}
#[tokio::test]
async fn introspection_fits_within_the_depth_and_complexity_limits() {
    promptsales_kit::testing::assert_introspection_fits(
        &promptsales_sales::schema::builder().finish(),
    )
    .await;
}
