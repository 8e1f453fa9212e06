//! The ETL's Prometheus metrics (`promptsales_etl_*`), served at `/metrics` by `etl serve`.

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The metrics of one ETL process.
#[derive(Clone)]
pub struct EtlMetrics {
    registry: Registry,
    /// Seconds the summaries are behind each source (0 when caught up at the last cycle's start).
    pub lag: GaugeVec,
    /// Changed rows read, per source.
    pub rows_read: IntCounterVec,
    /// Summary rows written, per source.
    pub rows_written: IntCounterVec,
    /// Source rows recorded as failed, per source.
    pub rows_failed: IntCounterVec,
    /// Cycles of a source that failed (a store unreachable, a commit refused).
    pub failures: IntCounterVec,
    /// Seconds per cycle of a source.
    pub duration: HistogramVec,
}

impl std::fmt::Debug for EtlMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtlMetrics").finish_non_exhaustive()
    }
}

impl EtlMetrics {
    /// A fresh registry with every ETL metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("promptsales".into()), None)?;
        let lag = GaugeVec::new(
            Opts::new(
                "etl_lag_seconds",
                "How far the summaries are behind each source",
            ),
            &["source"],
        )?;
        let counter =
            |name: &str, help: &str| IntCounterVec::new(Opts::new(name, help), &["source"]);
        let rows_read = counter("etl_rows_read_total", "Changed source rows read")?;
        let rows_written = counter("etl_rows_written_total", "Summary rows written")?;
        let rows_failed = counter(
            "etl_rows_failed_total",
            "Source rows the ETL could not interpret (recorded and skipped)",
        )?;
        let failures = counter("etl_failures_total", "Cycles of a source that failed")?;
        let duration = HistogramVec::new(
            HistogramOpts::new("etl_cycle_seconds", "Seconds per cycle of a source").buckets(vec![
                0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 120.0,
            ]),
            &["source"],
        )?;
        registry.register(Box::new(lag.clone()))?;
        registry.register(Box::new(rows_read.clone()))?;
        registry.register(Box::new(rows_written.clone()))?;
        registry.register(Box::new(rows_failed.clone()))?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            registry,
            lag,
            rows_read,
            rows_written,
            rows_failed,
            failures,
            duration,
        })
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %e, "cannot encode the ETL metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
