//! The sales part of the demo data: the plan's organizations, users and
//! campaigns (same ids as every other subgraph), plus products and
//! objectives derived deterministically from them.

use promptsales_kit::StrEnum;
use std::collections::HashSet;

use anyhow::{Context, anyhow};
use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::demo::{
    DemoCampaign, DemoOrganization, DemoRng, demo_id, demo_plan, demo_plan_on, demo_today, kind,
};
use promptsales_kit::{ApiError, Decimal4};
use uuid::Uuid;

use crate::domain;
use crate::domain::campaign::{Budget, CampaignStatus};
use crate::domain::objective::ObjectiveKind;
use crate::domain::subscription::{self, BillingCycle, FeatureKind};
use crate::domain::user::UserType;
use crate::store::plans::{Plan, PlanFeature, Subscription};
use crate::store::results::{AdsSummaryRow, ContentSummaryRow, CrmSummaryRow};
use crate::store::{NewCampaign, NewObjective, NewOrganization, NewProduct, NewUser, SalesStore};

/// Demo-id kind of campaign objectives: only sales has them, so the number
/// just has to stay clear of the kit's kinds (1-4 sales, 10+ other subgraphs).
const OBJECTIVE_KIND: u8 = 5;

/// Products per organization, in plan order: name, description, price in units.
const PRODUCTS: [[(&str, &str, i64); 2]; 2] = [
    [
        (
            "Summit Pro Jacket",
            "Waterproof, breathable shell for alpine days",
            249,
        ),
        (
            "TrailRunner 2",
            "Light trail-running shoe with a rock plate",
            129,
        ),
    ],
    [
        (
            "Nimbus Cloud Pro",
            "Managed Kubernetes with cost insights, per month",
            499,
        ),
        (
            "Ops Copilot seat",
            "The AI operations assistant, per user and month",
            39,
        ),
    ],
];

/// Seeds this subgraph's part of the demo data unless it is already there; returns whether it wrote.
/// Rows already present are left alone, so a seed interrupted half-way completes on the next run.
pub async fn seed_demo(store: &dyn SalesStore) -> anyhow::Result<bool> {
    seed_demo_on(store, demo_today()).await
}

/// [`seed_demo`] with the demo plan as seeded on `day` (its campaigns' dates are relative to it).
pub async fn seed_demo_on(store: &dyn SalesStore, day: NaiveDate) -> anyhow::Result<bool> {
    let plan = demo_plan_on(day);
    let all = TenantScope::All;
    let mut wrote = false;

    let ids: Vec<Uuid> = plan.organizations.iter().map(|o| o.id).collect();
    let present = id_set(
        store
            .organizations_by_ids(all, &ids)
            .await?
            .iter()
            .map(|o| o.id),
    );
    for (n, org) in plan.organizations.iter().enumerate() {
        if !present.contains(&org.id) {
            let new = domain::organization::validate_new(organization(n, org)).map_err(invalid)?;
            store
                .insert_organization(new)
                .await
                .with_context(|| format!("seeding organization {}", org.name))?;
            wrote = true;
        }
    }

    let products = products(&plan.organizations);
    let ids: Vec<Uuid> = products.iter().filter_map(|p| p.id).collect();
    let present = id_set(store.products_by_ids(all, &ids).await?.iter().map(|p| p.id));
    for product in &products {
        if !product.id.is_some_and(|id| present.contains(&id)) {
            let new = domain::product::validate_new(product.clone()).map_err(invalid)?;
            store
                .insert_product(new)
                .await
                .with_context(|| format!("seeding product {}", product.name))?;
            wrote = true;
        }
    }

    let ids: Vec<Uuid> = plan.users.iter().map(|u| u.id).collect();
    let present = id_set(store.users_by_ids(all, &ids).await?.iter().map(|u| u.id));
    for (n, user) in plan.users.iter().enumerate() {
        if present.contains(&user.id) {
            continue;
        }
        let user_type = UserType::parse(user.user_type)
            .ok_or_else(|| anyhow!("unknown user type {}", user.user_type))?;
        let spain = plan
            .organizations
            .first()
            .is_some_and(|o| o.id == user.organization_id);
        let new = NewUser {
            id: Some(user.id),
            organization_id: user.organization_id,
            email: user.email.clone(),
            name: user.name.clone(),
            phone: Some(if spain {
                format!("+34 600 000 {:03}", n + 1)
            } else {
                format!("+1 415 555 {:04}", n + 1)
            }),
            user_type,
            timezone: if spain {
                "Europe/Madrid"
            } else {
                "America/New_York"
            }
            .to_string(),
            active: true,
        };
        let new = domain::user::validate_new(new).map_err(invalid)?;
        store
            .insert_user(new)
            .await
            .with_context(|| format!("seeding user {}", user.email))?;
        wrote = true;
    }

    let ids: Vec<Uuid> = plan.campaigns.iter().map(|c| c.id).collect();
    let present = id_set(
        store
            .campaigns_by_ids(all, &ids)
            .await?
            .iter()
            .map(|c| c.id),
    );
    for (n, campaign) in plan.campaigns.iter().enumerate() {
        if present.contains(&campaign.id) {
            continue;
        }
        let org_index = plan
            .organizations
            .iter()
            .position(|o| o.id == campaign.organization_id)
            .ok_or_else(|| anyhow!("campaign {} names an unknown organization", campaign.name))?;
        let new = self::campaign(
            n,
            campaign,
            &plan.organizations[org_index],
            org_index,
            &products,
        )?;
        // Seeds may set statuses and spending the API does not: they stand for history.
        let validated = domain::campaign::validate_new(new).map_err(invalid)?;
        store
            .insert_campaign(validated)
            .await
            .with_context(|| format!("seeding campaign {}", campaign.name))?;
        wrote = true;
    }
    wrote |= seed_portal(store, &plan).await?;
    if wrote {
        tracing::info!("sales demo data seeded");
    }
    Ok(wrote)
}

fn id_set(ids: impl Iterator<Item = Uuid>) -> HashSet<Uuid> {
    ids.collect()
}

fn invalid(err: ApiError) -> anyhow::Error {
    anyhow!("demo data breaks a rule: {}", err.message())
}

fn organization(n: usize, org: &DemoOrganization) -> NewOrganization {
    let scale = n as i64 + 1;
    NewOrganization {
        id: Some(org.id),
        name: org.name.to_string(),
        industry: org.industry.to_string(),
        country: org.country.to_string(),
        sales_goal: Decimal4::from_units(250_000 * scale),
        budget: Decimal4::from_units(75_000 * scale),
        currency: org.currency.to_string(),
    }
}

fn products(organizations: &[DemoOrganization]) -> Vec<NewProduct> {
    let mut n = 0;
    let mut out = Vec::new();
    for (org, catalogue) in organizations.iter().zip(PRODUCTS.iter()) {
        for (name, description, price) in catalogue {
            n += 1;
            out.push(NewProduct {
                id: Some(demo_id(kind::PRODUCT, n)),
                organization_id: org.id,
                name: (*name).to_string(),
                description: Some((*description).to_string()),
                price: Decimal4::from_units(*price),
                currency: org.currency.to_string(),
            });
        }
    }
    out
}

fn status(text: &str) -> anyhow::Result<CampaignStatus> {
    CampaignStatus::parse(text).ok_or_else(|| anyhow!("unknown campaign status {text}"))
}

/// Share of the budget spent (and of each target reached), in percent, by status.
fn progress(rng: &mut DemoRng, status: CampaignStatus) -> i64 {
    match status {
        CampaignStatus::Active => rng.range(20, 60),
        CampaignStatus::Paused => rng.range(30, 50),
        CampaignStatus::Completed => rng.range(90, 100),
        _ => 0,
    }
}

fn campaign(
    n: usize,
    campaign: &DemoCampaign,
    org: &DemoOrganization,
    org_index: usize,
    products: &[NewProduct],
) -> anyhow::Result<NewCampaign> {
    let status = status(campaign.status)?;
    let mut rng = DemoRng::for_id(campaign.id);
    let percent = progress(&mut rng, status);
    let total = campaign.budget_total;
    // What its ads spent in the plan: the ads subgraph's metrics add up to the same figure.
    let spent = campaign.ad_spend();
    let retail = org_index == 0;
    let goals: [(ObjectiveKind, &str, i64); 2] = if retail {
        [
            (
                ObjectiveKind::Sales,
                "revenue",
                total.raw() / 10_000 * rng.range(3, 6),
            ),
            (
                ObjectiveKind::Awareness,
                "reach",
                rng.range(100, 500) * 1_000,
            ),
        ]
    } else {
        [
            (ObjectiveKind::LeadGeneration, "leads", rng.range(200, 800)),
            (ObjectiveKind::Conversion, "trials", rng.range(50, 200)),
        ]
    };
    let count = rng.range(1, 2) as usize;
    let objectives = goals
        .iter()
        .take(count)
        .enumerate()
        .map(|(i, (kind, metric, target))| NewObjective {
            id: Some(demo_id(OBJECTIVE_KIND, (n * 2 + i + 1) as u32)),
            kind: *kind,
            metric: (*metric).to_string(),
            target: Decimal4::from_units(*target),
            current: Decimal4::from_units(target * percent / 100),
        })
        .collect();
    let own_products: Vec<Uuid> = products
        .iter()
        .filter(|p| p.organization_id == org.id)
        .filter_map(|p| p.id)
        .collect();
    let product_ids = match own_products.len() {
        0 => Vec::new(),
        len => own_products
            .iter()
            .cycle()
            .skip(n % len)
            .take(1 + n % 2)
            .copied()
            .collect(),
    };
    Ok(NewCampaign {
        id: Some(campaign.id),
        organization_id: campaign.organization_id,
        owner_id: campaign.owner_id,
        name: campaign.name.clone(),
        description: Some(format!(
            "{} by {}: {}.",
            campaign.name, org.name, campaign.key_message
        )),
        key_message: Some(campaign.key_message.clone()),
        intent: Some(
            if retail {
                "Drive online and in-store sales"
            } else {
                "Generate qualified leads for the sales team"
            }
            .to_string(),
        ),
        status,
        budget: Budget { total, spent },
        currency: campaign.currency.to_string(),
        start_date: campaign.start_date,
        end_date: campaign.end_date,
        industry: Some(org.industry.to_string()),
        target_countries: campaign
            .countries
            .iter()
            .map(|c| (*c).to_string())
            .collect(),
        product_ids,
        objectives,
    })
}

/// Demo-id kinds of the portal's rows (sales only, clear of the kit's kinds).
mod portal_kind {
    /// Plans of the catalogue.
    pub const PLAN: u8 = 6;
    /// Subscriptions.
    pub const SUBSCRIPTION: u8 = 7;
}

/// A feature of a catalogue plan: name, kind, value, unit.
type FeatureSeed = (&'static str, FeatureKind, i64, &'static str);
/// A catalogue plan: code, name, subsystem, price, trial days, max users, features.
type PlanSeed = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    i32,
    i32,
    &'static [FeatureSeed],
);
/// The plan catalogue.
const CATALOGUE: [PlanSeed; 4] = [
    (
        "content-starter",
        "Content Starter",
        "content",
        49,
        14,
        3,
        &[(
            subscription::AI_GENERATIONS_PER_MONTH,
            FeatureKind::Quota,
            500,
            "generations",
        )],
    ),
    (
        "ads-growth",
        "Ads Growth",
        "ads",
        199,
        14,
        10,
        &[
            (
                subscription::ACTIVE_CAMPAIGNS,
                FeatureKind::Limit,
                10,
                "campaigns",
            ),
            ("connected_ad_accounts", FeatureKind::Limit, 5, "accounts"),
        ],
    ),
    (
        "crm-team",
        "CRM Team",
        "crm",
        99,
        30,
        10,
        &[("lead_queue", FeatureKind::Boolean, 1, "")],
    ),
    (
        "suite",
        "PromptSales Suite",
        "all",
        499,
        0,
        50,
        &[
            (
                subscription::ACTIVE_CAMPAIGNS,
                FeatureKind::Limit,
                50,
                "campaigns",
            ),
            (
                subscription::AI_GENERATIONS_PER_MONTH,
                FeatureKind::Quota,
                5_000,
                "generations",
            ),
            ("lead_queue", FeatureKind::Boolean, 1, ""),
        ],
    ),
];

/// The portal's demo rows: the plan catalogue, the organizations' subscriptions, and the
/// result summaries derived from the kit plan's ad figures (so they agree with the ads store).
async fn seed_portal(
    store: &dyn SalesStore,
    plan: &promptsales_kit::demo::DemoPlan,
) -> anyhow::Result<bool> {
    let mut wrote = false;
    let plans: Vec<Plan> = CATALOGUE
        .iter()
        .enumerate()
        .map(
            |(n, (code, name, subsystem, price, trial, users, features))| Plan {
                id: demo_id(portal_kind::PLAN, n as u32 + 1),
                code: (*code).to_string(),
                name: (*name).to_string(),
                subsystem: (*subsystem).to_string(),
                billing_cycle: BillingCycle::Monthly,
                price: Decimal4::from_units(*price),
                currency: "EUR".to_string(),
                trial_days: *trial,
                max_users: *users,
                active: true,
                features: features
                    .iter()
                    .map(|(name, kind, value, unit)| PlanFeature {
                        name: (*name).to_string(),
                        kind: *kind,
                        value: *value,
                        unit: (!unit.is_empty()).then(|| (*unit).to_string()),
                    })
                    .collect(),
            },
        )
        .collect();
    let ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let present = id_set(store.plans_by_ids(&ids).await?.iter().map(|p| p.id));
    for p in plans.iter().filter(|p| !present.contains(&p.id)) {
        store
            .insert_plan(p.clone())
            .await
            .with_context(|| format!("seeding plan {}", p.code))?;
        wrote = true;
    }

    // The first organization runs on the suite; the second on ads (in trial) and content.
    let now = domain::now();
    let choices: [(usize, usize, bool); 3] = [(0, 3, false), (1, 1, true), (1, 0, false)];
    for (n, (org_index, plan_index, trial)) in choices.into_iter().enumerate() {
        let (Some(org), Some(chosen)) = (plan.organizations.get(org_index), plans.get(plan_index))
        else {
            continue;
        };
        let id = demo_id(portal_kind::SUBSCRIPTION, n as u32 + 1);
        if store.subscription(TenantScope::All, id).await?.is_some() {
            continue;
        }
        let period = subscription::subscribe(chosen.billing_cycle, chosen.trial_days, trial, now);
        let entry = crate::audit::NewAuditEntry {
            organization_id: Some(org.id),
            actor_id: None,
            action: "subscription.created".into(),
            target_type: "Subscription".into(),
            target_id: Some(id.to_string()),
            severity: crate::audit::Severity::Info,
            origin: Default::default(),
            metadata: serde_json::json!({"plan": chosen.code, "by": "demo seed"}),
        };
        store
            .insert_subscription(
                Subscription {
                    id,
                    organization_id: org.id,
                    plan_id: chosen.id,
                    subsystem: chosen.subsystem.clone(),
                    period,
                    started_at: now,
                    cancelled_at: None,
                    auto_renew: true,
                    updated_at: now,
                },
                entry,
            )
            .await
            .with_context(|| format!("seeding the subscription of {}", org.name))?;
        wrote = true;
    }

    Ok(wrote)
}

/// The demo plan's figures written straight into the summaries, bypassing the ETL, unless
/// present; returns whether it wrote. Only for tests of the dashboards' arithmetic: `up` and
/// `promptsales seed` let the ETL derive the summaries from the demo sources instead, so the
/// dashboards always agree with the live data of ads, crm and content.
pub async fn seed_plan_summaries(store: &dyn SalesStore) -> anyhow::Result<bool> {
    let plan = demo_plan();
    let plan = &plan;
    let mut wrote = false;
    // Once: present when the first organization already has ad history.
    let seeded = match plan.organizations.first() {
        Some(org) => !store
            .channel_history(TenantScope::All, org.id)
            .await?
            .is_empty(),
        None => true,
    };
    if !seeded {
        let (ads, crm, content) = summaries(plan);
        store.upsert_ads_summary(&ads).await?;
        store.upsert_crm_summary(&crm).await?;
        store.upsert_content_summary(&content).await?;
        let campaigns: Vec<Uuid> = plan.campaigns.iter().map(|c| c.id).collect();
        store.refresh_performance(&campaigns).await?;
        store.refresh_dashboard_totals().await?;
        wrote = true;
    }
    Ok(wrote)
}

/// The summaries of the demo plan: ads from its daily figures; CRM derived from the ads'
/// conversions (each conversion a lead, a fifth of them won, worth the conversion value);
/// content as three variants per channel, reviewed unless the campaign is a draft.
fn summaries(
    plan: &promptsales_kit::demo::DemoPlan,
) -> (
    Vec<AdsSummaryRow>,
    Vec<CrmSummaryRow>,
    Vec<ContentSummaryRow>,
) {
    let (mut ads, mut crm, mut content) = (Vec::new(), Vec::new(), Vec::new());
    for campaign in &plan.campaigns {
        let mut per_day: std::collections::BTreeMap<chrono::NaiveDate, (i64, Decimal4)> =
            Default::default();
        for d in campaign.ad_days() {
            ads.push(AdsSummaryRow {
                organization_id: campaign.organization_id,
                campaign_id: campaign.id,
                day: d.day,
                channel: d.channel.to_string(),
                impressions: d.impressions,
                clicks: d.clicks,
                reach: d.reach,
                engagement: d.engagement,
                spend: d.spend,
                conversions: d.conversions,
                conversion_value: d.conversion_value,
            });
            let entry = per_day.entry(d.day).or_insert((0, Decimal4::ZERO));
            entry.0 += d.conversions;
            entry.1 = Decimal4(entry.1.raw() + d.conversion_value.raw());
        }
        for (day, (leads, value)) in per_day {
            let customers = leads / 5;
            crm.push(CrmSummaryRow {
                organization_id: campaign.organization_id,
                campaign_id: campaign.id,
                day,
                leads,
                qualified: leads * 3 / 5,
                customers,
                // Revenue of the customers won: their share of the conversions' value.
                revenue: Decimal4(if leads == 0 {
                    0
                } else {
                    value.raw() / leads * customers
                }),
            });
        }
        let pieces = campaign.channels.len() as i64 * 3;
        let reviewed = campaign.status != "draft";
        content.push(ContentSummaryRow {
            organization_id: campaign.organization_id,
            campaign_id: campaign.id,
            day: campaign.start_date,
            content_type: "text".into(),
            total: pieces,
            approved: if reviewed { pieces - 1 } else { 0 },
            rejected: if reviewed { 1 } else { 0 },
            pending: if reviewed { 0 } else { pieces },
        });
    }
    (ads, crm, content)
}
