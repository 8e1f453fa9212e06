//! The README's run command: `promptsales up` serves the demo data through the router.

use std::process::Stdio;

use promptsales_kit::testing::free_port;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::harness::{data, post_graphql, promptsales_bin, wait_for_http};

#[tokio::test]
async fn up_starts_everything_on_sqlite_and_answers_the_readme_query() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let router_port = free_port();
    let mcp_port = free_port();
    let mut command = Command::new(promptsales_bin());
    command
        .arg("up")
        // Outside the repository: `up` then serves the supergraph built into the binary.
        .current_dir(data_dir.path())
        .env("PROMPTSALES_DATA_DIR", data_dir.path())
        .env("PROMPTSALES_ROUTER_PORT", router_port.to_string())
        .env("PROMPTSALES_MCP_PORT", mcp_port.to_string())
        .env(
            "PROMPTSALES_ETL_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("PROMPTSALES_ROUTER_LOG_LEVEL", "warn")
        .env("PROMPTSALES_LOG", "warn")
        .env_remove("ROUTER_CONFIG_FILE_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let sales_port = free_port();
    for name in ["SALES", "ADS", "CRM", "CONTENT"] {
        let port = if name == "SALES" {
            sales_port
        } else {
            free_port()
        };
        command.env(format!("PROMPTSALES_{name}_PORT"), port.to_string());
        command.env_remove(format!("PROMPTSALES_{name}_DATABASE_URL"));
        command.env_remove(format!("PROMPTSALES_{name}_URL"));
    }
    // The local embedding model the test command fetched (else hashing: `up` must not download it per run).
    match std::env::var_os("PROMPTSALES_TEST_MODELS_DIR") {
        Some(models) => command.env("PROMPTSALES_MODELS_DIR", models),
        None => command.env("PROMPTSALES_AI_EMBEDDER", "hashing"),
    };
    command.env_remove("PROMPTSALES_SUPERGRAPH");
    command.env_remove("PROMPTSALES_JWKS_URL");
    command.env_remove("PROMPTSALES_DEMO_PASSWORD");
    let mut child = command.spawn().expect("starting promptsales up");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{router_port}");
    // `up` says it is up only once every component is ready: wait for its word, as a person would.
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let banner = tokio::time::timeout(std::time::Duration::from_secs(180), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("PromptSales is up") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        banner.ok(),
        Some(true),
        "promptsales up never said it was up"
    );
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    assert!(
        wait_for_http(&client, &format!("{base}/readiness"), &mut child, "router")
            .await
            .is_ok()
    );

    // The MCP adapter is up too, as an OAuth resource server (its tools need a token).
    let metadata = client
        .get(format!(
            "http://127.0.0.1:{mcp_port}/.well-known/oauth-protected-resource/mcp"
        ))
        .send()
        .await
        .expect("the MCP adapter answers");
    assert!(metadata.status().is_success(), "{}", metadata.status());

    let query = include_str!("../../docs/example-query.graphql");
    assert!(
        data_dir.path().join("supergraph.graphql").is_file(),
        "the built-in supergraph was written"
    );
    // Without a token, no data.
    let anonymous = post_graphql(&client, &format!("{base}/graphql"), query, json!({}), &[])
        .await
        .expect("query");
    assert!(
        super::harness::error_codes(&anonymous).contains(&"UNAUTHENTICATED".to_string()),
        "{anonymous:#}"
    );
    // The demo credentials, written privately for the developer, get tokens.
    let credentials_file = data_dir.path().join("demo-credentials.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials_file)
            .expect("demo credentials written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let saved: std::collections::HashMap<String, String> =
        std::fs::read_to_string(&credentials_file)
            .expect("credentials")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let token_url = format!("http://127.0.0.1:{sales_port}/oauth/token");
    let token = |form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let token_url = token_url.clone();
        async move {
            let body: serde_json::Value = client
                .post(&token_url)
                .form(&form)
                .send()
                .await
                .expect("token endpoint")
                .json()
                .await
                .expect("json");
            body["access_token"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| panic!("no token: {body}"))
        }
    };
    // A seeded organization admin sees its own organization only.
    let admin = token(vec![
        ("grant_type", "password".to_string()),
        ("username", saved["admin_email"].clone()),
        ("password", saved["password"].clone()),
    ])
    .await;
    let own = post_graphql(
        &client,
        &format!("{base}/graphql"),
        "{ organizations { edges { node { id } } } }",
        json!({}),
        &super::harness::bearer(&admin),
    )
    .await
    .expect("query");
    assert_eq!(
        data(&own)["organizations"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{own:#}"
    );
    // The demo service client is platform-wide: the README query over every tenant.
    let service = token(vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", saved["client_id"].clone()),
        ("client_secret", saved["client_secret"].clone()),
    ])
    .await;
    // `promptsales token` gets the same kind of token from the demo credentials file.
    let printed = Command::new(promptsales_bin())
        .args([
            "token",
            "--sales-url",
            &format!("http://127.0.0.1:{sales_port}"),
        ])
        .env("PROMPTSALES_DATA_DIR", data_dir.path())
        .env_remove("PROMPTSALES_DEMO_PASSWORD")
        .output()
        .await
        .expect("promptsales token");
    assert!(printed.status.success(), "{printed:?}");
    let printed = String::from_utf8_lossy(&printed.stdout).trim().to_string();
    assert_eq!(printed.split('.').count(), 3, "a JWT: {printed}");
    let via_cli = post_graphql(
        &client,
        &format!("{base}/graphql"),
        "{ organizations { edges { node { id } } } }",
        json!({}),
        &super::harness::bearer(&printed),
    )
    .await
    .expect("query");
    assert_eq!(
        data(&via_cli)["organizations"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{via_cli:#}"
    );
    let response = post_graphql(
        &client,
        &format!("{base}/graphql"),
        query,
        json!({}),
        &super::harness::bearer(&service),
    )
    .await
    .expect("query");
    let organizations = data(&response)["organizations"]["edges"]
        .as_array()
        .expect("organizations")
        .clone();
    assert_eq!(organizations.len(), 2, "{response:#}");
    let campaigns: Vec<_> = organizations
        .iter()
        .flat_map(|o| {
            o["node"]["campaigns"]["edges"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(campaigns.len(), 10, "ten demo campaigns");
    // The demo is coherent across stores: what sales says a campaign spent is what its ads spent.
    for campaign in &campaigns {
        let node = &campaign["node"];
        assert_eq!(
            node["budget"]["spent"]["amount"], node["adTotals"]["spend"],
            "{node:#}"
        );
    }
    // Every store answered for the demo campaigns: ads spend, leads and assets are all there.
    let active = campaigns
        .iter()
        .find(|c| c["node"]["status"] == "ACTIVE")
        .expect("an active demo campaign");
    let node = &active["node"];
    assert!(
        node["adTotals"]["impressions"].as_i64().unwrap_or(0) > 0,
        "{node:#}"
    );
    assert!(
        node["leadFunnel"]["total"].as_i64().unwrap_or(0) > 0,
        "{node:#}"
    );
    assert!(
        !node["assets"]["edges"]
            .as_array()
            .expect("assets")
            .is_empty(),
        "{node:#}"
    );

    // GraphiQL for a browser, Prometheus metrics for operators.
    let page = client
        .get(format!("{base}/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("graphiql");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .to_lowercase()
            .contains("<html"),
        "GraphiQL page"
    );
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("hive_router_"),
        "router metrics: {metrics:.300}"
    );

    // Ctrl-C (SIGTERM here) stops every component and `up` exits cleanly.
    let pid = child.id().expect("pid");
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("up stops within 30 s")
        .expect("wait");
    assert!(status.success(), "up exited with {status}");
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "the router still answers after up stopped"
    );
}
