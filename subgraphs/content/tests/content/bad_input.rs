//! Bad input through the schema: each error has its stable code, names its field, and writes nothing.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Backend, Harness, code, field, image, tenant};

contract!(bad_input_is_refused_with_a_code_and_writes_nothing);

const REGISTER: &str =
    "mutation($input: RegisterMediaAssetInput!) { registerMediaAsset(input: $input) { id } }";

fn input(overrides: Value) -> Value {
    let mut input = json!({
        "kind": "IMAGE",
        "url": "https://assets.promptsales.example/a.jpg",
        "description": "A tent by the lake",
        "hashtags": ["camping"],
        "campaignIds": [Uuid::now_v7().to_string()],
    });
    if let (Some(base), Some(changes)) = (input.as_object_mut(), overrides.as_object()) {
        for (k, v) in changes {
            base.insert(k.clone(), v.clone());
        }
    }
    json!({"input": input})
}

async fn bad_input_is_refused_with_a_code_and_writes_nothing(
    backend: Backend,
) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let org = Uuid::now_v7();
    let ctx = tenant(org);
    let existing = h.insert(image(org, "Existing", &["x"])).await?;
    let id = existing.id.to_string();

    // async-graphql coerces variables while validating, so the kit's extension gives a
    // value of the wrong type GRAPHQL_VALIDATION_FAILED, like any document that does not fit the schema.
    let cases: Vec<(&str, String, Value, &str, Option<&str>)> = vec![
        ("invalid id", "query($id: ID!) { mediaAsset(id: $id) { id } }".into(), json!({"id": "42"}), "BAD_USER_INPUT", Some("id")),
        ("invalid campaign id", REGISTER.into(), input(json!({"campaignIds": ["nope"]})), "BAD_USER_INPUT", Some("input.campaignIds")),
        ("invalid organization id", REGISTER.into(), input(json!({"organizationId": "acme"})), "BAD_USER_INPUT", Some("input.organizationId")),
        ("non-http url", REGISTER.into(), input(json!({"url": "ftp://files.example/a.jpg"})), "BAD_USER_INPUT", Some("input.url")),
        ("bad thumbnail", REGISTER.into(), input(json!({"thumbnailUrl": "javascript:alert(1)"})), "BAD_USER_INPUT", Some("input.thumbnailUrl")),
        ("empty description", REGISTER.into(), input(json!({"description": "   "})), "BAD_USER_INPUT", Some("input.description")),
        ("bad hashtag", REGISTER.into(), input(json!({"hashtags": ["ok", "not ok"]})), "BAD_USER_INPUT", Some("input.hashtags")),
        ("long hashtag", REGISTER.into(), input(json!({"hashtags": ["a".repeat(51)]})), "BAD_USER_INPUT", Some("input.hashtags")),
        ("negative size", REGISTER.into(), input(json!({"technical": {"sizeBytes": -1}})), "BAD_USER_INPUT", Some("input.technical.sizeBytes")),
        ("negative width", REGISTER.into(), input(json!({"technical": {"width": -5}})), "BAD_USER_INPUT", Some("input.technical.width")),
        ("negative duration", REGISTER.into(), input(json!({"technical": {"durationSeconds": -0.5}})), "BAD_USER_INPUT", Some("input.technical.durationSeconds")),
        ("empty licence", REGISTER.into(), input(json!({"rights": {"license": ""}})), "BAD_USER_INPUT", Some("input.rights.license")),
        ("unknown enum value", REGISTER.into(), input(json!({"kind": "HOLOGRAM"})), "GRAPHQL_VALIDATION_FAILED", None),
        ("wrong variable type", REGISTER.into(), input(json!({"description": 42})), "GRAPHQL_VALIDATION_FAILED", None),
        ("wrong variable type (Int)", "query($first: Int) { mediaAssets(first: $first) { edges { node { id } } } }".into(), json!({"first": "ten"}), "GRAPHQL_VALIDATION_FAILED", None),
        ("unknown field", "mutation { registerMediaAsset(input: {kind: IMAGE, url: \"https://a.example/a.jpg\", description: \"d\"}) { id price } }".into(), json!({}), "GRAPHQL_VALIDATION_FAILED", None),
        ("unknown input field", REGISTER.into(), input(json!({"budget": "10.00"})), "GRAPHQL_VALIDATION_FAILED", None),
        ("malformed query", "mutation { registerMediaAsset(input: { ".into(), json!({}), "GRAPHQL_PARSE_FAILED", None),
        ("update: bad url", "mutation($id: ID!) { updateMediaAsset(id: $id, input: {url: \"nope\"}) { id } }".into(), json!({"id": id}), "BAD_USER_INPUT", Some("input.url")),
        ("update: negative height", "mutation($id: ID!) { updateMediaAsset(id: $id, input: {technical: {height: -1}}) { id } }".into(), json!({"id": id}), "BAD_USER_INPUT", Some("input.technical.height")),
        ("update: unknown asset", "mutation($id: ID!) { updateMediaAsset(id: $id, input: {description: \"x\"}) { id } }".into(), json!({"id": Uuid::now_v7().to_string()}), "NOT_FOUND", None),
        ("review: not a decision", "mutation($id: ID!) { reviewMediaAsset(id: $id, status: PENDING_REVIEW) { id } }".into(), json!({"id": id}), "BAD_USER_INPUT", Some("status")),
        ("review: already approved", "mutation($id: ID!) { reviewMediaAsset(id: $id, status: REJECTED) { id } }".into(), json!({"id": id}), "BAD_USER_INPUT", Some("status")),
        ("link: bad campaign id", "mutation($id: ID!) { linkAssetToCampaign(assetId: $id, campaignId: \"c-1\") { id } }".into(), json!({"id": id}), "BAD_USER_INPUT", Some("campaignId")),
        ("too deep", format!("{{ mediaAssets {{ edges {{ node {} id {} }} }} }}", "campaigns { assets { edges { node { ".repeat(4), "} } } } ".repeat(4)), json!({}), "GRAPHQL_VALIDATION_FAILED", None),
    ];
    let mut wrong = Vec::new();
    for (name, query, variables, expected_code, expected_field) in cases {
        let response = h.gql(&ctx, &query, variables).await;
        if code(&response) != Some(expected_code)
            || (expected_field.is_some() && field(&response) != expected_field)
        {
            wrong.push(format!(
                "{name}: expected {expected_code} {expected_field:?}, got {response}"
            ));
        }
        assert_eq!(h.asset_count().await?, 1, "{name} wrote an asset");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let after = h
        .store
        .assets_by_ids(promptsales_kit::context::TenantScope::All, &[existing.id])
        .await?;
    assert_eq!(
        after,
        vec![existing.clone()],
        "the existing asset is untouched"
    );
    let links = h
        .store
        .campaigns_of_assets(promptsales_kit::context::TenantScope::All, &[existing.id])
        .await?;
    assert!(links.is_empty(), "no link was written");
    Ok(())
}
