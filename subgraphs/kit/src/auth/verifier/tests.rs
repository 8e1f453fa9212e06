//! The verifier refuses every token it should, and the remote key set is
//! fetched from a real HTTP server (an axum server in the test).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::auth::claims::TokenType;
use crate::auth::jwks::RemoteJwks;
use crate::auth::signing::SigningKey;
use crate::context::{Role, Subsystem};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(org: Option<Uuid>) -> Claims {
    Claims {
        iss: "promptsales".into(),
        aud: "promptsales-api".into(),
        sub: Uuid::now_v7().to_string(),
        org,
        roles: vec!["sales:admin".into(), "ads:read".into()],
        typ: TokenType::User,
        exp: now() + 600,
        iat: now(),
        jti: Uuid::now_v7().to_string(),
    }
}

fn setup() -> (SigningKey, Verifier) {
    let key = SigningKey::generate().expect("key");
    let verifier = Verifier::local(&AuthConfig::default(), &key.jwks());
    (key, verifier)
}

#[tokio::test]
async fn a_valid_token_becomes_the_request_context() {
    let (key, verifier) = setup();
    let org = Uuid::now_v7();
    let issued = claims(Some(org));
    let token = key.sign(&issued).expect("sign");
    let context = verifier.context(&token).await.expect("valid");
    assert_eq!(context.organization, Some(org));
    assert_eq!(context.user.map(|u| u.to_string()), Some(issued.sub));
    assert!(context.has(Subsystem::Sales, Role::Admin));
    assert!(context.has(Subsystem::Ads, Role::Read));
    assert!(!context.has(Subsystem::Ads, Role::Write));
    // A platform operator's token has no org: every tenant, still only its roles.
    let operator = verifier
        .context(&key.sign(&claims(None)).expect("sign"))
        .await
        .expect("valid");
    assert_eq!(operator.organization, None);
    assert!(!operator.has(Subsystem::Crm, Role::Read));
}

#[tokio::test]
async fn a_token_signed_by_another_key_with_the_same_kid_is_refused() {
    let (key, verifier) = setup();
    let forger = SigningKey::generate().expect("key");
    // Same kid, another key: the signature cannot verify.
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key.kid().to_string());
    let forged = jsonwebtoken::encode(
        &header,
        &claims(Some(Uuid::now_v7())),
        &EncodingKey::from_ec_pem(forger.to_pem().as_bytes()).expect("pem"),
    )
    .expect("sign");
    assert_eq!(verifier.verify(&forged).await, Err(TokenError::Signature));

    // A valid token whose payload was edited (another org) fails the same way.
    let token = key.sign(&claims(Some(Uuid::now_v7()))).expect("sign");
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    payload["org"] = json!(Uuid::now_v7().to_string());
    let edited = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_eq!(verifier.verify(&edited).await, Err(TokenError::Signature));
}

#[tokio::test]
async fn expired_wrong_issuer_and_wrong_audience_are_refused() {
    let (key, verifier) = setup();
    let mut expired = claims(None);
    expired.exp = now() - 120; // beyond the 30 s leeway
    expired.iat = now() - 1000;
    let token = key.sign(&expired).expect("sign");
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Expired));

    // Within the leeway, a token just past its expiry still passes (clock skew).
    let mut skewed = claims(None);
    skewed.exp = now() - 5;
    assert!(
        verifier
            .verify(&key.sign(&skewed).expect("sign"))
            .await
            .is_ok()
    );

    let mut issuer = claims(None);
    issuer.iss = "someone-else".into();
    let token = key.sign(&issuer).expect("sign");
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Issuer));

    let mut audience = claims(None);
    audience.aud = "another-api".into();
    let token = key.sign(&audience).expect("sign");
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Audience));
}

#[tokio::test]
async fn alg_none_hs256_confusion_missing_and_unknown_kid_are_refused() {
    let (key, verifier) = setup();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(None)).expect("json"));

    // `alg: none`, no signature.
    let none_header = URL_SAFE_NO_PAD
        .encode(json!({ "alg": "none", "typ": "JWT", "kid": key.kid() }).to_string());
    let unsigned = format!("{none_header}.{payload}.");
    assert!(matches!(
        verifier.verify(&unsigned).await,
        Err(TokenError::Algorithm(_))
    ));

    // HS256 "signed" with the public key as the shared secret (the classic confusion).
    let public = serde_json::to_vec(key.public_jwk()).expect("json");
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(key.kid().to_string());
    let confused = jsonwebtoken::encode(&header, &claims(None), &EncodingKey::from_secret(&public))
        .expect("sign");
    assert_eq!(
        verifier.verify(&confused).await,
        Err(TokenError::Algorithm("HS256".into()))
    );

    // No kid.
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = None;
    let no_kid = jsonwebtoken::encode(
        &header,
        &claims(None),
        &EncodingKey::from_ec_pem(key.to_pem().as_bytes()).expect("pem"),
    )
    .expect("sign");
    assert_eq!(
        verifier.verify(&no_kid).await,
        Err(TokenError::MissingKeyId)
    );

    // A kid nobody published.
    let stranger = SigningKey::generate().expect("key");
    let token = stranger.sign(&claims(None)).expect("sign");
    assert_eq!(
        verifier.verify(&token).await,
        Err(TokenError::UnknownKey(stranger.kid().to_string()))
    );

    assert_eq!(
        verifier.verify("not-a-jwt").await,
        Err(TokenError::Malformed)
    );
    assert_eq!(verifier.verify("").await, Err(TokenError::Malformed));
}

/// A JWKS endpoint served by axum that counts its requests and can change keys.
async fn jwks_server(set: Arc<std::sync::Mutex<JwkSet>>, hits: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let set = set.clone();
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                let body = set
                    .lock()
                    .map(|s| s.clone())
                    .unwrap_or(JwkSet { keys: vec![] });
                axum::Json(body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/.well-known/jwks.json")
}

#[tokio::test]
async fn remote_keys_are_fetched_lazily_cached_and_refetched_for_a_new_kid_at_a_limited_rate() {
    let first = SigningKey::generate().expect("key");
    let second = SigningKey::generate().expect("key");
    let set = Arc::new(std::sync::Mutex::new(first.jwks()));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(set.clone(), hits.clone()).await;
    let min_refetch = Duration::from_millis(300);
    let verifier = Verifier::with_remote(
        &AuthConfig::default(),
        RemoteJwks::with_intervals(url, min_refetch, Duration::from_secs(600)),
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing fetched before the first token"
    );

    for _ in 0..3 {
        let token = first.sign(&claims(None)).expect("sign");
        assert!(verifier.verify(&token).await.is_ok());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched once, then cached");

    // The issuer rotates to a second key: an unknown kid causes one refetch...
    if let Ok(mut s) = set.lock() {
        s.keys.push(second.public_jwk().clone());
    }
    tokio::time::sleep(min_refetch).await;
    let token = second.sign(&claims(None)).expect("sign");
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // ...but a burst of made-up kids right after causes none.
    let stranger = SigningKey::generate().expect("key");
    for _ in 0..5 {
        let token = stranger.sign(&claims(None)).expect("sign");
        assert!(matches!(
            verifier.verify(&token).await,
            Err(TokenError::UnknownKey(_))
        ));
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2, "refetches are rate-limited");
}

#[tokio::test]
async fn an_unreachable_issuer_refuses_tokens_as_unverifiable() {
    let port = closed_port().await;
    let verifier = Verifier::with_remote(
        &AuthConfig::default(),
        RemoteJwks::new(format!("http://127.0.0.1:{port}/.well-known/jwks.json")),
    );
    let key = SigningKey::generate().expect("key");
    let refused = verifier
        .verify(&key.sign(&claims(None)).expect("sign"))
        .await;
    assert!(
        matches!(refused, Err(TokenError::KeysUnavailable(_))),
        "{refused:?}"
    );
    assert_eq!(
        refused.map_err(|e| e.to_api().code()),
        Err("UNAUTHENTICATED")
    );
}

/// A loopback port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test]
async fn shared_keys_follow_their_owner_a_new_key_verifies_and_a_dropped_one_is_refused() {
    let old = SigningKey::generate().expect("key");
    let new = SigningKey::generate().expect("key");
    let keys = crate::auth::jwks::SharedKeys::new(&old.jwks());
    let verifier = Verifier::shared(&AuthConfig::default(), keys.clone());
    let before = old.sign(&claims(None)).expect("sign");
    assert!(verifier.verify(&before).await.is_ok());
    let fresh = new.sign(&claims(None)).expect("sign");
    assert_eq!(
        verifier.verify(&fresh).await,
        Err(TokenError::UnknownKey(new.kid().to_string()))
    );

    // Rotation: both published, both verify, with the same verifier.
    keys.replace(&JwkSet {
        keys: vec![new.public_jwk().clone(), old.public_jwk().clone()],
    });
    assert!(verifier.verify(&before).await.is_ok());
    assert!(verifier.verify(&fresh).await.is_ok());

    // Retirement: the old key is gone, its tokens are refused.
    keys.replace(&new.jwks());
    assert_eq!(
        verifier.verify(&before).await,
        Err(TokenError::UnknownKey(old.kid().to_string()))
    );
    assert!(verifier.verify(&fresh).await.is_ok());
    assert_eq!(keys.kids(), vec![new.kid().to_string()]);
}
