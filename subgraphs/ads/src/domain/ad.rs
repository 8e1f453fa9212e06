//! The rules of an ad's settings, for creation and for updates.

use chrono::NaiveDate;
use promptsales_kit::{ApiError, Decimal4};
use uuid::Uuid;

use super::{AdChannel, AdMove, AdStatus, BidStrategy};
use crate::store::{Ad, AdChanges, NewAd};

/// The longest name.
pub const MAX_NAME_LEN: usize = 200;
/// The most creatives one ad rotates.
pub const MAX_CREATIVES: usize = 50;
/// The longest platform name.
pub const MAX_PLATFORM_LEN: usize = 64;
/// The longest platform id.
pub const MAX_EXTERNAL_ID_LEN: usize = 128;

/// A change to a nullable field: keep it, clear it, or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Leave as it is.
    #[default]
    Keep,
    /// Set to null.
    Clear,
    /// Set to this.
    Set(T),
}

impl<T> Patch<T> {
    fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(v) => Some(v),
        }
    }
}

/// A new ad as a client states it (ids already parsed).
#[derive(Debug, Clone, PartialEq)]
pub struct AdFields {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The market; its organization becomes the ad's.
    pub market_id: Uuid,
    /// The channel.
    pub channel: AdChannel,
    /// The name.
    pub name: String,
    /// The daily budget in the market's currency.
    pub daily_budget: Decimal4,
    /// The bid strategy.
    pub bid_strategy: BidStrategy,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// The audience segment.
    pub audience_segment_id: Option<Uuid>,
    /// The creatives.
    pub creative_ids: Vec<Uuid>,
    /// The ad platform.
    pub platform: Option<String>,
    /// Its id there.
    pub external_id: Option<String>,
}

impl AdFields {
    /// Checks the fields and makes the ad to insert, in `organization_id`, as a `DRAFT`.
    pub fn into_new_ad(self, organization_id: Uuid) -> Result<NewAd, ApiError> {
        self.into_new_ad_at(organization_id, "input")
    }

    /// Like [`Self::into_new_ad`], naming fields under `prefix` (`input`, `ads[2]`).
    pub fn into_new_ad_at(self, organization_id: Uuid, prefix: &str) -> Result<NewAd, ApiError> {
        let f = |name: &str| format!("{prefix}.{name}");
        let name = clean_name(&self.name, &f("name"))?;
        check_budget(self.daily_budget, &f("dailyBudget"))?;
        check_dates(self.start_date, self.end_date, &f("endDate"))?;
        let creative_ids = clean_creatives(self.creative_ids, &f("creativeIds"))?;
        let platform = clean_text(self.platform, MAX_PLATFORM_LEN, &f("platform"))?;
        let external_id = clean_text(self.external_id, MAX_EXTERNAL_ID_LEN, &f("externalId"))?;
        check_platform_pair(&platform, &external_id, &f("externalId"))?;
        Ok(NewAd {
            id: None,
            organization_id,
            campaign_id: self.campaign_id,
            channel: self.channel,
            market_id: self.market_id,
            name,
            status: AdStatus::Draft,
            audience_segment_id: self.audience_segment_id,
            creative_ids,
            daily_budget: self.daily_budget,
            bid_strategy: self.bid_strategy,
            start_date: self.start_date,
            end_date: self.end_date,
            platform,
            external_id,
        })
    }
}

/// What an update changes; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new status (allowed moves only).
    pub status: Option<AdStatus>,
    /// A new daily budget.
    pub daily_budget: Option<Decimal4>,
    /// A new bid strategy.
    pub bid_strategy: Option<BidStrategy>,
    /// A new first day.
    pub start_date: Option<NaiveDate>,
    /// A new last day.
    pub end_date: Option<NaiveDate>,
    /// The audience segment.
    pub audience_segment_id: Patch<Uuid>,
    /// A new list of creatives (replaces the old one).
    pub creative_ids: Option<Vec<Uuid>>,
    /// The ad platform.
    pub platform: Patch<String>,
    /// Its id there.
    pub external_id: Patch<String>,
}

impl AdPatch {
    /// Applies the patch to `current`, checking the result as a whole (dates against each other, status moves).
    pub fn apply(self, current: &Ad) -> Result<AdChanges, ApiError> {
        let name = match &self.name {
            Some(n) => clean_name(n, "input.name")?,
            None => current.name.clone(),
        };
        let status = match self.status {
            Some(next) => current.status.transition(next, "input.status")?,
            None => current.status,
        };
        let daily_budget = self.daily_budget.unwrap_or(current.daily_budget);
        check_budget(daily_budget, "input.dailyBudget")?;
        let start_date = self.start_date.unwrap_or(current.start_date);
        // A running or paused ad has started (its read status says so within its dates): moving
        // its start past today would make it read SCHEDULED while the platform still serves it,
        // out of reach of the campaign's pause, which stops RUNNING and PAUSED ads only.
        if start_date != current.start_date
            && matches!(current.status, AdStatus::Running | AdStatus::Paused)
        {
            return Err(ApiError::bad_input(
                "input.startDate",
                format!(
                    "a {} ad has started: its start date cannot move",
                    current.status.code()
                ),
            ));
        }
        let end_date = self.end_date.unwrap_or(current.end_date);
        let date_field = if self.end_date.is_some() {
            "input.endDate"
        } else {
            "input.startDate"
        };
        check_dates(start_date, end_date, date_field)?;
        let creative_ids = match self.creative_ids {
            Some(ids) => clean_creatives(ids, "input.creativeIds")?,
            None => current.creative_ids.clone(),
        };
        let platform = clean_patch(self.platform, MAX_PLATFORM_LEN, "input.platform")?
            .apply(current.platform.clone());
        let external_field = if matches!(self.external_id, Patch::Keep) {
            "input.platform"
        } else {
            "input.externalId"
        };
        let external_id = clean_patch(self.external_id, MAX_EXTERNAL_ID_LEN, "input.externalId")?
            .apply(current.external_id.clone());
        check_platform_pair(&platform, &external_id, external_field)?;
        Ok(AdChanges {
            name,
            status,
            audience_segment_id: self.audience_segment_id.apply(current.audience_segment_id),
            creative_ids,
            daily_budget,
            bid_strategy: self.bid_strategy.unwrap_or(current.bid_strategy),
            start_date,
            end_date,
            platform,
            external_id,
        })
    }
}

/// The status move an update makes without naming one: an end date moved before `today` ends
/// a launched ad (SCHEDULED, RUNNING or PAUSED as it reads now). Without it the ad would only
/// read ENDED from its dates while the platform kept serving it; as an `End` move it goes
/// through the same stop as a pause (its platform told first, the change refused when the
/// platform cannot be reached) and releases what it will not spend.
pub fn implied_move(current: &Ad, changes: &AdChanges, today: NaiveDate) -> Option<AdMove> {
    (current.status.is_launched() && changes.end_date < today).then_some(AdMove::End)
}

/// Whether a platform's own report (the metrics webhook, which has no caller to ask sales
/// about the campaign with) may record figures for this ad: it reads RUNNING, or it ran to its
/// last day (written RUNNING, reading ENDED only because that day has passed), so a report of
/// its last days sent after them is not lost. Paused or stopped ads take no platform figures;
/// the days themselves are checked against the ad's dates when recorded.
pub fn takes_platform_figures(ad: &Ad) -> bool {
    ad.status == AdStatus::Running
        || (ad.status == AdStatus::Ended && ad.written_status == AdStatus::Running)
}

fn clean_name(name: &str, field: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_input(field, "name must not be empty"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::bad_input(
            field,
            format!("name must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    Ok(name.to_string())
}

fn check_budget(budget: Decimal4, field: &str) -> Result<(), ApiError> {
    if budget.is_negative() {
        return Err(ApiError::bad_input(
            field,
            format!("dailyBudget must be zero or more, got {budget}"),
        ));
    }
    Ok(())
}

fn check_dates(start: NaiveDate, end: NaiveDate, field: &str) -> Result<(), ApiError> {
    if end < start {
        return Err(ApiError::bad_input(
            field,
            format!("endDate ({end}) must not be before startDate ({start})"),
        ));
    }
    Ok(())
}

/// Drops repeated creatives (a repeat would only skew the rotation) and caps the list.
fn clean_creatives(ids: Vec<Uuid>, field: &str) -> Result<Vec<Uuid>, ApiError> {
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    if unique.len() > MAX_CREATIVES {
        return Err(ApiError::bad_input(
            field,
            format!("an ad takes at most {MAX_CREATIVES} creatives"),
        ));
    }
    Ok(unique)
}

fn clean_str(text: &str, max: usize, field: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be empty (use null to leave it unset)"),
        ));
    }
    if text.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(text.to_string())
}

fn clean_text(text: Option<String>, max: usize, field: &str) -> Result<Option<String>, ApiError> {
    text.map(|t| clean_str(&t, max, field)).transpose()
}

fn clean_patch(patch: Patch<String>, max: usize, field: &str) -> Result<Patch<String>, ApiError> {
    Ok(match patch {
        Patch::Set(text) => Patch::Set(clean_str(&text, max, field)?),
        other => other,
    })
}

fn check_platform_pair(
    platform: &Option<String>,
    external_id: &Option<String>,
    field: &str,
) -> Result<(), ApiError> {
    if external_id.is_some() && platform.is_none() {
        return Err(ApiError::bad_input(
            field,
            "an externalId needs the platform it belongs to",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Market;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
    }

    fn fields() -> AdFields {
        AdFields {
            campaign_id: Uuid::now_v7(),
            market_id: Uuid::now_v7(),
            channel: AdChannel::Instagram,
            name: "  Winter reel  ".into(),
            daily_budget: Decimal4::from_units(50),
            bid_strategy: BidStrategy::LowestCost,
            start_date: date(1),
            end_date: date(31),
            audience_segment_id: None,
            creative_ids: vec![],
            platform: None,
            external_id: None,
        }
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::BadInput { field, .. } => field,
            other => panic!("expected a bad input, got {other:?}"),
        }
    }

    #[test]
    fn a_new_ad_is_a_trimmed_draft() {
        let creative = Uuid::now_v7();
        let ad = AdFields {
            creative_ids: vec![creative, creative],
            ..fields()
        }
        .into_new_ad(Uuid::now_v7())
        .unwrap();
        assert_eq!(ad.name, "Winter reel");
        assert_eq!(ad.status, AdStatus::Draft);
        assert_eq!(ad.creative_ids, vec![creative]);
    }

    #[test]
    fn a_new_ad_names_the_field_at_fault() {
        let org = Uuid::now_v7();
        let cases = [
            (
                AdFields {
                    name: " ".into(),
                    ..fields()
                },
                "input.name",
            ),
            (
                AdFields {
                    daily_budget: Decimal4(-1),
                    ..fields()
                },
                "input.dailyBudget",
            ),
            (
                AdFields {
                    end_date: date(1) - chrono::Duration::days(1),
                    ..fields()
                },
                "input.endDate",
            ),
            (
                AdFields {
                    external_id: Some("123".into()),
                    ..fields()
                },
                "input.externalId",
            ),
        ];
        for (input, field) in cases {
            assert_eq!(field_of(input.into_new_ad(org).unwrap_err()), field);
        }
    }

    fn ad() -> Ad {
        let new = fields().into_new_ad(Uuid::now_v7()).unwrap();
        let now = chrono::Utc::now();
        Ad {
            id: Uuid::now_v7(),
            organization_id: new.organization_id,
            campaign_id: new.campaign_id,
            channel: new.channel,
            market: Market {
                id: new.market_id,
                organization_id: new.organization_id,
                country: "ES".into(),
                currency: "EUR".into(),
                language: "es".into(),
                created_at: now,
                updated_at: now,
            },
            name: new.name,
            status: new.status,
            written_status: new.status,
            audience_segment_id: Some(Uuid::now_v7()),
            creative_ids: new.creative_ids,
            daily_budget: new.daily_budget,
            bid_strategy: new.bid_strategy,
            start_date: new.start_date,
            end_date: new.end_date,
            platform: Some("meta".into()),
            external_id: Some("120210000001".into()),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_name() {
        let current = ad();
        let changes = AdPatch {
            name: Some("Reel B".into()),
            audience_segment_id: Patch::Clear,
            ..AdPatch::default()
        }
        .apply(&current)
        .unwrap();
        assert_eq!(changes.name, "Reel B");
        assert_eq!(changes.audience_segment_id, None);
        assert_eq!(changes.platform, current.platform);
        assert_eq!(changes.daily_budget, current.daily_budget);
    }

    #[test]
    fn a_patch_is_checked_against_the_ad_it_changes() {
        let current = ad();
        let early_end = AdPatch {
            end_date: Some(date(1) - chrono::Duration::days(2)),
            ..AdPatch::default()
        };
        assert_eq!(
            field_of(early_end.apply(&current).unwrap_err()),
            "input.endDate"
        );
        let late_start = AdPatch {
            start_date: Some(date(31) + chrono::Duration::days(1)),
            ..AdPatch::default()
        };
        assert_eq!(
            field_of(late_start.apply(&current).unwrap_err()),
            "input.startDate"
        );
        let running = AdPatch {
            status: Some(AdStatus::Running),
            ..AdPatch::default()
        };
        assert_eq!(
            field_of(running.apply(&current).unwrap_err()),
            "input.status"
        );
        let orphan = AdPatch {
            platform: Patch::Clear,
            ..AdPatch::default()
        };
        assert_eq!(
            field_of(orphan.apply(&current).unwrap_err()),
            "input.platform"
        );
    }

    #[test]
    fn an_end_date_before_today_ends_a_launched_ad_and_only_a_launched_one() {
        // The ad runs 1 to 31; today is the 20th.
        let today = date(20);
        let end_on = |status: AdStatus, end: u32| {
            let current = Ad { status, ..ad() };
            let changes = AdPatch {
                end_date: Some(date(end)),
                ..AdPatch::default()
            }
            .apply(&current)
            .unwrap();
            implied_move(&current, &changes, today)
        };
        for status in [AdStatus::Scheduled, AdStatus::Running, AdStatus::Paused] {
            assert_eq!(end_on(status, 19), Some(AdMove::End), "{status:?}");
            assert_eq!(
                end_on(status, 20),
                None,
                "{status:?}: today is still its day"
            );
            assert_eq!(end_on(status, 25), None, "{status:?}");
        }
        assert_eq!(end_on(AdStatus::Draft, 19), None, "a draft never ran");
        assert_eq!(end_on(AdStatus::Ended, 19), None, "already ended");
    }

    #[test]
    fn platform_figures_come_for_a_running_ad_or_one_that_ran_to_its_end() {
        let with = |status: AdStatus, written_status: AdStatus| {
            takes_platform_figures(&Ad {
                status,
                written_status,
                ..ad()
            })
        };
        assert!(with(AdStatus::Running, AdStatus::Running));
        assert!(
            with(AdStatus::Ended, AdStatus::Running),
            "past its end date, still written RUNNING"
        );
        for written in [AdStatus::Paused, AdStatus::Ended, AdStatus::Scheduled] {
            assert!(!with(AdStatus::Ended, written), "{written:?}");
        }
        assert!(!with(AdStatus::Paused, AdStatus::Paused));
        assert!(
            !with(AdStatus::Scheduled, AdStatus::Running),
            "before its start"
        );
    }
}
