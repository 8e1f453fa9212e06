//! A progress bar per store on a terminal; plain log lines otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::load::StoreReport;

/// Where progress goes.
#[derive(Clone)]
pub struct Progress {
    bars: Option<MultiProgress>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("bars", &self.bars.is_some())
            .finish()
    }
}

impl Progress {
    /// Bars when stderr is a terminal, else log lines.
    pub fn auto() -> Self {
        Self {
            bars: std::io::stderr()
                .is_terminal()
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// Log lines only (tests, benches that print their own table).
    pub fn lines() -> Self {
        Self { bars: None }
    }

    /// The tracker of one store's load of `rows` rows.
    pub fn store(&self, store: &'static str, rows: u64) -> StoreBar {
        let bar = self.bars.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(rows));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>8} [{bar:40}] {human_pos}/{human_len} rows {per_sec} {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(store);
            bar
        });
        tracing::info!(store, rows, "seeding");
        StoreBar {
            store,
            rows,
            done: Arc::new(AtomicU64::new(0)),
            bar,
        }
    }

    /// Notes a store that already had the set.
    pub fn skipped(&self, store: &'static str) {
        match &self.bars {
            Some(m) => {
                let _ = m.println(format!("{store:>8} already seeded"));
            }
            None => tracing::info!(store, "already seeded"),
        }
    }
}

/// Progress of one store.
#[derive(Debug, Clone)]
pub struct StoreBar {
    store: &'static str,
    rows: u64,
    done: Arc<AtomicU64>,
    bar: Option<ProgressBar>,
}

impl StoreBar {
    /// `n` more rows written.
    pub fn add(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                // A line at every tenth of the way.
                let step = (self.rows / 10).max(1);
                if (before + n) / step > before / step {
                    tracing::info!(
                        store = self.store,
                        done = before + n,
                        of = self.rows,
                        "seeding"
                    );
                }
            }
        }
    }

    /// The store is done.
    pub fn finish(&self, report: &StoreReport) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
        tracing::info!(
            store = self.store,
            written = report.written,
            seconds = report.elapsed.as_secs_f64(),
            "seeded"
        );
    }
}
