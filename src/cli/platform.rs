//! What `promptsales up` runs and `promptsales status` checks: one [`Spec`] per component.
//!
//! A new component is one more entry in [`components`]: the command of this binary that
//! runs it, where it tells it is ready, and what it must wait for on the first start.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;

use promptsales_kit::StrEnum;

use super::components::Component;
use super::supervisor::Spec;

/// The router's port: `PROMPTSALES_ROUTER_PORT`, default 4000 (as in `router.yaml`).
pub fn router_port() -> u16 {
    std::env::var("PROMPTSALES_ROUTER_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(4000)
}

/// The router's base URL (`http://127.0.0.1:4000`).
pub fn router_base() -> String {
    format!("http://127.0.0.1:{}", router_port())
}

/// Every component, in start order: the subgraphs, then the router once they are ready,
/// then the MCP adapter once the router is.
pub fn components() -> anyhow::Result<Vec<Spec>> {
    let mut specs = Vec::new();
    for subgraph in Component::ALL.iter().copied() {
        specs.push(subgraph_spec(subgraph)?);
    }
    specs.push(router_spec()?);
    specs.push(mcp_spec()?);
    specs.push(etl_spec());
    Ok(specs)
}

/// The delta ETL: `promptsales etl serve --every <PROMPTSALES_ETL_EVERY, 60s>`, ready at `/healthz`.
///
/// Unless `PROMPTSALES_ETL_LISTEN` says otherwise it listens 20 ports above the router
/// (4020 by default), so that two platforms started with their own router ports never
/// fight over one ETL port.
fn etl_spec() -> Spec {
    let listen = std::env::var("PROMPTSALES_ETL_LISTEN")
        .ok()
        .and_then(|v| v.trim().parse::<SocketAddr>().ok())
        .unwrap_or_else(|| {
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                router_port().saturating_add(20),
            )
        });
    let every = std::env::var("PROMPTSALES_ETL_EVERY").unwrap_or_else(|_| "60s".to_string());
    let at = reachable(listen);
    Spec {
        name: "etl".to_string(),
        args: vec![
            "etl".to_string(),
            "serve".to_string(),
            "--every".to_string(),
            every,
        ],
        env: vec![("PROMPTSALES_ETL_LISTEN".to_string(), listen.to_string())],
        ready_url: format!("http://{at}/healthz"),
        serves: format!("http://{at}/metrics"),
        after: vec!["sales".to_string()],
    }
}

/// A subgraph: `promptsales subgraph <name>`, ready at `/health/ready`.
fn subgraph_spec(subgraph: Component) -> anyhow::Result<Spec> {
    let at = reachable(subgraph.config()?.listen);
    Ok(Spec {
        name: subgraph.name().to_string(),
        args: vec!["subgraph".to_string(), subgraph.name().to_string()],
        env: Vec::new(),
        ready_url: format!("http://{at}/health/ready"),
        serves: format!("http://{at}/graphql"),
        after: Vec::new(),
    })
}

/// The router, pointed at where each subgraph really listens; ready at `/readiness`
/// (`/health` answers before the supergraph is loaded).
fn router_spec() -> anyhow::Result<Spec> {
    let mut env = Vec::new();
    let mut after = Vec::new();
    for subgraph in Component::ALL.iter().copied() {
        let at = reachable(subgraph.config()?.listen);
        env.push((
            format!("PROMPTSALES_{}_URL", subgraph.name().to_ascii_uppercase()),
            format!("http://{at}/graphql"),
        ));
        after.push(subgraph.name().to_string());
    }
    let base = router_base();
    Ok(Spec {
        name: "router".to_string(),
        args: vec!["router".to_string()],
        env,
        ready_url: format!("{base}/readiness"),
        serves: format!("{base}/graphql"),
        after,
    })
}

/// The MCP adapter, in front of the router. Its own configuration says where it listens,
/// so a bad setting stops `up` (and `status`) with its reason.
fn mcp_spec() -> anyhow::Result<Spec> {
    let config = promptsales_mcp::Config::from_env().context("MCP adapter configuration")?;
    let at = reachable(config.listen);
    Ok(Spec {
        name: "mcp".to_string(),
        args: vec!["mcp".to_string()],
        env: vec![(
            "PROMPTSALES_ROUTER_URL".to_string(),
            format!("{}/graphql", router_base()),
        )],
        ready_url: format!("http://{at}/health"),
        serves: format!("http://{at}/mcp"),
        after: vec!["router".to_string()],
    })
}

/// An address a client can dial: a wildcard bind is reached on loopback.
pub fn reachable(listen: SocketAddr) -> SocketAddr {
    if listen.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
    } else {
        listen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_waits_only_for_components_before_it() {
        let specs = components().expect("the default configuration");
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        for (at, spec) in specs.iter().enumerate() {
            for after in &spec.after {
                let before = names[..at].contains(&after.as_str());
                assert!(before, "{} waits for {after}, started later", spec.name);
            }
        }
        assert!(names.starts_with(&["sales", "ads", "crm", "content"]));
        assert!(names.contains(&"router") && names.contains(&"mcp"));
    }
}
