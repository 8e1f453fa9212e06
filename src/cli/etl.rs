//! `promptsales etl run` (one cycle), `etl serve` (a cycle every period, with
//! `/metrics` and `/healthz`), `etl rebuild` (a cold full rebuild) and `etl status`.

use std::time::{Duration, Instant};

use anyhow::Context;
use promptsales_etl::{CycleReport, Etl};

/// The ETL subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum EtlCommand {
    /// Runs one cycle: every source's changes since its watermark into the sales summaries.
    Run,
    /// Runs a cycle every `--every` until stopped; serves `/metrics` and `/healthz` on `PROMPTSALES_ETL_LISTEN`.
    Serve {
        /// Time between cycles: `60s`, `4m`, `1h` (plain numbers are seconds).
        #[arg(long, env = "PROMPTSALES_ETL_EVERY", default_value = "4m", value_parser = parse_period)]
        every: Duration,
    },
    /// Forgets every summary and watermark and reads every source again (a cold full rebuild).
    Rebuild,
    /// Prints each source's watermark, lag and last run.
    Status,
}

/// `60s`, `4m`, `1h`, or seconds.
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a period such as 60s, 4m or 1h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3_600,
        _ => return Err(format!("{text:?}: the unit is s, m or h")),
    };
    if seconds == 0 {
        return Err("the period must be longer than zero".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// Runs an ETL subcommand.
pub async fn run(command: EtlCommand) -> anyhow::Result<()> {
    match command {
        EtlCommand::Run => {
            let etl = promptsales_etl::open_from_env(true).await?;
            let report = etl.run_cycle().await;
            promptsales_etl::flush_live().await;
            print_report(&report);
            if report.failed() {
                anyhow::bail!("some sources failed (see above); the next cycle retries them");
            }
            Ok(())
        }
        EtlCommand::Rebuild => {
            let etl = promptsales_etl::open_from_env(true).await?;
            let started = Instant::now();
            let report = etl.rebuild().await.context("rebuilding the summaries")?;
            promptsales_etl::flush_live().await;
            print_report(&report);
            println!("cold rebuild: {:.2} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        EtlCommand::Status => {
            let etl = promptsales_etl::open_from_env(false).await?;
            for s in etl.sink().status().await? {
                let lag = s
                    .caught_up_to
                    .map(|t| format!("{:.1} s", promptsales_etl::seconds_since(t)))
                    .unwrap_or_else(|| "never read".into());
                let last = s
                    .last_run
                    .map(|r| {
                        format!(
                            "{} at {} (read {}, wrote {}, failed {})",
                            r.status, r.finished_at, r.rows_read, r.rows_written, r.rows_failed
                        )
                    })
                    .unwrap_or_else(|| "none".into());
                println!(
                    "{:<26} lag {lag:<10} failed rows {:<5} last run {last}",
                    s.source, s.failed_rows
                );
                if let Some(e) = s.last_error {
                    println!(
                        "{:<26} last error at {}: {}",
                        "",
                        e.finished_at,
                        e.error.unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        EtlCommand::Serve { every } => serve(every).await,
    }
}

fn print_report(report: &CycleReport) {
    for s in &report.sources {
        println!(
            "{:<26} {:<7} read {:>8}  written {:>8}  failed {:>5}  {:.3} s{}",
            s.source.name(),
            s.status,
            s.rows_read,
            s.rows_written,
            s.rows_failed,
            s.seconds,
            s.error
                .as_deref()
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default()
        );
    }
    let campaigns: usize = report.changed.values().map(|c| c.len()).sum();
    println!(
        "cycle: read {} changed rows, wrote {} summary rows, {} failed rows, {} campaigns of {} organizations changed",
        report.rows_read(),
        report.rows_written(),
        report.rows_failed(),
        campaigns,
        report.changed.len()
    );
}

async fn serve(every: Duration) -> anyhow::Result<()> {
    let etl = std::sync::Arc::new(promptsales_etl::open_from_env(true).await?);
    let listen = promptsales_etl::EtlConfig::from_env()?.listen;
    let metrics = etl.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let etl = metrics.clone();
                async move { etl.metrics().render() }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    // The cycles matter more than their metrics: a taken port is a warning, not a stop.
    let http = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => {
            tracing::info!(%listen, every = ?every, "ETL serving: a cycle every period, /metrics and /healthz");
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::warn!(error = %e, "the ETL's metrics endpoint stopped");
                }
            }))
        }
        Err(e) => {
            tracing::warn!(%listen, error = %e, "cannot serve the ETL's metrics (PROMPTSALES_ETL_LISTEN); cycles go on");
            None
        }
    };
    let stop = promptsales_kit::server::shutdown_signal();
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = tick.tick() => {
                let report = etl.run_cycle().await;
                tracing::info!(
                    rows_read = report.rows_read(),
                    rows_written = report.rows_written(),
                    rows_failed = report.rows_failed(),
                    failed = report.failed(),
                    "ETL cycle done"
                );
            }
        }
    }
    if let Some(http) = http {
        http.abort();
    }
    promptsales_etl::flush_live().await;
    Ok(())
}

/// One cycle in this process, without live updates and without waiting for writes to settle
/// (`up` and `seed`, right after seeding, before anything serves).
pub async fn run_once_quietly() -> anyhow::Result<CycleReport> {
    let etl: Etl = promptsales_etl::open_from_env(false)
        .await?
        .without_settling();
    Ok(etl.run_cycle().await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_people_write_them() {
        assert_eq!(parse_period("4m"), Ok(Duration::from_secs(240)));
        assert_eq!(parse_period("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_period("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse_period("90"), Ok(Duration::from_secs(90)));
        assert!(parse_period("0s").is_err());
        assert!(parse_period("4 weeks").is_err());
    }
}
