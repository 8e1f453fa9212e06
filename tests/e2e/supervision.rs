//! Issue 19, through the real `promptsales up`: a component killed with SIGKILL under a
//! running query loop is restarted, the router answers partial data while a subgraph is
//! away, acknowledged writes survive, a crash loop is given up on while the rest keeps
//! serving, and no component outlives `up`.
//!
//! Linux only: it finds `up`'s children in /proc.

#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promptsales_kit::testing::free_port;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use super::harness::{bearer, data, post_graphql, promptsales_bin};

/// A restarted component must serve again within this (a hang guard; the measured times are printed).
const BACK_WITHIN: Duration = Duration::from_secs(60);

/// One question to all four subgraphs; the three nullable roots keep their data when sales is away.
const LOOP: &str = r#"
query Loop($campaign: ID!, $ad: ID!, $email: String!, $asset: ID!) {
  campaign(id: $campaign) {
    name
    adTotals { impressions }
    leadFunnel { total }
    assets(first: 1) { edges { node { id } } }
  }
  ad(id: $ad) { id }
  customerByEmail(email: $email) { id }
  mediaAsset(id: $asset) { id }
}"#;

/// The same roots of ads, crm and content without sales: answered in full while sales is away.
const OTHERS: &str = r#"
query Others($ad: ID!, $email: String!, $asset: ID!) {
  ad(id: $ad) { id }
  customerByEmail(email: $email) { id }
  mediaAsset(id: $asset) { id }
}"#;

/// `promptsales up`, its output collected line by line.
struct Up {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    env: Vec<(String, String)>,
    router: String,
    sales: String,
    mcp: String,
    data: tempfile::TempDir,
}

impl Up {
    async fn start() -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let router_port = free_port();
        let mcp_port = free_port();
        let sales_port = free_port();
        let redis = promptsales_kit::testing::redis().await;
        let mut env: Vec<(String, String)> = vec![
            (
                "PROMPTSALES_DATA_DIR".into(),
                data.path().display().to_string(),
            ),
            ("PROMPTSALES_ROUTER_PORT".into(), router_port.to_string()),
            ("PROMPTSALES_MCP_PORT".into(), mcp_port.to_string()),
            (
                "PROMPTSALES_ETL_LISTEN".into(),
                format!("127.0.0.1:{}", free_port()),
            ),
            ("PROMPTSALES_ROUTER_LOG_LEVEL".into(), "error".into()),
            // The supervisor's restarts and returns; only warnings from the rest.
            (
                "PROMPTSALES_LOG".into(),
                "warn,promptsales::cli::supervisor=info".into(),
            ),
            ("PROMPTSALES_REDIS_URL".into(), redis.url().to_string()),
            ("PROMPTSALES_REDIS_KEY_PREFIX".into(), redis.fresh_prefix()),
            // Every answer comes from the subgraphs (a cached one would hide an outage),
            // and the loop is not throttled.
            ("PROMPTSALES_RESPONSE_CACHE".into(), "false".into()),
            ("PROMPTSALES_RATE_LIMIT".into(), "0".into()),
            // One exit is restarted, a second one (content, at the end) is a crash loop.
            ("PROMPTSALES_UP_CRASH_LOOP_LIMIT".into(), "1".into()),
        ];
        for name in ["SALES", "ADS", "CRM", "CONTENT"] {
            let port = if name == "SALES" {
                sales_port
            } else {
                free_port()
            };
            env.push((format!("PROMPTSALES_{name}_PORT"), port.to_string()));
        }
        let mut command = Command::new(promptsales_bin());
        command
            .arg("up")
            .current_dir(data.path())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("ROUTER_CONFIG_FILE_PATH")
            .env_remove("PROMPTSALES_SUPERGRAPH")
            .env_remove("PROMPTSALES_JWKS_URL")
            .env_remove("PROMPTSALES_DEMO_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        for name in ["SALES", "ADS", "CRM", "CONTENT"] {
            command.env_remove(format!("PROMPTSALES_{name}_DATABASE_URL"));
            command.env_remove(format!("PROMPTSALES_{name}_URL"));
        }
        for name in [
            "PROMPTSALES_UP_BACKOFF_INITIAL",
            "PROMPTSALES_UP_BACKOFF_MAX",
            "PROMPTSALES_UP_CRASH_LOOP_WINDOW",
        ] {
            command.env_remove(name);
        }
        let mut child = command.spawn().expect("starting promptsales up");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                eprintln!("up| {line}");
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        let mut up = Self {
            child,
            lines,
            env,
            router: format!("http://127.0.0.1:{router_port}"),
            sales: format!("http://127.0.0.1:{sales_port}"),
            mcp: format!("http://127.0.0.1:{mcp_port}"),
            data,
        };
        let deadline = Instant::now() + Duration::from_secs(240);
        while !up.said("PromptSales is up") {
            assert!(
                up.child.try_wait().expect("wait").is_none(),
                "up exited while starting"
            );
            assert!(Instant::now() < deadline, "up never said it was up");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        up
    }

    fn said(&self, text: &str) -> bool {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|l| l.contains(text))
    }

    fn pid(&self) -> i32 {
        self.child.id().expect("up runs") as i32
    }

    /// `promptsales status` against this platform: (exit success, output).
    async fn status(&self) -> (bool, String) {
        let out = Command::new(promptsales_bin())
            .arg("status")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .await
            .expect("promptsales status");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

/// The live (not zombie) child of `parent` whose arguments are `args`.
fn child_pid(parent: i32, args: &[&str]) -> Option<i32> {
    let parent = parent.to_string();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command name in parentheses: state, then the parent's pid.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() == Some(&"Z") || fields.get(1) != Some(&parent.as_str()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let argv: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .skip(1)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if argv == args {
            return Some(pid);
        }
    }
    None
}

/// Whether `pid` is still a running (not zombie) process.
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn sigkill(pid: i32) {
    // SAFETY: kill(2) on a process of this test's own `up`; no memory is involved.
    let done = unsafe { libc::kill(pid, libc::SIGKILL) };
    assert_eq!(done, 0, "kill {pid}: {}", std::io::Error::last_os_error());
}

/// What one request of the loop got.
#[derive(Debug, Clone)]
enum Seen {
    /// A GraphQL answer (HTTP status, body).
    Answer(u16, Value),
    /// No HTTP answer at all (refused, reset).
    Unreachable(String),
}

#[derive(Debug, Clone)]
struct Sample {
    sent: Instant,
    seen: Seen,
}

impl Sample {
    /// An answer without errors and without a null anywhere in its data.
    fn full(&self) -> bool {
        fn no_null(value: &Value) -> bool {
            match value {
                Value::Null => false,
                Value::Array(items) => items.iter().all(no_null),
                Value::Object(fields) => fields.values().all(no_null),
                _ => true,
            }
        }
        let Seen::Answer(200, body) = &self.seen else {
            return false;
        };
        body.get("errors").is_none() && no_null(&body["data"])
    }
}

/// Queries the router over and over, keeping every answer.
fn query_loop(
    router: String,
    token: String,
    query: &'static str,
    variables: Value,
) -> (Arc<Mutex<Vec<Sample>>>, tokio::task::JoinHandle<()>) {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sink = samples.clone();
    let task = tokio::spawn(async move {
        let client = reqwest::Client::new();
        loop {
            let sent = Instant::now();
            let reply = client
                .post(format!("{router}/graphql"))
                .bearer_auth(&token)
                .json(&json!({ "query": query, "variables": variables }))
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            let seen = match reply {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    Seen::Answer(
                        status,
                        serde_json::from_str(&text).unwrap_or(Value::String(text)),
                    )
                }
                Err(e) => Seen::Unreachable(format!("{e:?}")),
            };
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Sample { sent, seen });
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    });
    (samples, task)
}

/// Waits for the loop to see an outage after `killed_at` and then a full answer; returns
/// the samples of the outage and when the first full answer was asked.
async fn outage_and_return(
    samples: &Arc<Mutex<Vec<Sample>>>,
    killed_at: Instant,
    what: &str,
) -> (Vec<Sample>, Instant) {
    let deadline = killed_at + BACK_WITHIN;
    loop {
        {
            let all = samples.lock().unwrap_or_else(|p| p.into_inner());
            let after: Vec<&Sample> = all.iter().filter(|s| s.sent > killed_at).collect();
            if let Some(first_down) = after.iter().position(|s| !s.full())
                && let Some(back) = after[first_down..].iter().position(|s| s.full())
            {
                let outage: Vec<Sample> = after[first_down..first_down + back]
                    .iter()
                    .map(|s| (*s).clone())
                    .collect();
                return (outage, after[first_down + back].sent);
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what} was not back and serving within {BACK_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every error names `subgraph` as unavailable, and every field of the others is there.
/// Returns whether all of `subgraph`'s fields are null (a request that straddles its
/// return can find it back for a later fetch of the same plan).
fn assert_partial_without(sample: &Sample, subgraph: &str) -> bool {
    let (status, body) = match &sample.seen {
        Seen::Answer(status, body) => (status, body),
        Seen::Unreachable(error) => {
            panic!("while {subgraph} was down the router did not answer: {error}")
        }
    };
    assert_eq!(*status, 200, "{body:#}");
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{body:#}");
    for error in &errors {
        assert_eq!(
            error["extensions"]["code"], "SUBGRAPH_UNAVAILABLE",
            "{body:#}"
        );
        assert_eq!(error["extensions"]["service"], subgraph, "{body:#}");
    }
    let d = &body["data"];
    let owner_of = |field: &str| match field {
        "adTotals" | "ad" => "ads",
        "leadFunnel" | "customerByEmail" => "crm",
        "assets" | "mediaAsset" => "content",
        _ => "sales",
    };
    let mut fields: Vec<(&str, &Value)> = ["ad", "customerByEmail", "mediaAsset"]
        .iter()
        .map(|root| (*root, &d[*root]))
        .collect();
    if subgraph == "sales" {
        // `campaign` is non-null, so GraphQL's null propagation nulls the whole answer:
        // sales owns the roots the others hang off. `OTHERS` shows they keep serving.
        assert!(d.is_null(), "{body:#}");
        return true;
    } else {
        assert!(d["campaign"]["name"].is_string(), "{body:#}");
        for field in ["adTotals", "leadFunnel", "assets"] {
            fields.push((field, &d["campaign"][field]));
        }
    }
    let mut all_null = true;
    for (field, value) in fields {
        if owner_of(field) == subgraph {
            all_null &= value.is_null();
        } else {
            assert!(!value.is_null(), "{field} with {subgraph} down: {body:#}");
        }
    }
    all_null
}

async fn gql(client: &reqwest::Client, up: &Up, token: &str, query: &str, vars: Value) -> Value {
    post_graphql(
        client,
        &format!("{}/graphql", up.router),
        query,
        vars,
        &bearer(token),
    )
    .await
    .expect("the router answers")
}

#[tokio::test(flavor = "multi_thread")]
async fn up_restarts_a_killed_component_while_the_others_keep_serving() {
    let up = Up::start().await;
    let client = reqwest::Client::new();
    for name in ["sales", "ads", "crm", "content", "router", "mcp", "etl"] {
        assert!(
            up.lines
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|l| l.trim_start().starts_with(name) && l.contains("ready")),
            "a status line for {name}"
        );
    }
    let (all_up, table) = up.status().await;
    assert!(all_up, "{table}");
    assert_eq!(table.matches(" up ").count(), 7, "{table}");

    // The demo organization admin (every subsystem, one organization).
    let saved: HashMap<String, String> =
        std::fs::read_to_string(up.data.path().join("demo-credentials.txt"))
            .expect("demo credentials")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let reply: Value = client
        .post(format!("{}/oauth/token", up.sales))
        .form(&[
            ("grant_type", "password"),
            ("username", saved["admin_email"].as_str()),
            ("password", saved["password"].as_str()),
        ])
        .send()
        .await
        .expect("token endpoint")
        .json()
        .await
        .expect("json");
    let token = reply["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {reply}"))
        .to_string();
    let ids = gql(
        &client,
        &up,
        &token,
        "{ organizations(first: 1) { edges { node { id } } }
           campaigns(first: 1) { edges { node { id } } }
           ads(first: 1) { edges { node { id } } }
           customers(first: 1) { edges { node { email } } }
           mediaAssets(first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let first = |root: &str, field: &str| {
        data(&ids)[root]["edges"][0]["node"][field]
            .as_str()
            .unwrap_or_else(|| panic!("no {root}: {ids:#}"))
            .to_string()
    };
    let organization = first("organizations", "id");
    let variables = json!({
        "campaign": first("campaigns", "id"),
        "ad": first("ads", "id"),
        "email": first("customers", "email"),
        "asset": first("mediaAssets", "id"),
    });
    let (others, others_looping) = query_loop(
        up.router.clone(),
        token.clone(),
        OTHERS,
        json!({ "ad": variables["ad"], "email": variables["email"], "asset": variables["asset"] }),
    );
    let (samples, looping) = query_loop(up.router.clone(), token.clone(), LOOP, variables);

    let mut measured = Vec::new();
    for subgraph in ["ads", "crm", "content", "sales"] {
        // A write, acknowledged just before the kill, and how to read it back.
        let (write, read, vars): (&str, &str, Value) = match subgraph {
            "ads" => (
                "mutation { createMarket(input: { country: \"NZ\", currency: \"NZD\", language: \"en\" }) { id } }",
                "{ markets { id } }",
                json!({}),
            ),
            "crm" => (
                "mutation($email: String!) { createCustomer(input: { email: $email, fullName: \"Kept Across Restarts\" }) { id } }",
                "query($email: String!) { customerByEmail(email: $email) { id } }",
                json!({ "email": format!("kept-{}@example.com", uuid::Uuid::now_v7()) }),
            ),
            "content" => (
                "mutation { registerMediaAsset(input: { kind: IMAGE, description: \"kept across restarts\", url: \"https://example.com/kept.png\" }) { id } }",
                "query($id: ID!) { mediaAsset(id: $id) { id } }",
                json!({}),
            ),
            _ => (
                "mutation($org: ID!) { createProduct(input: { organizationId: $org, name: \"Kept across restarts\", price: \"9.99\", currency: \"EUR\" }) { id } }",
                "query($org: ID!) { organization(id: $org) { products { id } } }",
                json!({ "org": organization }),
            ),
        };
        let written = gql(&client, &up, &token, write, vars.clone()).await;
        let written_id = data(&written)
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v["id"].as_str())
            .unwrap_or_else(|| panic!("{subgraph} write acknowledged: {written:#}"))
            .to_string();

        let pid = child_pid(up.pid(), &["subgraph", subgraph])
            .unwrap_or_else(|| panic!("the {subgraph} process"));
        let killed_at = Instant::now();
        sigkill(pid);
        // Down: the router stays ready and answers what the others have.
        let (outage, back_at) = outage_and_return(&samples, killed_at, subgraph).await;
        let mut nulled = 0;
        for sample in &outage {
            nulled += usize::from(assert_partial_without(sample, subgraph));
        }
        assert!(
            nulled > 0,
            "{subgraph}'s fields were null while it was down"
        );
        if subgraph == "sales" {
            // Every answer of `LOOP` was null (sales owns its non-null roots); `OTHERS`, the
            // roots of ads, crm and content alone, kept answering in full meanwhile.
            let during: Vec<Sample> = others
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .filter(|s| s.sent > killed_at && s.sent < back_at)
                .cloned()
                .collect();
            assert!(
                !during.is_empty(),
                "`OTHERS` was asked while sales was down"
            );
            for sample in &during {
                assert!(
                    sample.full(),
                    "with sales down, the others answer in full: {sample:?}"
                );
            }
        }
        let took = back_at.duration_since(killed_at);
        measured.push((subgraph, took, outage.len()));
        let new_pid = child_pid(up.pid(), &["subgraph", subgraph]).expect("restarted");
        assert_ne!(new_pid, pid);

        // Back, with the acknowledged write.
        let read_vars = if subgraph == "content" {
            json!({ "id": written_id })
        } else {
            vars
        };
        let read_back = gql(&client, &up, &token, read, read_vars).await;
        assert!(
            read_back.to_string().contains(&written_id),
            "{subgraph} lost {written_id}: {read_back:#}"
        );
    }
    for subgraph in ["ads", "crm", "content", "sales"] {
        assert!(
            up.said(&format!(
                "{subgraph}: exited unexpectedly (signal 9 (SIGKILL))"
            )),
            "the restart of {subgraph} is logged with its signal"
        );
        // The supervisor logs the return once its own readiness check passes, which can
        // be a moment after the loop above already got full answers.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !up.said(&format!("{subgraph}: back and ready")) {
            assert!(Instant::now() < deadline, "{subgraph}'s return is logged");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let readiness = client
        .get(format!("{}/readiness", up.router))
        .send()
        .await
        .expect("readiness");
    assert_eq!(readiness.status(), 200);

    // The router: clients see refused connections, and only until it is back.
    let email = format!("kept-{}@example.com", uuid::Uuid::now_v7());
    let written = gql(
        &client,
        &up,
        &token,
        "mutation($email: String!) { createCustomer(input: { email: $email, fullName: \"Kept\" }) { id } }",
        json!({ "email": email }),
    )
    .await;
    let customer = data(&written)["createCustomer"]["id"].clone();
    let pid = child_pid(up.pid(), &["router"]).expect("the router process");
    let killed_at = Instant::now();
    sigkill(pid);
    let (outage, back_at) = outage_and_return(&samples, killed_at, "router").await;
    // Until the new process has loaded the supergraph, Hive answers 503
    // NO_SUPERGRAPH_AVAILABLE (its /readiness is not ready yet): still the restart window.
    for sample in &outage {
        let loading = matches!(&sample.seen, Seen::Answer(503, body)
            if body["errors"][0]["extensions"]["code"] == "NO_SUPERGRAPH_AVAILABLE");
        assert!(
            matches!(sample.seen, Seen::Unreachable(_)) || loading,
            "while the router restarts, only refused connections or 'no supergraph yet': {sample:?}"
        );
    }
    measured.push(("router", back_at.duration_since(killed_at), outage.len()));
    let read_back = gql(
        &client,
        &up,
        &token,
        "query($email: String!) { customerByEmail(email: $email) { id } }",
        json!({ "email": email }),
    )
    .await;
    assert_eq!(data(&read_back)["customerByEmail"]["id"], customer);

    // The MCP adapter: back at its health endpoint.
    let pid = child_pid(up.pid(), &["mcp"]).expect("the mcp process");
    let killed_at = Instant::now();
    sigkill(pid);
    loop {
        let back = child_pid(up.pid(), &["mcp"]).is_some_and(|p| p != pid)
            && client
                .get(format!("{}/health", up.mcp))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
        if back {
            break;
        }
        assert!(killed_at.elapsed() < BACK_WITHIN, "mcp not back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    measured.push(("mcp", killed_at.elapsed(), 0));

    // A second exit of content within the window is a crash loop: given up, the rest serves.
    let pid = child_pid(up.pid(), &["subgraph", "content"]).expect("content");
    sigkill(pid);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !up.said("content: exited (signal 9 (SIGKILL)), 2 exits") {
        assert!(Instant::now() < deadline, "the crash loop is reported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up.said("crash loop, giving up on it"));
    // Longer than the restart backoff: it stays down.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(child_pid(up.pid(), &["subgraph", "content"]), None);
    let (all_up, table) = up.status().await;
    assert!(!all_up, "status fails while a component is down: {table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("content") && l.contains("down")),
        "{table}"
    );
    assert_eq!(table.matches(" up ").count(), 6, "{table}");
    let since = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recent: Vec<Sample> = samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|s| s.sent > since)
        .cloned()
        .collect();
    assert!(!recent.is_empty());
    for sample in &recent {
        assert!(assert_partial_without(sample, "content"));
    }
    let readiness = client
        .get(format!("{}/readiness", up.router))
        .send()
        .await
        .expect("readiness");
    assert_eq!(readiness.status(), 200, "the router stays ready");
    looping.abort();
    others_looping.abort();

    // However `up` ends (SIGKILL here: no chance to clean up), its components end with it,
    // the restarted ones included.
    let mut children: Vec<i32> = Vec::new();
    for args in [
        &["subgraph", "sales"][..],
        &["subgraph", "ads"],
        &["subgraph", "crm"],
        &["router"],
        &["mcp"],
        &["etl", "serve", "--every", "60s"],
    ] {
        children.push(child_pid(up.pid(), args).expect("a component"));
    }
    let mut up = up;
    up.child.kill().await.expect("SIGKILL up");
    // Each child gets SIGTERM when `up` dies and drains: the router waits up to its 30 s
    // shutdown timeout for open keep-alive connections (this test's clients keep some).
    let deadline = Instant::now() + Duration::from_secs(45);
    while children.iter().any(|p| alive(*p)) {
        assert!(
            Instant::now() < deadline,
            "components outlived up: {:?}",
            children.iter().filter(|p| alive(**p)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    eprintln!("kill -> serving again (SIGKILL to the first full answer through the router):");
    for (what, took, outage) in &measured {
        eprintln!(
            "  {what:<8} {:>6.2} s  ({outage} answers during the outage)",
            took.as_secs_f64()
        );
    }
}
