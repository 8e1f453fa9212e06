//! The authenticated lead-capture webhook: `POST /webhooks/leads`.
//!
//! Forms, ad platforms and messaging integrations post a capture as JSON,
//! signed with the shared secret `PROMPTSALES_CRM_WEBHOOK_SECRET` (see
//! [`crate::domain::webhook`] for the signature). Requests outside the
//! timestamp window (`PROMPTSALES_CRM_WEBHOOK_WINDOW`, seconds, default 300)
//! are refused as replays, and so is a second copy of an accepted request
//! inside the window (its signature is remembered). Without a secret the
//! endpoint answers 503: it is never open.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use promptsales_kit::{ApiError, Decimal4};
use serde::Deserialize;
use serde_json::json;

use crate::domain::capture::LeadCapture;
use crate::domain::customer::NewCustomer;
use crate::domain::interaction::InteractionChannel;
use crate::domain::lead::LeadSource;
use crate::domain::webhook::{SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, verify};
use crate::services::Services;
use crate::store::CrmStore;

/// The webhook's path.
pub const PATH: &str = "/webhooks/leads";
/// Environment variable holding the shared secret.
pub const SECRET_ENV: &str = "PROMPTSALES_CRM_WEBHOOK_SECRET";
/// Environment variable holding the replay window in seconds.
pub const WINDOW_ENV: &str = "PROMPTSALES_CRM_WEBHOOK_WINDOW";
/// The default replay window.
pub const DEFAULT_WINDOW_SECS: i64 = 300;
/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The webhook's secret and window.
#[derive(Clone)]
pub struct WebhookConfig {
    secret: Option<Arc<[u8]>>,
    window_secs: i64,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("secret", &self.secret.as_ref().map(|_| "<secret>"))
            .field("window_secs", &self.window_secs)
            .finish()
    }
}

impl WebhookConfig {
    /// A configuration with `secret` (none: the endpoint refuses everything) and a window.
    pub fn new(secret: Option<&str>, window_secs: i64) -> Self {
        Self {
            secret: secret
                .filter(|s| !s.is_empty())
                .map(|s| Arc::from(s.as_bytes())),
            window_secs,
        }
    }

    /// From the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let secret = std::env::var(SECRET_ENV).ok();
        let window = match std::env::var(WINDOW_ENV) {
            Ok(v) if !v.trim().is_empty() => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| {
                    anyhow::anyhow!("{WINDOW_ENV} must be a positive number of seconds")
                })?,
            _ => DEFAULT_WINDOW_SECS,
        };
        if secret.as_deref().is_none_or(str::is_empty) {
            tracing::warn!(
                "{SECRET_ENV} is not set: the lead-capture webhook refuses every request"
            );
        }
        Ok(Self::new(secret.as_deref(), window))
    }
}

#[derive(Clone)]
struct WebhookState {
    store: Arc<dyn CrmStore>,
    services: Services,
    config: WebhookConfig,
}

/// The webhook's routes, to merge into the service's router.
pub fn routes(store: Arc<dyn CrmStore>, services: Services, config: WebhookConfig) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(WebhookState {
            store,
            services,
            config,
        })
}

/// A capture as posted (camelCase JSON).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Payload {
    organization_id: uuid::Uuid,
    campaign_id: uuid::Uuid,
    source: String,
    source_ad_id: Option<uuid::Uuid>,
    full_name: String,
    email: String,
    phone: Option<String>,
    country: Option<String>,
    city: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    estimated_value: Option<String>,
    #[serde(default)]
    ad_clicks: i32,
    #[serde(default)]
    consent_marketing: bool,
    message: Option<String>,
    message_channel: Option<String>,
}

fn error(status: StatusCode, code: &str, message: String, field: Option<String>) -> Response {
    (
        status,
        Json(json!({ "error": message, "code": code, "field": field })),
    )
        .into_response()
}

fn api_error(err: ApiError) -> Response {
    let status = match err.code() {
        "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "CONFLICT" => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let field = match &err {
        ApiError::BadInput { field, .. } => Some(field.clone()),
        _ => None,
    };
    error(status, err.code(), err.message(), field)
}

fn bad(field: &str, message: &str) -> Box<Response> {
    Box::new(error(
        StatusCode::BAD_REQUEST,
        "BAD_USER_INPUT",
        format!("{field}: {message}"),
        Some(field.to_string()),
    ))
}

fn into_capture(payload: Payload) -> Result<LeadCapture, Box<Response>> {
    let source = LeadSource::parse(&payload.source.trim().to_ascii_uppercase())
        .ok_or_else(|| bad("source", "not a lead source such as INSTAGRAM or WEB"))?;
    let message_channel = match payload.message_channel.as_deref() {
        None => InteractionChannel::Web,
        Some(code) => InteractionChannel::parse(&code.trim().to_ascii_uppercase())
            .ok_or_else(|| bad("messageChannel", "not a channel such as WHATSAPP or EMAIL"))?,
    };
    let estimated_value = match payload.estimated_value.as_deref() {
        None => Decimal4::ZERO,
        Some(text) => text
            .parse()
            .map_err(|_| bad("estimatedValue", "not a decimal such as \"1250.50\""))?,
    };
    Ok(LeadCapture {
        customer: NewCustomer {
            id: None,
            organization_id: payload.organization_id,
            full_name: payload.full_name,
            email: payload.email,
            phone: payload.phone,
            country: payload.country,
            city: payload.city,
            latitude: payload.latitude,
            longitude: payload.longitude,
            segment: None,
            lifetime_value: Decimal4::ZERO,
        },
        campaign_id: payload.campaign_id,
        source,
        source_ad_id: payload.source_ad_id,
        estimated_value,
        ad_clicks: payload.ad_clicks,
        consent_marketing: payload.consent_marketing,
        message: payload.message,
        message_channel,
        captured_at: Utc::now(),
    })
}

async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &state.config.secret else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            format!("the lead-capture webhook is not configured ({SECRET_ENV})"),
            None,
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(e) = verify(
        secret,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        Utc::now().timestamp(),
        state.config.window_secs,
    ) {
        tracing::warn!(reason = %e, "lead-capture webhook request refused");
        let message = match e {
            SignatureError::Header(_) | SignatureError::Stale(_) | SignatureError::Mismatch => {
                e.to_string()
            }
        };
        return error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message, None);
    }
    // The signature was checked: its hex names this exact request (timestamp and body).
    let signature = header(SIGNATURE_HEADER)
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Kept twice the window: a timestamp may be up to one window in the future.
    let keep = chrono::Duration::seconds(state.config.window_secs.saturating_mul(2));
    match state
        .store
        .first_delivery(&signature, Utc::now(), keep)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return error(
                StatusCode::CONFLICT,
                "CONFLICT",
                "this request was already received (a replay)".into(),
                None,
            );
        }
        Err(e) => return api_error(ApiError::from(e)),
    }
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return *bad("body", &format!("not a lead capture: {e}")),
    };
    let capture = match into_capture(payload) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    match crate::schema::work::capture(&state.store, &state.services, capture).await {
        Ok(result) => (
            StatusCode::OK,
            Json(json!({
                "customerId": result.customer.id,
                "leadId": result.lead.id,
                "newCustomer": result.new_customer,
                "newLead": result.new_lead,
            })),
        )
            .into_response(),
        Err(e) => api_error(e),
    }
}
