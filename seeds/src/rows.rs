//! The plan as rows of each store's tables (columns as the stores' entities
//! and migrations define them).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use promptsales_crm::crypto::{Field, KeyRing};
use promptsales_crm::store::NewCustomer;
use promptsales_kit::Decimal4;
use rayon::prelude::*;
use uuid::Uuid;

use crate::load::{Builder, Cell, Row, Table};
use crate::plan::{CHANNELS, COUNTRIES, Plan, STAGES, UNIT, at};
use crate::rng::{Rng, id, kind};

fn builder(
    f: impl Fn(std::ops::Range<usize>) -> anyhow::Result<Vec<Row>> + Send + Sync + 'static,
) -> Builder {
    Arc::new(f)
}

/// Rows of `range`, one item at a time, built in parallel.
fn par_rows(
    range: std::ops::Range<usize>,
    f: impl Fn(usize) -> Vec<Row> + Send + Sync,
) -> anyhow::Result<Vec<Row>> {
    Ok(range.into_par_iter().flat_map_iter(f).collect())
}

fn t(plan: &Plan) -> DateTime<Utc> {
    at(plan.sizes.today, 0)
}

// ---------------------------------------------------------------- sales

/// Plans of the catalogue a subscription can name: (id, subsystem, price currency).
pub type CatalogPlan = (Uuid, String);

/// The sales store's tables.
pub fn sales(plan: &Arc<Plan>, catalog: Vec<CatalogPlan>) -> Vec<Table> {
    let seed = plan.sizes.seed;
    let p = plan.clone();
    let organizations = Table {
        name: "organizations",
        columns: &[
            "id",
            "organization_id",
            "name",
            "industry",
            "country",
            "sales_goal",
            "budget",
            "currency",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.orgs.len(),
        rows: plan.orgs.len() as u64,
        build: builder(move |range| {
            par_rows(range, |o| {
                let org = &p.orgs[o];
                let created = t(&p) - Duration::days(800);
                let budget: i64 = p
                    .campaigns
                    .iter()
                    .filter(|c| c.org == o)
                    .map(|c| c.budget_total)
                    .sum();
                vec![vec![
                    org.id.into(),
                    org.id.into(),
                    org.name.clone().into(),
                    org.industry.into(),
                    org.country.into(),
                    (budget * 4).into(),
                    budget.into(),
                    org.currency.into(),
                    created.into(),
                    created.into(),
                ]]
            })
        }),
    };
    let p = plan.clone();
    let users = Table {
        name: "users",
        columns: &[
            "id",
            "organization_id",
            "email",
            "name",
            "phone",
            "user_type",
            "timezone",
            "active",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.orgs.len(),
        rows: plan.orgs.len() as u64 * 6,
        build: builder(move |range| {
            par_rows(range, |o| {
                let org = &p.orgs[o];
                let created = t(&p) - Duration::days(790);
                let staff = std::iter::once((org.admin, "admin", "Admin"))
                    .chain(org.marketers.iter().map(|u| (*u, "marketer", "Marketer")))
                    .chain(org.agents.iter().map(|u| (*u, "sales_agent", "Agent")));
                staff
                    .enumerate()
                    .map(|(n, (user, user_type, title))| {
                        vec![
                            user.into(),
                            org.id.into(),
                            format!(
                                "{}{}.{o}.{seed:x}@org{o}.example",
                                user_type.replace('_', ""),
                                n
                            )
                            .into(),
                            format!("{title} {} of {}", n + 1, org.name).into(),
                            Cell::Null,
                            user_type.into(),
                            "UTC".into(),
                            true.into(),
                            created.into(),
                            created.into(),
                        ]
                    })
                    .collect()
            })
        }),
    };
    let p = plan.clone();
    let campaigns = Table {
        name: "campaigns",
        columns: &[
            "id",
            "organization_id",
            "owner_id",
            "name",
            "description",
            "key_message",
            "intent",
            "status",
            "budget_total",
            "budget_spent",
            "currency",
            "start_date",
            "end_date",
            "industry",
            "target_countries",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.campaigns.len(),
        rows: plan.campaigns.len() as u64,
        build: builder(move |range| {
            par_rows(range, |c| {
                let campaign = &p.campaigns[c];
                let org = &p.orgs[campaign.org];
                let countries: Vec<&str> = campaign
                    .markets
                    .iter()
                    .map(|m| COUNTRIES[org.markets[*m]].0)
                    .collect();
                let created = at(campaign.start, 9 * 60) - Duration::days(21);
                vec![vec![
                    campaign.id.into(),
                    org.id.into(),
                    campaign.owner.into(),
                    campaign.name.clone().into(),
                    format!("{} by {}.", campaign.name, org.name).into(),
                    "More for less, this season only".into(),
                    "Drive qualified leads and sales".into(),
                    campaign.status.into(),
                    campaign.budget_total.into(),
                    campaign.spent.into(),
                    org.currency.into(),
                    campaign.start.into(),
                    campaign.end.into(),
                    org.industry.into(),
                    serde_json::to_string(&countries)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                    created.into(),
                    created.into(),
                ]]
            })
        }),
    };
    let p = plan.clone();
    let objectives = Table {
        name: "campaign_objectives",
        columns: &[
            "id",
            "organization_id",
            "campaign_id",
            "position",
            "kind",
            "metric",
            "target",
            "current",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.campaigns.len(),
        rows: plan.campaigns.len() as u64 * 2,
        build: builder(move |range| {
            par_rows(range, |c| {
                let campaign = &p.campaigns[c];
                let mut rng = Rng::of(seed, kind::OBJECTIVE, c as u64);
                let created = at(campaign.start, 9 * 60) - Duration::days(21);
                let lead_target = (campaign.budget_total / UNIT / rng.range(20, 60)).max(10);
                let revenue_target = campaign.budget_total * rng.range(2, 5);
                [
                    (
                        "lead_generation",
                        "leads",
                        lead_target * UNIT,
                        campaign.leads * UNIT,
                    ),
                    ("sales", "revenue", revenue_target, campaign.revenue),
                ]
                .into_iter()
                .enumerate()
                .map(|(i, (kind_code, metric, target, current))| {
                    vec![
                        id(seed, kind::OBJECTIVE, c as u64 * 2 + i as u64).into(),
                        campaign_org(&p, c).into(),
                        campaign.id.into(),
                        (i as i32).into(),
                        kind_code.into(),
                        metric.into(),
                        target.into(),
                        current.into(),
                        created.into(),
                        created.into(),
                    ]
                })
                .collect()
            })
        }),
    };
    let p = plan.clone();
    let approvals = Table {
        name: "approvals",
        columns: &[
            "id",
            "organization_id",
            "campaign_id",
            "round",
            "kind",
            "status",
            "requested_by",
            "resolved_by",
            "comments",
            "requested_at",
            "resolved_at",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.campaigns.len(),
        rows: plan
            .campaigns
            .iter()
            .map(|c| approval_kinds(c.status).len() as u64)
            .sum(),
        build: builder(move |range| {
            par_rows(range, |c| {
                let campaign = &p.campaigns[c];
                let org = &p.orgs[campaign.org];
                approval_kinds(campaign.status)
                    .iter()
                    .enumerate()
                    .map(|(i, (kind_code, status))| {
                        let requested =
                            at(campaign.start, 10 * 60) - Duration::days(14 - 3 * i as i64);
                        let resolved =
                            (*status != "pending").then(|| requested + Duration::hours(20));
                        vec![
                            id(seed, kind::APPROVAL, c as u64 * 4 + i as u64).into(),
                            org.id.into(),
                            campaign.id.into(),
                            1i32.into(),
                            (*kind_code).into(),
                            (*status).into(),
                            campaign.owner.into(),
                            Cell::opt(resolved.map(|_| org.admin)),
                            Cell::opt((*status == "granted").then_some("Approved as planned")),
                            requested.into(),
                            Cell::opt(resolved),
                            requested.into(),
                            resolved.unwrap_or(requested).into(),
                        ]
                    })
                    .collect()
            })
        }),
    };
    let p = plan.clone();
    let tasks = Table {
        name: "schedule_tasks",
        columns: &[
            "id",
            "organization_id",
            "campaign_id",
            "kind",
            "title",
            "owner_id",
            "due_at",
            "remind_at",
            "status",
            "reminder_sent_at",
            "overdue_alerted_at",
            "completed_at",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.campaigns.len(),
        rows: plan.campaigns.len() as u64 * 4,
        build: builder(move |range| {
            par_rows(range, |c| {
                let campaign = &p.campaigns[c];
                let now = t(&p);
                let created = at(campaign.start, 9 * 60) - Duration::days(21);
                [
                    (
                        "content_review",
                        "Review the creatives",
                        at(campaign.start, 12 * 60) - Duration::days(7),
                    ),
                    (
                        "approval",
                        "Launch sign-off",
                        at(campaign.start, 12 * 60) - Duration::days(3),
                    ),
                    ("publish", "Publish the ads", at(campaign.start, 9 * 60)),
                    (
                        "report",
                        "Results report",
                        at(campaign.end, 12 * 60) + Duration::days(3),
                    ),
                ]
                .into_iter()
                .enumerate()
                .map(|(i, (kind_code, title, due))| {
                    let done = due < now && campaign.status != "draft";
                    let cancelled = due < now && !done;
                    let status = if done {
                        "done"
                    } else if cancelled {
                        "cancelled"
                    } else {
                        "open"
                    };
                    let remind = due - Duration::days(1);
                    let completed = done.then(|| due - Duration::hours(2));
                    vec![
                        id(seed, kind::TASK, c as u64 * 4 + i as u64).into(),
                        campaign_org(&p, c).into(),
                        campaign.id.into(),
                        kind_code.into(),
                        format!("{title}: {}", campaign.name).into(),
                        campaign.owner.into(),
                        due.into(),
                        remind.into(),
                        status.into(),
                        Cell::opt((remind < now).then_some(remind)),
                        Cell::Null,
                        Cell::opt(completed),
                        created.into(),
                        completed.unwrap_or(created).into(),
                    ]
                })
                .collect()
            })
        }),
    };
    let p = plan.clone();
    let catalog = Arc::new(catalog);
    let subsystems: Vec<String> = {
        let mut s: Vec<String> = catalog.iter().map(|(_, sub)| sub.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    let per_org = subsystems.len();
    let subscriptions = Table {
        name: "subscriptions",
        columns: &[
            "id",
            "organization_id",
            "plan_id",
            "subsystem",
            "status",
            "started_at",
            "trial_ends_at",
            "current_period_start",
            "current_period_end",
            "cancelled_at",
            "auto_renew",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.orgs.len(),
        rows: (plan.orgs.len() * per_org) as u64,
        build: builder(move |range| {
            par_rows(range, |o| {
                let org = &p.orgs[o];
                let now = t(&p);
                subsystems
                    .iter()
                    .enumerate()
                    .filter_map(|(s, subsystem)| {
                        let choices: Vec<&CatalogPlan> =
                            catalog.iter().filter(|(_, sub)| sub == subsystem).collect();
                        let chosen = choices.get(o % choices.len().max(1))?;
                        let started = now - Duration::days(700 - 10 * o as i64 % 300);
                        let period_start = now - Duration::days(o as i64 % 28);
                        Some(vec![
                            id(seed, kind::SUBSCRIPTION, o as u64 * 8 + s as u64).into(),
                            org.id.into(),
                            chosen.0.into(),
                            subsystem.clone().into(),
                            "active".into(),
                            started.into(),
                            Cell::Null,
                            period_start.into(),
                            (period_start + Duration::days(30)).into(),
                            Cell::Null,
                            true.into(),
                            started.into(),
                            period_start.into(),
                        ])
                    })
                    .collect()
            })
        }),
    };
    vec![
        organizations,
        users,
        campaigns,
        objectives,
        approvals,
        tasks,
        subscriptions,
    ]
}

fn campaign_org(plan: &Plan, c: usize) -> Uuid {
    plan.orgs[plan.campaigns[c].org].id
}

fn approval_kinds(status: &str) -> &'static [(&'static str, &'static str)] {
    match status {
        "draft" => &[],
        "pending_approval" => &[("budget", "pending")],
        "cancelled" => &[("budget", "granted"), ("content", "rejected")],
        _ => &[
            ("budget", "granted"),
            ("content", "granted"),
            ("launch", "granted"),
        ],
    }
}

// ---------------------------------------------------------------- ads

fn ad_status(status: &str) -> &'static str {
    match status {
        "active" => "running",
        "paused" => "paused",
        "draft" | "pending_approval" => "draft",
        "approved" => "scheduled",
        _ => "ended",
    }
}

/// Assets of campaign `c` (indexes into the content store's assets).
pub fn campaign_assets(plan: &Plan, c: usize) -> [u64; 3] {
    let per_org = plan.assets_per_org;
    let org = plan.campaigns[c].org as u64;
    let base = c as u64 * 3;
    [0, 1, 2].map(|k| org * per_org + (base + k) % per_org)
}

fn asset_id(plan: &Plan, a: u64) -> Uuid {
    id(plan.sizes.seed, kind::ASSET, a)
}

/// The ads store's tables.
pub fn ads(plan: &Arc<Plan>) -> Vec<Table> {
    let p = plan.clone();
    let markets = Table {
        name: "markets",
        columns: &[
            "id",
            "organization_id",
            "country",
            "currency",
            "language",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.orgs.len(),
        rows: plan.orgs.iter().map(|o| o.markets.len() as u64).sum(),
        build: builder(move |range| {
            par_rows(range, |o| {
                let org = &p.orgs[o];
                let created = t(&p) - Duration::days(780);
                org.markets
                    .iter()
                    .zip(&org.market_ids)
                    .map(|(m, market)| {
                        let (country, currency, language) = COUNTRIES[*m];
                        vec![
                            (*market).into(),
                            org.id.into(),
                            country.into(),
                            currency.into(),
                            language.into(),
                            created.into(),
                            created.into(),
                        ]
                    })
                    .collect()
            })
        }),
    };
    let p = plan.clone();
    let ad_rows = Table {
        name: "ads",
        columns: &[
            "id",
            "organization_id",
            "campaign_id",
            "channel",
            "market_id",
            "name",
            "status",
            "audience_segment_id",
            "creative_ids",
            "daily_budget",
            "bid_strategy",
            "start_date",
            "end_date",
            "platform",
            "external_id",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.ads.len(),
        rows: plan.ads.len() as u64,
        build: builder(move |range| {
            par_rows(range, |a| {
                let ad = &p.ads[a];
                let campaign = &p.campaigns[ad.campaign];
                let org = &p.orgs[campaign.org];
                let creatives: Vec<Uuid> = ad_creatives(&p, a);
                let channel = CHANNELS[ad.channel].0;
                let country = COUNTRIES[org.markets[ad.market]].0;
                let created = at(campaign.start, 8 * 60) - Duration::days(7);
                vec![vec![
                    ad.id.into(),
                    org.id.into(),
                    campaign.id.into(),
                    channel.into(),
                    org.market_ids[ad.market].into(),
                    format!("{} · {channel} {country}", campaign.name).into(),
                    ad_status(campaign.status).into(),
                    Cell::Null,
                    serde_json::to_string(&creatives)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                    ad.daily_budget.into(),
                    "lowest_cost".into(),
                    campaign.start.into(),
                    campaign.end.into(),
                    Cell::Null,
                    Cell::Null,
                    created.into(),
                    created.into(),
                ]]
            })
        }),
    };
    let p = plan.clone();
    let creatives = Table {
        name: "ad_creatives",
        columns: &["ad_id", "position", "organization_id", "asset_id"],
        key: &[0, 1],
        items: plan.ads.len(),
        rows: (0..plan.ads.len())
            .map(|a| ad_creatives(plan, a).len() as u64)
            .sum(),
        build: builder(move |range| {
            par_rows(range, |a| {
                let ad = &p.ads[a];
                let org = campaign_org(&p, ad.campaign);
                ad_creatives(&p, a)
                    .into_iter()
                    .enumerate()
                    .map(|(i, asset)| {
                        vec![ad.id.into(), (i as i32).into(), org.into(), asset.into()]
                    })
                    .collect()
            })
        }),
    };
    let p = plan.clone();
    let seed = plan.sizes.seed;
    let metrics = Table {
        name: "ad_metrics",
        columns: &[
            "id",
            "organization_id",
            "ad_id",
            "day",
            "impressions",
            "reach",
            "clicks",
            "engagement",
            "spend",
            "conversions",
            "conversion_value",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.metrics.len(),
        rows: plan.metrics.len() as u64,
        build: builder(move |range| {
            par_rows(range, |m| {
                let day = &p.metrics[m];
                let ad = &p.ads[day.ad];
                let recorded = at(day.day, 23 * 60 + 30);
                vec![vec![
                    id(seed, kind::METRIC, m as u64).into(),
                    campaign_org(&p, ad.campaign).into(),
                    ad.id.into(),
                    day.day.into(),
                    day.impressions.into(),
                    day.reach.into(),
                    day.clicks.into(),
                    day.engagement.into(),
                    day.spend.into(),
                    day.conversions.into(),
                    day.conversion_value.into(),
                    recorded.into(),
                    recorded.into(),
                ]]
            })
        }),
    };
    vec![markets, ad_rows, creatives, metrics]
}

fn ad_creatives(plan: &Plan, a: usize) -> Vec<Uuid> {
    let ad = &plan.ads[a];
    let assets = campaign_assets(plan, ad.campaign);
    let count = 1 + a % 2;
    (0..count)
        .map(|k| asset_id(plan, assets[(a + k) % 3]))
        .collect()
}

// ---------------------------------------------------------------- content

const SUBJECTS: [&str; 12] = [
    "hikers on a ridge at sunrise",
    "a family around a campfire",
    "a laptop showing a cost dashboard",
    "a team celebrating a launch",
    "a beach at golden hour",
    "a student with headphones",
    "a city skyline at night",
    "a runner on a forest trail",
    "a phone with a banking app",
    "a cosy winter cabin",
    "a product on a white background",
    "friends sharing a meal",
];
const TAGS: [&str; 12] = [
    "#winter",
    "#sale",
    "#outdoors",
    "#cloud",
    "#travel",
    "#family",
    "#newyear",
    "#learning",
    "#fintech",
    "#launch",
    "#holiday",
    "#deal",
];

/// The content store's tables.
pub fn content(plan: &Arc<Plan>) -> Vec<Table> {
    let seed = plan.sizes.seed;
    let total = plan.orgs.len() as u64 * plan.assets_per_org;
    let p = plan.clone();
    let assets = Table {
        name: "media_assets",
        columns: &[
            "id",
            "organization_id",
            "kind",
            "url",
            "thumbnail_url",
            "description",
            "hashtags",
            "category",
            "format",
            "width",
            "height",
            "duration_seconds",
            "size_bytes",
            "license",
            "attribution",
            "rights_expires_at",
            "review_status",
            "version",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: total as usize,
        rows: total,
        build: builder(move |range| {
            par_rows(range, |a| {
                let a = a as u64;
                let org = &p.orgs[(a / p.assets_per_org) as usize];
                let mut rng = Rng::of(seed, kind::ASSET, a);
                let video = rng.chance(0.25);
                let subject = *rng.pick(&SUBJECTS);
                let mut tags: Vec<&str> = (0..rng.range(2, 4)).map(|_| *rng.pick(&TAGS)).collect();
                tags.sort_unstable();
                tags.dedup();
                let id = asset_id(&p, a);
                let created = t(&p) - Duration::days(rng.range(30, 720));
                let (kind_code, format, width, height, duration) = if video {
                    ("video", "mp4", 1920, 1080, Some(rng.range(6, 60) as f64))
                } else {
                    ("image", "jpeg", 1080, 1350, None)
                };
                vec![vec![
                    id.into(),
                    org.id.into(),
                    kind_code.into(),
                    format!("https://cdn.example.com/{}/{id}.{format}", org.id).into(),
                    format!("https://cdn.example.com/{}/{id}.thumb.jpg", org.id).into(),
                    format!(
                        "{} {subject}, for {}",
                        if video { "A clip of" } else { "A photo of" },
                        org.name
                    )
                    .into(),
                    serde_json::to_string(&tags)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                    org.industry.into(),
                    format.into(),
                    (width as i32).into(),
                    (height as i32).into(),
                    Cell::opt(duration),
                    rng.range(200_000, 40_000_000).into(),
                    "royalty_free".into(),
                    Cell::Null,
                    Cell::Null,
                    (if rng.chance(0.9) {
                        "approved"
                    } else {
                        "pending_review"
                    })
                    .into(),
                    1i32.into(),
                    created.into(),
                    created.into(),
                ]]
            })
        }),
    };
    let p = plan.clone();
    let links = Table {
        name: "campaign_assets",
        columns: &[
            "campaign_id",
            "asset_id",
            "organization_id",
            "created_at",
            "updated_at",
        ],
        key: &[0, 1],
        items: plan.campaigns.len(),
        rows: plan.campaigns.len() as u64 * 3,
        build: builder(move |range| {
            par_rows(range, |c| {
                let campaign = &p.campaigns[c];
                let created = at(campaign.start, 8 * 60) - Duration::days(10);
                campaign_assets(&p, c)
                    .into_iter()
                    .map(|a| {
                        vec![
                            campaign.id.into(),
                            asset_id(&p, a).into(),
                            campaign_org(&p, c).into(),
                            created.into(),
                            created.into(),
                        ]
                    })
                    .collect()
            })
        }),
    };
    vec![assets, links]
}

// ---------------------------------------------------------------- crm

const FIRST: [&str; 16] = [
    "Lucía", "Hugo", "Camille", "Louis", "Beatriz", "João", "Giulia", "Luca", "Anna", "Lukas",
    "Emma", "Liam", "Olivia", "Noah", "Grace", "Owen",
];
const LAST: [&str; 16] = [
    "García",
    "Martínez",
    "Martin",
    "Dubois",
    "Silva",
    "Costa",
    "Rossi",
    "Bianchi",
    "Müller",
    "Schmidt",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Clark",
    "Young",
];
const CITIES: [(&str, f64, f64); 8] = [
    ("Madrid", 40.4168, -3.7038),
    ("Paris", 48.8566, 2.3522),
    ("Lisboa", 38.7223, -9.1393),
    ("Milano", 45.4642, 9.19),
    ("Berlin", 52.52, 13.405),
    ("New York", 40.7128, -74.006),
    ("Toronto", 43.6532, -79.3832),
    ("London", 51.5072, -0.1276),
];
const SEGMENTS: [&str; 4] = ["new", "returning", "premium", "bargain"];

fn ascii(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'ã' => Some('a'),
            'é' | 'è' => Some('e'),
            'í' => Some('i'),
            'ó' | 'ö' | 'õ' => Some('o'),
            'ú' | 'ü' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Customer `i` of the plan, as crm's input (personal data in clear).
pub fn customer(plan: &Plan, i: u64) -> NewCustomer {
    let seed = plan.sizes.seed;
    let org = &plan.orgs[plan.customer_org[i as usize] as usize];
    let mut rng = Rng::of(seed, kind::CUSTOMER, i);
    let _ = rng.next_u64();
    let market = org.markets[rng.range(0, org.markets.len() as i64 - 1) as usize];
    let (country, _, _) = COUNTRIES[market];
    let (city, lat, lon) = CITIES[market];
    let first = *rng.pick(&FIRST);
    let last = *rng.pick(&LAST);
    let domain = *rng.pick(&["example.com", "example.org", "example.net"]);
    let phone = match country {
        "GB" => format!("+44 7700 900{:03}", rng.range(0, 999)),
        "US" | "CA" => format!("+1 {} 555 01{:02}", rng.range(201, 989), rng.range(0, 99)),
        _ => format!("+34 6{:08}", rng.range(0, 99_999_999)),
    };
    NewCustomer {
        id: Some(id(seed, kind::CUSTOMER, i)),
        organization_id: org.id,
        full_name: format!("{first} {last}"),
        email: format!("{}.{}.{i}.{seed:x}@{domain}", ascii(first), ascii(last)),
        phone: Some(phone),
        country: Some(country.to_string()),
        city: Some(city.to_string()),
        latitude: Some(lat + rng.range(-500, 500) as f64 / 10_000.0),
        longitude: Some(lon + rng.range(-500, 500) as f64 / 10_000.0),
        segment: Some(rng.pick(&SEGMENTS).to_string()),
        lifetime_value: Decimal4(plan.lifetime[i as usize]),
    }
}

fn sealed(ring: &KeyRing, field: Field, row: Uuid, text: &str) -> anyhow::Result<Cell> {
    Ok(Cell::Sealed(ring.seal(field, row, text)?))
}

const INTERACTION_CHANNELS: [&str; 5] = ["EMAIL", "CALL", "WHATSAPP", "CHAT", "SMS"];
const SUMMARIES: [&str; 6] = [
    "Asked about prices and delivery times",
    "Wants a demo next week",
    "Compared us with a competitor",
    "Not convinced yet, follow up later",
    "Happy with the offer, asked for the invoice details",
    "Complained about the response time",
];

/// The crm store's tables; personal data sealed with the store's own key ring.
pub fn crm(plan: &Arc<Plan>, ring: Arc<KeyRing>) -> Vec<Table> {
    let seed = plan.sizes.seed;
    let p = plan.clone();
    let r = ring.clone();
    let customers = Table {
        name: "customers",
        columns: &[
            "id",
            "organization_id",
            "full_name_enc",
            "email_enc",
            "email_index",
            "phone_enc",
            "country",
            "city",
            "latitude",
            "longitude",
            "segment",
            "lifetime_value",
            "data_key_id",
            "consent_marketing",
            "erased_at",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.sizes.customers as usize,
        rows: plan.sizes.customers,
        build: builder(move |range| {
            range
                .into_par_iter()
                .map(|i| -> anyhow::Result<Row> {
                    // crm's own validation (normalised e-mail and phone) and sealing.
                    let new = promptsales_crm::domain::customer::validate(customer(&p, i as u64))
                        .map_err(|e| {
                        anyhow::anyhow!("generated customer {i} is invalid: {e:?}")
                    })?;
                    let id = new.id.unwrap_or_default();
                    let created = p
                        .leads
                        .get(i)
                        .filter(|l| l.customer == i as u64)
                        .map_or(t(&p) - Duration::days(400), |l| l.created_at);
                    Ok(vec![
                        id.into(),
                        new.organization_id.into(),
                        sealed(&r, Field::FullName, id, &new.full_name)?,
                        sealed(&r, Field::Email, id, &new.email)?,
                        Cell::Sealed(r.email_index(&new.email)),
                        match &new.phone {
                            Some(phone) => sealed(&r, Field::Phone, id, phone)?,
                            None => Cell::Null,
                        },
                        Cell::opt(new.country),
                        Cell::opt(new.city),
                        Cell::opt(new.latitude),
                        Cell::opt(new.longitude),
                        Cell::opt(new.segment),
                        new.lifetime_value.raw().into(),
                        Cell::Sealed(r.active_key_id().to_string()),
                        (i % 3 != 0).into(),
                        Cell::Null,
                        created.into(),
                        created.into(),
                    ])
                })
                .collect()
        }),
    };
    let p = plan.clone();
    let leads = Table {
        name: "leads",
        columns: &[
            "id",
            "organization_id",
            "customer_id",
            "campaign_id",
            "source",
            "source_ad_id",
            "stage",
            "score",
            "purchase_intent",
            "assigned_agent_id",
            "version",
            "last_interaction_at",
            "estimated_value",
            "ad_clicks",
            "queue_key",
            "claimed_at",
            "last_contacted_at",
            "score_reasons",
            "scored_at",
            "captures",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.leads.len(),
        rows: plan.leads.len() as u64,
        build: builder(move |range| {
            par_rows(range, |l| {
                let lead = &p.leads[l];
                let campaign = &p.campaigns[lead.campaign];
                let contacted = lead.agent.map(|_| lead.last_interaction_at);
                let queue_key = promptsales_crm::domain::queue::queue_key(
                    lead.intent,
                    Decimal4(lead.estimated_value),
                    contacted.unwrap_or(lead.created_at),
                );
                vec![vec![
                    lead.id.into(),
                    p.orgs[campaign.org].id.into(),
                    id(seed, kind::CUSTOMER, lead.customer).into(),
                    campaign.id.into(),
                    lead.source.into(),
                    Cell::opt(lead.ad.map(|a| p.ads[a].id)),
                    STAGES[lead.stage].into(),
                    lead.score.into(),
                    lead.intent.into(),
                    Cell::opt(lead.agent),
                    1i32.into(),
                    lead.last_interaction_at.into(),
                    lead.estimated_value.into(),
                    lead.ad_clicks.into(),
                    queue_key.into(),
                    Cell::Null,
                    Cell::opt(contacted),
                    Cell::Null,
                    Cell::Null,
                    1i32.into(),
                    lead.created_at.into(),
                    lead.last_interaction_at.into(),
                ]]
            })
        }),
    };
    let p = plan.clone();
    let r = ring;
    let interactions = Table {
        name: "interactions",
        columns: &[
            "id",
            "organization_id",
            "lead_id",
            "customer_id",
            "channel",
            "direction",
            "actor",
            "agent_id",
            "summary_enc",
            "data_key_id",
            "sentiment",
            "occurred_at",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: plan.leads.len(),
        rows: plan.leads.iter().map(|l| u64::from(l.interactions)).sum(),
        build: builder(move |range| {
            let rows: Vec<anyhow::Result<Row>> = range
                .into_par_iter()
                .flat_map_iter(|l| {
                    let lead = &p.leads[l];
                    let mut rng = Rng::of(seed, kind::INTERACTION, l as u64);
                    let org = p.orgs[p.campaigns[lead.campaign].org].id;
                    let span = (lead.last_interaction_at - lead.created_at)
                        .num_minutes()
                        .max(1);
                    // Mood follows the lead's hidden propensity (what drove its funnel, noise
                    // included), not its outcome: a model reading sentiment learns a noisy
                    // signal, not the label written back.
                    let mood = 0.4 * lead.propensity.tanh();
                    let r = &r;
                    (0..lead.interactions)
                        .map(move |k| {
                            let iid = id(seed, kind::INTERACTION, l as u64 * 4 + u64::from(k));
                            let by_agent = lead.agent.is_some() && k > 0;
                            let occurred = if k + 1 == lead.interactions {
                                lead.last_interaction_at
                            } else {
                                lead.created_at
                                    + Duration::minutes(
                                        span * i64::from(k) / i64::from(lead.interactions),
                                    )
                            };
                            let sentiment = (mood + 0.35 * rng.normal()).clamp(-1.0, 1.0);
                            let summary = *rng.pick(&SUMMARIES);
                            Ok(vec![
                                iid.into(),
                                org.into(),
                                lead.id.into(),
                                id(seed, kind::CUSTOMER, lead.customer).into(),
                                (*rng.pick(&INTERACTION_CHANNELS)).into(),
                                (if by_agent { "OUTBOUND" } else { "INBOUND" }).into(),
                                (if by_agent { "AGENT" } else { "BOT" }).into(),
                                Cell::opt(lead.agent.filter(|_| by_agent)),
                                sealed(r, Field::InteractionSummary, iid, summary)?,
                                Cell::Sealed(r.active_key_id().to_string()),
                                ((sentiment * 100.0).round() / 100.0).into(),
                                occurred.into(),
                                occurred.into(),
                                occurred.into(),
                            ])
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            rows.into_iter().collect()
        }),
    };
    let p = plan.clone();
    let won: Arc<Vec<usize>> = Arc::new(
        plan.leads
            .iter()
            .enumerate()
            .filter(|(_, l)| l.sale.is_some())
            .map(|(i, _)| i)
            .collect(),
    );
    let sales = Table {
        name: "sales",
        columns: &[
            "id",
            "organization_id",
            "customer_id",
            "lead_id",
            "campaign_id",
            "product_id",
            "amount",
            "currency",
            "closed_at",
            "created_at",
            "updated_at",
        ],
        key: &[0],
        items: won.len(),
        rows: won.len() as u64,
        build: builder(move |range| {
            par_rows(range, |w| {
                let l = won[w];
                let lead = &p.leads[l];
                let campaign = &p.campaigns[lead.campaign];
                let org = &p.orgs[campaign.org];
                vec![vec![
                    id(seed, kind::SALE, l as u64).into(),
                    org.id.into(),
                    id(seed, kind::CUSTOMER, lead.customer).into(),
                    lead.id.into(),
                    campaign.id.into(),
                    Cell::Null,
                    lead.sale.unwrap_or(0).into(),
                    org.currency.into(),
                    lead.last_interaction_at.into(),
                    lead.last_interaction_at.into(),
                    lead.last_interaction_at.into(),
                ]]
            })
        }),
    };
    vec![customers, leads, interactions, sales]
}
