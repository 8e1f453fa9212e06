//! `promptsales export-schema` and `promptsales compose`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use promptsales_kit::StrEnum;

use super::components::Component;

/// Writes every subgraph's SDL into `dir`.
pub fn export(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for component in Component::ALL.iter().copied() {
        let path = dir.join(format!("{}.graphql", component.name()));
        std::fs::write(&path, component.sdl())
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The composition tool's folder: `tools/compose` beside the schema folder's parent.
fn compose_tool(dir: &Path) -> PathBuf {
    let root = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    root.join("tools").join("compose")
}

/// Exports the SDLs (or checks them) and composes the supergraph with the Guild's composer.
pub fn compose(dir: &Path, check: bool) -> anyhow::Result<()> {
    if check {
        for component in Component::ALL.iter().copied() {
            let path = dir.join(format!("{}.graphql", component.name()));
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != component.sdl() {
                bail!("{} is stale: run `promptsales compose`", path.display());
            }
        }
    } else {
        export(dir)?;
    }
    let tool = compose_tool(dir);
    if !tool.join("node_modules").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tool)
            .status()
            .context("running npm (composition needs node and npm)")?;
        if !status.success() {
            bail!("npm ci in {} failed", tool.display());
        }
    }
    let mut node = Command::new("node");
    node.arg(tool.join("compose.mjs"))
        .arg("--schema-dir")
        .arg(dir);
    if check {
        node.arg("--check");
    }
    let status = node
        .status()
        .context("running node (composition needs node)")?;
    if !status.success() {
        bail!("composition failed");
    }
    Ok(())
}
