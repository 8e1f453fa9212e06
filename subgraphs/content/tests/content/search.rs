//! `searchAssets`: candidates from the store, ranking from the domain.

use promptsales_content::store::AssetKind;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Backend, Harness, code, field, image, tenant};

contract!(ranks_hashtags_above_descriptions);

async fn ranks_hashtags_above_descriptions(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let (org, other) = (Uuid::now_v7(), Uuid::now_v7());
    let tagged = h
        .insert(image(org, "A camp by the lake", &["tent", "lake"]))
        .await?;
    let described = h
        .insert(image(org, "A TENT under the stars", &["stars"]))
        .await?;
    let both = h
        .insert(image(org, "The family tent, pitched", &["camping"]))
        .await?;
    let newer_tagged = h.insert(image(org, "Another camp", &["tent"])).await?;
    let mut video = image(org, "Tent pitching timelapse", &["family"]);
    video.kind = AssetKind::Video;
    let video = h.insert(video).await?;
    h.insert(image(org, "Mountain boots", &["boots"])).await?;
    h.insert(image(
        other,
        "Someone else's family tent",
        &["tent", "family"],
    ))
    .await?;

    let search = "query($text: String!, $kind: AssetKind, $first: Int) { searchAssets(text: $text, kind: $kind, first: $first) { asset { id } score matchedTerms } }";
    let data = h
        .ok(&tenant(org), search, json!({"text": "#Tent, family!"}))
        .await?;
    let hits = data["searchAssets"].as_array().cloned().unwrap_or_default();
    let order: Vec<&str> = hits
        .iter()
        .filter_map(|h| h["asset"]["id"].as_str())
        .collect();
    let expected = [
        &video.id,
        &both.id,
        &newer_tagged.id,
        &tagged.id,
        &described.id,
    ]
    .map(|id| id.to_string());
    assert_eq!(order, expected, "{data:#}");
    // The video: `tent` in the description (1) and `family` as a hashtag (3).
    assert_eq!(hits[0]["score"], json!(4.0));
    assert_eq!(hits[0]["matchedTerms"], json!(["tent", "family"]));
    assert_eq!(hits[2]["score"], json!(3.0));
    assert_eq!(hits[4]["score"], json!(1.0));

    let data = h
        .ok(
            &tenant(org),
            search,
            json!({"text": "tent", "kind": "IMAGE", "first": 2}),
        )
        .await?;
    let order: Vec<Value> = data["searchAssets"].as_array().cloned().unwrap_or_default();
    assert_eq!(order.len(), 2);
    assert_eq!(order[0]["asset"]["id"], json!(newer_tagged.id.to_string()));

    let data = h
        .ok(&tenant(org), search, json!({"text": "100%_sure"}))
        .await?;
    assert_eq!(
        data["searchAssets"],
        json!([]),
        "LIKE wildcards in the text match themselves"
    );

    let bad = h.gql(&tenant(org), search, json!({"text": " # ! "})).await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("text"))
    );
    let bad = h
        .gql(&tenant(org), search, json!({"text": "tent", "first": 0}))
        .await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("first"))
    );
    Ok(())
}
