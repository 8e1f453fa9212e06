//! The REAL sales subgraph served in-process on a free port (SQLite, demo data), with
//! its own token issuer: what the campaign directory's client is tested against.

use std::sync::Arc;

use anyhow::Result;
use promptsales_kit::auth::{AuthConfig, TokenType};
use promptsales_sales::auth::{Issuer, Lifetimes};
use tokio::sync::oneshot;
use uuid::Uuid;

/// A running sales subgraph; stops when dropped.
pub struct Sales {
    /// Its GraphQL endpoint.
    pub url: String,
    issuer: Arc<Issuer>,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Sales {
    /// Seeds the demo plan into a fresh SQLite store and serves sales' whole HTTP surface.
    pub async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/sales.db?mode=rwc", dir.path().display());
        let (store, db) = promptsales_sales::open_store(&url).await?;
        promptsales_sales::seed_demo(store.as_ref()).await?;
        let key = promptsales_kit::auth::SigningKey::generate()?;
        let issuer = Arc::new(Issuer::new(
            key,
            AuthConfig::default(),
            Lifetimes::default(),
        ));
        let router = promptsales_sales::http_router(store, db, issuer.clone())?;
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
            url: format!("http://{addr}/graphql"),
            issuer,
            stop: Some(stop),
            _dir: dir,
        })
    }

    /// `Bearer <token>` of a user of `organization` with `roles` (`sales:read`...).
    pub fn bearer(&self, organization: Uuid, roles: &[&str]) -> Result<String> {
        let token = self.issuer.access_token(
            &Uuid::now_v7().to_string(),
            TokenType::User,
            Some(organization),
            roles.iter().map(|r| r.to_string()).collect(),
        )?;
        Ok(format!("Bearer {}", token.token))
    }

    /// Stops serving (requests fail from now on).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Sales {
    fn drop(&mut self) {
        self.stop();
    }
}
