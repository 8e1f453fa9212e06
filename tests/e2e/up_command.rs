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
    let mut command = Command::new(promptsales_bin());
    command
        .arg("up")
        // Outside the repository: `up` then serves the supergraph built into the binary.
        .current_dir(data_dir.path())
        .env("PROMPTSALES_DATA_DIR", data_dir.path())
        .env("PROMPTSALES_ROUTER_PORT", router_port.to_string())
        .env("PROMPTSALES_ROUTER_LOG_LEVEL", "warn")
        .env("PROMPTSALES_LOG", "warn")
        .env_remove("ROUTER_CONFIG_FILE_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    for name in ["SALES", "ADS", "CRM", "CONTENT"] {
        command.env(format!("PROMPTSALES_{name}_PORT"), free_port().to_string());
        command.env_remove(format!("PROMPTSALES_{name}_DATABASE_URL"));
        command.env_remove(format!("PROMPTSALES_{name}_URL"));
    }
    command.env_remove("PROMPTSALES_SUPERGRAPH");
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

    let query = include_str!("../../docs/example-query.graphql");
    assert!(
        data_dir.path().join("supergraph.graphql").is_file(),
        "the built-in supergraph was written"
    );
    let response = post_graphql(&client, &format!("{base}/graphql"), query, json!({}), &[])
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
