//! Each kind of question run: its operation's variables from the slots, then the figures
//! and a short text from the data the graph returned.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde_json::{Map, Value, json};

use super::answer::{cents, money, number};
use super::kinds::Kind;
use super::names::KnownCampaign;
use super::period::Period;
use super::plan::Understood;
use super::runner::{RunError, Runner};

/// Longest default period (the dashboard accepts 800 days, per-channel figures 366).
const MAX_DEFAULT_DAYS: i64 = 366;
/// Pages of leads read at most (100 each) for one campaign.
const MAX_LEAD_PAGES: usize = 50;

/// Why a planned question was not answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    /// An operation failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The question cannot be answered for this caller (said in words).
    #[error("{0}")]
    Cannot(String),
}

/// What a kind runs with.
pub struct Slots<'a> {
    /// What the planner read.
    pub understood: &'a Understood,
    /// Today, for default periods.
    pub today: NaiveDate,
    /// The caller's campaigns.
    pub campaigns: &'a [KnownCampaign],
}

/// A text and its figures.
pub type Output = (String, Value);

fn period_json(p: &Period) -> Value {
    json!({ "from": p.from.to_string(), "to": p.to.to_string() })
}

/// The period asked, else the caller's campaigns' run up to today (at most a year).
fn organization_period(slots: &Slots<'_>) -> Period {
    if let Some(p) = &slots.understood.period {
        return p.clone();
    }
    let to = slots.today;
    let earliest = slots.campaigns.iter().filter_map(|c| c.start).min();
    let from = earliest
        .unwrap_or(to)
        .max(to - Duration::days(MAX_DEFAULT_DAYS - 1))
        .min(to);
    Period {
        from,
        to,
        phrase: "your campaigns' run up to today".into(),
    }
}

/// The period asked, else the campaign's own dates (at most a year from its start).
fn campaign_period(slots: &Slots<'_>, campaign: &KnownCampaign) -> Period {
    if let Some(p) = &slots.understood.period {
        return p.clone();
    }
    let from = campaign.start.unwrap_or(slots.today);
    let to = campaign
        .end
        .unwrap_or(slots.today)
        .min(from + Duration::days(MAX_DEFAULT_DAYS - 1))
        .max(from);
    Period {
        from,
        to,
        phrase: "the campaign's run".into(),
    }
}

fn the_campaign<'a>(slots: &'a Slots<'_>) -> Result<&'a KnownCampaign, ExecError> {
    slots
        .understood
        .campaigns
        .first()
        .ok_or_else(|| ExecError::Cannot("name one of your campaigns".into()))
}

/// A campaign as the figures name it.
fn campaign_json(campaign: &KnownCampaign) -> Value {
    json!({ "id": campaign.id, "name": campaign.name })
}

fn vars(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn num_at(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer).and_then(number).unwrap_or(0.0)
}

fn int_at(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn list<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn label(channel: &str) -> String {
    let lower = channel.to_lowercase();
    match lower.as_str() {
        "tiktok" => "TikTok".into(),
        "linkedin" => "LinkedIn".into(),
        "youtube" => "YouTube".into(),
        "sms" | "tv" => channel.to_string(),
        "email" => "e-mail".into(),
        _ => {
            let mut c = lower.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

/// Runs `kind` for the slots.
pub async fn execute(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    match kind.id {
        "best_return" => best_return(kind, runner, slots).await,
        "organization_results" => organization_results(kind, runner, slots).await,
        "leads_by_channel" => leads_by_channel(kind, runner, slots).await,
        "spend_vs_budget" => spend_vs_budget(kind, runner, slots).await,
        "funnel" => funnel(kind, runner, slots).await,
        "campaign_revenue" => campaign_revenue(kind, runner, slots).await,
        "top_ads" => top_ads(kind, runner, slots).await,
        "best_channel" => best_channel(kind, runner, slots).await,
        "campaign_budget" => campaign_budget(kind, runner, slots).await,
        "pending_approvals" => pending_approvals(kind, runner).await,
        "campaigns_by_status" => campaigns_by_status(kind, runner, slots).await,
        other => Err(ExecError::Cannot(format!("no plan for {other}"))),
    }
}

async fn dashboard(
    kind: &Kind,
    runner: &mut Runner<'_>,
    period: &Period,
    best: i64,
) -> Result<Value, ExecError> {
    let Some(organization) = runner.caller().organization else {
        return Err(ExecError::Cannot(
            "organization results need a caller acting for one organization".into(),
        ));
    };
    Ok(runner
        .run(
            kind.operation,
            vars(json!({
                "organizationId": organization.to_string(),
                "from": period.from.to_string(),
                "to": period.to.to_string(),
                "best": best,
            })),
        )
        .await?)
}

async fn best_return(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let period = organization_period(slots);
    let data = dashboard(kind, runner, &period, 5).await?;
    let mut ranked = Vec::new();
    let mut lines = Vec::new();
    for (i, row) in list(&data, "/dashboard/bestCampaigns").iter().enumerate() {
        let name = str_at(row, "/campaign/name");
        let currency = str_at(row, "/figures/revenue/currency");
        let roi = row.pointer("/figures/roi").and_then(Value::as_f64);
        let revenue = num_at(row, "/figures/revenue/amount");
        let spend = num_at(row, "/figures/spend/amount");
        lines.push(format!(
            "{}. {name} (ROI {}, revenue {} on {} spent)",
            i + 1,
            roi.map_or("n/a".into(), |r| format!("{r:.2}")),
            money(revenue, currency),
            money(spend, currency)
        ));
        ranked.push(json!({
            "rank": i + 1,
            "campaignId": str_at(row, "/campaign/id"),
            "name": name,
            "roi": roi,
            "revenue": cents(revenue),
            "spend": cents(spend),
            "currency": currency,
        }));
    }
    let text = if ranked.is_empty() {
        format!(
            "No campaign had results from {} to {}.",
            period.from, period.to
        )
    } else {
        format!(
            "Best return from {} to {}: {}.",
            period.from,
            period.to,
            lines.join("; ")
        )
    };
    Ok((
        text,
        json!({ "period": period_json(&period), "campaigns": ranked }),
    ))
}

async fn organization_results(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let period = organization_period(slots);
    let data = dashboard(kind, runner, &period, 1).await?;
    let t = data
        .pointer("/dashboard/totals")
        .cloned()
        .unwrap_or(Value::Null);
    let currency = str_at(&t, "/spend/currency").to_string();
    let figures = json!({
        "period": period_json(&period),
        "spend": cents(num_at(&t, "/spend/amount")),
        "revenue": cents(num_at(&t, "/revenue/amount")),
        "currency": currency,
        "leads": int_at(&t, "/leads"),
        "customers": int_at(&t, "/customers"),
        "roi": t.get("roi").and_then(Value::as_f64),
        "costPerLead": t.pointer("/costPerLead/amount").and_then(number).map(cents),
        "impressions": int_at(&t, "/impressions"),
        "clicks": int_at(&t, "/clicks"),
    });
    let text = format!(
        "From {} to {}: {} spent, {} leads, {} customers, {} revenue{}{}.",
        period.from,
        period.to,
        money(num_at(&t, "/spend/amount"), &currency),
        int_at(&t, "/leads"),
        int_at(&t, "/customers"),
        money(num_at(&t, "/revenue/amount"), &currency),
        t.get("roi")
            .and_then(Value::as_f64)
            .map_or(String::new(), |r| format!(", ROI {r:.2}")),
        t.pointer("/costPerLead/amount")
            .and_then(number)
            .map_or(String::new(), |c| format!(
                ", {} per lead",
                money(c, &currency)
            )),
    );
    Ok((text, figures))
}

async fn leads_by_channel(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let campaign = the_campaign(slots)?;
    let period = slots.understood.period.clone();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut after: Option<String> = None;
    let mut total = 0;
    for _ in 0..MAX_LEAD_PAGES {
        let data = runner
            .run(
                kind.operation,
                vars(json!({ "campaignId": campaign.id, "first": 100, "after": after })),
            )
            .await?;
        for edge in list(&data, "/campaign/leads/edges") {
            let created = str_at(edge, "/node/createdAt");
            let day = created.get(..10).and_then(|d| d.parse::<NaiveDate>().ok());
            let inside = match (&period, day) {
                (None, _) => true,
                (Some(p), Some(d)) => p.from <= d && d <= p.to,
                (Some(_), None) => false,
            };
            if inside {
                *counts
                    .entry(str_at(edge, "/node/source").to_string())
                    .or_default() += 1;
                total += 1;
            }
        }
        let more = data
            .pointer("/campaign/leads/pageInfo/hasNextPage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        after = data
            .pointer("/campaign/leads/pageInfo/endCursor")
            .and_then(Value::as_str)
            .map(str::to_string);
        if !more || after.is_none() {
            break;
        }
    }
    let mut by_channel: Vec<(String, i64)> = counts.into_iter().collect();
    by_channel.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let when = period.as_ref().map_or(" since it began".to_string(), |p| {
        format!(" from {} to {}", p.from, p.to)
    });
    let text = if total == 0 {
        format!("{} brought no leads{when}.", campaign.name)
    } else {
        format!(
            "{} brought {total} lead{}{when}: {}.",
            campaign.name,
            if total == 1 { "" } else { "s" },
            by_channel
                .iter()
                .map(|(c, n)| format!("{} {n}", label(c)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok((
        text,
        json!({
            "campaign": campaign_json(campaign),
            "period": period.as_ref().map(period_json),
            "total": total,
            "byChannel": by_channel.iter().map(|(c, n)| json!({ "channel": c, "leads": n })).collect::<Vec<_>>(),
        }),
    ))
}

/// Days of `[start, end]` inside `period`.
fn overlap_days(start: Option<NaiveDate>, end: Option<NaiveDate>, period: &Period) -> i64 {
    let (Some(start), Some(end)) = (start, end) else {
        return 0;
    };
    let from = start.max(period.from);
    let to = end.min(period.to);
    if to < from {
        0
    } else {
        (to - from).num_days() + 1
    }
}

async fn spend_vs_budget(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let period = organization_period(slots);
    let data = runner
        .run(
            kind.operation,
            vars(json!({ "from": period.from.to_string(), "to": period.to.to_string(), "first": 100 })),
        )
        .await?;
    let wanted: Vec<&str> = slots.understood.channels.iter().map(|c| c.value).collect();
    // (channel, currency) -> (spend, planned budget)
    let mut rows: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for edge in list(&data, "/campaigns/edges") {
        for perf in list(edge, "/node/adPerformance") {
            let key = (
                str_at(perf, "/channel").to_string(),
                str_at(perf, "/currency").to_string(),
            );
            rows.entry(key).or_default().0 += num_at(perf, "/totals/spend");
        }
        for ad in list(edge, "/node/ads/edges") {
            if str_at(ad, "/node/status") == "DRAFT" {
                continue;
            }
            let days = overlap_days(
                str_at(ad, "/node/startDate").parse().ok(),
                str_at(ad, "/node/endDate").parse().ok(),
                &period,
            );
            if days == 0 {
                continue;
            }
            let key = (
                str_at(ad, "/node/channel").to_string(),
                str_at(ad, "/node/dailyBudget/currency").to_string(),
            );
            rows.entry(key).or_default().1 += num_at(ad, "/node/dailyBudget/amount") * days as f64;
        }
    }
    let rows: Vec<((String, String), (f64, f64))> = rows
        .into_iter()
        .filter(|((channel, _), (spend, budget))| {
            (wanted.is_empty() || wanted.contains(&channel.as_str()))
                && (*spend > 0.0 || *budget > 0.0)
        })
        .collect();
    let figures: Vec<Value> = rows
        .iter()
        .map(|((channel, currency), (spend, budget))| {
            json!({
                "channel": channel,
                "currency": currency,
                "spend": cents(*spend),
                "budget": cents(*budget),
                "share": (*budget > 0.0).then(|| ((spend / budget) * 1000.0).round() / 1000.0),
            })
        })
        .collect();
    let text = if rows.is_empty() {
        let on = if wanted.is_empty() {
            String::new()
        } else {
            format!(
                " on {}",
                slots
                    .understood
                    .channels
                    .iter()
                    .map(|c| c.label)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        format!(
            "No ads ran{on} from {} to {}: nothing spent, no budget planned.",
            period.from, period.to
        )
    } else {
        format!(
            "From {} to {}: {}.",
            period.from,
            period.to,
            rows.iter()
                .map(|((channel, currency), (spend, budget))| {
                    let share = if *budget > 0.0 {
                        format!(" ({:.0}%)", spend / budget * 100.0)
                    } else {
                        String::new()
                    };
                    format!(
                        "{} spent {} against a planned {}{share}",
                        label(channel),
                        money(*spend, currency),
                        money(*budget, currency)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    Ok((
        text,
        json!({
            "period": period_json(&period),
            "budgetBasis": "the ads' daily budgets times their days within the period (drafts left out)",
            "channels": figures,
        }),
    ))
}

async fn campaign_data(
    kind: &Kind,
    runner: &mut Runner<'_>,
    campaign: &KnownCampaign,
) -> Result<Value, ExecError> {
    Ok(runner
        .run(kind.operation, vars(json!({ "campaignId": campaign.id })))
        .await?)
}

async fn funnel(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let campaign = the_campaign(slots)?;
    let data = campaign_data(kind, runner, campaign).await?;
    let f = data
        .pointer("/campaign/leadFunnel")
        .cloned()
        .unwrap_or(Value::Null);
    let stages = ["iql", "mql", "sql", "opportunity", "won", "lost", "total"];
    let mut figures = Map::new();
    figures.insert("campaign".into(), campaign_json(campaign));
    for s in stages {
        figures.insert(s.into(), json!(int_at(&f, &format!("/{s}"))));
    }
    let text = format!(
        "{}'s funnel: {} IQL, {} MQL, {} SQL, {} opportunities, {} won, {} lost ({} leads).",
        campaign.name,
        int_at(&f, "/iql"),
        int_at(&f, "/mql"),
        int_at(&f, "/sql"),
        int_at(&f, "/opportunity"),
        int_at(&f, "/won"),
        int_at(&f, "/lost"),
        int_at(&f, "/total"),
    );
    Ok((text, Value::Object(figures)))
}

async fn campaign_revenue(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let campaign = the_campaign(slots)?;
    let data = campaign_data(kind, runner, campaign).await?;
    let revenue: Vec<(f64, String)> = list(&data, "/campaign/revenue")
        .iter()
        .map(|m| (num_at(m, "/amount"), str_at(m, "/currency").to_string()))
        .collect();
    let sales = int_at(&data, "/campaign/salesCount");
    let text = if revenue.is_empty() {
        format!("{} has no sales yet.", campaign.name)
    } else {
        format!(
            "{} brought {} from {sales} sale{}.",
            campaign.name,
            revenue
                .iter()
                .map(|(a, c)| money(*a, c))
                .collect::<Vec<_>>()
                .join(" and "),
            if sales == 1 { "" } else { "s" }
        )
    };
    Ok((
        text,
        json!({
            "campaign": campaign_json(campaign),
            "sales": sales,
            "revenue": revenue.iter().map(|(a, c)| json!({ "amount": cents(*a), "currency": c })).collect::<Vec<_>>(),
        }),
    ))
}

/// A campaign's ads and channels ranked by a metric (`adRanking`, `adPerformance`): what
/// `top_ads` and `best_channel` both read.
struct Ranked<'a> {
    campaign: &'a KnownCampaign,
    period: Period,
    /// The metric asked for (conversions unless the question said otherwise).
    by: &'static str,
    data: Value,
}

async fn ranked<'a>(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &'a Slots<'_>,
) -> Result<Ranked<'a>, ExecError> {
    let campaign = the_campaign(slots)?;
    let period = campaign_period(slots, campaign);
    let by = slots.understood.metric.unwrap_or("CONVERSIONS");
    let data = runner
        .run(
            kind.operation,
            vars(json!({
                "campaignId": campaign.id,
                "from": period.from.to_string(),
                "to": period.to.to_string(),
                "rankBy": by,
                "top": 3,
            })),
        )
        .await?;
    Ok(Ranked {
        campaign,
        period,
        by,
        data,
    })
}

fn no_ad_figures(campaign: &KnownCampaign, period: &Period) -> String {
    format!(
        "{} had no ad figures from {} to {}.",
        campaign.name, period.from, period.to
    )
}

async fn top_ads(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let Ranked {
        campaign,
        period,
        by,
        data,
    } = ranked(kind, runner, slots).await?;
    let ads: Vec<Value> = list(&data, "/campaign/adRanking")
        .iter()
        .map(|r| {
            json!({
                "rank": int_at(r, "/rank"),
                "channel": str_at(r, "/channel"),
                "adId": str_at(r, "/ad/id"),
                "name": str_at(r, "/ad/name"),
                "conversions": int_at(r, "/totals/conversions"),
                "ctr": r.pointer("/totals/ctr").and_then(Value::as_f64),
                "roas": r.pointer("/totals/roas").and_then(Value::as_f64),
                "spend": cents(num_at(r, "/totals/spend")),
            })
        })
        .collect();
    let firsts: Vec<String> = ads
        .iter()
        .filter(|a| a["rank"] == json!(1))
        .map(|a| format!("{} on {}", str_at(a, "/name"), label(str_at(a, "/channel"))))
        .collect();
    let text = if ads.is_empty() {
        no_ad_figures(campaign, &period)
    } else {
        format!(
            "{}'s best ads by {} from {} to {}: {}.",
            campaign.name,
            by.to_lowercase(),
            period.from,
            period.to,
            firsts.join("; ")
        )
    };
    Ok((
        text,
        json!({
            "campaign": campaign_json(campaign),
            "period": period_json(&period),
            "rankedBy": by,
            "ads": ads,
        }),
    ))
}

async fn best_channel(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let Ranked {
        campaign,
        period,
        by,
        data,
    } = ranked(kind, runner, slots).await?;
    // (channel, currency) -> sums over markets
    let mut sums: BTreeMap<(String, String), [f64; 5]> = BTreeMap::new();
    for row in list(&data, "/campaign/adPerformance") {
        let s = sums
            .entry((
                str_at(row, "/channel").to_string(),
                str_at(row, "/currency").to_string(),
            ))
            .or_default();
        s[0] += num_at(row, "/totals/impressions");
        s[1] += num_at(row, "/totals/clicks");
        s[2] += num_at(row, "/totals/spend");
        s[3] += num_at(row, "/totals/conversions");
        s[4] += num_at(row, "/totals/conversionValue");
    }
    let measure = |s: &[f64; 5]| match by {
        "CTR" => (s[0] > 0.0).then(|| s[1] / s[0]),
        "ROAS" => (s[2] > 0.0).then(|| s[4] / s[2]),
        _ => Some(s[3]),
    };
    let mut rows: Vec<(&(String, String), &[f64; 5])> = sums.iter().collect();
    rows.sort_by(|a, b| {
        measure(b.1)
            .unwrap_or(f64::MIN)
            .total_cmp(&measure(a.1).unwrap_or(f64::MIN))
            .then_with(|| a.0.cmp(b.0))
    });
    let channels: Vec<Value> = rows
        .iter()
        .map(|((channel, currency), s)| {
            json!({
                "channel": channel,
                "currency": currency,
                "impressions": s[0] as i64,
                "clicks": s[1] as i64,
                "spend": cents(s[2]),
                "conversions": s[3] as i64,
                "conversionValue": cents(s[4]),
                "ctr": (s[0] > 0.0).then(|| ((s[1] / s[0]) * 10_000.0).round() / 10_000.0),
                "roas": (s[2] > 0.0).then(|| ((s[4] / s[2]) * 100.0).round() / 100.0),
            })
        })
        .collect();
    let text = match rows.first() {
        None => no_ad_figures(campaign, &period),
        Some(((channel, currency), s)) => format!(
            "From {} to {}, {}'s best channel by {} was {} ({} conversions, {} spent{}).",
            period.from,
            period.to,
            campaign.name,
            by.to_lowercase(),
            label(channel),
            s[3] as i64,
            money(s[2], currency),
            if s[2] > 0.0 {
                format!(", ROAS {:.2}", s[4] / s[2])
            } else {
                String::new()
            }
        ),
    };
    Ok((
        text,
        json!({
            "campaign": campaign_json(campaign),
            "period": period_json(&period),
            "rankedBy": by,
            "channels": channels,
        }),
    ))
}

async fn campaign_budget(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let campaign = the_campaign(slots)?;
    let data = campaign_data(kind, runner, campaign).await?;
    let c = data.get("campaign").cloned().unwrap_or(Value::Null);
    let currency = str_at(&c, "/budget/total/currency").to_string();
    let total = num_at(&c, "/budget/total/amount");
    let spent = num_at(&c, "/budget/spent/amount");
    let available = num_at(&c, "/budget/available/amount");
    let text = format!(
        "{} ({}): budget {}, spent {}, {} left.",
        campaign.name,
        str_at(&c, "/status").to_lowercase(),
        money(total, &currency),
        money(spent, &currency),
        money(available, &currency)
    );
    Ok((
        text,
        json!({
            "campaign": campaign_json(campaign),
            "status": str_at(&c, "/status"),
            "currency": currency,
            "budget": cents(total),
            "spent": cents(spent),
            "available": cents(available),
            "adTotals": c.get("adTotals").cloned().unwrap_or(Value::Null),
        }),
    ))
}

async fn pending_approvals(kind: &Kind, runner: &mut Runner<'_>) -> Result<Output, ExecError> {
    let organization = runner.caller().organization.map(|o| o.to_string());
    let data = runner
        .run(
            kind.operation,
            vars(json!({ "organizationId": organization, "first": 50 })),
        )
        .await?;
    let approvals: Vec<Value> = list(&data, "/pendingApprovals")
        .iter()
        .map(|a| {
            json!({
                "id": str_at(a, "/id"),
                "kind": str_at(a, "/kind"),
                "round": int_at(a, "/round"),
                "requestedAt": str_at(a, "/requestedAt"),
                "campaign": { "id": str_at(a, "/campaign/id"), "name": str_at(a, "/campaign/name") },
            })
        })
        .collect();
    let text = if approvals.is_empty() {
        "No approval is waiting for a decision.".to_string()
    } else {
        format!(
            "{} approval{} waiting: {}.",
            approvals.len(),
            if approvals.len() == 1 { " is" } else { "s are" },
            approvals
                .iter()
                .map(|a| format!(
                    "{} of {}",
                    str_at(a, "/kind").to_lowercase(),
                    str_at(a, "/campaign/name")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok((text, json!({ "approvals": approvals })))
}

async fn campaigns_by_status(
    kind: &Kind,
    runner: &mut Runner<'_>,
    slots: &Slots<'_>,
) -> Result<Output, ExecError> {
    let statuses = &slots.understood.statuses;
    let filter = if statuses.is_empty() {
        Value::Null
    } else {
        json!({ "status": statuses })
    };
    let data = runner
        .run(
            kind.operation,
            vars(json!({ "filter": filter, "first": 100 })),
        )
        .await?;
    let campaigns: Vec<Value> = list(&data, "/campaigns/edges")
        .iter()
        .map(|e| {
            json!({
                "id": str_at(e, "/node/id"),
                "name": str_at(e, "/node/name"),
                "status": str_at(e, "/node/status"),
                "startDate": str_at(e, "/node/startDate"),
                "endDate": str_at(e, "/node/endDate"),
            })
        })
        .collect();
    let which = if statuses.is_empty() {
        "campaigns".to_string()
    } else {
        format!(
            "{} campaigns",
            statuses
                .iter()
                .map(|s| s.to_lowercase())
                .collect::<Vec<_>>()
                .join(" or ")
        )
    };
    let text = if campaigns.is_empty() {
        format!("You have no {which}.")
    } else {
        format!(
            "{} {which}: {}.",
            campaigns.len(),
            campaigns
                .iter()
                .map(|c| format!(
                    "{} ({})",
                    str_at(c, "/name"),
                    str_at(c, "/status").to_lowercase()
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok((text, json!({ "campaigns": campaigns })))
}
