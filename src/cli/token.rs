//! `promptsales token`: an access token for local use, from the running sales
//! subgraph's token endpoint (what the portal and agents do).

use anyhow::{Context, bail};

/// Who the token is for.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// A user's email (password grant). Without it, the demo service client is used.
    #[arg(long)]
    email: Option<String>,
    /// The user's password; default `PROMPTSALES_DEMO_PASSWORD`, else the one in `<data dir>/demo-credentials.txt`.
    #[arg(long, env = "PROMPTSALES_DEMO_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// The sales subgraph's base URL.
    #[arg(
        long,
        env = "PROMPTSALES_SALES_BASE_URL",
        default_value = "http://127.0.0.1:4001"
    )]
    sales_url: String,
    /// Print the whole JSON response (with the refresh token) instead of the access token.
    #[arg(long)]
    json: bool,
}

/// Asks the token endpoint and prints the access token.
pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    super::tokio_main(async move {
        let saved = promptsales_sales::auth::demo::read(&promptsales_kit::config::data_dir());
        let form: Vec<(&str, String)> = match &args.email {
            Some(email) => {
                let password = args
                    .password
                    .clone()
                    .or_else(|| saved.get("password").cloned())
                    .context("no password: pass --password or run `promptsales up` first (it writes demo-credentials.txt)")?;
                vec![
                    ("grant_type", "password".into()),
                    ("username", email.clone()),
                    ("password", password),
                ]
            }
            None => {
                let secret = saved.get("client_secret").cloned().context(
                    "no demo client secret: run `promptsales up` first, or pass --email",
                )?;
                vec![
                    ("grant_type", "client_credentials".into()),
                    (
                        "client_id",
                        promptsales_sales::auth::demo::DEMO_CLIENT_ID.into(),
                    ),
                    ("client_secret", secret),
                ]
            }
        };
        let url = format!("{}/oauth/token", args.sales_url.trim_end_matches('/'));
        let response = reqwest::Client::new()
            .post(&url)
            .form(&form)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}: is `promptsales up` running?"))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .context("the token endpoint did not answer JSON")?;
        if !status.is_success() {
            bail!(
                "{}: {}",
                body["error"].as_str().unwrap_or("error"),
                body["error_description"].as_str().unwrap_or("")
            );
        }
        if args.json {
            println!("{body:#}");
        } else {
            println!("{}", body["access_token"].as_str().unwrap_or_default());
        }
        Ok(())
    })
}

/// `promptsales signing-key`: the token signing keys of the sales subgraph, in
/// its key files (`PROMPTSALES_JWT_PRIVATE_KEY_FILE`, `PROMPTSALES_JWT_ROTATION_FILE`).
/// A running sales subgraph re-reads them every `PROMPTSALES_JWT_KEY_RELOAD_INTERVAL`.
#[derive(Debug, clap::Args)]
pub struct SigningKeyArgs {
    #[command(subcommand)]
    action: SigningKeyAction,
}

#[derive(Debug, clap::Subcommand)]
enum SigningKeyAction {
    /// Shows the signing, next and previous key ids with their times (never key material).
    Status,
    /// Publishes a new key now; it signs from `--activate-in` seconds on, and the key it
    /// supersedes stays published until its last tokens have expired.
    Rotate {
        /// Seconds between publishing the new key and signing with it; keep it longer than
        /// the verifiers' JWKS caches (the router polls every 5 minutes). 0 for an emergency.
        #[arg(
            long,
            env = "PROMPTSALES_JWT_KEY_ACTIVATION_DELAY",
            default_value_t = 660
        )]
        activate_in: u64,
    },
    /// Stops publishing a key now, so its tokens are refused (a leaked key), or cancels
    /// a pending rotation when given the next key's id.
    Retire {
        /// The key id (`kid`), as `status` shows it.
        // A base64url kid may begin with `-`: a value, not a flag.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

/// Runs `promptsales signing-key`.
pub fn signing_key(args: SigningKeyArgs) -> anyhow::Result<()> {
    let files = promptsales_sales::auth::keys::KeyFiles::from_env();
    match args.action {
        SigningKeyAction::Status => {}
        SigningKeyAction::Rotate { activate_in } => {
            let lifetimes = promptsales_sales::auth::Lifetimes::from_env()?;
            let leeway = promptsales_kit::auth::AuthConfig::from_env()?.leeway_seconds;
            // The superseded key outlives every token it signed.
            let grace = lifetimes.access + std::time::Duration::from_secs(leeway);
            let (kid, activate_at) =
                files.rotate(std::time::Duration::from_secs(activate_in), grace)?;
            println!("published key {kid}; it signs from {activate_at}");
        }
        SigningKeyAction::Retire { kid } => {
            files.retire(&kid)?;
            println!("key {kid} is no longer published; tokens it signed are refused");
        }
    }
    print!("{}", files.describe()?);
    Ok(())
}
