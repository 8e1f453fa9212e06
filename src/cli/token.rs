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
