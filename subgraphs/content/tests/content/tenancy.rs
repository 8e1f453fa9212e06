//! Tenant isolation: a context of organization A neither sees nor changes B's rows.

use serde_json::json;
use uuid::Uuid;

use crate::support::{Backend, Harness, code, image, representations, tenant};

contract!(a_tenant_sees_only_its_own_assets);

async fn a_tenant_sees_only_its_own_assets(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let campaign_b = Uuid::now_v7();
    let mine = h.insert(image(a, "A's summit photo", &["summit"])).await?;
    let mut theirs = image(b, "B's summit photo", &["summit"]);
    theirs.campaign_ids = vec![campaign_b];
    theirs.review_status = promptsales_content::store::ReviewStatus::PendingReview;
    let theirs = h.insert(theirs).await?;
    let ctx = tenant(a);

    let response = h
        .gql(
            &ctx,
            "query($id: ID!) { mediaAsset(id: $id) { id } }",
            json!({"id": theirs.id.to_string()}),
        )
        .await;
    assert_eq!(code(&response), Some("NOT_FOUND"));
    assert_eq!(response["data"]["mediaAsset"], json!(null));

    let data = h
        .ok(&ctx, "{ mediaAssets { edges { node { id } } } }", json!({}))
        .await?;
    assert_eq!(
        data["mediaAssets"]["edges"],
        json!([{"node": {"id": mine.id.to_string()}}])
    );
    let data = h
        .ok(
            &ctx,
            "query($c: ID!) { mediaAssets(filter: {campaignId: $c}) { edges { node { id } } } }",
            json!({"c": campaign_b.to_string()}),
        )
        .await?;
    assert_eq!(data["mediaAssets"]["edges"], json!([]));
    let data = h
        .ok(
            &ctx,
            "{ searchAssets(text: \"summit\") { asset { id } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        data["searchAssets"],
        json!([{"asset": {"id": mine.id.to_string()}}])
    );

    // The other tenant's asset is null with NOT_FOUND at its `_entities` index; the
    // caller's own in the same fetch still resolves.
    let answer = h
        .gql(
            &ctx,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on MediaAsset { id } } }",
            json!({"r": representations("MediaAsset", &[theirs.id, mine.id])}),
        )
        .await;
    assert_eq!(
        answer["data"]["_entities"],
        json!([null, {"id": mine.id.to_string()}])
    );
    assert_eq!(
        answer["errors"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert_eq!(answer["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(answer["errors"][0]["path"], json!(["_entities", 0]));
    let data = h
        .ok(
            &ctx,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { assetCount assets { edges { node { id } } } } } }",
            json!({"r": representations("Campaign", &[campaign_b])}),
        )
        .await?;
    assert_eq!(
        data["_entities"],
        json!([{"assetCount": 0, "assets": {"edges": []}}])
    );

    // Writes into B are refused as absent, and change nothing.
    let id = theirs.id.to_string();
    for (mutation, variables) in [
        (
            "mutation($id: ID!) { updateMediaAsset(id: $id, input: {description: \"hijacked\"}) { id } }",
            json!({"id": id}),
        ),
        (
            "mutation($id: ID!) { reviewMediaAsset(id: $id, status: APPROVED) { id } }",
            json!({"id": id}),
        ),
        (
            "mutation($id: ID!, $c: ID!) { linkAssetToCampaign(assetId: $id, campaignId: $c) { id } }",
            json!({"id": id, "c": Uuid::now_v7().to_string()}),
        ),
        (
            "mutation($org: ID!) { registerMediaAsset(input: {organizationId: $org, kind: IMAGE, url: \"https://x.example/a.jpg\", description: \"planted\"}) { id } }",
            json!({"org": b.to_string()}),
        ),
    ] {
        let response = h.gql(&ctx, mutation, variables).await;
        assert_eq!(code(&response), Some("NOT_FOUND"), "{mutation}: {response}");
    }
    let stored = h
        .store
        .assets_by_ids(promptsales_kit::context::TenantScope::All, &[theirs.id])
        .await?;
    assert_eq!(stored, vec![theirs.clone()], "B's asset is untouched");
    assert_eq!(h.asset_count().await?, 2);
    let links = h
        .store
        .campaigns_of_assets(promptsales_kit::context::TenantScope::All, &[theirs.id])
        .await?;
    assert_eq!(links.get(&theirs.id), Some(&vec![campaign_b]));
    Ok(())
}
