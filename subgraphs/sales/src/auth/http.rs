//! The HTTP endpoints of the issuer: `POST /oauth/token` and `POST /oauth/revoke`
//! (form-encoded, RFC 6749 / RFC 7009) and `GET /.well-known/jwks.json`.

use axum::Json;
use axum::extract::rejection::FormRejection;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::grants::{OAuthError, TokenService};

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oauth/token";
/// The revocation endpoint's path.
pub const REVOKE_PATH: &str = "/oauth/revoke";

/// The issuer's routes: the JWKS, the token and revocation endpoints.
pub fn routes(service: TokenService) -> axum::Router {
    axum::Router::new()
        .route(promptsales_kit::auth::JWKS_PATH, get(jwks))
        .route(TOKEN_PATH, post(token))
        .route(REVOKE_PATH, post(revoke))
        .with_state(service)
}

async fn jwks(State(service): State<TokenService>) -> impl IntoResponse {
    (
        // Keys change rarely; verifiers refetch on an unknown kid anyway.
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(service.issuer.jwks()),
    )
}

/// The parameters of a token request (every grant's, all optional here).
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    /// `client_credentials` only: the one organization the token acts for (see
    /// [`TokenService::client_credentials`]).
    organization_id: Option<String>,
}

/// The parameters of a revocation request.
#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    token: Option<String>,
}

fn error_response(error: &OAuthError) -> Response {
    let status = match error {
        OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        OAuthError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        OAuthError::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = (
        status,
        Json(serde_json::json!({
            "error": error.code(),
            "error_description": error.description(),
        })),
    )
        .into_response();
    let headers = response.headers_mut();
    no_store(headers);
    if let OAuthError::Throttled { retry_after } = error {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
    }
    if matches!(error, OAuthError::InvalidClient) {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"promptsales\""),
        );
    }
    response
}

/// The error for a form the endpoint could not read: over the body limit (413), or not a form.
fn form_error(rejection: FormRejection, hint: &str) -> OAuthError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        OAuthError::TooLarge
    } else {
        OAuthError::InvalidRequest(format!("{hint}: {rejection}"))
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn required(value: Option<String>, name: &str) -> Result<String, OAuthError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest(format!("the {name} parameter is required")))
}

/// Client credentials from `Authorization: Basic` (RFC 6749 section 2.3.1), if sent.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| OAuthError::InvalidClient)?;
    let Some((scheme, encoded)) = text.trim().split_once(' ') else {
        return Err(OAuthError::InvalidClient);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(OAuthError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
    Ok(Some((id.to_string(), secret.to_string())))
}

/// The request's origin for auditing and throttling: the TCP peer when the server
/// records it (`into_make_service_with_connect_info`), or the client a trusted proxy
/// forwarded for; never an address the client wrote itself.
fn origin(
    headers: &HeaderMap,
    extensions: &Extensions,
    trusted: &promptsales_kit::client_addr::TrustedProxies,
) -> crate::audit::Origin {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    crate::audit::origin_of(headers, peer, trusted)
}

async fn token(
    State(service): State<TokenService>,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let result = async {
        let Form(form) = form.map_err(|e| {
            form_error(
                e,
                "send the parameters form-encoded (application/x-www-form-urlencoded)",
            )
        })?;
        let origin = origin(&headers, &extensions, &service.trusted_proxies);
        let scope = form.scope.as_deref();
        match required(form.grant_type, "grant_type")?.as_str() {
            "client_credentials" => {
                let (id, secret) = match basic_credentials(&headers)? {
                    Some(credentials) => credentials,
                    None => (
                        required(form.client_id, "client_id")?,
                        required(form.client_secret, "client_secret")?,
                    ),
                };
                let organization = match form.organization_id.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(text) => Some(uuid::Uuid::parse_str(text).map_err(|_| {
                        OAuthError::InvalidRequest("organization_id is not a UUID".into())
                    })?),
                };
                service
                    .client_credentials(&id, &secret, scope, organization, origin)
                    .await
            }
            "password" => {
                let username = required(form.username, "username")?;
                let password = required(form.password, "password")?;
                service.password(&username, &password, scope, origin).await
            }
            "refresh_token" => {
                let token = required(form.refresh_token, "refresh_token")?;
                service.refresh(&token, scope, origin).await
            }
            other => Err(OAuthError::UnsupportedGrantType(other.to_string())),
        }
    }
    .await;
    match result {
        Ok(tokens) => {
            let mut response = Json(tokens).into_response();
            no_store(response.headers_mut());
            response
        }
        Err(error) => error_response(&error),
    }
}

async fn revoke(
    State(service): State<TokenService>,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Response {
    let result = async {
        let Form(form) = form.map_err(|e| form_error(e, "send the parameters form-encoded"))?;
        service.revoke(&required(form.token, "token")?).await
    }
    .await;
    match result {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            no_store(response.headers_mut());
            response
        }
        Err(error) => error_response(&error),
    }
}
