//! Serving an axum router on a free port for the duration of a test, and signing tokens the served ads subgraph accepts.

use std::sync::Arc;

use anyhow::Result;
use promptsales_kit::auth::{AuthConfig, Claims, SigningKey, TokenType, Verifier};
use tokio::sync::oneshot;
use uuid::Uuid;

/// A router served on `127.0.0.1`; stops when dropped.
pub struct Served {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Served {
    /// Binds a free port and serves `router` there.
    pub async fn start(router: axum::Router) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(promptsales_kit::server::serve_on(
            listener,
            router,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            base: format!("http://{addr}"),
            stop: Some(stop),
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A token issuer for tests of the served subgraph (the role sales plays in production).
pub struct Tokens {
    key: SigningKey,
}

impl Tokens {
    /// A fresh key.
    pub fn new() -> Result<Self> {
        Ok(Self {
            key: SigningKey::generate()?,
        })
    }

    /// A verifier that accepts this issuer's tokens.
    pub fn verifier(&self) -> Arc<Verifier> {
        Arc::new(Verifier::local(&AuthConfig::default(), &self.key.jwks()))
    }

    /// A token of a user of `organization` with `roles`.
    pub fn token(&self, organization: Uuid, roles: &[&str]) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let config = AuthConfig::default();
        Ok(self.key.sign(&Claims {
            iss: config.issuer,
            aud: config.audience,
            sub: Uuid::now_v7().to_string(),
            org: Some(organization),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            typ: TokenType::User,
            exp: now + 600,
            iat: now,
            jti: Uuid::now_v7().to_string(),
        })?)
    }
}
