//! `promptsales up`: the whole platform on the embedded default.
//!
//! Each component runs as a child process of this same binary, exactly as
//! it is deployed (`promptsales subgraph <name>`, `promptsales router`), so
//! `up` exercises the deployment shape, and a crash in one component shows
//! up as a dead child instead of taking the others down: the supervisor
//! (`supervisor.rs`) restarts it while the others keep serving.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use promptsales_kit::StrEnum;
use promptsales_kit::client_addr::TRUSTED_PROXIES_ENV;

use super::components::Component;
use super::platform::reachable;
use super::supervisor::{Policy, Supervisor};

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

/// Runs the platform until Ctrl-C or SIGTERM, restarting components that die meanwhile.
pub fn run(seed: bool) -> anyhow::Result<()> {
    super::tokio_main(async move {
        promptsales_kit::telemetry::init();
        // Registered first: a Ctrl-C during start-up still stops the children cleanly.
        let stop = promptsales_kit::server::shutdown_signal();
        let policy = Policy::from_env()?;
        let data_dir = absolute(promptsales_kit::config::data_dir())?;
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        // The children inherit this, so every store resolves to the same folder.
        // SAFETY: single-threaded at this point of start-up as far as env access goes: nothing else reads the environment concurrently.
        unsafe { std::env::set_var("PROMPTSALES_DATA_DIR", &data_dir) };
        // The local embedding model, on first start (or one warning and the hashing embedder).
        super::models::prepare_for_up();
        // Every subgraph, the router and the MCP adapter verify tokens with the sales
        // subgraph's keys, wherever it listens.
        if std::env::var_os("PROMPTSALES_JWKS_URL").is_none() {
            let sales = reachable(super::components::Component::Sales.config()?.listen);
            let url = format!("http://{sales}{}", promptsales_kit::auth::JWKS_PATH);
            // SAFETY: as above, start-up has no concurrent environment readers.
            unsafe { std::env::set_var("PROMPTSALES_JWKS_URL", url) };
        }

        let seed_on = seed.then(promptsales_kit::demo::demo_today);
        for component in Component::ALL.iter().copied() {
            let wrote = component
                .prepare_store(seed_on)
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
        let mut specs = super::platform::components()?;
        let supergraph = supergraph_file(&data_dir)?.display().to_string();
        for spec in specs.iter_mut().filter(|s| s.name == "router") {
            spec.env.push((
                promptsales_router::SUPERGRAPH_ENV.to_string(),
                supergraph.clone(),
            ));
        }
        // crm's lead webhook acts as one organization at a time to check the campaign and ad
        // it is given (`kit::service_identity`): the demo client is a platform client, and
        // each of its tokens is narrowed to the webhook's organization and to reading.
        for spec in specs.iter_mut().filter(|s| s.name == promptsales_crm::NAME) {
            spec.env.push((
                promptsales_kit::service_identity::CLIENT_ID_ENV.to_string(),
                credentials.client_id.clone(),
            ));
            spec.env.push((
                promptsales_kit::service_identity::CLIENT_SECRET_ENV.to_string(),
                credentials.client_secret.clone(),
            ));
        }
        // The subgraphs believe the address the router forwards (it connects from loopback
        // here); the router itself trusts no proxy unless told, so a client cannot pick its
        // address. A configured PROMPTSALES_TRUSTED_PROXIES applies to every component as is.
        if std::env::var_os(TRUSTED_PROXIES_ENV).is_none() {
            for spec in specs
                .iter_mut()
                .filter(|s| Component::ALL.iter().any(|c| c.name() == s.name))
            {
                spec.env.push((
                    TRUSTED_PROXIES_ENV.to_string(),
                    "127.0.0.1, ::1".to_string(),
                ));
            }
        }
        let mut supervisor = Supervisor::new(exe, specs, policy)?;
        println!("Starting the components (data in {}):", data_dir.display());
        tokio::pin!(stop);
        // Driven right here, on the main thread: see `supervisor` on why children are spawned from it.
        let result = async {
            if supervisor.start(stop.as_mut()).await? {
                banner(&credentials)?;
                supervisor.supervise(stop.as_mut()).await?;
            }
            anyhow::Ok(())
        }
        .await;
        supervisor.stop_all().await;
        result
    })
}

/// Where everything is, how to get a token, and the example query.
fn banner(credentials: &promptsales_sales::auth::demo::DemoCredentials) -> anyhow::Result<()> {
    let router = super::platform::router_base();
    let mcp_listen = reachable(
        promptsales_mcp::Config::from_env()
            .context("MCP adapter configuration")?
            .listen,
    );
    let mcp = format!("http://{mcp_listen}");
    println!();
    println!("PromptSales is up.");
    println!("  GraphiQL and GraphQL: {router}/graphql");
    let mut subgraphs = Vec::with_capacity(Component::ALL.len());
    for component in Component::ALL.iter().copied() {
        subgraphs.push((component.name(), reachable(component.config()?.listen)));
    }
    println!("  {}", subgraphs_line(&subgraphs));
    println!("  MCP adapter (streamable HTTP, bearer tokens): {mcp}/mcp");
    println!("  Components are restarted when they exit; `promptsales status` shows what is up.");
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
    Ok(())
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
