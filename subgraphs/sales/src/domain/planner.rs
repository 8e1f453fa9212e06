//! Turns a campaign strategy into a suggested plan: channels per audience
//! with a budget split, a calendar of tasks and the content to produce, with
//! the reasoning behind each choice.
//!
//! Channel weights come from the organization's own past results (return on
//! ad spend per channel, from the ads summaries) when it has enough of them,
//! and from defaults by objective and audience otherwise. Pure: the caller
//! reads the history and writes the plan.

use chrono::{Duration, NaiveDate};
use promptsales_kit::StrEnum;
use promptsales_kit::{ApiError, ApiResult, Decimal4};
use serde::{Deserialize, Serialize};

use super::objective::ObjectiveKind;
use super::text;

/// A population feature audiences are built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopulationFeature {
    /// Country (ISO code).
    Country,
    /// City.
    City,
    /// Age in years (a range).
    Age,
    /// Gender.
    Gender,
    /// Profession.
    Profession,
    /// Education level.
    Education,
    /// Workplace or industry.
    Workplace,
    /// Interests.
    Interests,
}

/// One condition of an audience: a feature and the values it takes (a list), or a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// The feature.
    pub feature: PopulationFeature,
    /// Accepted values (for list features).
    #[serde(default)]
    pub values: Vec<String>,
    /// Lowest value (for ranges such as age).
    pub min: Option<i32>,
    /// Highest value.
    pub max: Option<i32>,
}

/// A target audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Its name ("young urban runners").
    pub name: String,
    /// Its conditions; all must hold.
    pub criteria: Vec<Criterion>,
}

/// An objective of the strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyObjective {
    /// Kind (stored form of `ObjectiveKind`).
    pub kind: String,
    /// Metric.
    pub metric: String,
    /// Target value (decimal text).
    pub target: String,
}

/// What a marketer wants: the input of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    /// Campaign name.
    pub name: String,
    /// The message it repeats.
    pub key_message: String,
    /// What it should achieve, in words.
    pub intent: Option<String>,
    /// Who it speaks to.
    pub audiences: Vec<Audience>,
    /// Countries (ISO alpha-2).
    pub countries: Vec<String>,
    /// Objectives.
    pub objectives: Vec<StrategyObjective>,
    /// Total budget (ten-thousandths).
    pub budget: i64,
    /// Currency.
    pub currency: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
}

/// What one channel returned in the organization's past campaigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHistory {
    /// Channel code (ads subgraph).
    pub channel: String,
    /// Total spend.
    pub spend: Decimal4,
    /// Conversions.
    pub conversions: i64,
    /// Revenue attributed (conversion value).
    pub revenue: Decimal4,
}

/// Budget for one channel and audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAllocation {
    /// The audience (its name).
    pub audience: String,
    /// Channel code.
    pub channel: String,
    /// Share of the whole budget, in basis points (1/100 of a percent).
    pub share_bp: i64,
    /// Amount (ten-thousandths).
    pub budget: i64,
}

/// A task of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTask {
    /// `content_review`, `approval`, `publish` or `report`.
    pub kind: String,
    /// What to do.
    pub title: String,
    /// When.
    pub due_date: NaiveDate,
}

/// A piece of content to produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentItem {
    /// The audience.
    pub audience: String,
    /// Channel code.
    pub channel: String,
    /// `video`, `image` or `text`.
    pub format: String,
    /// How many variants.
    pub variants: i32,
    /// The brief for the writer or the model.
    pub brief: String,
}

/// The suggested plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Channels per audience and their budget.
    pub allocations: Vec<ChannelAllocation>,
    /// The calendar.
    pub tasks: Vec<PlannedTask>,
    /// The content to produce.
    pub content: Vec<ContentItem>,
    /// Why, one sentence per decision.
    pub reasoning: Vec<String>,
    /// Whether past results drove the split (otherwise defaults did).
    pub based_on_history: bool,
}

/// Past spend below this (in units) is too little to learn from.
pub const MIN_HISTORY_SPEND_UNITS: i64 = 500;
/// Most audiences a strategy may have.
pub const MAX_AUDIENCES: usize = 10;
/// Most channels used per audience.
pub const CHANNELS_PER_AUDIENCE: usize = 3;

/// Validates and normalises a strategy (fields named as in `CampaignStrategyInput`).
pub fn validate(strategy: Strategy) -> ApiResult<Strategy> {
    if strategy.end_date < strategy.start_date {
        return Err(ApiError::bad_input(
            "input.endDate",
            format!(
                "the end date ({}) may not be before the start date ({})",
                strategy.end_date, strategy.start_date
            ),
        ));
    }
    if strategy.budget <= 0 {
        return Err(ApiError::bad_input(
            "input.budget",
            "the budget must be above zero",
        ));
    }
    if strategy.audiences.is_empty() || strategy.audiences.len() > MAX_AUDIENCES {
        return Err(ApiError::bad_input(
            "input.audiences",
            format!("a strategy needs 1 to {MAX_AUDIENCES} audiences"),
        ));
    }
    let mut audiences = Vec::with_capacity(strategy.audiences.len());
    for (i, audience) in strategy.audiences.into_iter().enumerate() {
        let name = text::required(&format!("input.audiences[{i}].name"), &audience.name, 100)?;
        if audiences.iter().any(|a: &Audience| a.name == name) {
            return Err(ApiError::bad_input(
                format!("input.audiences[{i}].name"),
                format!("audience {name:?} is named twice"),
            ));
        }
        for (j, c) in audience.criteria.iter().enumerate() {
            let field = format!("input.audiences[{i}].criteria[{j}]");
            let range = c.min.is_some() || c.max.is_some();
            if c.values.is_empty() && !range {
                return Err(ApiError::bad_input(
                    field,
                    "a criterion needs values or a range",
                ));
            }
            if let (Some(min), Some(max)) = (c.min, c.max)
                && min > max
            {
                return Err(ApiError::bad_input(
                    field,
                    format!("min ({min}) is above max ({max})"),
                ));
            }
            if c.feature == PopulationFeature::Age
                && [c.min, c.max]
                    .iter()
                    .flatten()
                    .any(|a| !(0..=120).contains(a))
            {
                return Err(ApiError::bad_input(field, "ages are between 0 and 120"));
            }
        }
        audiences.push(Audience {
            name,
            criteria: audience.criteria,
        });
    }
    for (i, o) in strategy.objectives.iter().enumerate() {
        if ObjectiveKind::parse(&o.kind).is_none() {
            return Err(ApiError::bad_input(
                format!("input.objectives[{i}].kind"),
                format!("unknown objective kind {:?}", o.kind),
            ));
        }
    }
    Ok(Strategy {
        name: text::required("input.name", &strategy.name, 200)?,
        key_message: text::required("input.keyMessage", &strategy.key_message, 500)?,
        intent: text::optional("input.intent", strategy.intent.as_deref(), 1_000)?,
        audiences,
        countries: super::country::countries("input.countries", &strategy.countries)?,
        currency: text::currency("input.currency", &strategy.currency)?,
        ..strategy
    })
}

/// Default channel weights (per thousand) for an audience, by what the campaign aims at and who it speaks to.
fn default_channels(
    strategy: &Strategy,
    audience: &Audience,
) -> (Vec<(&'static str, i64)>, String) {
    let kinds: Vec<ObjectiveKind> = strategy
        .objectives
        .iter()
        .filter_map(|o| ObjectiveKind::parse(&o.kind))
        .collect();
    let has = |f: PopulationFeature| audience.criteria.iter().any(|c| c.feature == f);
    let young = audience
        .criteria
        .iter()
        .any(|c| c.feature == PopulationFeature::Age && c.max.is_some_and(|m| m <= 30));
    if has(PopulationFeature::Profession) || has(PopulationFeature::Workplace) {
        return (
            vec![("linkedin", 500), ("google", 300), ("email", 200)],
            format!(
                "{}: targeted by profession or workplace, so LinkedIn leads, with search and e-mail",
                audience.name
            ),
        );
    }
    if young {
        return (
            vec![("tiktok", 450), ("instagram", 400), ("youtube", 150)],
            format!(
                "{}: an audience under 30, so short video first (TikTok, Instagram)",
                audience.name
            ),
        );
    }
    if kinds.contains(&ObjectiveKind::Awareness) && !kinds.contains(&ObjectiveKind::Sales) {
        return (
            vec![("instagram", 400), ("facebook", 350), ("youtube", 250)],
            format!(
                "{}: awareness, so reach-oriented social and video",
                audience.name
            ),
        );
    }
    if kinds.contains(&ObjectiveKind::LeadGeneration) {
        return (
            vec![("google", 450), ("linkedin", 300), ("email", 250)],
            format!(
                "{}: lead generation, so search intent first, then LinkedIn and e-mail",
                audience.name
            ),
        );
    }
    (
        vec![("google", 400), ("facebook", 350), ("instagram", 250)],
        format!(
            "{}: sales and conversions, so search intent first, then social retargeting",
            audience.name
        ),
    )
}

/// Channel weights learnt from history: return on ad spend per channel, best first.
fn learnt_channels(history: &[ChannelHistory]) -> Option<(Vec<(String, i64)>, String)> {
    let total: i64 = history.iter().map(|h| h.spend.raw()).sum();
    if total < Decimal4::from_units(MIN_HISTORY_SPEND_UNITS).raw() {
        return None;
    }
    let mut scored: Vec<(String, f64)> = history
        .iter()
        .filter(|h| h.spend.raw() > 0)
        .map(|h| (h.channel.clone(), h.revenue.ratio(h.spend).unwrap_or(0.0)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(CHANNELS_PER_AUDIENCE);
    let sum: f64 = scored.iter().map(|(_, r)| r.max(0.01)).sum();
    if scored.is_empty() || sum <= 0.0 {
        return None;
    }
    let described = scored
        .iter()
        .map(|(c, r)| format!("{c} (return {r:.2}x)"))
        .collect::<Vec<_>>()
        .join(", ");
    let weights = scored
        .into_iter()
        .map(|(c, r)| (c, ((r.max(0.01) / sum) * 1_000.0).round() as i64))
        .collect();
    Some((
        weights,
        format!("past results favour {described}, so the budget follows their return on spend"),
    ))
}

/// Splits `amount` by `weights` exactly: the rounding remainder goes to the first (largest) share.
fn split(amount: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum::<i64>().max(1);
    let mut parts: Vec<i64> = weights
        .iter()
        .map(|w| (i128::from(amount) * i128::from(*w) / i128::from(sum)) as i64)
        .collect();
    let rest = amount - parts.iter().sum::<i64>();
    if let Some(first) = parts.first_mut() {
        *first += rest;
    }
    parts
}

fn format_of(channel: &str) -> &'static str {
    match channel {
        "tiktok" | "youtube" => "video",
        "instagram" | "facebook" => "image",
        _ => "text",
    }
}

/// The suggested plan for a validated strategy, given the organization's channel history.
pub fn propose(strategy: &Strategy, history: &[ChannelHistory], today: NaiveDate) -> Plan {
    let mut reasoning = Vec::new();
    let learnt = learnt_channels(history);
    let based_on_history = learnt.is_some();
    match &learnt {
        Some((_, why)) => reasoning.push(format!("History: {why}.")),
        None => reasoning.push(
            "No past results worth learning from (under 500 spent on ads): sensible defaults by objective and audience.".to_string(),
        ),
    }
    // Audiences share the budget equally: the plan has no reach estimate to weigh them by.
    let per_audience = split(strategy.budget, &vec![1; strategy.audiences.len()]);
    reasoning.push(format!(
        "The budget is split equally across {} audience(s).",
        strategy.audiences.len()
    ));
    let mut allocations = Vec::new();
    let mut content = Vec::new();
    for (audience, amount) in strategy.audiences.iter().zip(per_audience) {
        let weights: Vec<(String, i64)> = match &learnt {
            Some((w, _)) => w.clone(),
            None => {
                let (w, why) = default_channels(strategy, audience);
                reasoning.push(format!("{why}."));
                w.into_iter().map(|(c, n)| (c.to_string(), n)).collect()
            }
        };
        let amounts = split(amount, &weights.iter().map(|(_, w)| *w).collect::<Vec<_>>());
        for ((channel, _), budget) in weights.iter().zip(amounts) {
            allocations.push(ChannelAllocation {
                audience: audience.name.clone(),
                channel: channel.clone(),
                share_bp: (i128::from(budget) * 10_000 / i128::from(strategy.budget.max(1))) as i64,
                budget,
            });
            content.push(ContentItem {
                audience: audience.name.clone(),
                channel: channel.clone(),
                format: format_of(channel).to_string(),
                // Three message variants per channel, as the content subsystem generates them.
                variants: 3,
                brief: format!(
                    "{} for {} on {}: \"{}\"",
                    format_of(channel),
                    audience.name,
                    channel,
                    strategy.key_message
                ),
            });
        }
    }
    let tasks = calendar(strategy.start_date, strategy.end_date, today);
    reasoning.push(format!(
        "Calendar: content review 14 days and approvals 10 and 7 days before the start, publication on {}, a report every 7 days and a final one 3 days after the end.",
        strategy.start_date
    ));
    Plan {
        allocations,
        tasks,
        content,
        reasoning,
        based_on_history,
    }
}

/// The plan's approval tasks, each with the approvals that complete it.
pub const APPROVAL_TASKS: [(&str, &[super::workflow::ApprovalKind]); 2] = {
    use super::workflow::ApprovalKind::*;
    [
        ("Approve budget and content", &[Budget, Content]),
        ("Approve schedule and launch", &[Schedule, Launch]),
    ]
};

/// The titles of the plan's approval tasks that `granted` (one round's grants) completes.
pub fn approval_tasks_done(granted: &[super::workflow::ApprovalKind]) -> Vec<&'static str> {
    APPROVAL_TASKS
        .iter()
        .filter(|(_, needs)| needs.iter().all(|k| granted.contains(k)))
        .map(|(title, _)| *title)
        .collect()
}

/// The task calendar of a campaign running `start..=end`, proposed on `today`: a task whose
/// lead time has already passed is due today, never before (an overdue alert the moment a
/// plan is proposed says nothing).
pub fn calendar(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Vec<PlannedTask> {
    let mut tasks = vec![
        PlannedTask {
            kind: "content_review".into(),
            title: "Review the drafted content".into(),
            due_date: start - Duration::days(14),
        },
        PlannedTask {
            kind: "approval".into(),
            title: APPROVAL_TASKS[0].0.into(),
            due_date: start - Duration::days(10),
        },
        PlannedTask {
            kind: "approval".into(),
            title: APPROVAL_TASKS[1].0.into(),
            due_date: start - Duration::days(7),
        },
        PlannedTask {
            kind: "publish".into(),
            title: "Publish the first wave".into(),
            due_date: start,
        },
    ];
    let mut day = start + Duration::days(7);
    let mut week = 1;
    while day < end {
        tasks.push(PlannedTask {
            kind: "report".into(),
            title: format!("Weekly report {week}"),
            due_date: day,
        });
        day += Duration::days(7);
        week += 1;
    }
    tasks.push(PlannedTask {
        kind: "report".into(),
        title: "Final report".into(),
        due_date: end + Duration::days(3),
    });
    for task in &mut tasks {
        task.due_date = task.due_date.max(today);
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    fn strategy(audiences: Vec<Audience>, kind: &str) -> Strategy {
        Strategy {
            name: " Spring ".into(),
            key_message: "Lighter shoes".into(),
            intent: None,
            audiences,
            countries: vec!["es".into()],
            objectives: vec![StrategyObjective {
                kind: kind.into(),
                metric: "revenue".into(),
                target: "1000".into(),
            }],
            budget: Decimal4::from_units(10_000).raw(),
            currency: "eur".into(),
            start_date: day(3, 1),
            end_date: day(3, 31),
        }
    }

    fn audience(name: &str, criteria: Vec<Criterion>) -> Audience {
        Audience {
            name: name.into(),
            criteria,
        }
    }

    fn age(min: i32, max: i32) -> Criterion {
        Criterion {
            feature: PopulationFeature::Age,
            values: vec![],
            min: Some(min),
            max: Some(max),
        }
    }

    #[test]
    fn defaults_follow_the_audience_and_the_budget_adds_up() {
        let pros = Criterion {
            feature: PopulationFeature::Profession,
            values: vec!["CTO".into()],
            min: None,
            max: None,
        };
        let s = validate(strategy(
            vec![
                audience("young", vec![age(18, 25)]),
                audience("ctos", vec![pros]),
            ],
            "sales",
        ))
        .expect("valid");
        assert_eq!(s.name, "Spring");
        let plan = propose(&s, &[], day(1, 1));
        assert!(!plan.based_on_history);
        assert_eq!(
            plan.allocations.iter().map(|a| a.budget).sum::<i64>(),
            s.budget
        );
        assert_eq!(plan.allocations[0].channel, "tiktok");
        assert!(
            plan.allocations
                .iter()
                .any(|a| a.audience == "ctos" && a.channel == "linkedin")
        );
        assert_eq!(plan.content.len(), plan.allocations.len());
        assert!(plan.content.iter().all(|c| c.variants == 3));
        assert!(plan.reasoning.iter().any(|r| r.contains("defaults")));
        // 4 fixed tasks, weekly reports on days 8, 15, 22, 29, and the final report.
        assert_eq!(plan.tasks.len(), 9);
        assert_eq!(plan.tasks.last().map(|t| t.due_date), Some(day(4, 3)));
        // Proposed the day before the start: nothing is due before that day.
        let late = propose(&s, &[], s.start_date - Duration::days(1));
        assert!(
            late.tasks
                .iter()
                .all(|t| t.due_date >= s.start_date - Duration::days(1)),
            "{:?}",
            late.tasks
        );
        assert_eq!(late.tasks[0].due_date, s.start_date - Duration::days(1));
    }

    #[test]
    fn approval_tasks_close_with_their_approvals() {
        use crate::domain::workflow::ApprovalKind::*;
        assert!(approval_tasks_done(&[Budget]).is_empty());
        assert_eq!(
            approval_tasks_done(&[Budget, Content, Schedule]),
            ["Approve budget and content"]
        );
        assert_eq!(
            approval_tasks_done(&[Budget, Content, Schedule, Launch]),
            ["Approve budget and content", "Approve schedule and launch"]
        );
    }

    #[test]
    fn history_moves_the_budget_to_what_returned_most() {
        let s =
            validate(strategy(vec![audience("all", vec![age(18, 65)])], "sales")).expect("valid");
        let h = |channel: &str, spend: i64, revenue: i64| ChannelHistory {
            channel: channel.into(),
            spend: Decimal4::from_units(spend),
            conversions: 1,
            revenue: Decimal4::from_units(revenue),
        };
        let history = [
            h("email", 1_000, 8_000),
            h("facebook", 1_000, 2_000),
            h("tiktok", 1_000, 500),
            h("sms", 1_000, 100),
        ];
        let plan = propose(&s, &history, day(1, 1));
        assert!(plan.based_on_history);
        let channels: Vec<&str> = plan
            .allocations
            .iter()
            .map(|a| a.channel.as_str())
            .collect();
        assert_eq!(channels, ["email", "facebook", "tiktok"]);
        assert!(plan.allocations[0].budget > plan.allocations[1].budget);
        assert_eq!(
            plan.allocations.iter().map(|a| a.budget).sum::<i64>(),
            s.budget
        );
        assert!(plan.reasoning[0].contains("email (return 8.00x)"));
        // Too little history is ignored.
        assert!(!propose(&s, &[h("email", 10, 1_000)], day(1, 1)).based_on_history);
    }

    #[test]
    fn bad_strategies_name_their_field() {
        let field = |s: Strategy| match validate(s) {
            Err(ApiError::BadInput { field, .. }) => field,
            other => format!("{other:?}"),
        };
        assert_eq!(field(strategy(vec![], "sales")), "input.audiences");
        assert_eq!(
            field(strategy(vec![audience("a", vec![age(40, 20)])], "sales")),
            "input.audiences[0].criteria[0]"
        );
        assert_eq!(
            field(strategy(vec![audience("a", vec![])], "fame")),
            "input.objectives[0].kind"
        );
        let mut s = strategy(vec![audience("a", vec![])], "sales");
        s.end_date = day(2, 1);
        assert_eq!(field(s), "input.endDate");
    }
}
