//! Where the data key comes from: `PROMPTSALES_CRM_DATA_KEY`, else a key file
//! generated once in the data folder.
//!
//! Losing the key file loses every customer's personal data, so it is never
//! rewritten: it is created atomically (a private temporary file hard-linked
//! into place) and only ever read afterwards.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CryptoError, DataKey};

/// Environment variable holding the data key (standard base64 of 32 bytes).
pub const ENV_VAR: &str = "PROMPTSALES_CRM_DATA_KEY";
/// Name of the key file in the data folder.
pub const FILE_NAME: &str = "crm.key";

/// Why the data key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is set to something that is not a key.
    #[error("{ENV_VAR} must be the standard base64 of 32 bytes: {0}")]
    Env(CryptoError),
    /// The key file exists but does not hold a key.
    #[error("{path} does not hold a data key: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: CryptoError,
    },
    /// A file-system failure.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// No randomness to generate a key.
    #[error("cannot generate a data key: {0}")]
    Generate(CryptoError),
}

/// The data key of this process: the environment variable, else `crm.key` in the data folder.
pub fn load_data_key() -> Result<DataKey, KeyError> {
    resolve(
        std::env::var(ENV_VAR).ok(),
        &promptsales_kit::config::data_dir(),
    )
}

/// The key from `env_value` when set and non-empty, else the key file in `dir` (created when missing).
pub fn resolve(env_value: Option<String>, dir: &Path) -> Result<DataKey, KeyError> {
    match env_value.filter(|v| !v.trim().is_empty()) {
        Some(value) => DataKey::from_base64(&value).map_err(KeyError::Env),
        None => load_or_create(&dir.join(FILE_NAME)),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the key file at `path`, creating it (mode 0600) with a new random key when it does not exist.
pub fn load_or_create(path: &Path) -> Result<DataKey, KeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => return read_key(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(path)(e)),
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let key = DataKey::generate().map_err(KeyError::Generate)?;
    let temp = dir.join(format!(
        ".{FILE_NAME}.{}.tmp",
        uuid::Uuid::now_v7().simple()
    ));
    let written = write_private(&temp, &key);
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "generated a new crm data key; back it up: personal data cannot be read without it"
            );
            Ok(key)
        }
        // Another process created it first: theirs is the key.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(io(path))?;
            read_key(path, &text)
        }
        Err(e) => Err(io(path)(e)),
    }
}

fn read_key(path: &Path, text: &str) -> Result<DataKey, KeyError> {
    warn_if_readable_by_others(path);
    DataKey::from_base64(text).map_err(|source| KeyError::File {
        path: path.to_path_buf(),
        source,
    })
}

fn write_private(path: &Path, key: &DataKey) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())?;
    file.sync_all()
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the crm data key file is readable by other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}
