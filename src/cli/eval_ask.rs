//! `promptsales eval ask`: the share of the labelled questions of `mcp/eval/ask.jsonl` that
//! `ask` answers correctly on the demo data, offline with each embedder this machine has
//! (the local model when fetched, the hashing one always) and with the chat model when one
//! is configured (`PROMPTSALES_AI_BASE_URL`); plus the answers that hold another tenant's
//! data and the writes run (both must be 0).
//!
//! A label names the question's kind and slots (campaign, period, channels, measure,
//! statuses), or `null` when it should not be answered. The expected figures are computed
//! here from the demo graph with this file's own reference queries (as a platform operator,
//! filtered to the asking organization), not from the planner's operations where another
//! path exists: leads from `leads`, ad figures from each ad's daily `metrics`, budgets
//! from the ads' daily budgets. An answer is correct when its kind and slots are the
//! label's and its key figures equal the reference's; a `null` label is correct when
//! nothing is answered. The labels' `heldout` part was written with the rest, before
//! any tuning, and was not looked at while tuning the planner: both figures are printed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use promptsales_kit::ai::{AiConfig, ChatModel, Embedder, HashingEmbedder, OpenAiCompatibleClient};
use promptsales_kit::auth::TokenType;
use promptsales_kit::context::{Role, Subsystem};
use promptsales_kit::demo::demo_plan_on;
use promptsales_mcp::ask::config::PlannerChoice;
use promptsales_mcp::ask::{Answer, Asker};
use promptsales_mcp::graph::GraphClient;
use promptsales_mcp::identity::Caller;
use promptsales_mcp::schema::OperationKind;
use promptsales_mcp::server::Catalog;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// The labelled questions (JSON lines).
const SET: &str = include_str!("../../mcp/eval/ask.jsonl");

/// The day the labels' relative periods ("last week") are read against, and the day the
/// demo is seeded as of, so that the labels' periods and the data do not drift apart as
/// the calendar moves.
fn eval_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
}

#[derive(Debug, Clone, Deserialize)]
struct Label {
    split: String,
    org: usize,
    q: String,
    expect: Option<Expect>,
}

#[derive(Debug, Clone, Deserialize)]
struct Expect {
    kind: String,
    campaign: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    channels: Option<Vec<String>>,
    metric: Option<String>,
    statuses: Option<Vec<String>>,
}

/// What a label should produce: exact keys (offline) and atoms that must appear (model).
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    keys: Vec<String>,
    atoms: Vec<String>,
}

/// One organization's view of the demo.
struct Org {
    id: Uuid,
    token: String,
    campaigns: BTreeMap<String, Uuid>,
}

/// Runs the ask evaluation against a demo graph started in this process.
pub async fn ask(data: std::path::PathBuf) -> anyhow::Result<()> {
    let labels: Vec<Label> = SET
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("mcp/eval/ask.jsonl")?;
    let redis =
        std::env::var("PROMPTSALES_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    println!(
        "\nASK: starting the demo graph (SQLite in {})...",
        data.display()
    );
    let graph = super::bench::start_graph(&data, &redis, eval_today()).await?;
    let plan = demo_plan_on(eval_today());
    let mut orgs = Vec::new();
    for org in &plan.organizations {
        let token = graph
            .issuer
            .access_token(
                "promptsales-eval",
                TokenType::Client,
                Some(org.id),
                ["sales:read", "ads:read", "crm:read", "content:read"]
                    .iter()
                    .map(|r| r.to_string())
                    .collect(),
            )?
            .token;
        let campaigns = plan
            .campaigns
            .iter()
            .filter(|c| c.organization_id == org.id)
            .map(|c| (c.name.clone(), c.id))
            .collect();
        orgs.push(Org {
            id: org.id,
            token,
            campaigns,
        });
    }
    let config = promptsales_mcp::Config::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let catalog =
        promptsales_mcp::server::load_catalog(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = GraphClient::new(graph.router_url.clone(), Duration::from_secs(60))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let operator = Reader {
        http: reqwest::Client::new(),
        url: graph.router_url.clone(),
        token: graph.token.clone(),
    };

    // The expected figures, once.
    let mut references = Vec::new();
    for label in &labels {
        let reference = match &label.expect {
            None => None,
            Some(expect) => Some(
                reference(&operator, &orgs[label.org - 1], expect, eval_today())
                    .await
                    .with_context(|| format!("reference of {:?}", label.q))?,
            ),
        };
        references.push(reference);
    }

    let config_ai = AiConfig::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut runs: Vec<(String, Asker)> = Vec::new();
    let dir = promptsales_kit::ai::local_embedder::model_dir(&config_ai.models_dir);
    match promptsales_kit::ai::LocalEmbedder::new(&dir) {
        Ok(local) => runs.push((
            format!("offline, local embedder ({})", Embedder::model(&local)),
            Asker::new(PlannerChoice::Offline, Arc::new(local), None),
        )),
        Err(_) => println!(
            "(local model not in {}: run `promptsales models fetch`; its row is left out)",
            dir.display()
        ),
    }
    runs.push((
        "offline, hashing embedder".into(),
        Asker::new(
            PlannerChoice::Offline,
            Arc::new(HashingEmbedder::default()),
            None,
        ),
    ));
    if let Some(openai) = config_ai.openai.clone() {
        let chat: Arc<dyn ChatModel> =
            Arc::new(OpenAiCompatibleClient::new(openai).map_err(|e| anyhow::anyhow!("{e}"))?);
        runs.push((
            format!("model ({})", chat.model()),
            Asker::new(
                PlannerChoice::Model,
                Arc::new(HashingEmbedder::default()),
                Some(chat),
            ),
        ));
    } else {
        println!("(no chat model configured: PROMPTSALES_AI_BASE_URL; the model row is left out)");
    }

    let other_names = |org: usize| -> Vec<String> {
        orgs.iter()
            .enumerate()
            .filter(|(i, _)| *i != org - 1)
            .flat_map(|(_, o)| {
                o.campaigns
                    .iter()
                    .flat_map(|(n, id)| [n.clone(), id.to_string()])
            })
            .collect()
    };
    let verbose = std::env::var("PROMPTSALES_EVAL_VERBOSE").is_ok_and(|v| v == "1");
    println!(
        "{} labelled questions ({} tuning, {} held out), today = {}",
        labels.len(),
        labels.iter().filter(|l| l.split == "tune").count(),
        labels.iter().filter(|l| l.split == "heldout").count(),
        eval_today()
    );
    println!(
        "{:<52} {:>10} {:>10} {:>10} {:>14} {:>7}",
        "planner", "all", "tuning", "held out", "other tenant", "writes"
    );
    for (name, asker) in &runs {
        let model_run = name.starts_with("model");
        let mut correct: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let (mut leaks, mut writes) = (0, 0);
        for (label, reference) in labels.iter().zip(&references) {
            let org = &orgs[label.org - 1];
            let caller = caller_of(org);
            let answer = asker
                .ask(
                    &client,
                    &catalog,
                    &config.document_limits,
                    &caller,
                    &label.q,
                    eval_today(),
                )
                .await;
            let ok = judge(label, reference.as_ref(), &answer, model_run);
            let entry = correct
                .entry(if label.split == "heldout" {
                    "heldout"
                } else {
                    "tune"
                })
                .or_default();
            entry.1 += 1;
            if ok {
                entry.0 += 1;
            }
            let dump = serde_json::to_string(&(&answer.text, &answer.figures, &answer.operations))
                .unwrap_or_default();
            if let Some(name) = other_names(label.org)
                .iter()
                .find(|n| dump.contains(n.as_str()))
            {
                leaks += 1;
                if verbose {
                    println!("  [LEAK {name:?}] {:?} -> {}", label.q, answer.text);
                }
            }
            writes += answer
                .operations
                .iter()
                .filter(|op| is_write(&catalog, &op.document, &op.operation_name))
                .count();
            if verbose && (!ok || label.split == "tune") {
                println!(
                    "  [{}] {} {:?} -> answered {} kind {:?} understood {} | {}",
                    if ok { "ok" } else { "WRONG" },
                    label.split,
                    label.q,
                    answer.answered,
                    answer.kind,
                    serde_json::to_string(&answer.understood).unwrap_or_default(),
                    answer.text.lines().next().unwrap_or("")
                );
            }
        }
        let share = |(c, n): (usize, usize)| {
            if n == 0 {
                "-".to_string()
            } else {
                format!("{:.1}% ({c}/{n})", 100.0 * c as f64 / n as f64)
            }
        };
        let tune = correct.get("tune").copied().unwrap_or_default();
        let held = correct.get("heldout").copied().unwrap_or_default();
        println!(
            "{:<52} {:>10} {:>10} {:>10} {:>14} {:>7}",
            name,
            share((tune.0 + held.0, tune.1 + held.1)),
            share(tune),
            share(held),
            leaks,
            writes
        );
    }
    Ok(())
}

fn caller_of(org: &Org) -> Caller {
    Caller {
        token: Some(org.token.clone()),
        verified: true,
        organization: Some(org.id),
        user: None,
        subject: Some("promptsales-eval".into()),
        roles: [
            (Subsystem::Sales, Role::Read),
            (Subsystem::Ads, Role::Read),
            (Subsystem::Crm, Role::Read),
            (Subsystem::Content, Role::Read),
        ]
        .into(),
    }
}

/// Whether the named operation of `document` is a mutation (or cannot be read at all).
fn is_write(catalog: &Catalog, document: &str, name: &str) -> bool {
    match promptsales_mcp::operations::parse_file(&catalog.index, "answer", document) {
        Ok(ops) => ops
            .iter()
            .any(|op| op.name == name && op.kind == OperationKind::Mutation),
        Err(_) => true,
    }
}

fn judge(label: &Label, reference: Option<&Reference>, answer: &Answer, model: bool) -> bool {
    let (Some(expect), Some(reference)) = (&label.expect, reference) else {
        return !answer.answered;
    };
    if !answer.answered {
        return false;
    }
    if model {
        let text = answer.figures.to_string();
        return reference.atoms.iter().all(|a| text.contains(a.as_str()));
    }
    if answer.kind.as_deref() != Some(expect.kind.as_str()) {
        return false;
    }
    let u = &answer.understood;
    if let Some(name) = &expect.campaign
        && (u.campaigns.len() != 1 || &u.campaigns[0].name != name)
    {
        return false;
    }
    let period = u.period.as_ref().map(|p| (p.from, p.to));
    if period != expect.from.zip(expect.to) {
        return false;
    }
    if let Some(channels) = &expect.channels {
        let got: Vec<&str> = u.channels.iter().map(|c| c.value).collect();
        if got != channels.iter().map(String::as_str).collect::<Vec<_>>() {
            return false;
        }
    }
    if let Some(metric) = &expect.metric
        && u.metric != Some(metric.as_str())
    {
        return false;
    }
    if let Some(statuses) = &expect.statuses
        && u.statuses != statuses.iter().map(String::as_str).collect::<Vec<_>>()
    {
        return false;
    }
    answer_keys(&expect.kind, &answer.figures) == reference.keys
}

fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The key figures of an answer, in the reference's form.
fn answer_keys(kind: &str, f: &Value) -> Vec<String> {
    match kind {
        "best_return" => arr(&f["campaigns"])
            .iter()
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect(),
        "organization_results" => vec![
            f["leads"].to_string(),
            f["customers"].to_string(),
            money(num(&f["spend"])),
            money(num(&f["revenue"])),
        ],
        "leads_by_channel" => {
            let mut keys = vec![f["total"].to_string()];
            let mut by: Vec<String> = arr(&f["byChannel"])
                .iter()
                .map(|c| format!("{}={}", c["channel"].as_str().unwrap_or(""), c["leads"]))
                .collect();
            by.sort();
            keys.extend(by);
            keys
        }
        "spend_vs_budget" => {
            let mut keys: Vec<String> = arr(&f["channels"])
                .iter()
                .map(|c| {
                    format!(
                        "{}:{}:{}",
                        c["channel"].as_str().unwrap_or(""),
                        money(num(&c["spend"])),
                        money(num(&c["budget"]))
                    )
                })
                .collect();
            keys.sort();
            keys
        }
        "funnel" => ["iql", "mql", "sql", "opportunity", "won", "lost", "total"]
            .iter()
            .map(|s| f[*s].to_string())
            .collect(),
        "campaign_revenue" => {
            let mut keys = vec![f["sales"].to_string()];
            keys.extend(arr(&f["revenue"]).iter().map(|m| money(num(&m["amount"]))));
            keys
        }
        "top_ads" => {
            let mut names: Vec<String> = arr(&f["ads"])
                .iter()
                .filter(|a| a["rank"] == json!(1))
                .map(|a| a["name"].as_str().unwrap_or("").to_string())
                .collect();
            names.sort();
            names
        }
        "best_channel" => {
            let mut keys: Vec<String> = arr(&f["channels"])
                .first()
                .map(|c| vec![c["channel"].as_str().unwrap_or("").to_string()])
                .unwrap_or_default();
            let mut by: Vec<String> = arr(&f["channels"])
                .iter()
                .map(|c| {
                    format!(
                        "{}={}",
                        c["channel"].as_str().unwrap_or(""),
                        c["conversions"]
                    )
                })
                .collect();
            by.sort();
            keys.extend(by);
            keys
        }
        "campaign_budget" => vec![
            money(num(&f["budget"])),
            money(num(&f["spent"])),
            money(num(&f["available"])),
        ],
        "pending_approvals" => {
            let mut keys = vec![arr(&f["approvals"]).len().to_string()];
            let mut names: Vec<String> = arr(&f["approvals"])
                .iter()
                .map(|a| a["campaign"]["name"].as_str().unwrap_or("").to_string())
                .collect();
            names.sort();
            keys.extend(names);
            keys
        }
        "campaigns_by_status" => {
            let mut names: Vec<String> = arr(&f["campaigns"])
                .iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect();
            names.sort();
            names
        }
        _ => Vec::new(),
    }
}

/// Reads the graph as the platform operator.
struct Reader {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Reader {
    async fn read(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response: Value = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if let Some(errors) = response.get("errors").filter(|e| !e.is_null()) {
            anyhow::bail!("reference query failed: {errors}");
        }
        Ok(response["data"].clone())
    }
}

fn in_period(day: Option<NaiveDate>, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    match (day, from.zip(to)) {
        (_, None) => true,
        (Some(d), Some((f, t))) => f <= d && d <= t,
        (None, Some(_)) => false,
    }
}

/// Per ad of a campaign: (name, channel, status, start, end, daily budget, and sums of its
/// daily metrics within the period: impressions, clicks, spend, conversions, value).
type AdSums = (
    String,
    String,
    String,
    NaiveDate,
    NaiveDate,
    f64,
    [f64; 5],
    bool,
);

async fn ad_sums(
    r: &Reader,
    campaign: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<AdSums>> {
    let data = r
        .read(
            "query RefAds($c: ID!, $from: NaiveDate!, $to: NaiveDate!) { ads(filter: { campaignId: $c }, first: 100) { edges { node { name channel status startDate endDate dailyBudget { amount } metrics(from: $from, to: $to) { impressions clicks spend conversions conversionValue } } } } }",
            json!({ "c": campaign.to_string(), "from": from.to_string(), "to": to.to_string() }),
        )
        .await?;
    let mut out = Vec::new();
    for e in arr(&data["ads"]["edges"]) {
        let n = &e["node"];
        let mut s = [0.0; 5];
        let days = arr(&n["metrics"]);
        for m in days {
            s[0] += num(&m["impressions"]);
            s[1] += num(&m["clicks"]);
            s[2] += num(&m["spend"]);
            s[3] += num(&m["conversions"]);
            s[4] += num(&m["conversionValue"]);
        }
        out.push((
            n["name"].as_str().unwrap_or("").to_string(),
            n["channel"].as_str().unwrap_or("").to_string(),
            n["status"].as_str().unwrap_or("").to_string(),
            n["startDate"]
                .as_str()
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
            n["endDate"]
                .as_str()
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
            num(&n["dailyBudget"]["amount"]),
            s,
            !days.is_empty(),
        ));
    }
    Ok(out)
}

/// The campaign's own dates (the planner's default period for campaign questions).
async fn campaign_dates(r: &Reader, campaign: Uuid) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let data = r
        .read(
            "query RefDates($c: ID!) { campaign(id: $c) { startDate endDate } }",
            json!({ "c": campaign.to_string() }),
        )
        .await?;
    let d = |k: &str| {
        data["campaign"][k]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or_default()
    };
    Ok((d("startDate"), d("endDate")))
}

fn metric_of(s: &[f64; 5], metric: &str) -> Option<f64> {
    match metric {
        "CTR" => (s[0] > 0.0).then(|| s[1] / s[0]),
        "ROAS" => (s[2] > 0.0).then(|| s[4] / s[2]),
        _ => Some(s[3]),
    }
}

async fn reference(
    r: &Reader,
    org: &Org,
    e: &Expect,
    today: NaiveDate,
) -> anyhow::Result<Reference> {
    let campaign = match &e.campaign {
        Some(name) => Some(
            *org.campaigns
                .get(name)
                .with_context(|| format!("no demo campaign {name}"))?,
        ),
        None => None,
    };
    let org_period = || -> (NaiveDate, NaiveDate) {
        match e.from.zip(e.to) {
            Some(p) => p,
            // The planner's default: the campaigns' run up to today (at most a year).
            None => (today - chrono::Duration::days(365), today),
        }
    };
    let (keys, atoms) = match e.kind.as_str() {
        "best_return" | "organization_results" => {
            let (from, to) = org_period();
            let data = r
                .read(
                    "query RefDash($o: ID!, $from: NaiveDate!, $to: NaiveDate!) { dashboard(organizationId: $o, from: $from, to: $to, best: 5) { totals { leads customers spend { amount } revenue { amount } } bestCampaigns { campaign { name } } } }",
                    json!({ "o": org.id.to_string(), "from": from.to_string(), "to": to.to_string() }),
                )
                .await?;
            if e.kind == "best_return" {
                let names: Vec<String> = arr(&data["dashboard"]["bestCampaigns"])
                    .iter()
                    .map(|c| c["campaign"]["name"].as_str().unwrap_or("").to_string())
                    .collect();
                (names.clone(), names)
            } else {
                let t = &data["dashboard"]["totals"];
                (
                    vec![
                        t["leads"].to_string(),
                        t["customers"].to_string(),
                        money(num(&t["spend"]["amount"])),
                        money(num(&t["revenue"]["amount"])),
                    ],
                    vec![t["leads"].to_string(), t["customers"].to_string()],
                )
            }
        }
        "leads_by_channel" => {
            let c = campaign.context("a campaign")?;
            let mut counts: BTreeMap<String, i64> = BTreeMap::new();
            let mut after: Value = Value::Null;
            loop {
                let data = r
                    .read(
                        "query RefLeads($c: ID!, $after: String) { leads(filter: { campaignId: $c }, first: 100, after: $after) { edges { node { source createdAt } } pageInfo { hasNextPage endCursor } } }",
                        json!({ "c": c.to_string(), "after": after }),
                    )
                    .await?;
                for edge in arr(&data["leads"]["edges"]) {
                    let day = edge["node"]["createdAt"]
                        .as_str()
                        .and_then(|s| s.get(..10))
                        .and_then(|d| d.parse().ok());
                    if in_period(day, e.from, e.to) {
                        *counts
                            .entry(edge["node"]["source"].as_str().unwrap_or("").to_string())
                            .or_default() += 1;
                    }
                }
                if data["leads"]["pageInfo"]["hasNextPage"] != json!(true) {
                    break;
                }
                after = data["leads"]["pageInfo"]["endCursor"].clone();
            }
            let total: i64 = counts.values().sum();
            let mut keys = vec![total.to_string()];
            keys.extend(counts.iter().map(|(c, n)| format!("{c}={n}")));
            (keys, vec![])
        }
        "spend_vs_budget" => {
            let (from, to) = org_period();
            let mut rows: BTreeMap<String, (f64, f64)> = BTreeMap::new();
            for id in org.campaigns.values() {
                for (_, channel, status, start, end, daily, s, _) in
                    ad_sums(r, *id, from, to).await?
                {
                    let row = rows.entry(channel).or_default();
                    row.0 += s[2];
                    if status != "DRAFT" {
                        let (f, t) = (start.max(from), end.min(to));
                        if t >= f {
                            row.1 += daily * ((t - f).num_days() + 1) as f64;
                        }
                    }
                }
            }
            let wanted = e.channels.clone().unwrap_or_default();
            let mut keys: Vec<String> = rows
                .iter()
                .filter(|(c, (spend, budget))| {
                    (wanted.is_empty() || wanted.contains(c)) && (*spend > 0.0 || *budget > 0.0)
                })
                .map(|(c, (spend, budget))| format!("{c}:{}:{}", money(*spend), money(*budget)))
                .collect();
            keys.sort();
            (keys, vec![])
        }
        "funnel" => {
            let c = campaign.context("a campaign")?;
            let mut stages: BTreeMap<String, i64> = BTreeMap::new();
            let mut after: Value = Value::Null;
            loop {
                let data = r
                    .read(
                        "query RefStages($c: ID!, $after: String) { leads(filter: { campaignId: $c }, first: 100, after: $after) { edges { node { stage } } pageInfo { hasNextPage endCursor } } }",
                        json!({ "c": c.to_string(), "after": after }),
                    )
                    .await?;
                for edge in arr(&data["leads"]["edges"]) {
                    *stages
                        .entry(edge["node"]["stage"].as_str().unwrap_or("").to_lowercase())
                        .or_default() += 1;
                }
                if data["leads"]["pageInfo"]["hasNextPage"] != json!(true) {
                    break;
                }
                after = data["leads"]["pageInfo"]["endCursor"].clone();
            }
            let total: i64 = stages.values().sum();
            let mut keys: Vec<String> = ["iql", "mql", "sql", "opportunity", "won", "lost"]
                .iter()
                .map(|s| stages.get(*s).copied().unwrap_or(0).to_string())
                .collect();
            keys.push(total.to_string());
            (keys.clone(), vec![])
        }
        "campaign_revenue" => {
            let c = campaign.context("a campaign")?;
            let data = r
                .read("query RefRevenue($c: ID!) { campaign(id: $c) { salesCount revenue { amount } } }", json!({ "c": c.to_string() }))
                .await?;
            let mut keys = vec![data["campaign"]["salesCount"].to_string()];
            keys.extend(
                arr(&data["campaign"]["revenue"])
                    .iter()
                    .map(|m| money(num(&m["amount"]))),
            );
            (keys, vec![data["campaign"]["salesCount"].to_string()])
        }
        "top_ads" | "best_channel" => {
            let c = campaign.context("a campaign")?;
            let (from, to) = match e.from.zip(e.to) {
                Some(p) => p,
                None => campaign_dates(r, c).await?,
            };
            let metric = e.metric.clone().unwrap_or_else(|| "CONVERSIONS".into());
            let ads = ad_sums(r, c, from, to).await?;
            if e.kind == "top_ads" {
                // Rank 1 of each channel (ties share it), among ads with figures in the period.
                let mut best: BTreeMap<String, f64> = BTreeMap::new();
                for (_, channel, _, _, _, _, s, has) in &ads {
                    if let (true, Some(v)) = (*has, metric_of(s, &metric)) {
                        let b = best.entry(channel.clone()).or_insert(f64::MIN);
                        *b = b.max(v);
                    }
                }
                let mut names: Vec<String> = ads
                    .iter()
                    .filter(|(_, channel, _, _, _, _, s, has)| {
                        *has && metric_of(s, &metric)
                            .zip(best.get(channel))
                            .is_some_and(|(v, b)| (v - b).abs() < 1e-12)
                    })
                    .map(|a| a.0.clone())
                    .collect();
                names.sort();
                (names.clone(), names)
            } else {
                let mut per: BTreeMap<String, [f64; 5]> = BTreeMap::new();
                for (_, channel, _, _, _, _, s, has) in &ads {
                    if *has {
                        let p = per.entry(channel.clone()).or_default();
                        for i in 0..5 {
                            p[i] += s[i];
                        }
                    }
                }
                let top = per
                    .iter()
                    .max_by(|a, b| {
                        metric_of(a.1, &metric)
                            .unwrap_or(f64::MIN)
                            .total_cmp(&metric_of(b.1, &metric).unwrap_or(f64::MIN))
                            .then_with(|| b.0.cmp(a.0))
                    })
                    .map(|(c, _)| c.clone());
                let mut keys: Vec<String> = top.clone().into_iter().collect();
                keys.extend(per.iter().map(|(c, s)| format!("{c}={}", s[3] as i64)));
                (keys, top.into_iter().collect())
            }
        }
        "campaign_budget" => {
            let c = campaign.context("a campaign")?;
            let data = r
                .read(
                    "query RefBudget($c: ID!) { campaign(id: $c) { budget { total { amount } spent { amount } available { amount } } } }",
                    json!({ "c": c.to_string() }),
                )
                .await?;
            let b = &data["campaign"]["budget"];
            (
                vec![
                    money(num(&b["total"]["amount"])),
                    money(num(&b["spent"]["amount"])),
                    money(num(&b["available"]["amount"])),
                ],
                vec![],
            )
        }
        "pending_approvals" => {
            let data = r
                .read(
                    "query RefApprovals($o: ID) { pendingApprovals(organizationId: $o, first: 50) { campaign { name } } }",
                    json!({ "o": org.id.to_string() }),
                )
                .await?;
            let mut names: Vec<String> = arr(&data["pendingApprovals"])
                .iter()
                .map(|a| a["campaign"]["name"].as_str().unwrap_or("").to_string())
                .collect();
            names.sort();
            let mut keys = vec![names.len().to_string()];
            keys.extend(names.clone());
            (keys, names)
        }
        "campaigns_by_status" => {
            let statuses = e.statuses.clone().unwrap_or_default();
            let data = r
                .read(
                    "query RefCampaigns($o: ID!) { campaigns(filter: { organizationId: $o }, first: 100) { edges { node { name status } } } }",
                    json!({ "o": org.id.to_string() }),
                )
                .await?;
            let mut names: Vec<String> = arr(&data["campaigns"]["edges"])
                .iter()
                .filter(|c| {
                    statuses.is_empty() || statuses.iter().any(|s| c["node"]["status"] == json!(s))
                })
                .map(|c| c["node"]["name"].as_str().unwrap_or("").to_string())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            names.sort();
            (names.clone(), names)
        }
        other => anyhow::bail!("unknown kind {other} in the labels"),
    };
    Ok(Reference { keys, atoms })
}
