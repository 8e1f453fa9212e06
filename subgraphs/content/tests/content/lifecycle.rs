//! An asset's life through the API: register, read, update, review, link; and what the database itself refuses.

use promptsales_content::store::CampaignAssetLink;
use serde_json::json;
use uuid::Uuid;

use crate::support::{Backend, Harness, code, field, image, representations, tenant};

const ASSET_FIELDS: &str = "id organization { id } kind url thumbnailUrl description hashtags category \
    technical { format width height durationSeconds sizeBytes } rights { license attribution expiresAt } \
    reviewStatus version campaigns { id } createdAt updatedAt";

contract!(
    registers_reviews_updates_and_links,
    the_database_guards_what_the_domain_checks
);

async fn registers_reviews_updates_and_links(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    (h.app.readiness)().await.map_err(anyhow::Error::msg)?;
    let org = Uuid::now_v7();
    let ctx = tenant(org);
    let (c1, c2) = (Uuid::now_v7(), Uuid::now_v7());

    let register = format!(
        "mutation($input: RegisterMediaAssetInput!) {{ registerMediaAsset(input: $input) {{ {ASSET_FIELDS} }} }}"
    );
    let data = h
        .ok(
            &ctx,
            &register,
            json!({"input": {
                "kind": "VIDEO",
                "url": "https://assets.promptsales.example/aurora/summit.mp4",
                "thumbnailUrl": "https://assets.promptsales.example/aurora/summit.jpg",
                "description": "  Rope team on the summit ridge at dawn ",
                "hashtags": ["#Summit", "summit", "##Alpine_Gear"],
                "category": "hero",
                "technical": {"format": "MP4", "width": 1920, "height": 1080, "durationSeconds": 21.5, "sizeBytes": 3000000000i64},
                "rights": {"license": "CC BY 4.0", "attribution": "Photo: A. Climber", "expiresAt": "2027-12-31T00:00:00Z"},
                "campaignIds": [c1.to_string(), c1.to_string()],
            }}),
        )
        .await?;
    let asset = &data["registerMediaAsset"];
    let id = asset["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(asset["organization"]["id"], json!(org.to_string()));
    assert_eq!(
        asset["description"],
        json!("Rope team on the summit ridge at dawn")
    );
    assert_eq!(asset["hashtags"], json!(["summit", "alpine_gear"]));
    assert_eq!(
        asset["technical"],
        json!({"format": "mp4", "width": 1920, "height": 1080, "durationSeconds": 21.5, "sizeBytes": 3000000000i64})
    );
    assert_eq!(asset["rights"]["license"], json!("CC BY 4.0"));
    assert_eq!(
        (asset["reviewStatus"].clone(), asset["version"].clone()),
        (json!("PENDING_REVIEW"), json!(1))
    );
    assert_eq!(asset["campaigns"], json!([{"id": c1.to_string()}]));

    // A fresh read returns what the mutation returned.
    let read = h
        .ok(
            &ctx,
            &format!("query($id: ID!) {{ mediaAsset(id: $id) {{ {ASSET_FIELDS} }} }}"),
            json!({"id": id}),
        )
        .await?;
    assert_eq!(&read["mediaAsset"], asset);

    let review = "mutation($id: ID!, $status: AssetReviewStatus!) { reviewMediaAsset(id: $id, status: $status) { reviewStatus version } }";
    let data = h
        .ok(&ctx, review, json!({"id": id, "status": "APPROVED"}))
        .await?;
    assert_eq!(
        data["reviewMediaAsset"],
        json!({"reviewStatus": "APPROVED", "version": 1})
    );
    for status in ["REJECTED", "PENDING_REVIEW"] {
        let response = h
            .gql(&ctx, review, json!({"id": id, "status": status}))
            .await;
        assert_eq!(
            (code(&response), field(&response)),
            (Some("BAD_USER_INPUT"), Some("status")),
            "{response}"
        );
    }

    let update = "mutation($id: ID!, $input: UpdateMediaAssetInput!) { updateMediaAsset(id: $id, input: $input) { reviewStatus version category thumbnailUrl rights { license } description } }";
    // Rights are not what the audience sees: the approval holds.
    let data = h
        .ok(
            &ctx,
            update,
            json!({"id": id, "input": {"rights": {"license": "brand-owned"}, "category": null}}),
        )
        .await?;
    assert_eq!(
        data["updateMediaAsset"],
        json!({"reviewStatus": "APPROVED", "version": 2, "category": null, "thumbnailUrl": "https://assets.promptsales.example/aurora/summit.jpg", "rights": {"license": "brand-owned"}, "description": "Rope team on the summit ridge at dawn"})
    );
    // Nothing changes: no new version.
    let data = h
        .ok(
            &ctx,
            update,
            json!({"id": id, "input": {"description": "Rope team on the summit ridge at dawn"}}),
        )
        .await?;
    assert_eq!(data["updateMediaAsset"]["version"], json!(2));
    // A new description must be reviewed again.
    let data = h
        .ok(
            &ctx,
            update,
            json!({"id": id, "input": {"description": "Rope team at dusk", "thumbnailUrl": null}}),
        )
        .await?;
    assert_eq!(
        data["updateMediaAsset"]["reviewStatus"],
        json!("PENDING_REVIEW")
    );
    assert_eq!(data["updateMediaAsset"]["version"], json!(3));
    assert_eq!(data["updateMediaAsset"]["thumbnailUrl"], json!(null));
    let data = h
        .ok(&ctx, review, json!({"id": id, "status": "REJECTED"}))
        .await?;
    assert_eq!(data["reviewMediaAsset"]["reviewStatus"], json!("REJECTED"));

    let link = "mutation($a: ID!, $c: ID!) { linkAssetToCampaign(assetId: $a, campaignId: $c) { campaigns { id } } }";
    h.ok(&ctx, link, json!({"a": id, "c": c2.to_string()}))
        .await?;
    let data = h
        .ok(&ctx, link, json!({"a": id, "c": c2.to_string()}))
        .await?;
    let mut campaigns = [c1.to_string(), c2.to_string()];
    campaigns.sort();
    let expected: Vec<_> = campaigns.iter().map(|c| json!({"id": c})).collect();
    assert_eq!(
        data["linkAssetToCampaign"]["campaigns"],
        json!(expected),
        "linking twice is idempotent"
    );

    // The campaign, as the router resolves it, lists the asset.
    let entities = h
        .ok(
            &ctx,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { id assetCount assets { edges { node { id version } } pageInfo { hasNextPage } } } } }",
            json!({"r": representations("Campaign", &[c2])}),
        )
        .await?;
    assert_eq!(
        entities["_entities"][0],
        json!({"id": c2.to_string(), "assetCount": 1, "assets": {"edges": [{"node": {"id": id, "version": 3}}], "pageInfo": {"hasNextPage": false}}})
    );
    Ok(())
}

async fn the_database_guards_what_the_domain_checks(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let (org, other_org) = (Uuid::now_v7(), Uuid::now_v7());

    let mut negative = image(org, "Negative width", &["x"]);
    negative.technical.width = Some(-1);
    assert!(
        h.store.insert_asset(negative).await.is_err(),
        "CHECK (width >= 0)"
    );

    // Links are atomic with their asset: a duplicate id fails the whole insert.
    let first = h.insert(image(org, "First", &["x"])).await?;
    let mut duplicate = image(org, "Duplicate", &["x"]);
    duplicate.id = Some(first.id);
    duplicate.campaign_ids = vec![Uuid::now_v7()];
    assert!(h.store.insert_asset(duplicate).await.is_err());
    let batch = vec![image(org, "Batch one", &["x"]), {
        let mut clash = image(org, "Batch clash", &["x"]);
        clash.id = Some(first.id);
        clash
    }];
    assert!(h.store.insert_assets(batch).await.is_err());
    assert_eq!(h.asset_count().await?, 1, "failed inserts wrote nothing");

    // A link cannot cross tenants: the foreign key runs through (organization_id, asset_id).
    let crossing = CampaignAssetLink {
        campaign_id: Uuid::now_v7(),
        asset_id: first.id,
        organization_id: other_org,
    };
    assert!(h.store.link_asset_to_campaign(crossing).await.is_err());
    let link = CampaignAssetLink {
        organization_id: org,
        ..crossing
    };
    assert!(h.store.link_asset_to_campaign(link).await?);
    assert!(
        !h.store.link_asset_to_campaign(link).await?,
        "an existing link is not created twice"
    );
    Ok(())
}
