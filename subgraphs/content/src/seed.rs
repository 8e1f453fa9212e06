//! The content part of the demo data: 120 media assets built from the demo plan's campaigns,
//! and a few prompt templates per organization.
//!
//! Each campaign gets twelve assets described from its theme (outdoor gear
//! for Aurora, cloud software for Nimbus), with plausible hashtags, sizes
//! and rights; a few of each campaign's assets are linked to it. Everything
//! is derived from `DemoRng::for_id(campaign.id)`, so every run seeds the
//! same rows with the same ids.

use chrono::{TimeZone, Utc};
use promptsales_kit::demo::{DemoCampaign, DemoRng, demo_id, demo_plan, kind};
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::input::{AssetDraft, validate_new_asset};
use crate::domain::template::{NewPromptTemplate, TemplatePurpose, validate_new_template};
use crate::domain::{AssetKind, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights};
use crate::store::ContentStore;

/// Assets seeded per demo campaign.
pub const ASSETS_PER_CAMPAIGN: u32 = 12;

/// What a campaign's assets show, and the tags that go with it.
struct Theme {
    slug: &'static str,
    subjects: [&'static str; 6],
    settings: [&'static str; 4],
    tags: [&'static str; 4],
}

const THEMES: [Theme; 10] = [
    Theme {
        slug: "winter-summit",
        subjects: [
            "A mountaineer in a red insulated parka",
            "Crampons biting into blue glacier ice",
            "A roped team crossing a snow bridge",
            "Close-up of a waterproof summit glove",
            "A four-season tent pitched below the ridge",
            "Ice axe and helmet resting on a cairn",
        ],
        settings: [
            "at sunrise on the Pyrenees",
            "in a snowstorm",
            "on a windy col",
            "under a clear winter sky",
        ],
        tags: ["wintersummit", "mountaineering", "snow", "alpine"],
    },
    Theme {
        slug: "trail-running-spring",
        subjects: [
            "A trail runner leaping over a mountain stream",
            "Lightweight trail shoes splashed with mud",
            "Two runners climbing a switchback",
            "A hydration vest laid out with soft flasks",
            "A runner stretching beside wild flowers",
            "Grippy outsoles on wet granite",
        ],
        settings: [
            "in the spring forest",
            "at golden hour",
            "on a coastal path",
            "after a morning rain",
        ],
        tags: ["trailrunning", "running", "spring", "lightweight"],
    },
    Theme {
        slug: "family-camping",
        subjects: [
            "A family roasting marshmallows by the campfire",
            "Kids peeking out of a six-person tent",
            "A camping stove brewing morning coffee",
            "Sleeping bags under a sky full of stars",
            "A lantern glowing on a picnic table",
            "Parents and children hiking to the lake",
        ],
        settings: [
            "at a lakeside campsite",
            "in a pine forest",
            "on the first night out",
            "at dusk",
        ],
        tags: ["familycamping", "camping", "outdoors", "stars"],
    },
    Theme {
        slug: "black-friday-outdoor",
        subjects: [
            "A flat lay of jackets, boots and backpacks",
            "A bold sale banner over a snowy trail",
            "Hiking boots with a price tag",
            "A shopping bag filled with climbing gear",
            "A countdown clock over a mountain panorama",
            "Best-seller backpacks lined up on a shelf",
        ],
        settings: [
            "with black and orange accents",
            "in the flagship store",
            "on a studio background",
            "for the weekend deals",
        ],
        tags: ["blackfriday", "sale", "outdoorgear", "deals"],
    },
    Theme {
        slug: "eco-collection",
        subjects: [
            "A fleece made from recycled bottles",
            "A backpack woven from ocean plastic",
            "Hands holding a recycled-fibre label",
            "A hiker in the eco collection rain shell",
            "Organic cotton tees folded on a wooden crate",
            "Repair kit patching a worn jacket",
        ],
        settings: [
            "in a green meadow",
            "in natural light",
            "by a clean river",
            "in the workshop",
        ],
        tags: ["ecocollection", "sustainability", "recycled", "outdoors"],
    },
    Theme {
        slug: "cloud-cost-cutter",
        subjects: [
            "A dashboard showing the cloud bill dropping 30%",
            "An engineer resizing idle instances",
            "A chart of reserved versus on-demand spend",
            "A finance lead reviewing the cost report",
            "Autoscaling graphs flattening at night",
            "A team celebrating the quarterly savings",
        ],
        settings: [
            "in a bright open office",
            "on a laptop screen",
            "in a product screenshot",
            "in the weekly review",
        ],
        tags: ["cloudcosts", "finops", "cloud", "savings"],
    },
    Theme {
        slug: "devops-summit-webinar",
        subjects: [
            "A speaker presenting deployment pipelines",
            "A live demo of a canary release",
            "An incident timeline on a big screen",
            "Engineers pairing on a release checklist",
            "A webinar title card with the speakers",
            "A chart of deploys per day doubling",
        ],
        settings: [
            "on the summit stage",
            "in the webinar studio",
            "during the live Q&A",
            "in a slide deck",
        ],
        tags: ["devops", "webinar", "cicd", "reliability"],
    },
    Theme {
        slug: "startup-credits",
        subjects: [
            "Founders whiteboarding their first architecture",
            "A credits voucher for the first year",
            "A startup team launching from a garage office",
            "A getting-started console screen",
            "A co-working space full of laptops",
            "A rocket sketch on a sticky note",
        ],
        settings: [
            "on launch day",
            "in a co-working space",
            "late at night",
            "at a demo day",
        ],
        tags: ["startups", "cloudcredits", "founders", "cloud"],
    },
    Theme {
        slug: "enterprise-security",
        subjects: [
            "A zero-trust architecture diagram",
            "A security analyst watching access policies",
            "A padlock over a network of workloads",
            "A compliance report marked passed",
            "An identity-aware proxy in front of services",
            "A CISO briefing the board",
        ],
        settings: [
            "in the security operations centre",
            "in a product screenshot",
            "in a keynote slide",
            "in a boardroom",
        ],
        tags: ["zerotrust", "security", "enterprise", "compliance"],
    },
    Theme {
        slug: "ai-assistant-launch",
        subjects: [
            "The ops copilot answering in a terminal",
            "An engineer asking the assistant about a failing job",
            "A generated runbook next to the incident",
            "The assistant suggesting a rollback",
            "A launch keynote slide with the copilot",
            "Chat bubbles over a deployment dashboard",
        ],
        settings: [
            "in a dark terminal theme",
            "on launch day",
            "in a product demo",
            "in the docs",
        ],
        tags: ["aiassistant", "copilot", "ai", "devops"],
    },
];

/// What the organization's brand tag and asset folder are.
fn brand(organization_index: usize) -> (&'static str, &'static str) {
    if organization_index == 0 {
        ("aurora", "aurora-outdoor")
    } else {
        ("nimbus", "nimbus-cloud")
    }
}

/// The demo assets of one campaign (`index` in the plan), with their campaign links.
fn campaign_assets(index: usize, campaign: &DemoCampaign, siblings: &[Uuid]) -> Vec<AssetDraft> {
    let theme = &THEMES[index % THEMES.len()];
    let (brand_tag, folder) = brand(index / 5);
    let mut rng = DemoRng::for_id(campaign.id);
    let linked = rng.range(4, 6) as u32;
    let expiry = Utc.with_ymd_and_hms(2027, 12, 31, 23, 59, 59).single();
    (0..ASSETS_PER_CAMPAIGN)
        .map(|j| {
            let n = index as u32 * ASSETS_PER_CAMPAIGN + j + 1;
            let roll = rng.range(0, 99);
            let kind = match roll {
                0..=74 => AssetKind::Image,
                75..=89 => AssetKind::Video,
                _ => AssetKind::Text,
            };
            let subject = theme.subjects[j as usize % theme.subjects.len()];
            let setting = rng.pick(&theme.settings);
            let description = match kind {
                AssetKind::Text => format!(
                    "Post copy: {} {setting}. \"{}\"",
                    subject.to_lowercase(),
                    campaign.key_message
                ),
                _ => format!("{subject} {setting}, for the {} campaign.", campaign.name),
            };
            let mut hashtags = vec![brand_tag.to_string(), theme.tags[0].to_string()];
            for _ in 0..rng.range(1, 3) {
                hashtags.push(rng.pick(&theme.tags[1..]).to_string());
            }
            let (ext, technical) = match kind {
                AssetKind::Image => {
                    let (w, h) =
                        *rng.pick(&[(1080, 1080), (1080, 1350), (1920, 1080), (2400, 1600)]);
                    let ext = *rng.pick(&["jpg", "jpg", "png", "webp"]);
                    (
                        ext,
                        TechnicalMetadata {
                            format: Some(ext.to_string()),
                            width: Some(w),
                            height: Some(h),
                            duration_seconds: None,
                            size_bytes: Some(rng.range(180_000, 2_400_000)),
                        },
                    )
                }
                AssetKind::Video => (
                    "mp4",
                    TechnicalMetadata {
                        format: Some("mp4".into()),
                        width: Some(1920),
                        height: Some(1080),
                        duration_seconds: Some(rng.range(6, 60) as f64),
                        size_bytes: Some(rng.range(4_000_000, 60_000_000)),
                    },
                ),
                _ => (
                    "md",
                    TechnicalMetadata {
                        format: Some("md".into()),
                        size_bytes: Some(description.len() as i64),
                        ..TechnicalMetadata::default()
                    },
                ),
            };
            let rights = match rng.range(0, 9) {
                0..=5 => UsageRights {
                    license: Some("brand-owned".into()),
                    ..UsageRights::default()
                },
                6..=7 => UsageRights {
                    license: Some("royalty-free stock".into()),
                    attribution: None,
                    expires_at: expiry,
                },
                _ => UsageRights {
                    license: Some("CC BY 4.0".into()),
                    attribution: Some(format!("Photo: {} community", theme.slug.replace('-', " "))),
                    expires_at: None,
                },
            };
            let review_status = if rng.range(0, 9) < 8 {
                ReviewStatus::Approved
            } else {
                ReviewStatus::PendingReview
            };
            let mut campaign_ids = Vec::new();
            if j < linked {
                campaign_ids.push(campaign.id);
            }
            // A brand shot is shared with another campaign of the same organization.
            if j == 0 {
                let position = siblings
                    .iter()
                    .position(|id| *id == campaign.id)
                    .unwrap_or(0);
                if let Some(next) = siblings
                    .get((position + 1) % siblings.len().max(1))
                    .filter(|id| **id != campaign.id)
                {
                    campaign_ids.push(*next);
                }
            }
            let base = format!("https://assets.promptsales.example/{folder}/{}", theme.slug);
            AssetDraft {
                id: Some(demo_id(kind::ASSET, n)),
                organization_id: campaign.organization_id,
                kind,
                url: format!("{base}/{n:03}.{ext}"),
                thumbnail_url: (kind != AssetKind::Text)
                    .then(|| format!("{base}/thumbs/{n:03}.jpg")),
                description,
                hashtags,
                category: Some(
                    match kind {
                        AssetKind::Text => "copy",
                        AssetKind::Video => "video",
                        _ => *rng.pick(&["hero", "social", "product", "lifestyle"]),
                    }
                    .to_string(),
                ),
                technical,
                rights,
                review_status,
                campaign_ids,
            }
        })
        .collect()
}

/// The whole demo set, validated like any registration.
pub fn demo_assets() -> anyhow::Result<Vec<NewMediaAsset>> {
    let plan = demo_plan();
    let mut assets = Vec::new();
    for (index, campaign) in plan.campaigns.iter().enumerate() {
        let siblings: Vec<Uuid> = plan
            .campaigns
            .iter()
            .filter(|c| c.organization_id == campaign.organization_id)
            .map(|c| c.id)
            .collect();
        for draft in campaign_assets(index, campaign, &siblings) {
            let asset = validate_new_asset(draft)
                .map_err(|e| anyhow::anyhow!("demo asset {index} is invalid: {}", e.message()))?;
            assets.push(asset);
        }
    }
    Ok(assets)
}

/// Seeds the demo assets unless they are there; returns whether it wrote.
pub async fn seed_demo(store: &dyn ContentStore) -> anyhow::Result<bool> {
    let first = demo_id(kind::ASSET, 1);
    let existing = store
        .assets_by_ids(promptsales_kit::context::TenantScope::All, &[first])
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the content store: {e}"))?;
    if !existing.is_empty() {
        tracing::info!("content demo data already present");
        return Ok(false);
    }
    let assets = demo_assets()?;
    let count = assets.len();
    // One transaction: the first asset being there means all of them are.
    store
        .insert_assets(assets)
        .await
        .map_err(|e| anyhow::anyhow!("cannot seed the content demo data: {e}"))?;
    // Embeddings are computed when the search index is built (at the service's start).
    let templates = demo_templates()?;
    let template_count = templates.len();
    for template in templates {
        store
            .insert_template(template)
            .await
            .map_err(|e| anyhow::anyhow!("cannot seed the demo prompt templates: {e}"))?;
    }
    tracing::info!(
        assets = count,
        templates = template_count,
        "content demo data seeded"
    );
    Ok(true)
}

/// Demo prompt templates per organization: an Instagram post, and two versions of a
/// LinkedIn message to a CTO (to compare side by side).
pub fn demo_templates() -> anyhow::Result<Vec<NewPromptTemplate>> {
    let mut templates = Vec::new();
    for organization in demo_plan().organizations {
        for (name, purpose, use_case, channel, body) in [
            (
                "instagram-launch",
                TemplatePurpose::CampaignContent,
                "Instagram post",
                Channel::Instagram,
                "{{hook}}\n\n{{key_message}}. Made for {{audience}}.\n\nIn short: {{campaign_name}}. {{call_to_action}}",
            ),
            (
                "cto-intro",
                TemplatePurpose::Outreach,
                "outreach to a CTO",
                Channel::Linkedin,
                "Hi {{prospect_name}}, as {{prospect_role}} at {{prospect_company}} you may like this: {{offer}} Worth a short call?",
            ),
            (
                "cto-intro",
                TemplatePurpose::Outreach,
                "outreach to a CTO",
                Channel::Linkedin,
                "{{prospect_name}}, one idea for {{prospect_company}}: {{offer}} {{prospect_notes}} Open to 15 minutes next week?",
            ),
        ] {
            let template =
                validate_new_template(organization.id, name, purpose, use_case, channel, body)
                    .map_err(|e| {
                        anyhow::anyhow!("demo template {name} is invalid: {}", e.message())
                    })?;
            templates.push(template);
        }
    }
    Ok(templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_set_is_large_deterministic_and_valid() {
        let a = demo_assets().expect("valid demo assets");
        let b = demo_assets().expect("valid demo assets");
        assert_eq!(a, b);
        assert!(a.len() >= 100);
        assert!(
            a.iter()
                .all(|x| !x.description.is_empty() && !x.hashtags.is_empty())
        );
        let images = a.iter().filter(|x| x.kind == AssetKind::Image).count();
        assert!(images * 2 > a.len(), "mostly images");
        let approved = a
            .iter()
            .filter(|x| x.review_status == ReviewStatus::Approved)
            .count();
        assert!(
            approved * 2 > a.len() && approved < a.len(),
            "most approved, some pending"
        );
        for campaign in demo_plan().campaigns {
            let linked = a
                .iter()
                .filter(|x| x.campaign_ids.contains(&campaign.id))
                .count();
            assert!(
                (4..=8).contains(&linked),
                "{} has {linked} assets",
                campaign.name
            );
        }
    }
}
