//! The legacy single data key (`v1` envelopes): `PROMPTSALES_CRM_DATA_KEY`,
//! else `crm.key` in the data folder. Envelope encryption no longer creates
//! it; [`load_legacy_key`] only reads it, so rows sealed before can be opened
//! and re-encrypted under the current data key.
//!
//! Losing the key file loses every customer's personal data, so it is never
//! rewritten: it is created atomically (a private temporary file hard-linked
//! into place) and only ever read afterwards.

use std::path::{Path, PathBuf};

use promptsales_kit::secret_file::{self, SecretFileError};

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

/// The legacy key if one is configured: the environment variable, else an existing `crm.key`.
pub fn load_legacy_key(keys: &super::KeySettings) -> Result<Option<DataKey>, KeyError> {
    let dir = &keys.data_dir;
    match keys.legacy_key.clone().filter(|v| !v.trim().is_empty()) {
        Some(value) => DataKey::from_base64(&value)
            .map(Some)
            .map_err(|e| KeyError::Env(e.into())),
        None if dir.join(FILE_NAME).exists() => resolve(None, dir).map(Some),
        None => Ok(None),
    }
}

/// The data key of this process: the environment variable, else `crm.key` in the data folder.
pub fn load_data_key(keys: &super::KeySettings) -> Result<DataKey, KeyError> {
    resolve(keys.legacy_key.clone(), &keys.data_dir)
}

/// The key from `env_value` when set and non-empty, else the key file in `dir` (created when missing).
pub fn resolve(env_value: Option<String>, dir: &Path) -> Result<DataKey, KeyError> {
    match env_value.filter(|v| !v.trim().is_empty()) {
        Some(value) => DataKey::from_base64(&value).map_err(|e| KeyError::Env(e.into())),
        None => load_or_create(&dir.join(FILE_NAME)),
    }
}

/// Reads the key file at `path`, creating it (mode 0600) with a new random key when it does not exist.
pub fn load_or_create(path: &Path) -> Result<DataKey, KeyError> {
    let secret = secret_file::read_or_create(path, "crm data key", || {
        DataKey::generate().map(|key| format!("{}\n", key.to_base64()))
    })
    .map_err(|e| match e {
        SecretFileError::Io { path, source } => KeyError::Io { path, source },
        SecretFileError::Generate(e) => KeyError::Generate(e.into()),
    })?;
    if secret.created {
        tracing::warn!(
            path = %path.display(),
            "generated a new crm data key; back it up: personal data cannot be read without it"
        );
    }
    DataKey::from_base64(&secret.text).map_err(|source| KeyError::File {
        path: path.to_path_buf(),
        source: source.into(),
    })
}
