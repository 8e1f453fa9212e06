//! The crm's part of the demo data, derived from the kit's demo plan.
//!
//! Every campaign that left draft gets a handful of customers in its target
//! countries (fictional people at `example.*` addresses, real city
//! coordinates), 10 to 25 leads spread over the funnel and assigned to the
//! organization's sales agents, and a sale for every won lead. Ids come from
//! `demo_id` and figures from `DemoRng::for_id(campaign)`, so every run
//! writes the same rows (only instants after "now" are pulled back to it).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use promptsales_kit::Decimal4;
use promptsales_kit::context::TenantScope;
use promptsales_kit::demo::{
    DemoCampaign, DemoPlan, DemoRng, demo_id, demo_plan_on, demo_today, kind,
};
use uuid::Uuid;

use crate::store::{
    CrmStore, InsertError, LeadSource, LeadStage, NewCustomer, NewLead, NewRecords, NewSale,
};

/// Seeds the demo rows unless they are already there; returns whether it wrote.
pub async fn seed_demo(store: &dyn CrmStore) -> anyhow::Result<bool> {
    seed_demo_on(store, demo_today()).await
}

/// [`seed_demo`] with the demo plan as seeded on `day` (its campaigns' dates are relative to it).
pub async fn seed_demo_on(store: &dyn CrmStore, day: NaiveDate) -> anyhow::Result<bool> {
    let plan = demo_plan_on(day);
    let records = demo_records(&plan, Utc::now());
    let Some(first) = records.customers.first().and_then(|c| c.id) else {
        return Ok(false);
    };
    if store.customer(TenantScope::All, first).await?.is_some() {
        return Ok(false);
    }
    let counts = (
        records.customers.len(),
        records.leads.len(),
        records.sales.len(),
    );
    match store.insert_records(records).await {
        Ok(()) => {
            tracing::info!(
                customers = counts.0,
                leads = counts.1,
                sales = counts.2,
                "crm demo data seeded"
            );
            // The demo's won and lost leads are enough history for each organization's own
            // lead-scoring model: train it, as `retrainLeadScoring` would, and score every lead.
            for organization in &plan.organizations {
                train_demo_model(store, organization.id).await?;
            }
            Ok(true)
        }
        // A concurrent seeder won the race: its rows are the same rows.
        Err(InsertError::Conflict(_)) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("cannot seed the crm demo data: {e}")),
    }
}

/// Trains `organization`'s scoring model on its seeded leads and scores them all.
async fn train_demo_model(store: &dyn CrmStore, organization: uuid::Uuid) -> anyhow::Result<()> {
    let now = Utc::now();
    let signals = store.lead_signals(organization).await?;
    let model = match crate::domain::scoring::train(&signals, now) {
        Ok(model) => model,
        Err(e) => {
            tracing::warn!(%organization, error = %e, "no demo scoring model for this organization");
            return Ok(());
        }
    };
    let scores: Vec<_> = signals
        .iter()
        .map(|s| crate::schema::work::score_of(&model, s, now))
        .collect();
    store.save_scoring(organization, &model, &scores).await?;
    tracing::info!(%organization, auc = ?model.auc, "demo lead-scoring model trained");
    Ok(())
}

/// A city with its real coordinates.
struct City {
    name: &'static str,
    latitude: f64,
    longitude: f64,
}

const fn city(name: &'static str, latitude: f64, longitude: f64) -> City {
    City {
        name,
        latitude,
        longitude,
    }
}

fn cities(country: &str) -> &'static [City] {
    const ES: &[City] = &[
        city("Madrid", 40.4168, -3.7038),
        city("Barcelona", 41.3874, 2.1686),
        city("Valencia", 39.4699, -0.3763),
        city("Sevilla", 37.3891, -5.9845),
        city("Bilbao", 43.2630, -2.9350),
    ];
    const FR: &[City] = &[
        city("Paris", 48.8566, 2.3522),
        city("Lyon", 45.7640, 4.8357),
        city("Marseille", 43.2965, 5.3698),
    ];
    const PT: &[City] = &[
        city("Lisboa", 38.7223, -9.1393),
        city("Porto", 41.1579, -8.6291),
    ];
    const IT: &[City] = &[
        city("Milano", 45.4642, 9.1900),
        city("Roma", 41.9028, 12.4964),
    ];
    const DE: &[City] = &[
        city("Berlin", 52.5200, 13.4050),
        city("München", 48.1351, 11.5820),
        city("Hamburg", 53.5511, 9.9937),
    ];
    const US: &[City] = &[
        city("New York", 40.7128, -74.0060),
        city("San Francisco", 37.7749, -122.4194),
        city("Austin", 30.2672, -97.7431),
        city("Seattle", 47.6062, -122.3321),
    ];
    const CA: &[City] = &[
        city("Toronto", 43.6532, -79.3832),
        city("Vancouver", 49.2827, -123.1207),
    ];
    const GB: &[City] = &[
        city("London", 51.5072, -0.1276),
        city("Manchester", 53.4808, -2.2426),
    ];
    match country {
        "ES" => ES,
        "FR" => FR,
        "PT" => PT,
        "IT" => IT,
        "DE" => DE,
        "CA" => CA,
        "GB" => GB,
        _ => US,
    }
}

fn names(country: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match country {
        "ES" => (
            &[
                "Lucía", "Hugo", "Martina", "Mateo", "Carmen", "Pablo", "Elena", "Javier",
            ],
            &[
                "García",
                "Martínez",
                "López",
                "Sánchez",
                "Romero",
                "Navarro",
                "Torres",
                "Ruiz",
            ],
        ),
        "FR" => (
            &["Camille", "Louis", "Chloé", "Jules", "Manon", "Léa"],
            &[
                "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre",
            ],
        ),
        "PT" => (
            &["Beatriz", "João", "Inês", "Tiago", "Mariana", "Rui"],
            &[
                "Silva", "Santos", "Ferreira", "Costa", "Oliveira", "Pereira",
            ],
        ),
        "IT" => (
            &["Giulia", "Luca", "Sofia", "Marco", "Chiara", "Matteo"],
            &["Rossi", "Russo", "Bianchi", "Romano", "Colombo", "Ricci"],
        ),
        "DE" => (
            &["Anna", "Lukas", "Lena", "Felix", "Mia", "Jonas"],
            &[
                "Müller",
                "Schmidt",
                "Schneider",
                "Fischer",
                "Weber",
                "Wagner",
            ],
        ),
        _ => (
            &[
                "Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Grace", "Owen",
            ],
            &[
                "Smith", "Johnson", "Brown", "Taylor", "Anderson", "Clark", "Walker", "Young",
            ],
        ),
    }
}

/// A fictional phone number in the country's mobile format (reserved fiction ranges where they exist).
fn phone(country: &str, rng: &mut DemoRng) -> String {
    let digits = |rng: &mut DemoRng, n: u32| {
        format!(
            "{:0width$}",
            rng.range(0, 10i64.pow(n) - 1),
            width = n as usize
        )
    };
    match country {
        "ES" => format!("+34 6{}", digits(rng, 8)),
        "FR" => format!("+33 6{}", digits(rng, 8)),
        "PT" => format!("+351 91{}", digits(rng, 7)),
        "IT" => format!("+39 34{}", digits(rng, 8)),
        "DE" => format!("+49 151{}", digits(rng, 8)),
        // Ofcom's range for drama: 07700 900000-900999.
        "GB" => format!("+44 7700 900{}", digits(rng, 3)),
        // 555-0100..0199 is reserved for fiction in North America.
        _ => format!("+1 {} 555 01{}", rng.range(201, 989), digits(rng, 2)),
    }
}

/// Lower-case ASCII for an e-mail local part.
fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => "o",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ñ' => "n",
            'ç' => "c",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => continue,
        };
        out.push_str(folded);
    }
    out
}

/// Funnel-shaped stage weights (per 100): most leads stay early; about one in five is won and
/// one in five lost, so each demo organization has the won and lost history (at least
/// `scoring::MIN_PER_CLASS` of each) its own lead-scoring model is trained on.
const STAGE_WEIGHTS: [(LeadStage, i64); 6] = [
    (LeadStage::Iql, 20),
    (LeadStage::Mql, 16),
    (LeadStage::Sql, 10),
    (LeadStage::Opportunity, 8),
    (LeadStage::Won, 23),
    (LeadStage::Lost, 23),
];

fn pick_stage(rng: &mut DemoRng) -> LeadStage {
    let mut roll = rng.range(0, 99);
    for (stage, weight) in STAGE_WEIGHTS {
        if roll < weight {
            return stage;
        }
        roll -= weight;
    }
    LeadStage::Iql
}

fn score_range(stage: LeadStage) -> (i64, i64) {
    match stage {
        LeadStage::Iql => (5, 35),
        LeadStage::Mql => (30, 55),
        LeadStage::Sql => (50, 75),
        LeadStage::Opportunity => (65, 90),
        LeadStage::Won => (80, 100),
        LeadStage::Lost => (10, 60),
    }
}

/// An instant within the campaign's run so far (up to `now`'s day), never after `now`.
fn during(campaign: &DemoCampaign, rng: &mut DemoRng, now: DateTime<Utc>) -> DateTime<Utc> {
    // A running campaign's leads spread over the days it has run, not over days to come.
    let last = campaign.end_date.min(now.date_naive());
    let days = (last - campaign.start_date).num_days().max(1);
    let start = campaign.start_date.and_time(NaiveTime::MIN).and_utc();
    let at = start
        + Duration::days(rng.range(0, days - 1))
        + Duration::minutes(rng.range(8 * 60, 20 * 60));
    at.min(now - Duration::hours(1))
}

struct Counters {
    customer: u32,
    lead: u32,
    sale: u32,
}

/// The demo rows for `plan`, with instants pulled back to `now` at the latest.
pub fn demo_records(plan: &DemoPlan, now: DateTime<Utc>) -> NewRecords {
    let mut records = NewRecords::default();
    let mut next = Counters {
        customer: 0,
        lead: 0,
        sale: 0,
    };
    let mut lifetime: HashMap<Uuid, i64> = HashMap::new();
    for campaign in plan.campaigns.iter().filter(|c| c.status != "draft") {
        let mut rng = DemoRng::for_id(campaign.id);
        let industry = plan
            .organizations
            .iter()
            .find(|o| o.id == campaign.organization_id)
            .map_or("retail", |o| o.industry);
        let segments: &[&str] = if industry == "software" {
            &["startup", "mid-market", "enterprise"]
        } else {
            &["hiker", "family camper", "trail runner", "mountaineer"]
        };
        let agents: Vec<Uuid> = plan
            .users_of(campaign.organization_id, "sales_agent")
            .iter()
            .map(|u| u.id)
            .collect();
        let countries: &[&str] = if campaign.countries.is_empty() {
            &["US"]
        } else {
            &campaign.countries
        };

        let first_customer = records.customers.len();
        for _ in 0..rng.range(5, 8) {
            next.customer += 1;
            let country = *rng.pick(countries);
            let (first_names, last_names) = names(country);
            let (first, last) = (*rng.pick(first_names), *rng.pick(last_names));
            let domain = *rng.pick(&["example.com", "example.org", "example.net"]);
            let place = rng.pick(cities(country));
            records.customers.push(NewCustomer {
                id: Some(demo_id(kind::CUSTOMER, next.customer)),
                organization_id: campaign.organization_id,
                full_name: format!("{first} {last}"),
                email: format!(
                    "{}.{}.{}@{domain}",
                    ascii(first),
                    ascii(last),
                    next.customer
                ),
                phone: Some(phone(country, &mut rng)),
                country: Some(country.to_string()),
                city: Some(place.name.to_string()),
                latitude: Some(place.latitude),
                longitude: Some(place.longitude),
                segment: Some(rng.pick(segments).to_string()),
                lifetime_value: Decimal4::ZERO,
            });
        }
        let customers: Vec<Uuid> = records.customers[first_customer..]
            .iter()
            .filter_map(|c| c.id)
            .collect();

        let sources: Vec<LeadSource> = campaign
            .channels
            .iter()
            .filter_map(|c| LeadSource::from_channel(c))
            .collect();
        for _ in 0..rng.range(10, 25) {
            next.lead += 1;
            let stage = pick_stage(&mut rng);
            let (low, high) = score_range(stage);
            let score = rng.range(low, high);
            let intent = (score as f64 / 100.0 + rng.range(-10, 10) as f64 / 100.0).clamp(0.0, 1.0);
            let source = if sources.is_empty() || rng.range(0, 99) < 15 {
                *rng.pick(&[LeadSource::Web, LeadSource::Referral, LeadSource::Event])
            } else {
                *rng.pick(&sources)
            };
            let customer_id = *rng.pick(&customers);
            let last_interaction_at = during(campaign, &mut rng, now);
            let lead_id = demo_id(kind::LEAD, next.lead);
            records.leads.push(NewLead {
                id: Some(lead_id),
                organization_id: campaign.organization_id,
                customer_id,
                campaign_id: campaign.id,
                source,
                source_ad_id: None,
                stage,
                score: score as i32,
                purchase_intent: (intent * 100.0).round() / 100.0,
                // New interest is qualified by marketing before an agent takes it.
                assigned_agent_id: (stage != LeadStage::Iql && !agents.is_empty())
                    .then(|| *rng.pick(&agents)),
                last_interaction_at: Some(last_interaction_at),
            });
            if stage == LeadStage::Won {
                next.sale += 1;
                let (low, high) = if industry == "software" {
                    (2_000, 40_000)
                } else {
                    (40, 600)
                };
                let amount = Decimal4(rng.range(low, high) * 10_000 + rng.range(0, 99) * 100);
                *lifetime.entry(customer_id).or_default() += amount.raw();
                records.sales.push(NewSale {
                    id: Some(demo_id(kind::SALE, next.sale)),
                    organization_id: campaign.organization_id,
                    customer_id,
                    lead_id: Some(lead_id),
                    campaign_id: campaign.id,
                    product_id: None,
                    amount,
                    currency: campaign.currency.to_string(),
                    closed_at: last_interaction_at,
                });
            }
        }
    }
    // Seeded customers' lifetime value is what they bought in the demo.
    for customer in &mut records.customers {
        if let Some(total) = customer.id.and_then(|id| lifetime.get(&id)) {
            customer.lifetime_value = Decimal4(*total);
        }
    }
    records
}
