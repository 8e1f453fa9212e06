//! The Meta Marketing API (Graph API) client: `POST /act_{account}/ads` to
//! publish, `POST /{ad_id}` with `status=PAUSED` to pause, and
//! `GET /{ad_id}/insights` (one row per day, paged) to pull figures.
//!
//! Meta attaches budgets and targeting to ad sets and images to ad creatives:
//! this client publishes into the configured ad set with the configured
//! creative. Turning content assets into Meta creatives (`/adimages`,
//! `/adcreatives`) is not implemented.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use promptsales_kit::Decimal4;
use promptsales_kit::config::Vars;
use serde::Deserialize;
use serde_json::json;

use super::{AdPlatform, PlatformDay, PlatformError};
use crate::domain::Performance;
use crate::store::Ad;

/// The Graph API version this client speaks.
pub const DEFAULT_API_URL: &str = "https://graph.facebook.com/v21.0";
/// The action counted as a conversion unless configured otherwise.
pub const DEFAULT_CONVERSION_ACTION: &str = "offsite_conversion.fb_pixel_purchase";
/// Pages of insights one pull follows at most (100 days each).
const MAX_PAGES: usize = 10;
const NAME: &str = "meta";

/// Where and as whom the client calls Meta.
#[derive(Clone, PartialEq, Eq)]
pub struct MetaConfig {
    /// Graph API base URL, with its version (`https://graph.facebook.com/v21.0`).
    pub api_url: String,
    /// A system-user access token (sent as a bearer token, never logged).
    pub access_token: String,
    /// The ad account, without the `act_` prefix.
    pub ad_account_id: String,
    /// The ad set new ads go into.
    pub adset_id: String,
    /// The ad creative new ads show.
    pub creative_id: String,
    /// The `action_type` counted as a conversion.
    pub conversion_action: String,
}

impl std::fmt::Debug for MetaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaConfig")
            .field("api_url", &self.api_url)
            .field("access_token", &"<redacted>")
            .field("ad_account_id", &self.ad_account_id)
            .field("adset_id", &self.adset_id)
            .finish()
    }
}

impl MetaConfig {
    /// From `PROMPTSALES_META_ACCESS_TOKEN`, `_AD_ACCOUNT_ID`, `_ADSET_ID`, `_CREATIVE_ID`
    /// (all required), `_API_URL` and `_CONVERSION_ACTION` (defaults above) of `vars`; `None` unless configured.
    pub fn from_vars(vars: &Vars) -> Option<Self> {
        let var = |name: &str| vars.text(&format!("PROMPTSALES_META_{name}"));
        Some(Self {
            access_token: var("ACCESS_TOKEN")?,
            ad_account_id: var("AD_ACCOUNT_ID")?,
            adset_id: var("ADSET_ID")?,
            creative_id: var("CREATIVE_ID")?,
            api_url: var("API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            conversion_action: var("CONVERSION_ACTION")
                .unwrap_or_else(|| DEFAULT_CONVERSION_ACTION.to_string()),
        })
    }
}

/// The Meta Marketing API client.
#[derive(Debug, Clone)]
pub struct MetaAdsClient {
    config: MetaConfig,
    http: reqwest::Client,
}

fn unavailable(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::Unavailable {
        platform: NAME,
        message: e.to_string(),
    }
}

#[derive(Deserialize)]
struct GraphError {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i64,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Insights {
    #[serde(default)]
    data: Vec<InsightRow>,
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
}

#[derive(Deserialize)]
struct InsightRow {
    date_start: NaiveDate,
    #[serde(default)]
    impressions: Option<String>,
    #[serde(default)]
    reach: Option<String>,
    #[serde(default)]
    clicks: Option<String>,
    #[serde(default)]
    spend: Option<String>,
    #[serde(default)]
    actions: Vec<ActionValue>,
    #[serde(default)]
    action_values: Vec<ActionValue>,
}

#[derive(Deserialize)]
struct ActionValue {
    action_type: String,
    value: String,
}

fn count(text: &Option<String>, what: &str) -> Result<i64, PlatformError> {
    match text {
        None => Ok(0),
        Some(t) => t
            .parse()
            .map_err(|_| unavailable(format!("unreadable {what} {t:?}"))),
    }
}

fn money(text: &str, what: &str) -> Result<Decimal4, PlatformError> {
    Decimal4::from_str(text).map_err(|_| unavailable(format!("unreadable {what} {text:?}")))
}

impl InsightRow {
    fn into_day(self, conversion_action: &str) -> Result<PlatformDay, PlatformError> {
        fn action<'a>(list: &'a [ActionValue], kind: &str) -> Option<&'a ActionValue> {
            list.iter().find(|a| a.action_type == kind)
        }
        let conversions = match action(&self.actions, conversion_action) {
            Some(a) => a
                .value
                .parse::<i64>()
                .map_err(|_| unavailable(format!("unreadable conversions {:?}", a.value)))?,
            None => 0,
        };
        let engagement = match action(&self.actions, "post_engagement") {
            Some(a) => a.value.parse::<i64>().unwrap_or(0),
            None => 0,
        };
        let conversion_value = match action(&self.action_values, conversion_action) {
            Some(a) => money(&a.value, "conversion value")?,
            None => Decimal4::ZERO,
        };
        Ok(PlatformDay {
            day: self.date_start,
            performance: Performance {
                impressions: count(&self.impressions, "impressions")?,
                reach: count(&self.reach, "reach")?,
                clicks: count(&self.clicks, "clicks")?,
                engagement,
                spend: self
                    .spend
                    .as_deref()
                    .map_or(Ok(Decimal4::ZERO), |s| money(s, "spend"))?,
                conversions,
                conversion_value,
            },
        })
    }
}

impl MetaAdsClient {
    /// A client over `config`.
    pub fn new(config: MetaConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        Self { config, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.config.api_url.trim_end_matches('/'), path)
    }

    async fn read<T: serde::de::DeserializeOwned>(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, PlatformError> {
        // `without_url`: request URLs may carry paging tokens; they stay out of errors and logs.
        let response = response.map_err(|e| unavailable(e.without_url()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(e.without_url()))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<GraphError>(&body)
                .map(|e| format!("{} (code {})", e.error.message, e.error.code))
                .unwrap_or_else(|_| format!("HTTP {status}"));
            return Err(if status.is_client_error() {
                PlatformError::Refused {
                    platform: NAME,
                    message,
                }
            } else {
                unavailable(message)
            });
        }
        serde_json::from_slice(&body).map_err(|e| unavailable(format!("unreadable answer: {e}")))
    }
}

#[async_trait]
impl AdPlatform for MetaAdsClient {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn publish(&self, ad: &Ad) -> Result<String, PlatformError> {
        let creative = json!({"creative_id": self.config.creative_id}).to_string();
        let form = [
            ("name", ad.name.as_str()),
            ("adset_id", self.config.adset_id.as_str()),
            ("creative", creative.as_str()),
            ("status", "ACTIVE"),
        ];
        let response = self
            .http
            .post(self.url(&format!("act_{}/ads", self.config.ad_account_id)))
            .bearer_auth(&self.config.access_token)
            .form(&form)
            .send()
            .await;
        let created: Created = Self::read(response).await?;
        Ok(created.id)
    }

    async fn pause(&self, external_id: &str) -> Result<(), PlatformError> {
        let response = self
            .http
            .post(self.url(external_id))
            .bearer_auth(&self.config.access_token)
            .form(&[("status", "PAUSED")])
            .send()
            .await;
        let _: serde_json::Value = Self::read(response).await?;
        Ok(())
    }

    async fn pull_metrics(
        &self,
        external_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PlatformDay>, PlatformError> {
        let time_range = json!({"since": from.to_string(), "until": to.to_string()}).to_string();
        let mut request = self
            .http
            .get(self.url(&format!("{external_id}/insights")))
            .query(&[
                (
                    "fields",
                    "impressions,reach,clicks,spend,actions,action_values",
                ),
                ("time_range", time_range.as_str()),
                ("time_increment", "1"),
                ("level", "ad"),
                ("limit", "100"),
            ]);
        let mut days = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Insights =
                Self::read(request.bearer_auth(&self.config.access_token).send().await).await?;
            for row in page.data {
                days.push(row.into_day(&self.config.conversion_action)?);
            }
            match page.paging.and_then(|p| p.next) {
                // The token goes only where the configured API lives, whatever a page says.
                Some(next) if next.starts_with(self.config.api_url.trim_end_matches('/')) => {
                    request = self.http.get(next);
                }
                Some(_) => return Err(unavailable("a paging link points outside the API")),
                None => break,
            }
        }
        days.sort_by_key(|d| d.day);
        Ok(days)
    }
}
