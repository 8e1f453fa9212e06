//! Watches the operation folder and the supergraph file: a change reloads the tools and
//! notifies the clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::error::McpError;
use crate::server::Shared;

/// How long to wait for a burst of file events (an editor's save) to settle.
const SETTLE: Duration = Duration::from_millis(200);

/// Starts watching; the returned watcher must be kept alive.
pub fn start(shared: Arc<Shared>) -> Result<Option<notify::RecommendedWatcher>, McpError> {
    // Absolute paths: notify reports events under the path it was given.
    let operations = shared
        .config
        .operations_dir
        .as_ref()
        .and_then(|dir| std::path::absolute(dir).ok());
    // The supergraph's folder is watched (a recomposition may replace the file by renaming).
    let supergraph = shared
        .config
        .supergraph
        .as_ref()
        .and_then(|file| std::path::absolute(file).ok());
    if operations.is_none() && supergraph.is_none() {
        return Ok(None);
    }
    let relevant = {
        let operations = operations.clone();
        let supergraph = supergraph.clone();
        move |path: &Path| {
            operations.as_ref().is_some_and(|d| path.starts_with(d))
                || supergraph.as_ref().is_some_and(|f| path == f)
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
            && event.paths.iter().any(|p| relevant(p))
        {
            let _ = tx.send(());
        }
    })
    .map_err(|e| McpError::Config(format!("watching files: {e}")))?;
    let mut folders: Vec<PathBuf> = Vec::new();
    if let Some(dir) = &operations {
        folders.push(dir.clone());
    }
    if let Some(parent) = supergraph.as_ref().and_then(|f| f.parent()) {
        folders.push(parent.to_path_buf());
    }
    for folder in folders {
        watcher
            .watch(&folder, RecursiveMode::NonRecursive)
            .map_err(|e| McpError::Config(format!("watching {}: {e}", folder.display())))?;
    }
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            match shared.reload().await {
                Ok(count) => tracing::info!(tools = count, "operations reloaded"),
                Err(e) => tracing::warn!(error = %e, "operations not reloaded"),
            }
        }
    });
    Ok(Some(watcher))
}
