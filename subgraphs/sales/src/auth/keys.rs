//! The token signing key: `PROMPTSALES_JWT_PRIVATE_KEY_FILE` (a PKCS#8 PEM
//! P-256 key), by default `jwt-signing.pem` in the data folder, generated on
//! first start when absent. The file is created atomically with mode 0600 and
//! never rewritten (tokens signed with it stay verifiable); its content is
//! never logged.

use std::path::{Path, PathBuf};

use promptsales_kit::auth::SigningKey;
use promptsales_kit::auth::signing::SigningError;
use promptsales_kit::secret_file::{self, SecretFileError};

/// Environment variable naming the key file.
pub const ENV_VAR: &str = "PROMPTSALES_JWT_PRIVATE_KEY_FILE";
/// The key file's name in the data folder (the default).
pub const FILE_NAME: &str = "jwt-signing.pem";

/// Why the signing key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file exists but does not hold a usable key.
    #[error("{path} does not hold a P-256 private key (PKCS#8 PEM): {source}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: SigningError,
    },
    /// A key could not be generated.
    #[error("cannot generate a signing key: {0}")]
    Generate(SigningError),
    /// A file-system failure.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

/// Where the key file is: the environment variable, else the data folder's `jwt-signing.pem`.
pub fn key_path() -> PathBuf {
    std::env::var_os(ENV_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| promptsales_kit::config::data_dir().join(FILE_NAME))
}

/// Reads the key at `path`, creating it (0600, a new random key) when it does not exist.
pub fn load_or_create(path: &Path) -> Result<SigningKey, KeyFileError> {
    let secret = secret_file::read_or_create(path, "token signing key", || {
        SigningKey::generate().map(|key| key.to_pem().to_string())
    })
    .map_err(|e| match e {
        SecretFileError::Io { path, source } => KeyFileError::Io { path, source },
        SecretFileError::Generate(e) => KeyFileError::Generate(e),
    })?;
    let key = SigningKey::from_pem(&secret.text).map_err(|source| KeyFileError::Bad {
        path: path.to_path_buf(),
        source,
    })?;
    if secret.created {
        tracing::info!(path = %path.display(), kid = key.kid(), "generated the token signing key");
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_private_once_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys").join(FILE_NAME);
        let first = load_or_create(&path).expect("created");
        let again = load_or_create(&path).expect("read back");
        assert_eq!(first.kid(), again.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(matches!(
            load_or_create(&path),
            Err(KeyFileError::Bad { .. })
        ));
    }
}
