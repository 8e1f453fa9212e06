//! The ads subgraph's HTTP addition to the kit server: the platforms' metrics webhook.
//!
//! `POST /webhooks/ads/{platform}` takes `{"metrics": [{"externalId", "day",
//! "impressions", "reach", "clicks", "engagement", "spend", "conversions",
//! "conversionValue"}]}`, signed as [`crate::domain::signature`] says with the
//! platform's secret (`PROMPTSALES_ADS_WEBHOOK_SECRET_<PLATFORM>`), and records
//! every day or none: only for ads that read RUNNING or ran to their end date (a day reported
//! late; else `409 CONFLICT`), for days within the ad's dates and not after today (else `422`). Answers `200 {"recorded": n}`, or an error object with a code.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::NaiveDate;
use promptsales_kit::config::Vars;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, Decimal4};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::domain::Performance;
use crate::domain::ad::takes_platform_figures;
use crate::domain::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use crate::ingest::{self, DayReport};
use crate::live::LiveMetrics;
use crate::store::{Ad, AdsStore};

/// The variables of the platforms' webhook secrets: this prefix and the platform's name.
pub const WEBHOOK_SECRET_PREFIX: &str = "PROMPTSALES_ADS_WEBHOOK_SECRET_";
/// The default replay window, in seconds (`PROMPTSALES_ADS_WEBHOOK_TOLERANCE`).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The platforms' shared secrets and the replay window.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Secret per platform name (lower case).
    pub secrets: HashMap<String, Vec<u8>>,
    /// Seconds a signature stays acceptable either side of now.
    pub tolerance_secs: i64,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: secrets never reach a log.
        f.debug_struct("WebhookConfig")
            .field("platforms", &self.secrets.keys().collect::<Vec<_>>())
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

impl WebhookConfig {
    /// Every `PROMPTSALES_ADS_WEBHOOK_SECRET_<PLATFORM>` (a platform without one has no webhook)
    /// and `PROMPTSALES_ADS_WEBHOOK_TOLERANCE` (seconds, default 300).
    pub fn from_vars(vars: &Vars) -> Self {
        let secrets = vars
            .with_prefix(WEBHOOK_SECRET_PREFIX)
            .filter_map(|(platform, value)| {
                (!value.is_empty())
                    .then(|| (platform.to_ascii_lowercase(), value.as_bytes().to_vec()))
            })
            .collect();
        let tolerance_secs = vars
            .get("PROMPTSALES_ADS_WEBHOOK_TOLERANCE")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_TOLERANCE_SECS);
        Self {
            secrets,
            tolerance_secs,
        }
    }
}

struct WebhookState {
    store: Arc<dyn AdsStore>,
    live: LiveMetrics,
    config: WebhookConfig,
}

/// The webhook routes.
pub fn webhook_routes(
    store: Arc<dyn AdsStore>,
    live: LiveMetrics,
    config: WebhookConfig,
) -> axum::Router {
    axum::Router::new()
        .route("/webhooks/ads/{platform}", post(receive))
        .with_state(Arc::new(WebhookState {
            store,
            live,
            config,
        }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    metrics: Vec<PlatformDayDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlatformDayDto {
    external_id: String,
    day: NaiveDate,
    impressions: i64,
    #[serde(default)]
    reach: i64,
    clicks: i64,
    #[serde(default)]
    engagement: i64,
    /// A decimal string (`"12.50"`), never a float.
    spend: String,
    #[serde(default)]
    conversions: i64,
    #[serde(default)]
    conversion_value: Option<String>,
}

fn refuse(status: StatusCode, code: &str, message: String, field: Option<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message, "field": field}})),
    )
        .into_response()
}

#[tracing::instrument(name = "ads_webhook", skip_all, fields(platform = %platform))]
async fn receive(
    State(state): State<Arc<WebhookState>>,
    Path(platform): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let platform = platform.to_ascii_lowercase();
    let Some(secret) = state.config.secrets.get(&platform) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no webhook is configured for platform {platform:?}"),
            None,
        );
    };
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(e) = verify(
        secret,
        text(TIMESTAMP_HEADER),
        text(SIGNATURE_HEADER),
        &body,
        chrono::Utc::now().timestamp(),
        state.config.tolerance_secs,
    ) {
        tracing::warn!(reason = %e, "webhook refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            e.to_string(),
            None,
        );
    }
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                format!("not a metrics payload: {e}"),
                None,
            );
        }
    };
    record(&state, &platform, payload).await
}

async fn record(state: &WebhookState, platform: &str, payload: Payload) -> Response {
    let mut external_ids: Vec<String> = payload
        .metrics
        .iter()
        .map(|m| m.external_id.clone())
        .collect();
    external_ids.sort();
    external_ids.dedup();
    // A platform's webhook speaks for every tenant that runs ads on it.
    let found = match state
        .store
        .ads_by_external_id(TenantScope::All, platform, &external_ids)
        .await
    {
        Ok(ads) => ads,
        Err(e) => {
            tracing::error!(error = %e, "webhook: cannot read ads");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "internal error".into(),
                None,
            );
        }
    };
    let mut by_external: HashMap<&str, Vec<&Ad>> = HashMap::new();
    for ad in &found {
        if let Some(id) = ad.external_id.as_deref() {
            by_external.entry(id).or_default().push(ad);
        }
    }
    let mut reports = Vec::with_capacity(payload.metrics.len());
    for (i, m) in payload.metrics.iter().enumerate() {
        let money = |name: &str, text: &str| {
            text.parse::<Decimal4>()
                .map_err(|e| (format!("metrics[{i}].{name}"), e.to_string()))
        };
        let amounts = money("spend", &m.spend).and_then(|spend| {
            money(
                "conversionValue",
                m.conversion_value.as_deref().unwrap_or("0"),
            )
            .map(|value| (spend, value))
        });
        let (spend, conversion_value) = match amounts {
            Ok(pair) => pair,
            Err((field, message)) => {
                return refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "BAD_USER_INPUT",
                    message,
                    Some(field),
                );
            }
        };
        let field = Some(format!("metrics[{i}].externalId"));
        let ad = match by_external.get(m.external_id.as_str()).map(Vec::as_slice) {
            Some([ad]) => *ad,
            Some(_) => {
                return refuse(
                    StatusCode::CONFLICT,
                    "CONFLICT",
                    format!(
                        "{platform} id {:?} names ads of several organizations",
                        m.external_id
                    ),
                    field,
                );
            }
            None => {
                return refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "BAD_USER_INPUT",
                    format!("no ad has {platform} id {:?}", m.external_id),
                    field,
                );
            }
        };
        // The webhook has no caller to ask sales with: the ad's written status stands for its
        // campaign (stopping a campaign pauses or ends its ads, those past their end date
        // included), so only an ad that reads RUNNING, or ran to its end date, takes spend;
        // a late report of its last days is not lost.
        if !takes_platform_figures(ad) {
            return refuse(
                StatusCode::CONFLICT,
                "CONFLICT",
                format!(
                    "the ad with {platform} id {:?} is {}: only a RUNNING ad records spend",
                    m.external_id,
                    ad.status.code().to_uppercase()
                ),
                field,
            );
        }
        reports.push(DayReport {
            ad_id: ad.id,
            day: m.day,
            performance: Performance {
                impressions: m.impressions,
                reach: m.reach,
                clicks: m.clicks,
                engagement: m.engagement,
                spend,
                conversions: m.conversions,
                conversion_value,
            },
        });
    }
    let ads: HashMap<Uuid, Ad> = found.into_iter().map(|a| (a.id, a)).collect();
    let today = chrono::Utc::now().date_naive();
    match ingest::record(
        state.store.as_ref(),
        &state.live,
        &ads,
        reports,
        "metrics",
        today,
    )
    .await
    {
        Ok(recorded) => (
            StatusCode::OK,
            axum::Json(json!({"recorded": recorded.len()})),
        )
            .into_response(),
        Err(ApiError::BadInput { field, message }) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "BAD_USER_INPUT",
            message,
            Some(field),
        ),
        Err(other) => {
            tracing::error!(error = ?other, "webhook: cannot record");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                other.code(),
                "internal error".into(),
                None,
            )
        }
    }
}
