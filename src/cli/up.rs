//! `promptsales up`: the whole platform on the embedded default.
//!
//! Each component runs as a child process of this same binary, exactly as
//! it is deployed (`promptsales subgraph <name>`, `promptsales router`), so
//! `up` exercises the deployment shape, and a crash in one component shows
//! up as a dead child instead of taking the others down.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use super::components::ALL;

/// How long a component may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// The example shown when the platform is up (the README's cross-subgraph query).
pub const EXAMPLE_QUERY: &str = include_str!("../../docs/example-query.graphql");

/// The supergraph composed from this build's subgraphs, for when `up` runs outside the repository.
const BUILT_SUPERGRAPH: &str = include_str!("../../schema/supergraph.graphql");

/// The supergraph the router serves: `$PROMPTSALES_SUPERGRAPH`, else the repository's
/// `schema/supergraph.graphql` (so a recomposed schema is picked up live), else this build's
/// own copy written into the data folder.
fn supergraph_file(data_dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PROMPTSALES_SUPERGRAPH") {
        return absolute(PathBuf::from(path));
    }
    let in_repo = PathBuf::from(promptsales_router::DEFAULT_SUPERGRAPH_PATH);
    if in_repo.is_file() {
        return absolute(in_repo);
    }
    let copy = data_dir.join("supergraph.graphql");
    std::fs::write(&copy, BUILT_SUPERGRAPH)
        .with_context(|| format!("writing {}", copy.display()))?;
    Ok(copy)
}

struct Running {
    name: &'static str,
    child: Child,
}

/// Runs the platform until Ctrl-C or SIGTERM, or until a component dies.
pub fn run(seed: bool) -> anyhow::Result<()> {
    super::tokio_main(async move {
        promptsales_kit::telemetry::init();
        // Registered first: a Ctrl-C during start-up still stops the children cleanly.
        let stop = promptsales_kit::server::shutdown_signal();
        let data_dir = absolute(promptsales_kit::config::data_dir())?;
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        // The children inherit this, so every store resolves to the same folder.
        // SAFETY: single-threaded at this point of start-up as far as env access goes: nothing else reads the environment concurrently.
        unsafe { std::env::set_var("PROMPTSALES_DATA_DIR", &data_dir) };
        // Every subgraph, the router and the MCP adapter verify tokens with the sales
        // subgraph's keys, wherever it listens.
        if std::env::var_os("PROMPTSALES_JWKS_URL").is_none() {
            let sales = reachable(super::components::Component::Sales.config()?.listen);
            let url = format!("http://{sales}{}", promptsales_kit::auth::JWKS_PATH);
            // SAFETY: as above, start-up has no concurrent environment readers.
            unsafe { std::env::set_var("PROMPTSALES_JWKS_URL", url) };
        }

        for component in ALL {
            let wrote = component
                .prepare_store(seed)
                .await
                .with_context(|| format!("preparing the {} store", component.name()))?;
            if wrote {
                println!("{}: demo data loaded", component.name());
            }
        }
        // The summaries come from the sources, through the ETL, before anything serves.
        super::etl::run_once_quietly()
            .await
            .context("the first ETL cycle")?;

        // Identity for developers: demo users' passwords and roles, a demo client.
        let credentials = {
            let url = super::components::Component::Sales.config()?.database_url;
            let (store, db) = promptsales_sales::open_store(&url).await?;
            let auth = std::sync::Arc::new(promptsales_sales::auth::SeaAuthStore::new(db.clone()));
            let credentials =
                promptsales_sales::auth::demo::prepare(store.as_ref(), auth, &data_dir).await;
            let _ = db.close().await;
            credentials.context("preparing the demo credentials")?
        };

        let exe = std::env::current_exe().context("finding the promptsales binary")?;
        let mut running = Vec::new();
        let mut router_env = vec![(
            promptsales_router::SUPERGRAPH_ENV.to_string(),
            supergraph_file(&data_dir)?.display().to_string(),
        )];
        for component in ALL {
            let config = component.config()?;
            let url = format!("http://{}/graphql", reachable(config.listen));
            router_env.push((
                format!("PROMPTSALES_{}_URL", component.name().to_ascii_uppercase()),
                url,
            ));
            let child =
                with_parent_death_signal(Command::new(&exe).args(["subgraph", component.name()]))
                    .stdin(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .with_context(|| format!("starting the {} subgraph", component.name()))?;
            running.push(Running {
                name: component.name(),
                child,
            });
        }
        // The ETL keeps the summaries current (every `PROMPTSALES_ETL_EVERY`, 60 s by default).
        let every = std::env::var("PROMPTSALES_ETL_EVERY").unwrap_or_else(|_| "60s".into());
        let child = with_parent_death_signal(Command::new(&exe).args([
            "etl",
            "serve",
            "--every",
            every.as_str(),
        ]))
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the ETL")?;
        running.push(Running { name: "etl", child });
        let result = supervise(&exe, router_env, &mut running, stop, &credentials).await;
        stop_all(&mut running).await;
        result
    })
}

async fn supervise(
    exe: &std::path::Path,
    router_env: Vec<(String, String)>,
    running: &mut Vec<Running>,
    stop: impl std::future::Future<Output = ()>,
    credentials: &promptsales_sales::auth::demo::DemoCredentials,
) -> anyhow::Result<()> {
    for component in ALL {
        let config = component.config()?;
        let url = format!("http://{}/health/ready", reachable(config.listen));
        wait_ready(component.name(), &url, running).await?;
    }
    // A Ctrl-C while waiting above is honoured once the wait ends; start-up is short.
    let router_port: u16 = std::env::var("PROMPTSALES_ROUTER_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(4000);
    let child = with_parent_death_signal(Command::new(exe).arg("router"))
        .envs(router_env)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the router")?;
    running.push(Running {
        name: "router",
        child,
    });
    let router = format!("http://127.0.0.1:{router_port}");
    // `/health` answers before the supergraph is loaded; `/readiness` once it can serve.
    wait_ready("router", &format!("{router}/readiness"), running).await?;

    // The MCP adapter (AI agents' tools), in front of the router just started. Its own
    // configuration says where it listens, so a bad setting stops `up` here, with its reason.
    let mcp_listen = reachable(
        promptsales_mcp::Config::from_env()
            .context("MCP adapter configuration")?
            .listen,
    );
    let child = with_parent_death_signal(Command::new(exe).arg("mcp"))
        .env("PROMPTSALES_ROUTER_URL", format!("{router}/graphql"))
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the MCP adapter")?;
    running.push(Running { name: "mcp", child });
    let mcp = format!("http://{mcp_listen}");
    wait_ready("mcp", &format!("{mcp}/health"), running).await?;

    println!();
    println!("PromptSales is up.");
    println!("  GraphiQL and GraphQL: {router}/graphql");
    let mut subgraphs = Vec::with_capacity(ALL.len());
    for component in ALL {
        subgraphs.push((component.name(), reachable(component.config()?.listen)));
    }
    println!("  {}", subgraphs_line(&subgraphs));
    println!("  MCP adapter (streamable HTTP, bearer tokens): {mcp}/mcp");
    println!();
    let sales = format!(
        "http://{}",
        reachable(super::components::Component::Sales.config()?.listen)
    );
    println!(
        "Every query needs an access token (demo secrets in {}):",
        credentials.file.display()
    );
    println!(
        "  promptsales token --email {}     (or without --email: the demo service client)",
        credentials.admin_email.as_deref().unwrap_or("<user email>")
    );
    println!(
        "  curl -s {sales}/oauth/token -d grant_type=password -d username={} -d password=<password from the file>",
        credentials.admin_email.as_deref().unwrap_or("<user email>")
    );
    println!("  then send it: Authorization: Bearer <access_token>  (GraphiQL: the Headers tab)");
    println!();
    println!("Try this query in GraphiQL:");
    println!();
    println!("{EXAMPLE_QUERY}");
    println!("Press Ctrl-C to stop.");

    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(500)) => {
                if let Some(name) = exited(running) {
                    bail!("the {name} component stopped unexpectedly; stopping the others");
                }
            }
        }
    }
}

/// Where each subgraph really listens (`sales :4001, ...`; the host too when not loopback).
fn subgraphs_line(listening: &[(&str, SocketAddr)]) -> String {
    let each: Vec<String> = listening
        .iter()
        .map(|(name, address)| {
            if address.ip().is_loopback() {
                format!("{name} :{}", address.port())
            } else {
                format!("{name} {address}")
            }
        })
        .collect();
    format!("subgraphs: {} (each at /graphql)", each.join(", "))
}

/// The first component whose process has ended.
fn exited(running: &mut [Running]) -> Option<&'static str> {
    running
        .iter_mut()
        .find_map(|r| matches!(r.child.try_wait(), Ok(Some(_))).then_some(r.name))
}

async fn wait_ready(name: &str, url: &str, running: &mut [Running]) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(response) = client.get(url).timeout(Duration::from_secs(2)).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if let Some(dead) = exited(running) {
            bail!("the {dead} component stopped while starting (see its log above)");
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{name} did not become ready at {url} within {READY_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asks every child to stop (SIGTERM, so they drain), then kills what is left.
async fn stop_all(running: &mut [Running]) {
    for r in running.iter() {
        if let Some(pid) = r.child.id() {
            // SAFETY: kill(2) on a pid we spawned and still own; no memory is involved.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
    }
    for r in running.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(10), r.child.wait())
            .await
            .is_err()
        {
            let _ = r.child.kill().await;
        }
    }
}

/// Makes the child receive SIGTERM when `up` dies, however it dies (even SIGKILL),
/// so no component outlives the command that started it. The signal follows the
/// spawning *thread*: `up` spawns from `block_on`, on the main thread, which lives
/// as long as the process.
fn with_parent_death_signal(command: &mut Command) -> &mut Command {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(2) is async-signal-safe and touches only the child being set up.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// An address a client can dial: a wildcard bind is reached on loopback.
fn reachable(listen: SocketAddr) -> SocketAddr {
    if listen.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
    } else {
        listen
    }
}

fn absolute(path: PathBuf) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        Ok(path)
    } else {
        Ok(std::env::current_dir()?.join(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_names_the_ports_the_subgraphs_listen_on() {
        let at = |ip: [u8; 4], port| SocketAddr::from((ip, port));
        assert_eq!(
            subgraphs_line(&[
                ("sales", at([127, 0, 0, 1], 5101)),
                ("ads", at([127, 0, 0, 1], 5102)),
                ("crm", reachable(at([0, 0, 0, 0], 5103))),
                ("content", at([10, 0, 0, 7], 4004)),
            ]),
            "subgraphs: sales :5101, ads :5102, crm :5103, content 10.0.0.7:4004 (each at /graphql)"
        );
    }
}
