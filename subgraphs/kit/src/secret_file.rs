//! Secrets kept in private files (the keys in the data folder): read, or created once.
//!
//! A secret file is never rewritten, because losing it loses what it protects. It is
//! created atomically, a private (0600) temporary file hard-linked into place, so no
//! reader ever sees half a secret and two processes starting together agree on one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a secret file could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError<E> {
    /// A file-system failure.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The new secret could not be generated.
    #[error("cannot generate the secret: {0}")]
    Generate(E),
}

/// The text of a secret file, and whether this call created it.
#[derive(Debug)]
pub struct SecretText {
    /// The file's content.
    pub text: String,
    /// True when the file did not exist and holds `generate`'s new secret.
    pub created: bool,
}

/// Reads the secret file at `path`; when it does not exist, creates it (mode 0600,
/// parent folders too) with the text `generate` returns. `what` names the secret in
/// the warning given when the file is readable by other users.
pub fn read_or_create<E>(
    path: &Path,
    what: &str,
    generate: impl FnOnce() -> Result<String, E>,
) -> Result<SecretText, SecretFileError<E>> {
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok(read(path, what, text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(path, e)),
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let text = generate().map_err(SecretFileError::Generate)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("secret");
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let written = write_private(&temp, &text);
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(SecretText {
            text,
            created: true,
        }),
        // Another process created it first: theirs is the secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
            Ok(read(path, what, text))
        }
        Err(e) => Err(io(path, e)),
    }
}

fn io<E>(path: &Path, source: std::io::Error) -> SecretFileError<E> {
    SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read(path: &Path, what: &str, text: String) -> SecretText {
    warn_if_readable_by_others(path, what);
    SecretText {
        text,
        created: false,
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, what: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the {what} file is readable by other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path, _what: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_created_private_once_and_then_only_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys").join("test.key");
        let first =
            read_or_create(&path, "test key", || Ok::<_, String>("one\n".into())).expect("created");
        assert!(first.created);
        let again = read_or_create(&path, "test key", || Ok::<_, String>("two\n".into()))
            .expect("read back");
        assert!(!again.created);
        assert_eq!(again.text, "one\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let failed = read_or_create(&dir.path().join("other.key"), "test key", || {
            Err::<String, _>("no entropy")
        });
        assert!(matches!(
            failed,
            Err(SecretFileError::Generate("no entropy"))
        ));
        assert!(!dir.path().join("other.key").exists());
    }
}
