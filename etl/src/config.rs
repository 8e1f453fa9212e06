//! The ETL's configuration from the environment.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_ETL_PAGE_SIZE` | `5000` | changed rows read and committed per page |
//! | `PROMPTSALES_ETL_SETTLE_MS` | `2000` | rows younger than this wait for the next cycle (writes still in flight commit first, so none is skipped) |
//! | `PROMPTSALES_ETL_LEASE_SECONDS` | `30` | how long a runner's lease lasts (renewed at every commit); a stuck runner's lapses |
//! | `PROMPTSALES_ETL_RUNS_KEEP_HOURS` | `168` | EtlRun rows older than this are deleted after each cycle (each source's latest stays); `0` keeps them all |
//! | `PROMPTSALES_ETL_RATES` | built in | currency rates per euro (`USD=1.08,GBP=0.85`) |
//! | `PROMPTSALES_ETL_LISTEN` | `127.0.0.1:4020` | where `etl serve` answers `/metrics` and `/healthz` |

use std::net::SocketAddr;
use std::time::Duration;

use crate::rates::Rates;

/// How the ETL runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtlConfig {
    /// Changed rows per page.
    pub page_size: u64,
    /// How old a change must be before a cycle reads it.
    pub settle: Duration,
    /// How long a lease lasts.
    pub lease_ttl: Duration,
    /// How long EtlRun rows are kept (zero: forever).
    pub runs_keep: Duration,
    /// Currency rates.
    pub rates: Rates,
    /// Where `etl serve` listens.
    pub listen: SocketAddr,
}

impl Default for EtlConfig {
    fn default() -> Self {
        Self {
            page_size: 5_000,
            settle: Duration::from_millis(2_000),
            lease_ttl: Duration::from_secs(30),
            runs_keep: Duration::from_secs(168 * 3600),
            rates: Rates::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 4020)),
        }
    }
}

fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}: {v:?} is not a whole number")),
        _ => Ok(default),
    }
}

impl EtlConfig {
    /// From the environment (see the module's table).
    pub fn from_env() -> anyhow::Result<Self> {
        let defaults = Self::default();
        let listen = match std::env::var("PROMPTSALES_ETL_LISTEN") {
            Ok(v) if !v.trim().is_empty() => v
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("PROMPTSALES_ETL_LISTEN: {v:?} is not host:port"))?,
            _ => defaults.listen,
        };
        Ok(Self {
            page_size: number("PROMPTSALES_ETL_PAGE_SIZE", defaults.page_size)?.max(1),
            settle: Duration::from_millis(number(
                "PROMPTSALES_ETL_SETTLE_MS",
                defaults.settle.as_millis() as u64,
            )?),
            lease_ttl: Duration::from_secs(
                number(
                    "PROMPTSALES_ETL_LEASE_SECONDS",
                    defaults.lease_ttl.as_secs(),
                )?
                .max(1),
            ),
            runs_keep: Duration::from_secs(
                number(
                    "PROMPTSALES_ETL_RUNS_KEEP_HOURS",
                    defaults.runs_keep.as_secs() / 3600,
                )?
                .saturating_mul(3600),
            ),
            rates: Rates::from_env()?,
            listen,
        })
    }
}
