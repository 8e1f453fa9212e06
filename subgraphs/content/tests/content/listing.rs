//! `mediaAssets`: keyset pages and every filter, hashtag matching exact even with LIKE's wildcards.

use promptsales_content::store::{AssetKind, ReviewStatus};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Backend, Harness, code, field, image, tenant};

contract!(pages_and_filters_assets);

fn ids(data: &Value) -> Vec<String> {
    data["mediaAssets"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn pages_and_filters_assets(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let org = Uuid::now_v7();
    let ctx = tenant(org);
    let campaign = Uuid::now_v7();
    let mut all = Vec::new();
    for i in 0..25 {
        let mut asset = image(org, &format!("Asset {i}"), &["brand"]);
        if i % 5 == 0 {
            asset.kind = AssetKind::Video;
        }
        if i % 4 == 0 {
            asset.review_status = ReviewStatus::PendingReview;
        }
        if i % 3 == 0 {
            asset.category = Some("hero".into());
        }
        if i < 2 {
            asset.campaign_ids = vec![campaign];
        }
        // `_` is a LIKE wildcard: `trail_run` must not match `trailxrun`.
        asset.hashtags.push(if i == 7 {
            "trail_run".into()
        } else {
            "trailxrun".into()
        });
        all.push(h.insert(asset).await?.id.to_string());
    }

    let list = "query($first: Int, $after: String, $filter: MediaAssetFilter) { mediaAssets(first: $first, after: $after, filter: $filter) { edges { node { id } cursor } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = h
            .ok(&ctx, list, json!({"first": 10, "after": after}))
            .await?;
        seen.extend(ids(&data));
        let info = &data["mediaAssets"]["pageInfo"];
        if info["hasNextPage"] != json!(true) {
            break;
        }
        after = info["endCursor"].clone();
    }
    assert_eq!(
        seen, all,
        "three pages in registration order, nothing twice"
    );

    let filtered = |filter: Value| {
        let h = &h;
        let ctx = &ctx;
        async move {
            h.ok(ctx, list, json!({"first": 100, "filter": filter}))
                .await
                .map(|d| ids(&d))
        }
    };
    let pick = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        all.iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, id)| id.clone())
            .collect()
    };
    assert_eq!(
        filtered(json!({"kind": "VIDEO"})).await?,
        pick(&|i| i % 5 == 0)
    );
    assert_eq!(
        filtered(json!({"status": "PENDING_REVIEW"})).await?,
        pick(&|i| i % 4 == 0)
    );
    assert_eq!(
        filtered(json!({"category": "hero", "kind": "IMAGE"})).await?,
        pick(&|i| i % 3 == 0 && i % 5 != 0)
    );
    assert_eq!(
        filtered(json!({"hashtag": "#Trail_Run"})).await?,
        pick(&|i| i == 7)
    );
    assert_eq!(
        filtered(json!({"hashtag": "trail"})).await?,
        Vec::<String>::new(),
        "hashtags match whole"
    );
    assert_eq!(
        filtered(json!({"campaignId": campaign.to_string()})).await?,
        pick(&|i| i < 2)
    );

    let bad = h
        .gql(&ctx, list, json!({"filter": {"hashtag": "two words"}}))
        .await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("filter.hashtag"))
    );
    let bad = h
        .gql(&ctx, list, json!({"filter": {"campaignId": "42"}}))
        .await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("filter.campaignId"))
    );
    for (first, after) in [
        (json!(0), Value::Null),
        (json!(101), Value::Null),
        (json!(5), json!("not-a-cursor")),
    ] {
        let bad = h
            .gql(&ctx, list, json!({"first": first, "after": after}))
            .await;
        assert_eq!(code(&bad), Some("BAD_USER_INPUT"), "{bad}");
    }

    // The campaign's own connection pages the same way.
    let campaign_page = "query($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Campaign { assets(first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } } }";
    let r = json!([{"__typename": "Campaign", "id": campaign.to_string()}]);
    let first_page = h.ok(&ctx, campaign_page, json!({"r": r})).await?;
    let assets = &first_page["_entities"][0]["assets"];
    assert_eq!(assets["edges"][0]["node"]["id"], json!(all[0]));
    assert_eq!(assets["pageInfo"]["hasNextPage"], json!(true));
    let second = h
        .ok(
            &ctx,
            campaign_page,
            json!({"r": r, "after": assets["pageInfo"]["endCursor"]}),
        )
        .await?;
    let assets = &second["_entities"][0]["assets"];
    assert_eq!(assets["edges"][0]["node"]["id"], json!(all[1]));
    assert_eq!(assets["pageInfo"]["hasNextPage"], json!(false));
    Ok(())
}
