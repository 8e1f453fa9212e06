//! Identity on SQLite and PostgreSQL: the OAuth token endpoint served over real HTTP
//! (every grant, refresh rotation and reuse detection, revocation, refusals),
//! the JWKS, and permissions granted and revoked through GraphQL.

use std::sync::Arc;

use promptsales_kit::auth::jwks::RemoteJwks;
use promptsales_kit::auth::{AuthConfig, SigningKey, TokenType, Verifier};
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use promptsales_kit::server::transport::ServerLimits;
use promptsales_kit::{Decimal4, RequestContext};
use promptsales_sales::auth::secret::hash_secret;
use promptsales_sales::auth::store::{AuthStore, OAuthClient, Permission};
use promptsales_sales::auth::throttle::{LoginThrottle, ThrottleConfig};
use promptsales_sales::auth::{Issuer, Lifetimes, SeaAuthStore};
use promptsales_sales::domain::user::UserType;
use promptsales_sales::store::audit::AuditFilter;
use promptsales_sales::store::{NewOrganization, NewUser};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::Harness;

/// The sales HTTP surface (GraphQL + OAuth) served on a free port over `h`'s database.
struct Served {
    base: String,
    issuer: Arc<Issuer>,
    auth: Arc<dyn AuthStore>,
    client: reqwest::Client,
    _task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Served with the default login limits, counted under a prefix of its own.
    async fn start(h: &Harness) -> anyhow::Result<Self> {
        let redis = promptsales_kit::testing::redis().await;
        let throttle =
            LoginThrottle::new(redis.url(), redis.fresh_prefix(), ThrottleConfig::default());
        Self::start_with(h, Some(Arc::new(throttle))).await
    }

    async fn start_with(h: &Harness, throttle: Option<Arc<LoginThrottle>>) -> anyhow::Result<Self> {
        Self::start_within(h, throttle, ServerLimits::default()).await
    }

    /// Served within `limits` (the GraphQL and OAuth endpoints alike).
    async fn start_within(
        h: &Harness,
        throttle: Option<Arc<LoginThrottle>>,
        limits: ServerLimits,
    ) -> anyhow::Result<Self> {
        let issuer = Arc::new(Issuer::new(
            SigningKey::generate()?,
            AuthConfig::default(),
            Lifetimes::default(),
        ));
        // The test client stands for a proxy on loopback, so its `X-Forwarded-For` names
        // the client (per-address throttling); nothing else's would.
        let router = promptsales_sales::http_router_within(
            h.store.clone(),
            h.db.clone(),
            issuer.clone(),
            throttle,
            promptsales_kit::client_addr::TrustedProxies::parse("127.0.0.1")
                .map_err(anyhow::Error::msg)?,
            limits,
        )?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            issuer,
            auth: Arc::new(SeaAuthStore::new(h.db.clone())),
            client: reqwest::Client::new(),
            _task: task,
        })
    }

    /// POSTs a form to `/oauth/token` (or `path`) and returns (status, JSON body or null).
    async fn form(&self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<(u16, Value)> {
        // Each of these requests comes from a client address of its own (forwarded by the
        // trusted loopback "proxy"), so only the per-address checks below share one.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let client = std::net::Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff));
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-forwarded-for", client.to_string())
            .form(form)
            .send()
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn token(&self, form: &[(&str, &str)]) -> anyhow::Result<(u16, Value)> {
        self.form("/oauth/token", form).await
    }

    async fn token_owned(&self, form: Vec<(&str, String)>) -> anyhow::Result<(u16, Value)> {
        let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.form("/oauth/token", &borrowed).await
    }

    async fn login(&self, email: &str, password: &str) -> anyhow::Result<(u16, Value)> {
        self.token(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ])
        .await
    }

    async fn graphql(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        Ok(self
            .client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?)
    }
}

struct People {
    org: Uuid,
    other_org: Uuid,
    admin: Uuid,
    marketer: Uuid,
    inactive: Uuid,
    stranger: Uuid,
}

const PASSWORD: &str = "correct horse battery staple";

async fn people(h: &Harness, auth: &dyn AuthStore) -> anyhow::Result<People> {
    let mut orgs = Vec::new();
    for name in ["Acme", "Rival"] {
        orgs.push(
            h.store
                .insert_organization(NewOrganization {
                    id: None,
                    name: name.into(),
                    industry: "retail".into(),
                    country: "ES".into(),
                    sales_goal: Decimal4::ZERO,
                    budget: Decimal4::ZERO,
                    currency: "EUR".into(),
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?
                .id,
        );
    }
    let mut ids = Vec::new();
    for (org, email, active) in [
        (orgs[0], "admin@acme.example", true),
        (orgs[0], "mara@acme.example", true),
        (orgs[0], "gone@acme.example", false),
        (orgs[1], "spy@rival.example", true),
    ] {
        let user = h
            .store
            .insert_user(NewUser {
                id: None,
                organization_id: org,
                email: email.into(),
                name: email.into(),
                phone: None,
                user_type: UserType::Marketer,
                timezone: "Europe/Madrid".into(),
                active,
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        anyhow::ensure!(
            auth.set_password_hash(user.id, &hash_secret(PASSWORD)?)
                .await?
        );
        ids.push(user.id);
    }
    for (user, org, subsystem, role) in [
        (ids[0], orgs[0], Subsystem::Sales, Role::Admin),
        (ids[1], orgs[0], Subsystem::Sales, Role::Write),
        (ids[1], orgs[0], Subsystem::Ads, Role::Read),
        (ids[2], orgs[0], Subsystem::Sales, Role::Admin),
    ] {
        auth.grant_permission(Permission {
            id: Uuid::now_v7(),
            organization_id: org,
            user_id: user,
            subsystem,
            role,
            granted_by: None,
            granted_at: chrono::Utc::now(),
            revoked_by: None,
            revoked_at: None,
        })
        .await?;
    }
    Ok(People {
        org: orgs[0],
        other_org: orgs[1],
        admin: ids[0],
        marketer: ids[1],
        inactive: ids[2],
        stranger: ids[3],
    })
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("<none>")
}

pub async fn the_password_grant_issues_tokens_with_the_users_permissions_and_refuses_the_rest(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    let p = people(h, s.auth.as_ref()).await?;

    let (status, body) = s.login("Mara@Acme.example", PASSWORD).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 43)
    );
    let claims = s
        .issuer
        .verifier()
        .verify(body["access_token"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(claims.sub, p.marketer.to_string());
    assert_eq!(claims.org, Some(p.org));
    assert_eq!(claims.typ, TokenType::User);
    assert_eq!(claims.iss, "promptsales");
    assert_eq!(claims.aud, "promptsales-api");
    let mut roles = claims.roles.clone();
    roles.sort();
    assert_eq!(
        roles,
        vec!["ads:read".to_string(), "sales:write".to_string()]
    );
    assert!(claims.exp - claims.iat == 900 && !claims.jti.is_empty());

    // Wrong password and unknown email get the same answer.
    let (status, wrong) = s.login("mara@acme.example", "guess").await?;
    assert_eq!((status, error(&wrong)), (400, "invalid_grant"));
    let (status, unknown) = s.login("nobody@acme.example", PASSWORD).await?;
    assert_eq!((status, error(&unknown)), (400, "invalid_grant"));
    assert_eq!(wrong["error_description"], unknown["error_description"]);

    let (status, inactive) = s.login("gone@acme.example", PASSWORD).await?;
    assert_eq!((status, error(&inactive)), (400, "invalid_grant"));
    assert!(
        inactive["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("inactive"))
    );

    let (status, missing) = s
        .token(&[("grant_type", "password"), ("username", "x")])
        .await?;
    assert_eq!((status, error(&missing)), (400, "invalid_request"));
    let (status, odd) = s.token(&[("grant_type", "implicit")]).await?;
    assert_eq!((status, error(&odd)), (400, "unsupported_grant_type"));
    let json_body = s
        .client
        .post(format!("{}/oauth/token", s.base))
        .json(&json!({ "grant_type": "password" }))
        .send()
        .await?;
    assert_eq!(json_body.status().as_u16(), 400);
    assert_eq!(error(&json_body.json::<Value>().await?), "invalid_request");

    // Logins and failed logins are in the audit log, with no secret in them.
    let audit = h
        .store
        .audit_entries(
            TenantScope::Organization(p.org),
            &AuditFilter::default(),
            Default::default(),
        )
        .await?;
    let actions: Vec<&str> = audit
        .items
        .iter()
        .map(|e| e.entry.action.as_str())
        .collect();
    assert!(actions.contains(&"auth.login"), "{actions:?}");
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "auth.login_failed")
            .count(),
        2,
        "{actions:?}"
    );
    let text = format!("{:?}", audit.items);
    assert!(
        !text.contains(PASSWORD) && !text.contains("guess"),
        "{text}"
    );
    let _ = (p.inactive, p.stranger, p.other_org, p.admin);
    Ok(())
}

pub async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_whole_login(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    let p = people(h, s.auth.as_ref()).await?;
    let (_, first) = s.login("mara@acme.example", PASSWORD).await?;
    let r1 = first["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let (status, second) = s
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
        .await?;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(r1, r2, "rotated");
    let claims = s
        .issuer
        .verifier()
        .verify(second["access_token"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(claims.sub, p.marketer.to_string());

    // A revoked permission is gone from the next refreshed token.
    s.auth
        .revoke_permission(
            p.marketer,
            Subsystem::Ads,
            Some(p.admin),
            chrono::Utc::now(),
        )
        .await?;
    let (status, third) = s
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r2)])
        .await?;
    assert_eq!(status, 200, "{third}");
    let r3 = third["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let claims = s
        .issuer
        .verifier()
        .verify(third["access_token"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(claims.roles, vec!["sales:write".to_string()]);

    // r1 again: a replay. Refused, and the live r3 dies with it.
    let (status, replay) = s
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
        .await?;
    assert_eq!((status, error(&replay)), (400, "invalid_grant"));
    let (status, after) = s
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r3)])
        .await?;
    assert_eq!((status, error(&after)), (400, "invalid_grant"), "{after}");
    let audit = h
        .store
        .audit_entries(
            TenantScope::Organization(p.org),
            &AuditFilter::default(),
            Default::default(),
        )
        .await?;
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.entry.action == "auth.refresh_reused")
    );

    // Another login is another family: unaffected, until it is revoked (RFC 7009).
    let (_, other) = s.login("mara@acme.example", PASSWORD).await?;
    let r = other["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, _) = s.form("/oauth/revoke", &[("token", &r)]).await?;
    assert_eq!(status, 200);
    let (status, revoked) = s
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r)])
        .await?;
    assert_eq!((status, error(&revoked)), (400, "invalid_grant"));
    // Revoking an unknown token is not an error (RFC 7009 section 2.2).
    let (status, _) = s
        .form("/oauth/revoke", &[("token", "never-issued")])
        .await?;
    assert_eq!(status, 200);
    let (status, bogus) = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "never-issued"),
        ])
        .await?;
    assert_eq!((status, error(&bogus)), (400, "invalid_grant"));

    // A user deactivated after login cannot refresh.
    let (_, admin) = s.login("admin@acme.example", PASSWORD).await?;
    let ra = admin["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    {
        use promptsales_sales::auth::entity::account;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        account::Entity::update_many()
            .col_expr(account::Column::Active, Expr::value(false))
            .filter(account::Column::Id.eq(p.admin))
            .exec(&h.db)
            .await?;
    }
    let (status, disabled) = s
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &ra)])
        .await?;
    assert_eq!((status, error(&disabled)), (400, "invalid_grant"));
    Ok(())
}

pub async fn clients_get_tokens_with_their_secret_and_the_jwks_verifies_them(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    let p = people(h, s.auth.as_ref()).await?;
    let secret = "s3cret-of-the-reporting-agent";
    s.auth
        .upsert_client(OAuthClient {
            id: Uuid::now_v7(),
            client_id: "reporting-agent".into(),
            secret_hash: hash_secret(secret)?,
            name: "Reporting agent".into(),
            organization_id: Some(p.org),
            roles: vec!["sales:read".into(), "crm:read".into()],
            active: true,
        })
        .await?;
    let (status, body) = s
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "reporting-agent"),
            ("client_secret", secret),
        ])
        .await?;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh token for clients"
    );

    // The JWKS is served, and a verifier that only knows its URL accepts the token.
    let jwks: Value = s
        .client
        .get(format!("{}/.well-known/jwks.json", s.base))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(jwks["keys"][0]["kid"], s.issuer.key().kid());
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    let url = format!("{}/.well-known/jwks.json", s.base);
    let remote = Verifier::with_remote(&AuthConfig::default(), RemoteJwks::new(url));
    let context = remote
        .context(body["access_token"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(context.organization, Some(p.org));
    assert_eq!(context.user, None);
    assert!(context.has(Subsystem::Crm, Role::Read) && !context.has(Subsystem::Crm, Role::Write));

    // HTTP Basic client authentication works too.
    let basic = s
        .client
        .post(format!("{}/oauth/token", s.base))
        .basic_auth("reporting-agent", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?;
    assert_eq!(basic.status().as_u16(), 200);

    let (status, wrong) = s
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "reporting-agent"),
            ("client_secret", "nope"),
        ])
        .await?;
    assert_eq!((status, error(&wrong)), (401, "invalid_client"));
    let (status, unknown) = s
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ghost"),
            ("client_secret", secret),
        ])
        .await?;
    assert_eq!((status, error(&unknown)), (401, "invalid_client"));
    Ok(())
}

const GRANT: &str = r#"mutation($user: ID!, $s: PermissionSubsystem!, $r: PermissionRole!) {
  grantPermission(input: { userId: $user, subsystem: $s, role: $r }) { id subsystem role grantedBy active }
}"#;
const REVOKE: &str = r#"mutation($user: ID!, $s: PermissionSubsystem!) {
  revokePermission(userId: $user, subsystem: $s) { role revokedBy revokedAt active }
}"#;
const LIST: &str = r#"query($user: ID!, $all: Boolean! = false) {
  userPermissions(userId: $user, includeRevoked: $all) { subsystem role active grantedBy revokedBy }
}"#;

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// Runs `query` over `graphql-transport-ws` on `s`, the upgrade request carrying `upgrade`
/// headers and the token in `connection_init` with `payload_extra` beside it (as the router
/// sends them); the first `next` payload.
async fn over_websocket(
    s: &Served,
    upgrade: &[(&'static str, &str)],
    token: &str,
    payload_extra: Value,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let mut request =
        format!("{}/graphql", s.base.replacen("http", "ws", 1)).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    for (name, value) in upgrade {
        request.headers_mut().insert(*name, value.parse()?);
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let mut payload = payload_extra;
    payload["Authorization"] = json!(format!("Bearer {token}"));
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(
            json!({ "type": "connection_init", "payload": payload }),
        ))
        .await?;
    socket
        .send(send(json!({ "id": "1", "type": "subscribe",
                           "payload": { "query": query, "variables": variables } })))
        .await?;
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message? {
            let message: Value = serde_json::from_str(&text)?;
            match message["type"].as_str() {
                Some("connection_ack") => continue,
                Some("next") => return Ok(message["payload"].clone()),
                _ => anyhow::bail!("unexpected {message}"),
            }
        }
    }
    anyhow::bail!("the socket closed without an answer")
}

pub async fn an_operation_over_websocket_is_audited_with_the_callers_address_and_agent(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    let p = people(h, s.auth.as_ref()).await?;
    let (_, admin) = s.login("admin@acme.example", PASSWORD).await?;
    let admin_token = admin["access_token"].as_str().unwrap_or_default();
    // The test client stands for the trusted loopback proxy: the address it forwards on the
    // upgrade request is the caller's; one written into the payload counts for nothing.
    let granted = over_websocket(
        &s,
        &[
            ("user-agent", "portal-ws/2.0"),
            ("x-forwarded-for", "198.51.100.23"),
        ],
        admin_token,
        json!({ "x-forwarded-for": "6.6.6.6" }),
        GRANT,
        json!({ "user": p.marketer.to_string(), "s": "CONTENT", "r": "READ" }),
    )
    .await?;
    assert_eq!(
        granted["data"]["grantPermission"]["role"], "READ",
        "{granted}"
    );
    let audit = h
        .store
        .audit_entries(
            TenantScope::Organization(p.org),
            &AuditFilter::default(),
            Default::default(),
        )
        .await?;
    let entry = audit
        .items
        .iter()
        .find(|e| e.entry.action == "permission.granted")
        .map(|e| &e.entry);
    assert_eq!(
        entry.map(|e| (
            e.actor_id,
            e.origin.ip.as_deref(),
            e.origin.user_agent.as_deref()
        )),
        Some((Some(p.admin), Some("198.51.100.23"), Some("portal-ws/2.0"))),
        "{entry:?}"
    );
    Ok(())
}

pub async fn sales_admins_grant_and_revoke_permissions_in_their_own_organization(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    let p = people(h, s.auth.as_ref()).await?;
    let (_, admin) = s.login("admin@acme.example", PASSWORD).await?;
    let admin_token = admin["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, marketer) = s.login("mara@acme.example", PASSWORD).await?;
    let marketer_token = marketer["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let user = p.marketer.to_string();

    let granted = s
        .graphql(
            &admin_token,
            GRANT,
            json!({ "user": user, "s": "CRM", "r": "WRITE" }),
        )
        .await?;
    assert_eq!(
        granted["data"]["grantPermission"]["role"], "WRITE",
        "{granted}"
    );
    assert_eq!(
        granted["data"]["grantPermission"]["grantedBy"],
        p.admin.to_string()
    );
    // Granting again in the same subsystem replaces the role (the old grant is kept, revoked).
    let upgraded = s
        .graphql(
            &admin_token,
            GRANT,
            json!({ "user": user, "s": "CRM", "r": "ADMIN" }),
        )
        .await?;
    assert_eq!(
        upgraded["data"]["grantPermission"]["role"], "ADMIN",
        "{upgraded}"
    );
    let listed = s
        .graphql(&admin_token, LIST, json!({ "user": user }))
        .await?;
    let live = listed["data"]["userPermissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(live.len(), 3, "{listed}"); // sales:write, ads:read, crm:admin
    let history = s
        .graphql(&admin_token, LIST, json!({ "user": user, "all": true }))
        .await?;
    let history = history["data"]["userPermissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(history.len(), 4, "{history:?}");
    assert!(history.iter().any(|g| g["role"] == "WRITE"
        && g["subsystem"] == "CRM"
        && g["active"] == false
        && g["revokedBy"] == p.admin.to_string()));

    let revoked = s
        .graphql(&admin_token, REVOKE, json!({ "user": user, "s": "CRM" }))
        .await?;
    assert_eq!(
        revoked["data"]["revokePermission"]["active"], false,
        "{revoked}"
    );
    let again = s
        .graphql(&admin_token, REVOKE, json!({ "user": user, "s": "CRM" }))
        .await?;
    assert_eq!(code(&again), "NOT_FOUND");

    // Not an admin: refused. Another tenant's user: the same answer as no user at all.
    let refused = s
        .graphql(
            &marketer_token,
            GRANT,
            json!({ "user": user, "s": "SALES", "r": "ADMIN" }),
        )
        .await?;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let foreign = s
        .graphql(
            &admin_token,
            GRANT,
            json!({ "user": p.stranger.to_string(), "s": "ADS", "r": "READ" }),
        )
        .await?;
    let missing = s
        .graphql(
            &admin_token,
            GRANT,
            json!({ "user": Uuid::now_v7().to_string(), "s": "ADS", "r": "READ" }),
        )
        .await?;
    assert_eq!(code(&foreign), "NOT_FOUND");
    assert_eq!(
        foreign["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&p.stranger.to_string(), "ID")),
        missing["errors"][0]["message"].as_str().map(|m| m
            .split(' ')
            .map(|w| if Uuid::parse_str(w).is_ok() { "ID" } else { w })
            .collect::<Vec<_>>()
            .join(" "))
    );
    assert!(
        s.auth.permissions(p.stranger, true).await?.is_empty(),
        "nothing written for the other tenant"
    );

    // Changes are audited with who did them.
    let audit = h
        .store
        .audit_entries(
            TenantScope::Organization(p.org),
            &AuditFilter::default(),
            Default::default(),
        )
        .await?;
    let grants: Vec<_> = audit
        .items
        .iter()
        .filter(|e| e.entry.action.starts_with("permission."))
        .collect();
    assert_eq!(grants.len(), 3, "{grants:?}");
    assert!(grants.iter().all(|e| e.entry.actor_id == Some(p.admin)));

    // A platform operator context (no org) with sales:admin may grant in any tenant.
    let operator = RequestContext::unrestricted();
    let response = h
        .run(
            &operator,
            GRANT,
            json!({ "user": p.stranger.to_string(), "s": "ADS", "r": "READ" }),
        )
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let _ = (p.other_org, p.inactive);
    Ok(())
}

fn roles_of_token(body: &Value) -> anyhow::Result<Vec<String>> {
    let token = body["access_token"].as_str().unwrap_or_default();
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("not a JWT: {body}"))?;
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?)?;
    let mut roles: Vec<String> = serde_json::from_value(claims["roles"].clone())?;
    roles.sort();
    Ok(roles)
}

fn refresh_of(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub async fn a_requested_scope_narrows_the_token_and_its_refreshes_and_more_is_invalid_scope(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    let p = people(h, s.auth.as_ref()).await?;
    let login = |scope: &'static str| {
        s.token_owned(vec![
            ("grant_type", "password".to_string()),
            ("username", "mara@acme.example".to_string()),
            ("password", PASSWORD.to_string()),
            ("scope", scope.to_string()),
        ])
    };

    // Mara holds sales:write and ads:read. Narrowing to one, and below a held role.
    let (status, ads_only) = login("ads:read").await?;
    assert_eq!(status, 200, "{ads_only}");
    assert_eq!(roles_of_token(&ads_only)?, vec!["ads:read"]);
    assert_eq!(ads_only["scope"], "ads:read");
    let (status, both) = login("ads:read sales:read").await?;
    assert_eq!(status, 200, "{both}");
    assert_eq!(roles_of_token(&both)?, vec!["ads:read", "sales:read"]);
    assert_eq!(both["scope"], "sales:read ads:read");
    // No scope: everything held, as before.
    let (_, full) = s.login("mara@acme.example", PASSWORD).await?;
    assert_eq!(roles_of_token(&full)?, vec!["ads:read", "sales:write"]);

    // More than held, another subsystem, or not a scope at all: invalid_scope, no token.
    for asked in [
        "ads:write",
        "crm:read",
        "sales:read crm:read",
        "openid",
        "sales:read sales:admin",
    ] {
        let (status, refused) = login(asked).await?;
        assert_eq!(
            (status, error(&refused)),
            (400, "invalid_scope"),
            "{asked}: {refused}"
        );
        assert!(refused.get("access_token").is_none());
    }

    // Refresh keeps the login's scope...
    let (status, kept) = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_of(&both)),
        ])
        .await?;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(roles_of_token(&kept)?, vec!["ads:read", "sales:read"]);
    // ...cannot widen it (and the refused refresh token stays usable)...
    let r = refresh_of(&kept);
    let (status, wider) = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("scope", "sales:write"),
        ])
        .await?;
    assert_eq!((status, error(&wider)), (400, "invalid_scope"), "{wider}");
    // ...and may narrow it further, which sticks to the next refresh.
    let (status, narrower) = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("scope", "ads:read"),
        ])
        .await?;
    assert_eq!(status, 200, "{narrower}");
    assert_eq!(roles_of_token(&narrower)?, vec!["ads:read"]);
    let (status, still) = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_of(&narrower)),
        ])
        .await?;
    assert_eq!(status, 200, "{still}");
    assert_eq!(roles_of_token(&still)?, vec!["ads:read"]);
    assert_eq!(still["scope"], "ads:read");

    // A role revoked since login leaves the narrowed token too.
    s.auth
        .revoke_permission(
            p.marketer,
            Subsystem::Ads,
            Some(p.admin),
            chrono::Utc::now(),
        )
        .await?;
    let (status, revoked) = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_of(&still)),
        ])
        .await?;
    assert_eq!(status, 200, "{revoked}");
    assert!(roles_of_token(&revoked)?.is_empty(), "{revoked}");

    // The narrowed token is all the API sees: a sales admin narrowed to sales:read cannot grant.
    let (_, admin_read) = s
        .token(&[
            ("grant_type", "password"),
            ("username", "admin@acme.example"),
            ("password", PASSWORD),
            ("scope", "sales:read"),
        ])
        .await?;
    let vars = json!({ "user": p.marketer.to_string(), "s": "CRM", "r": "READ" });
    let forbidden = s
        .graphql(
            admin_read["access_token"].as_str().unwrap_or_default(),
            GRANT,
            vars.clone(),
        )
        .await?;
    assert_eq!(code(&forbidden), "FORBIDDEN", "{forbidden}");
    let (_, admin) = s.login("admin@acme.example", PASSWORD).await?;
    let granted = s
        .graphql(
            admin["access_token"].as_str().unwrap_or_default(),
            GRANT,
            vars,
        )
        .await?;
    assert_eq!(
        granted["data"]["grantPermission"]["role"], "READ",
        "{granted}"
    );

    // Clients narrow the same way.
    let secret = "s3cret-of-the-scoped-agent";
    s.auth
        .upsert_client(OAuthClient {
            id: Uuid::now_v7(),
            client_id: "scoped-agent".into(),
            secret_hash: hash_secret(secret)?,
            name: "Scoped agent".into(),
            organization_id: Some(p.org),
            roles: vec!["sales:read".into(), "crm:write".into()],
            active: true,
        })
        .await?;
    let client = |scope: &'static str| {
        s.token_owned(vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", "scoped-agent".to_string()),
            ("client_secret", secret.to_string()),
            ("scope", scope.to_string()),
        ])
    };
    let (status, narrowed) = client("crm:read").await?;
    assert_eq!(status, 200, "{narrowed}");
    assert_eq!(roles_of_token(&narrowed)?, vec!["crm:read"]);
    let (status, refused) = client("sales:write").await?;
    assert_eq!((status, error(&refused)), (400, "invalid_scope"));
    let (_, unscoped) = client("").await?;
    assert_eq!(roles_of_token(&unscoped)?, vec!["crm:write", "sales:read"]);
    Ok(())
}

pub async fn failed_logins_are_throttled_per_account_and_ip_and_a_success_resets_the_account(
    h: &Harness,
) -> anyhow::Result<()> {
    let redis = promptsales_kit::testing::redis().await;
    let config = ThrottleConfig {
        max_per_account: 3,
        max_per_ip: 5,
        window: std::time::Duration::from_secs(120),
    };
    let throttle = Arc::new(LoginThrottle::new(
        redis.url(),
        redis.fresh_prefix(),
        config,
    ));
    let s = Served::start_with(h, Some(throttle.clone())).await?;
    let p = people(h, s.auth.as_ref()).await?;

    // Three failures for Mara; the fourth attempt is refused even with the right password.
    for _ in 0..3 {
        let (status, body) = s.login("mara@acme.example", "guess").await?;
        assert_eq!((status, error(&body)), (400, "invalid_grant"));
    }
    for _ in 0..2 {
        let response = s
            .client
            .post(format!("{}/oauth/token", s.base))
            .form(&[
                ("grant_type", "password"),
                ("username", "MARA@acme.example"),
                ("password", PASSWORD),
            ])
            .send()
            .await?;
        assert_eq!(response.status().as_u16(), 429);
        let retry_after: u64 = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            (1..=120).contains(&retry_after),
            "Retry-After {retry_after}"
        );
        let body: Value = response.json().await?;
        assert_eq!(error(&body), "invalid_request", "{body}");
    }
    // Audited once per window, with no secret in it.
    let audit = h
        .store
        .audit_entries(
            TenantScope::Organization(p.org),
            &AuditFilter::default(),
            Default::default(),
        )
        .await?;
    let throttled: Vec<_> = audit
        .items
        .iter()
        .filter(|e| e.entry.action == "auth.login_throttled")
        .collect();
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert_eq!(
        throttled[0].entry.target_id.as_deref(),
        Some(p.marketer.to_string().as_str())
    );
    assert!(!format!("{throttled:?}").contains(PASSWORD));
    // Other accounts are not affected.
    let (status, _) = s.login("admin@acme.example", PASSWORD).await?;
    assert_eq!(status, 200);

    // A success resets the account: two failures, a success, two failures: never throttled.
    for password in ["x", "y", PASSWORD, "x", "y"] {
        let (status, body) = s.login("admin@acme.example", password).await?;
        let expected = if password == PASSWORD { 200 } else { 400 };
        assert_eq!(status, expected, "{body}");
    }

    // Per IP: failures for many accounts from one address trip the IP limit (5),
    // while another address still gets an ordinary answer.
    let from = |ip: &'static str, email: String| {
        let request = s
            .client
            .post(format!("{}/oauth/token", s.base))
            .header("x-forwarded-for", ip)
            .form(&[
                ("grant_type", "password".to_string()),
                ("username", email),
                ("password", "guess".to_string()),
            ]);
        async move { anyhow::Ok(request.send().await?.status().as_u16()) }
    };
    let ip = "198.51.100.23";
    for n in 0..5 {
        assert_eq!(from(ip, format!("nobody{n}@acme.example")).await?, 400);
    }
    assert_eq!(from(ip, "fresh@acme.example".into()).await?, 429);
    assert_eq!(
        from("198.51.100.24", "fresh@acme.example".into()).await?,
        400
    );

    // Clients are counted by client id.
    s.auth
        .upsert_client(OAuthClient {
            id: Uuid::now_v7(),
            client_id: "guessed-agent".into(),
            secret_hash: hash_secret("right")?,
            name: "Guessed".into(),
            organization_id: Some(p.org),
            roles: vec!["sales:read".into()],
            active: true,
        })
        .await?;
    let client = |secret: &'static str| {
        s.token_owned(vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", "guessed-agent".to_string()),
            ("client_secret", secret.to_string()),
        ])
    };
    for _ in 0..3 {
        assert_eq!(client("wrong").await?.0, 401);
    }
    let (status, body) = client("right").await?;
    assert_eq!((status, error(&body)), (429, "invalid_request"), "{body}");
    assert_eq!(throttle.unavailable(), 0, "Redis answered throughout");
    Ok(())
}

pub async fn with_redis_down_logins_fail_open_and_the_outage_is_counted(
    h: &Harness,
) -> anyhow::Result<()> {
    // A port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let config = ThrottleConfig {
        max_per_account: 2,
        max_per_ip: 2,
        window: std::time::Duration::from_secs(60),
    };
    let throttle = Arc::new(LoginThrottle::new(
        format!("redis://127.0.0.1:{port}"),
        "down:",
        config,
    ));
    let s = Served::start_with(h, Some(throttle.clone())).await?;
    people(h, s.auth.as_ref()).await?;
    for _ in 0..4 {
        let (status, body) = s.login("mara@acme.example", "guess").await?;
        assert_eq!((status, error(&body)), (400, "invalid_grant"));
    }
    let (status, body) = s.login("mara@acme.example", PASSWORD).await?;
    assert_eq!(status, 200, "{body}");
    assert!(throttle.unavailable() >= 5, "{}", throttle.unavailable());
    Ok(())
}

pub async fn a_rotated_signing_key_keeps_old_tokens_valid_until_it_is_retired(
    h: &Harness,
) -> anyhow::Result<()> {
    let s = Served::start(h).await?;
    people(h, s.auth.as_ref()).await?;
    let jwks = || async {
        let set: Value = s
            .client
            .get(format!("{}/.well-known/jwks.json", s.base))
            .send()
            .await?
            .json()
            .await?;
        let mut kids: Vec<String> = set["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["kid"].as_str().map(str::to_string))
            .collect();
        kids.sort();
        anyhow::Ok(kids)
    };
    let old = s.issuer.key().kid().to_string();
    let (_, before) = s.login("admin@acme.example", PASSWORD).await?;
    let old_token = before["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let verifier = s.issuer.verifier();

    // Phase one: the new key is published but does not sign yet.
    let new_key = SigningKey::generate()?;
    let new = new_key.kid().to_string();
    s.issuer
        .rotate(new_key, std::time::Duration::from_secs(3600))?;
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(jwks().await?, both);
    assert_eq!(s.issuer.key().kid(), old);
    // A second rotation waits for the first; cancelling it (retire) is allowed.
    assert!(
        s.issuer
            .rotate(SigningKey::generate()?, std::time::Duration::ZERO)
            .is_err()
    );
    s.issuer.retire(&new)?;
    assert_eq!(jwks().await?, vec![old.clone()]);

    // Rotate for real, active at once: new tokens carry the new kid, the old token still works.
    let new_key = SigningKey::generate()?;
    let new = new_key.kid().to_string();
    s.issuer.rotate(new_key, std::time::Duration::ZERO)?;
    let (_, after) = s.login("admin@acme.example", PASSWORD).await?;
    let new_token = after["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let header = jsonwebtoken_kid(&new_token)?;
    assert_eq!(header, new);
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(jwks().await?, both);
    assert!(verifier.verify(&old_token).await.is_ok());
    assert!(verifier.verify(&new_token).await.is_ok());
    let me = "query { userPermissions(userId: \"00000000-0000-0000-0000-000000000000\") { role } }";
    let ok = s.graphql(&old_token, me, json!({})).await?;
    assert_ne!(code(&ok), "UNAUTHENTICATED", "{ok}");

    // Retired (its tokens expired, or it leaked): gone from the JWKS, its tokens refused.
    s.issuer.retire(&old)?;
    assert_eq!(jwks().await?, vec![new.clone()]);
    assert!(verifier.verify(&old_token).await.is_err());
    let refused = s.graphql(&old_token, me, json!({})).await?;
    assert_eq!(code(&refused), "UNAUTHENTICATED", "{refused}");
    assert!(verifier.verify(&new_token).await.is_ok());
    Ok(())
}

fn jsonwebtoken_kid(token: &str) -> anyhow::Result<String> {
    use base64::Engine;
    let header = token
        .split('.')
        .next()
        .ok_or_else(|| anyhow::anyhow!("not a JWT"))?;
    let header: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header)?)?;
    Ok(header["kid"].as_str().unwrap_or_default().to_string())
}

/// Issue 12: the OAuth endpoints are merged beside the GraphQL router and kept axum's own
/// 2 MB limit, answering a larger form 400; they now take the subgraph's limit
/// (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`) and answer a body over it 413, RFC 6749 shaped.
pub async fn the_oauth_endpoints_take_the_subgraphs_body_limit_and_answer_413(
    h: &Harness,
) -> anyhow::Result<()> {
    let limits = ServerLimits {
        max_body_size: 4_096,
        ..ServerLimits::default()
    };
    let s = Served::start_within(h, None, limits).await?;
    people(h, s.auth.as_ref()).await?;
    let padding = "x".repeat(8_000);
    for path in ["/oauth/token", "/oauth/revoke"] {
        let (status, body) = s
            .form(
                path,
                &[
                    ("grant_type", "password"),
                    ("username", "mara@acme.example"),
                    ("password", PASSWORD),
                    ("token", "t"),
                    ("padding", &padding),
                ],
            )
            .await?;
        assert_eq!(
            (status, error(&body)),
            (413, "invalid_request"),
            "{path}: {body}"
        );
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("larger")),
            "{path}: {body}"
        );
    }
    // The same login under the limit is served: the size refused it, nothing else.
    let (status, body) = s.login("mara@acme.example", PASSWORD).await?;
    assert_eq!(status, 200, "{body}");
    Ok(())
}
