//! `promptsales status`: which of `up`'s components answer their health endpoints.
//!
//! It asks the same endpoints `up` waits on (from the same environment), so it shows
//! a component that is down, restarting or given up after a crash loop as `down`.

use std::time::Duration;

use anyhow::bail;

use super::supervisor::Spec;

/// How long one component may take to answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// What one health endpoint said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// 2xx.
    Up,
    /// Anything else, with the reason (`not listening`, `HTTP 503`...).
    Down(String),
}

/// Asks one component's health endpoint.
pub async fn check(client: &reqwest::Client, spec: &Spec) -> Health {
    match client.get(&spec.ready_url).timeout(TIMEOUT).send().await {
        Ok(response) if response.status().is_success() => Health::Up,
        Ok(response) => Health::Down(format!("HTTP {}", response.status())),
        Err(e) if e.is_connect() => Health::Down("not listening".to_string()),
        Err(e) if e.is_timeout() => Health::Down(format!("no answer within {TIMEOUT:?}")),
        Err(e) => Health::Down(e.to_string()),
    }
}

/// One line of the table: `crm        down  http://127.0.0.1:4003/health/ready  (not listening)`.
pub fn line(spec: &Spec, health: &Health) -> String {
    match health {
        Health::Up => format!("{:<10} {:<5} {}", spec.name, "up", spec.ready_url),
        Health::Down(why) => format!(
            "{:<10} {:<5} {}  ({why})",
            spec.name, "down", spec.ready_url
        ),
    }
}

/// Prints every component's state; fails (exit status 1) when any is down.
pub fn run() -> anyhow::Result<()> {
    super::tokio_main(async {
        let specs = super::platform::components()?;
        let client = reqwest::Client::new();
        let healths =
            futures::future::join_all(specs.iter().map(|spec| check(&client, spec))).await;
        println!("{:<10} {:<5} HEALTH ENDPOINT", "COMPONENT", "STATE");
        for (spec, health) in specs.iter().zip(&healths) {
            println!("{}", line(spec, health));
        }
        let down: Vec<&str> = specs
            .iter()
            .zip(&healths)
            .filter(|(_, h)| **h != Health::Up)
            .map(|(s, _)| s.name.as_str())
            .collect();
        if !down.is_empty() {
            bail!(
                "{} of {} components down: {}",
                down.len(),
                specs.len(),
                down.join(", ")
            );
        }
        Ok(())
    })
}
