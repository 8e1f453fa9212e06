//! The authenticated lead-capture webhook: `POST /webhooks/leads`.
//!
//! Forms, ad platforms and messaging integrations post a capture as JSON for
//! the organization named by `x-promptsales-organization`, signed with one of
//! THAT organization's secrets (issued, rotated and revoked by its crm admin
//! through `rotateCrmWebhookSecret` / `revokeCrmWebhookSecret`; see
//! [`crate::domain::webhook`] for the signature). The lead lands in that
//! organization and no other: a signature made with another organization's
//! secret does not verify, and a body naming another organization is refused.
//! Requests outside the timestamp window (`PROMPTSALES_CRM_WEBHOOK_WINDOW`,
//! seconds, default 300) are refused as replays, and so is a second copy of a
//! request whose capture committed (its signature is remembered in the
//! capture's transaction, so the exact retry of a failed request is accepted).
//!
//! The campaign and the source ad a capture names belong to other subgraphs; before anything
//! is written they are checked to exist in the webhook's organization (the one whose secret
//! signed it), as `kit::references` checks a mutation's ids, with the platform's service
//! identity acting for that organization only (`kit::service_identity`: there is no caller's
//! token here). Another tenant's id or a missing one is 404 `NOT_FOUND` naming the field;
//! an owner or token service that cannot answer is 503 `SERVICE_UNAVAILABLE`; a crm without
//! a service identity configured refuses captures (503) rather than write unchecked ids.
//!
//! The former platform-wide secret (`PROMPTSALES_CRM_WEBHOOK_SECRET`) is gone:
//! whoever held it could write leads into every organization. When it is still
//! set the service says so at start and ignores it.

use promptsales_kit::StrEnum;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use promptsales_kit::config::{ConfigError, Vars};
use promptsales_kit::references::{self, Reference};
use promptsales_kit::service_identity::ServiceIdentity;
use promptsales_kit::{ApiError, Decimal4};
use serde::Deserialize;
use serde_json::json;

use crate::domain::capture::LeadCapture;
use crate::domain::customer::NewCustomer;
use crate::domain::interaction::InteractionChannel;
use crate::domain::lead::LeadSource;
use crate::domain::webhook::{
    ORGANIZATION_HEADER, SIGNATURE_HEADER, SignatureError, SignedRequest, TIMESTAMP_HEADER,
};
use crate::services::Services;
use crate::store::{CrmStore, Delivery};
use uuid::Uuid;

/// The webhook's path.
pub const PATH: &str = "/webhooks/leads";
/// The former platform-wide secret's variable, ignored (see the module's documentation).
pub const LEGACY_SECRET_ENV: &str = "PROMPTSALES_CRM_WEBHOOK_SECRET";
/// Environment variable holding the replay window in seconds.
pub const WINDOW_ENV: &str = "PROMPTSALES_CRM_WEBHOOK_WINDOW";
/// The default replay window.
pub const DEFAULT_WINDOW_SECS: i64 = 300;
/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The webhook's replay window (the secrets are each organization's, in the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    window_secs: i64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW_SECS)
    }
}

impl WebhookConfig {
    /// A configuration with a replay window of `window_secs`.
    pub fn new(window_secs: i64) -> Self {
        Self { window_secs }
    }

    /// From `vars` (`PROMPTSALES_CRM_WEBHOOK_WINDOW`; a set legacy secret is warned about).
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let window = vars
            .parse(WINDOW_ENV, |v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|w| *w > 0)
                    .ok_or_else(|| "must be a positive number of seconds".to_string())
            })?
            .unwrap_or(DEFAULT_WINDOW_SECS);
        if vars.get(LEGACY_SECRET_ENV).is_some_and(|v| !v.is_empty()) {
            tracing::warn!(
                "{LEGACY_SECRET_ENV} is set but no longer used: each organization signs its \
                 lead-capture webhook with its own secret (mutation rotateCrmWebhookSecret)"
            );
        }
        Ok(Self::new(window))
    }
}

#[derive(Clone)]
struct WebhookState {
    store: Arc<dyn CrmStore>,
    services: Services,
    config: WebhookConfig,
    identity: Option<Arc<ServiceIdentity>>,
}

/// The roles the service identity's token carries to check a capture's references.
pub const CHECK_SCOPE: &str = "sales:read ads:read";

/// The webhook's routes, to merge into the service's router; the references it names are
/// checked with the service identity the environment configures
/// (`PROMPTSALES_SERVICE_CLIENT_ID`, see `kit::service_identity`).
pub fn routes(store: Arc<dyn CrmStore>, services: Services, config: WebhookConfig) -> Router {
    let identity = ServiceIdentity::from_env().map(Arc::new);
    routes_with(store, services, config, identity)
}

/// [`routes`] with the service identity given (`None`: captures are refused while reference
/// checks are on).
pub fn routes_with(
    store: Arc<dyn CrmStore>,
    services: Services,
    config: WebhookConfig,
    identity: Option<Arc<ServiceIdentity>>,
) -> Router {
    if identity.is_none() && references::enabled() {
        tracing::warn!(
            "no service identity (PROMPTSALES_SERVICE_CLIENT_ID/SECRET): the lead-capture \
             webhook cannot check the campaigns it is given and refuses captures"
        );
    }
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(WebhookState {
            store,
            services,
            config,
            identity,
        })
}

/// Checks that the campaign and source ad `capture` names exist in `organization`, asking
/// their owners as that organization (never as the platform: it sees every tenant).
async fn check_references(
    identity: Option<&ServiceIdentity>,
    organization: Uuid,
    capture: &LeadCapture,
) -> Result<(), ApiError> {
    if !references::enabled() {
        return Ok(());
    }
    let mut named = vec![Reference::campaign("campaignId", capture.campaign_id)];
    if let Some(ad) = capture.source_ad_id {
        named.push(Reference::ad("sourceAdId", ad));
    }
    let Some(identity) = identity else {
        return Err(ApiError::Unavailable(
            "the webhook cannot check the campaign it is given: no service identity is \
             configured (PROMPTSALES_SERVICE_CLIENT_ID)"
                .into(),
        ));
    };
    let authorization = identity.authorization(organization, CHECK_SCOPE).await?;
    references::check(Some(&authorization), named)
        .await
        .map_err(|e| match e {
            // The service's own token refused: the platform's configuration, not the sender's.
            ApiError::Forbidden(why) | ApiError::Unauthenticated(why) => {
                tracing::error!(%why, "the service identity may not read the webhook's references");
                ApiError::Unavailable(
                    "the webhook cannot check the campaign it is given right now".into(),
                )
            }
            other => other,
        })
}

/// A capture as posted (camelCase JSON).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Payload {
    /// Optional: the header names the organization; when the body names one too, they agree.
    organization_id: Option<uuid::Uuid>,
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
        "SERVICE_UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let field = match &err {
        ApiError::BadInput { field, .. } => Some(field.clone()),
        // The references a capture names (see `check_references`).
        ApiError::NotFound {
            entity: "Campaign", ..
        } => Some("campaignId".into()),
        ApiError::NotFound { entity: "Ad", .. } => Some("sourceAdId".into()),
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

fn into_capture(payload: Payload, organization_id: Uuid) -> Result<LeadCapture, Box<Response>> {
    if payload
        .organization_id
        .is_some_and(|named| named != organization_id)
    {
        return Err(bad(
            "organizationId",
            &format!("does not match the {ORGANIZATION_HEADER} header"),
        ));
    }
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
            organization_id,
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

fn unauthenticated(message: String) -> Response {
    error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message, None)
}

async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(organization) =
        header(ORGANIZATION_HEADER).and_then(|v| Uuid::parse_str(v.trim()).ok())
    else {
        tracing::warn!("lead-capture webhook request without an organization refused");
        return unauthenticated(format!("missing or malformed {ORGANIZATION_HEADER} header"));
    };
    let received_at = Utc::now();
    let request = match SignedRequest::parse(
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        received_at.timestamp(),
        state.config.window_secs,
    ) {
        Ok(request) => request,
        Err(e) => {
            tracing::warn!(organization = %organization, reason = %e, "lead-capture webhook request refused");
            return unauthenticated(e.to_string());
        }
    };
    let secrets = match state
        .store
        .usable_webhook_secrets(organization, received_at)
        .await
    {
        Ok(secrets) => secrets,
        Err(e) => return api_error(ApiError::from(e)),
    };
    // An organization without a usable secret gets the same answer as a wrong signature: the
    // answer does not tell which organizations have one.
    if !request.signed_by_any(&secrets, &body) {
        let e = SignatureError::Mismatch;
        tracing::warn!(organization = %organization, reason = %e, "lead-capture webhook request refused");
        return unauthenticated(e.to_string());
    }
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return *bad("body", &format!("not a lead capture: {e}")),
    };
    let capture = match into_capture(payload, organization) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    if let Err(e) = check_references(state.identity.as_deref(), organization, &capture).await {
        tracing::info!(%organization, code = e.code(), "lead-capture webhook reference refused");
        return api_error(e);
    }
    let delivery = Delivery {
        key: request.replay_key(),
        received_at,
        // Kept twice the window: a timestamp may be up to one window in the future.
        keep: chrono::Duration::seconds(state.config.window_secs.saturating_mul(2)),
    };
    let outcome = match state.store.capture_lead_once(capture, &delivery).await {
        Ok(Some(outcome)) => outcome,
        Ok(None) => {
            return error(
                StatusCode::CONFLICT,
                "CONFLICT",
                "this request was already received (a replay)".into(),
                None,
            );
        }
        Err(e) => return api_error(ApiError::from(e)),
    };
    match crate::schema::work::after_capture(&state.store, &state.services, organization, outcome)
        .await
    {
        Ok(result) => (
            StatusCode::OK,
            Json(json!({
                "customerId": result.customer.id,
                "leadId": result.lead.id,
                "newCustomer": result.new_customer,
                "newLead": result.new_lead,
                "score": result.lead.score,
            })),
        )
            .into_response(),
        Err(e) => api_error(e),
    }
}
