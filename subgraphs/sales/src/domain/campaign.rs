//! Campaigns: status, budget, dates and what a valid campaign is.

use chrono::NaiveDate;
use promptsales_kit::StrEnum;
use promptsales_kit::{ApiError, ApiResult, Decimal4};
use uuid::Uuid;

use super::{country, objective, text};
use crate::store::{Campaign, CampaignUpdate, NewCampaign, NewObjective};

/// Where a campaign is in its life. Only creation (always `Draft`) is
/// decided here; moving between statuses is the approval workflow's job.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignStatus {
    /// Being prepared.
    Draft,
    /// Waiting for approval.
    PendingApproval,
    /// Approved, not yet running.
    Approved,
    /// Running.
    Active,
    /// Stopped for now.
    Paused,
    /// Ran to its end.
    Completed,
    /// Stopped for good.
    Cancelled,
}

impl CampaignStatus {
    /// The status of every new campaign.
    pub const INITIAL: Self = Self::Draft;

    /// Whether a campaign entering this status must have its ads stopped in ads
    /// (`reconcileCampaignAds`): paused, cancelled or completed. Which ad moves how is the ads
    /// domain's rule; sales only owes ads the news, durably (the `ads_reconcile_outbox` row
    /// written with the status change, retried by `crate::reconcile` until ads confirms).
    pub fn stops_ads(self) -> bool {
        matches!(self, Self::Paused | Self::Cancelled | Self::Completed)
    }
}

/// Who may move money on a campaign in `status`: while it waits for approval its budget is
/// under review, so only an approver (sales admin, who may grant the BUDGET approval) may,
/// as only a reopened draft's budget may be changed by its owner (`updateCampaign`).
pub fn check_budget_movement(
    status: CampaignStatus,
    context: &promptsales_kit::RequestContext,
) -> Result<(), ApiError> {
    if status != CampaignStatus::PendingApproval {
        return Ok(());
    }
    context
        .require(
            promptsales_kit::context::Subsystem::Sales,
            promptsales_kit::context::Role::Admin,
        )
        .map_err(|_| {
            ApiError::Forbidden(
                "the campaign is waiting for approval: its budget moves only by an approver \
                 (sales admin), as a budget change needs its approval"
                    .into(),
            )
        })
}

/// A campaign's budget: what it may spend and what it has spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Budget {
    /// The total it may spend.
    pub total: Decimal4,
    /// What it has spent so far (never above `total`).
    pub spent: Decimal4,
}

impl Budget {
    /// What is left: derived, never stored, so it cannot disagree with the other two.
    pub fn available(&self) -> Decimal4 {
        Decimal4(self.total.raw().saturating_sub(self.spent.raw()))
    }
}

/// The fields an update may change; `None` keeps the current value, and
/// `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignPatch {
    /// New owner.
    pub owner_id: Option<Uuid>,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New key message.
    pub key_message: Option<Option<String>>,
    /// New intent.
    pub intent: Option<Option<String>>,
    /// New total budget.
    pub budget_total: Option<Decimal4>,
    /// New spent amount.
    pub budget_spent: Option<Decimal4>,
    /// New currency.
    pub currency: Option<String>,
    /// New first day.
    pub start_date: Option<NaiveDate>,
    /// New last day.
    pub end_date: Option<NaiveDate>,
    /// New industry.
    pub industry: Option<Option<String>>,
    /// New target countries.
    pub target_countries: Option<Vec<String>>,
    /// New products (replacing the old list).
    pub product_ids: Option<Vec<Uuid>>,
    /// New objectives (replacing the old ones).
    pub objectives: Option<Vec<NewObjective>>,
}

/// More products than this is a catalogue, not a campaign.
pub const MAX_PRODUCTS: usize = 50;

fn budget(
    budget: Budget,
    total_field: &str,
    spent_field: &str,
    blame_spent: bool,
) -> ApiResult<Budget> {
    text::non_negative(total_field, budget.total)?;
    text::non_negative(spent_field, budget.spent)?;
    if budget.spent > budget.total {
        let field = if blame_spent {
            spent_field
        } else {
            total_field
        };
        return Err(ApiError::bad_input(
            field,
            format!(
                "the spent amount ({}) may not exceed the total budget ({})",
                budget.spent, budget.total
            ),
        ));
    }
    Ok(budget)
}

fn dates(start: NaiveDate, end: NaiveDate, field: &str) -> ApiResult<()> {
    if end < start {
        return Err(ApiError::bad_input(
            field,
            format!("the end date ({end}) may not be before the start date ({start})"),
        ));
    }
    Ok(())
}

fn products(field: &str, ids: Vec<Uuid>) -> ApiResult<Vec<Uuid>> {
    let mut out: Vec<Uuid> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.len() > MAX_PRODUCTS {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} may name at most {MAX_PRODUCTS} products, got {}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Validates and normalises a campaign to create; fields are named as in `CreateCampaignInput`.
pub fn validate_new(new: NewCampaign) -> ApiResult<NewCampaign> {
    dates(new.start_date, new.end_date, "input.endDate")?;
    Ok(NewCampaign {
        name: text::required("input.name", &new.name, 200)?,
        description: text::optional("input.description", new.description.as_deref(), 5_000)?,
        key_message: text::optional("input.keyMessage", new.key_message.as_deref(), 500)?,
        intent: text::optional("input.intent", new.intent.as_deref(), 1_000)?,
        budget: budget(new.budget, "input.budget", "input.budget", false)?,
        currency: text::currency("input.currency", &new.currency)?,
        industry: text::optional("input.industry", new.industry.as_deref(), 100)?,
        target_countries: country::countries("input.targetCountries", &new.target_countries)?,
        product_ids: products("input.productIds", new.product_ids)?,
        objectives: objective::validate_all("input.objectives", new.objectives)?,
        ..new
    })
}

/// The campaign with `patch` applied; the merged result must pass the same
/// rules as a new one. Fields are named as in `UpdateCampaignInput`.
pub fn apply(current: Campaign, patch: CampaignPatch) -> ApiResult<CampaignUpdate> {
    // What the approvals covered (budget, dates, message, targets, objectives, products) is
    // frozen once a campaign leaves draft: reopen it (back to draft) and resubmit, or move
    // money through budget movements. Names, descriptions and owners stay editable.
    if current.status != CampaignStatus::Draft {
        let approved = [
            ("input.budget", patch.budget_total.is_some()),
            ("input.spent", patch.budget_spent.is_some()),
            ("input.currency", patch.currency.is_some()),
            ("input.startDate", patch.start_date.is_some()),
            ("input.endDate", patch.end_date.is_some()),
            ("input.keyMessage", patch.key_message.is_some()),
            ("input.targetCountries", patch.target_countries.is_some()),
            ("input.productIds", patch.product_ids.is_some()),
            ("input.objectives", patch.objectives.is_some()),
        ];
        if let Some((field, _)) = approved.iter().find(|(_, changed)| *changed) {
            return Err(ApiError::Conflict(format!(
                "{field} cannot change while the campaign is {}: it was submitted for approval; \
                 reopen it as a draft and resubmit (budgets move through budget movements)",
                current.status.as_str()
            )));
        }
    }
    let optional =
        |field: &str, new: Option<Option<String>>, old: Option<String>, max: usize| match new {
            Some(value) => text::optional(field, value.as_deref(), max),
            None => Ok(old),
        };
    let start_date = patch.start_date.unwrap_or(current.start_date);
    let end_date = patch.end_date.unwrap_or(current.end_date);
    let date_field = if patch.end_date.is_some() {
        "input.endDate"
    } else {
        "input.startDate"
    };
    dates(start_date, end_date, date_field)?;
    let merged_budget = Budget {
        total: patch.budget_total.unwrap_or(current.budget.total),
        spent: patch.budget_spent.unwrap_or(current.budget.spent),
    };
    let campaign = Campaign {
        owner_id: patch.owner_id.unwrap_or(current.owner_id),
        name: match patch.name {
            Some(v) => text::required("input.name", &v, 200)?,
            None => current.name,
        },
        description: optional(
            "input.description",
            patch.description,
            current.description,
            5_000,
        )?,
        key_message: optional(
            "input.keyMessage",
            patch.key_message,
            current.key_message,
            500,
        )?,
        intent: optional("input.intent", patch.intent, current.intent, 1_000)?,
        budget: budget(
            merged_budget,
            "input.budget",
            "input.spent",
            patch.budget_spent.is_some(),
        )?,
        currency: match patch.currency {
            Some(v) => text::currency("input.currency", &v)?,
            None => current.currency,
        },
        start_date,
        end_date,
        industry: optional("input.industry", patch.industry, current.industry, 100)?,
        target_countries: match patch.target_countries {
            Some(v) => country::countries("input.targetCountries", &v)?,
            None => current.target_countries,
        },
        ..current
    };
    Ok(CampaignUpdate {
        campaign,
        product_ids: patch
            .product_ids
            .map(|ids| products("input.productIds", ids))
            .transpose()?,
        objectives: patch
            .objectives
            .map(|o| objective::validate_all("input.objectives", o))
            .transpose()?,
    })
}

/// The text a listing searches campaign names for: trimmed, lower case (the
/// store compares it with the lower-cased name), blank meaning no search.
pub fn search(field: &str, text: Option<&str>) -> ApiResult<Option<String>> {
    Ok(text::optional(field, text, 200)?.map(|t| t.to_lowercase()))
}

/// Checks the owner of a campaign: a user of its organization, still active.
pub fn check_owner(
    field: &str,
    owner: Option<&crate::store::User>,
    organization_id: Uuid,
) -> ApiResult<()> {
    match owner {
        Some(user) if user.organization_id == organization_id && user.active => Ok(()),
        Some(user) if user.organization_id == organization_id => Err(ApiError::bad_input(
            field,
            format!("{field}: user {} is not active", user.id),
        )),
        _ => Err(ApiError::bad_input(
            field,
            format!("{field} must be a user of organization {organization_id}"),
        )),
    }
}

/// Checks that every product named belongs to the campaign's organization (`found` is what the store returned).
pub fn check_products(
    field: &str,
    ids: &[Uuid],
    found: &[crate::store::Product],
    organization_id: Uuid,
) -> ApiResult<()> {
    for (i, id) in ids.iter().enumerate() {
        if !found
            .iter()
            .any(|p| p.id == *id && p.organization_id == organization_id)
        {
            return Err(ApiError::bad_input(
                format!("{field}[{i}]"),
                format!(
                    "{field}[{i}]: product {id} is not a product of organization {organization_id}"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::objective::ObjectiveKind;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 9, d).unwrap_or_default()
    }

    fn new_campaign() -> NewCampaign {
        NewCampaign {
            id: None,
            organization_id: Uuid::nil(),
            owner_id: Uuid::nil(),
            name: " Winter ".into(),
            description: Some("".into()),
            key_message: None,
            intent: None,
            status: CampaignStatus::INITIAL,
            budget: Budget {
                total: Decimal4::from_units(100),
                spent: Decimal4::ZERO,
            },
            currency: "eur".into(),
            start_date: day(1),
            end_date: day(30),
            industry: None,
            target_countries: vec!["es".into()],
            product_ids: vec![],
            objectives: vec![NewObjective {
                id: None,
                kind: ObjectiveKind::Sales,
                metric: "revenue".into(),
                target: Decimal4::from_units(10),
                current: Decimal4::ZERO,
            }],
        }
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::BadInput { field, .. } => field,
            other => format!("not bad input: {}", other.message()),
        }
    }

    #[test]
    fn a_new_campaign_is_normalised() {
        let c = validate_new(new_campaign()).expect("valid");
        assert_eq!(c.name, "Winter");
        assert_eq!(c.description, None);
        assert_eq!(c.currency, "EUR");
        assert_eq!(c.target_countries, vec!["ES".to_string()]);
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut c = new_campaign();
        c.end_date = day(1);
        c.start_date = day(2);
        assert_eq!(field_of(validate_new(c).unwrap_err()), "input.endDate");
        let mut c = new_campaign();
        c.budget.total = Decimal4(-1);
        assert_eq!(field_of(validate_new(c).unwrap_err()), "input.budget");
        let mut c = new_campaign();
        c.objectives[0].target = Decimal4(-1);
        assert_eq!(
            field_of(validate_new(c).unwrap_err()),
            "input.objectives[0].target"
        );
    }

    #[test]
    fn updates_check_the_merged_campaign() {
        let new = validate_new(new_campaign()).expect("valid");
        let now = chrono::Utc::now();
        let current = Campaign {
            id: Uuid::nil(),
            organization_id: new.organization_id,
            owner_id: new.owner_id,
            name: new.name,
            description: new.description,
            key_message: new.key_message,
            intent: Some("sell".into()),
            status: new.status,
            budget: Budget {
                total: Decimal4::from_units(100),
                spent: Decimal4::from_units(40),
            },
            currency: new.currency,
            start_date: new.start_date,
            end_date: new.end_date,
            industry: None,
            target_countries: new.target_countries,
            created_at: now,
            updated_at: now,
        };
        let spent_too_much = CampaignPatch {
            budget_spent: Some(Decimal4::from_units(101)),
            ..Default::default()
        };
        assert_eq!(
            field_of(apply(current.clone(), spent_too_much).unwrap_err()),
            "input.spent"
        );
        let budget_too_low = CampaignPatch {
            budget_total: Some(Decimal4::from_units(39)),
            ..Default::default()
        };
        assert_eq!(
            field_of(apply(current.clone(), budget_too_low).unwrap_err()),
            "input.budget"
        );
        let starts_late = CampaignPatch {
            start_date: Some(day(30).succ_opt().unwrap_or_default()),
            ..Default::default()
        };
        assert_eq!(
            field_of(apply(current.clone(), starts_late).unwrap_err()),
            "input.startDate"
        );
        let clear = CampaignPatch {
            intent: Some(None),
            name: Some("Summer".into()),
            ..Default::default()
        };
        let updated = apply(current.clone(), clear).expect("valid").campaign;
        assert_eq!((updated.intent, updated.name.as_str()), (None, "Summer"));
        assert_eq!(updated.budget.available(), Decimal4::from_units(60));
        let submitted = Campaign {
            status: CampaignStatus::Approved,
            ..current.clone()
        };
        let rename = CampaignPatch {
            name: Some("Autumn".into()),
            ..Default::default()
        };
        assert!(
            apply(submitted.clone(), rename).is_ok(),
            "names stay editable"
        );
        let more = CampaignPatch {
            budget_total: Some(Decimal4::from_units(1_000)),
            ..Default::default()
        };
        let refused = apply(submitted, more).map(|_| ()).map_err(|e| e.code());
        assert_eq!(refused, Err("CONFLICT"), "an approved budget is frozen");
    }
}
