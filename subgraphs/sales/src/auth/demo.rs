//! Demo credentials for `promptsales up`: every seeded user gets a password
//! (`PROMPTSALES_DEMO_PASSWORD`, or one generated once) and roles by user
//! type, and a demo service client is registered. The secrets are written to
//! `demo-credentials.txt` in the data folder (mode 0600), never printed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use promptsales_kit::PageRequest;
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use uuid::Uuid;

use super::secret::{hash_secret, random_token, verify_secret};
use super::store::{AuthStore, OAuthClient, Permission};
use crate::domain::user::UserType;
use crate::store::SalesStore;

/// The demo service client's id.
pub const DEMO_CLIENT_ID: &str = "promptsales-demo";
/// The credentials file's name in the data folder.
pub const FILE_NAME: &str = "demo-credentials.txt";
/// The variable that sets the demo users' password.
pub const PASSWORD_ENV: &str = "PROMPTSALES_DEMO_PASSWORD";

/// What a developer logs in with.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// The demo users' password.
    pub password: String,
    /// An organization admin's email (every subsystem at admin in its organization).
    pub admin_email: Option<String>,
    /// The demo client's id.
    pub client_id: String,
    /// The demo client's secret.
    pub client_secret: String,
    /// Where they are written.
    pub file: PathBuf,
}

/// The roles a demo user of `user_type` gets.
pub fn demo_roles(user_type: UserType) -> Vec<(Subsystem, Role)> {
    use Role::{Admin, Read, Write};
    use Subsystem::{Ads, Content, Crm, Sales};
    match user_type {
        UserType::Admin => vec![(Sales, Admin), (Ads, Admin), (Crm, Admin), (Content, Admin)],
        UserType::Marketer => vec![(Sales, Write), (Ads, Write), (Content, Write), (Crm, Read)],
        UserType::SalesAgent => vec![(Sales, Read), (Crm, Write), (Content, Read)],
        UserType::Customer => vec![(Sales, Read)],
    }
}

/// The demo client's roles: every subsystem at write, for every tenant (a platform client).
pub const DEMO_CLIENT_ROLES: [&str; 4] = ["sales:write", "ads:write", "crm:write", "content:write"];

fn read_file(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let temp = path.with_extension(format!("{}.tmp", Uuid::now_v7().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options
        .open(&temp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Gives the seeded users of `sales` a password and roles (only those that have
/// none yet) and registers the demo client; returns the credentials, also written
/// to `data_dir/demo-credentials.txt`. Idempotent: later runs reuse the file's secrets.
pub async fn prepare(
    sales: &dyn SalesStore,
    auth: Arc<dyn AuthStore>,
    data_dir: &Path,
) -> anyhow::Result<DemoCredentials> {
    let file = data_dir.join(FILE_NAME);
    let saved = read_file(&file);
    let password = std::env::var(PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .or_else(|| saved.get("password").cloned())
        .unwrap_or_else(random_token);
    let client_secret = saved
        .get("client_secret")
        .cloned()
        .unwrap_or_else(random_token);

    let users = sales
        .list_users(
            TenantScope::All,
            &Default::default(),
            PageRequest {
                first: 100,
                after: None,
            },
        )
        .await?;
    let mut admin_email = None;
    let mut password_hash = None;
    for user in &users.items {
        if user.user_type == UserType::Admin && user.active && admin_email.is_none() {
            admin_email = Some(user.email.clone());
        }
        let account = auth.account(TenantScope::All, user.id).await?;
        if account.as_ref().is_some_and(|a| a.password_hash.is_none()) {
            // One hash for all demo users: argon2 is slow on purpose.
            if password_hash.is_none() {
                password_hash = Some(hash_secret(&password)?);
            }
            if let Some(hash) = &password_hash {
                auth.set_password_hash(user.id, hash).await?;
            }
        }
        if auth.permissions(user.id, true).await?.is_empty() {
            for (subsystem, role) in demo_roles(user.user_type) {
                auth.grant_permission(Permission {
                    id: Uuid::now_v7(),
                    organization_id: user.organization_id,
                    user_id: user.id,
                    subsystem,
                    role,
                    granted_by: None,
                    granted_at: chrono::Utc::now(),
                    revoked_by: None,
                    revoked_at: None,
                })
                .await?;
            }
        }
    }

    let current = auth.client(DEMO_CLIENT_ID).await?;
    if current
        .as_ref()
        .is_none_or(|c| !verify_secret(&client_secret, &c.secret_hash))
    {
        auth.upsert_client(OAuthClient {
            id: current.as_ref().map_or_else(Uuid::now_v7, |c| c.id),
            client_id: DEMO_CLIENT_ID.into(),
            secret_hash: hash_secret(&client_secret)?,
            name: "PromptSales demo service client".into(),
            organization_id: None,
            roles: DEMO_CLIENT_ROLES.iter().map(|r| r.to_string()).collect(),
            active: true,
        })
        .await?;
    }

    let text = format!(
        "# PromptSales demo credentials (development only; regenerate by deleting this file\n\
         # and the data folder). Users get the password when they have none yet.\n\
         password={password}\n\
         admin_email={}\n\
         client_id={DEMO_CLIENT_ID}\n\
         client_secret={client_secret}\n",
        admin_email.clone().unwrap_or_default()
    );
    if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
        write_private(&file, &text).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(DemoCredentials {
        password,
        admin_email,
        client_id: DEMO_CLIENT_ID.into(),
        client_secret,
        file,
    })
}

/// Reads the credentials `prepare` wrote (for `promptsales token`).
pub fn read(data_dir: &Path) -> BTreeMap<String, String> {
    read_file(&data_dir.join(FILE_NAME))
}
