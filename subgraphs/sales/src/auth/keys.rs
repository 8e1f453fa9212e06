//! The token signing keys and their rotation.
//!
//! Two files, both private (0600), by default in the data folder:
//!
//! - `PROMPTSALES_JWT_PRIVATE_KEY_FILE` (`jwt-signing.pem`): the current key, a
//!   PKCS#8 PEM P-256 key generated on first start when absent;
//! - `PROMPTSALES_JWT_ROTATION_FILE` (`jwt-signing.rotation.json`), written only
//!   by `promptsales signing-key rotate|retire`: the next key with the time it
//!   starts signing, and the public halves of previous keys with the time they
//!   stop being published.
//!
//! Rotation is two-phase so that no verifier ever meets a `kid` it has not seen:
//! the next key is published at once but signs only from `activate_at`
//! (`PROMPTSALES_JWT_KEY_ACTIVATION_DELAY`, longer than any verifier's JWKS
//! cache); the superseded key stays published until every token it signed has
//! expired (access token lifetime + leeway), then drops out of the JWKS and its
//! tokens are refused. What an issuer signs with and publishes is a function of
//! the files and the clock only, so replicas agree without talking and never
//! write; they re-read the files every `PROMPTSALES_JWT_KEY_RELOAD_INTERVAL`.
//! Key material is never logged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use promptsales_kit::auth::SigningKey;
use promptsales_kit::auth::signing::SigningError;
use promptsales_kit::config::{ConfigError, Vars};
use promptsales_kit::secret_file::{self, SecretFileError};
use serde::{Deserialize, Serialize};

/// Environment variable naming the key file.
pub const ENV_VAR: &str = "PROMPTSALES_JWT_PRIVATE_KEY_FILE";
/// The key file's name in the data folder (the default).
pub const FILE_NAME: &str = "jwt-signing.pem";
/// Environment variable naming the rotation file.
pub const ROTATION_ENV_VAR: &str = "PROMPTSALES_JWT_ROTATION_FILE";
/// Environment variable: seconds between publishing a new key and signing with it.
pub const ACTIVATION_DELAY_VAR: &str = "PROMPTSALES_JWT_KEY_ACTIVATION_DELAY";
/// Its default: longer than the router's 5-minute JWKS polling and the subgraphs' 10-minute cache.
pub const DEFAULT_ACTIVATION_DELAY: Duration = Duration::from_secs(660);
/// Environment variable: seconds between two readings of the key files by a running issuer.
pub const RELOAD_INTERVAL_VAR: &str = "PROMPTSALES_JWT_KEY_RELOAD_INTERVAL";
/// Its default.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(30);

/// Why the signing keys could not be had or changed.
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
    /// The rotation file is not what `promptsales signing-key` writes.
    #[error("{path} is not a key rotation file: {reason}")]
    BadRotation {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
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
    /// A rotation is already under way.
    #[error(
        "key {kid} is published and starts signing at {activate_at}; rotate again after that, or retire it to cancel"
    )]
    RotationPending {
        /// The pending key.
        kid: String,
        /// When it starts signing.
        activate_at: DateTime<Utc>,
    },
    /// The key to retire is the one signing now.
    #[error("key {0} is the signing key; rotate first, then retire it")]
    RetireSigning(String),
    /// No published key has this id.
    #[error("no published key has the id {0}")]
    UnknownKid(String),
}

fn io(path: &Path, source: std::io::Error) -> KeyFileError {
    KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where the key file is: the environment variable, else the data folder's `jwt-signing.pem`.
pub fn key_path() -> PathBuf {
    key_path_of(&Vars::from_env())
}

/// [`key_path`] in `vars`.
pub fn key_path_of(vars: &Vars) -> PathBuf {
    vars.get_os(ENV_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| promptsales_kit::config::data_dir_of(vars).join(FILE_NAME))
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
    let key = parse_key(path, &secret.text)?;
    if secret.created {
        tracing::info!(path = %path.display(), kid = key.kid(), "generated the token signing key");
    }
    Ok(key)
}

fn parse_key(path: &Path, pem: &str) -> Result<SigningKey, KeyFileError> {
    SigningKey::from_pem(pem).map_err(|source| KeyFileError::Bad {
        path: path.to_path_buf(),
        source,
    })
}

/// `PROMPTSALES_JWT_KEY_RELOAD_INTERVAL` of `vars` (seconds, default 30; at least 1).
pub fn reload_interval(vars: &Vars) -> Result<Duration, ConfigError> {
    let seconds = vars.parse(RELOAD_INTERVAL_VAR, |v| {
        v.parse::<u64>().map_err(|e| e.to_string())
    })?;
    Ok(seconds
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RELOAD_INTERVAL)
        .max(Duration::from_secs(1)))
}

/// The key that will sign next: published already, signing from `activate_at`.
#[derive(Debug, Clone)]
pub struct NextKey {
    /// The key.
    pub key: SigningKey,
    /// When it starts signing.
    pub activate_at: DateTime<Utc>,
    /// When the key it supersedes stops being published (its last tokens have expired).
    pub retire_current_after: DateTime<Utc>,
}

/// A key that signed before: only its public half is kept, until `retire_after`.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousKey {
    /// The public key.
    pub jwk: Jwk,
    /// When it stops being published.
    pub retire_after: DateTime<Utc>,
}

impl PreviousKey {
    /// Its key id.
    pub fn kid(&self) -> &str {
        self.jwk.common.key_id.as_deref().unwrap_or_default()
    }
}

/// The issuer's keys: the current one, maybe a next one, and previous public keys.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// The key in the key file.
    pub current: SigningKey,
    /// A rotation under way.
    pub next: Option<NextKey>,
    /// Public halves of superseded keys.
    pub previous: Vec<PreviousKey>,
}

impl KeyRing {
    /// One key, no rotation.
    pub fn single(key: SigningKey) -> Self {
        Self {
            current: key,
            next: None,
            previous: Vec::new(),
        }
    }

    fn active_next(&self, now: DateTime<Utc>) -> Option<&NextKey> {
        self.next.as_ref().filter(|next| next.activate_at <= now)
    }

    /// The key signing at `now`.
    pub fn signing(&self, now: DateTime<Utc>) -> &SigningKey {
        self.active_next(now)
            .map_or(&self.current, |next| &next.key)
    }

    /// The public keys to publish at `now`: the signing key first, then a pending
    /// next key, then superseded keys whose tokens may still be live.
    pub fn published(&self, now: DateTime<Utc>) -> JwkSet {
        let mut keys: Vec<Jwk> = vec![self.signing(now).public_jwk().clone()];
        match &self.next {
            Some(next) if next.activate_at > now => keys.push(next.key.public_jwk().clone()),
            Some(next) if next.retire_current_after > now => {
                keys.push(self.current.public_jwk().clone())
            }
            Some(_) => {}
            None => {}
        }
        keys.extend(
            self.previous
                .iter()
                .filter(|p| p.retire_after > now)
                .map(|p| p.jwk.clone()),
        );
        let mut seen = std::collections::HashSet::new();
        keys.retain(|k| seen.insert(k.common.key_id.clone()));
        JwkSet { keys }
    }

    /// Folds an activated next key in: it becomes current, the superseded key a
    /// previous one; previous keys past their time are forgotten.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        if let Some(next) = self.next.take_if(|next| next.activate_at <= now) {
            let superseded = std::mem::replace(&mut self.current, next.key);
            if superseded.kid() != self.current.kid() {
                self.previous.push(PreviousKey {
                    jwk: superseded.public_jwk().clone(),
                    retire_after: next.retire_current_after,
                });
            }
        }
        let current = self.current.kid().to_string();
        self.previous
            .retain(|p| p.retire_after > now && p.kid() != current);
    }

    /// Starts a rotation to `key`: published from now, signing from `now + delay`;
    /// the key it supersedes stays published `grace` longer (its tokens' lifetime).
    pub fn rotate(
        &mut self,
        key: SigningKey,
        now: DateTime<Utc>,
        delay: Duration,
        grace: Duration,
    ) -> Result<&NextKey, KeyFileError> {
        self.settle(now);
        if let Some(next) = &self.next {
            return Err(KeyFileError::RotationPending {
                kid: next.key.kid().to_string(),
                activate_at: next.activate_at,
            });
        }
        let activate_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
        let retire_current_after =
            activate_at + chrono::Duration::from_std(grace).unwrap_or_default();
        Ok(self.next.insert(NextKey {
            key,
            activate_at,
            retire_current_after,
        }))
    }

    /// Stops publishing `kid` at once (a leaked key, or tidying up): a previous key,
    /// the superseded one, or a pending next key (which cancels the rotation).
    pub fn retire(&mut self, kid: &str, now: DateTime<Utc>) -> Result<(), KeyFileError> {
        self.settle(now);
        if self.current.kid() == kid {
            return Err(KeyFileError::RetireSigning(kid.to_string()));
        }
        if self.next.as_ref().is_some_and(|next| next.key.kid() == kid) {
            self.next = None;
            return Ok(());
        }
        let before = self.previous.len();
        self.previous.retain(|p| p.kid() != kid);
        if self.previous.len() == before {
            return Err(KeyFileError::UnknownKid(kid.to_string()));
        }
        Ok(())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RotationFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<NextEntry>,
    #[serde(default)]
    previous: Vec<PreviousEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct NextEntry {
    kid: String,
    pem: String,
    activate_at: DateTime<Utc>,
    retire_current_after: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PreviousEntry {
    kid: String,
    retire_after: DateTime<Utc>,
    jwk: Jwk,
}

/// The two key files of an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    /// The current key (PEM).
    pub key: PathBuf,
    /// The rotation state (JSON).
    pub rotation: PathBuf,
}

impl KeyFiles {
    /// The files at `key` and, next to it, `<name>.rotation.json`.
    pub fn beside(key: impl Into<PathBuf>) -> Self {
        let key = key.into();
        let rotation = key.with_extension("rotation.json");
        Self { key, rotation }
    }

    /// `PROMPTSALES_JWT_PRIVATE_KEY_FILE` and `PROMPTSALES_JWT_ROTATION_FILE`
    /// (default: beside the key file).
    pub fn from_env() -> Self {
        Self::from_vars(&Vars::from_env())
    }

    /// [`KeyFiles::from_env`] from `vars`.
    pub fn from_vars(vars: &Vars) -> Self {
        let files = Self::beside(key_path_of(vars));
        match vars.get_os(ROTATION_ENV_VAR).filter(|v| !v.is_empty()) {
            Some(rotation) => Self {
                rotation: PathBuf::from(rotation),
                ..files
            },
            None => files,
        }
    }

    /// The ring, creating the key file when absent (first start).
    pub fn load_or_create(&self) -> Result<KeyRing, KeyFileError> {
        let current = load_or_create(&self.key)?;
        self.with_rotation(current)
    }

    /// The ring from existing files (a reload never invents a key).
    pub fn load(&self) -> Result<KeyRing, KeyFileError> {
        let text = std::fs::read_to_string(&self.key).map_err(|e| io(&self.key, e))?;
        let current = parse_key(&self.key, &text)?;
        self.with_rotation(current)
    }

    fn with_rotation(&self, current: SigningKey) -> Result<KeyRing, KeyFileError> {
        let bad = |reason: String| KeyFileError::BadRotation {
            path: self.rotation.clone(),
            reason,
        };
        let file: RotationFile = match std::fs::read_to_string(&self.rotation) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RotationFile::default(),
            Err(e) => return Err(io(&self.rotation, e)),
        };
        let next = match file.next {
            Some(entry) => {
                let key = parse_key(&self.rotation, &entry.pem)?;
                if key.kid() != entry.kid {
                    return Err(bad(format!("the next key is not {}", entry.kid)));
                }
                // Half-way through a settle (see `save`): the next key is already current.
                (key.kid() != current.kid()).then_some(NextKey {
                    key,
                    activate_at: entry.activate_at,
                    retire_current_after: entry.retire_current_after,
                })
            }
            None => None,
        };
        let mut previous = Vec::new();
        for entry in file.previous {
            if entry.jwk.common.key_id.as_deref() != Some(entry.kid.as_str()) {
                return Err(bad(format!("previous key {} names another kid", entry.kid)));
            }
            previous.push(PreviousKey {
                jwk: entry.jwk,
                retire_after: entry.retire_after,
            });
        }
        Ok(KeyRing {
            current,
            next,
            previous,
        })
    }

    /// Writes `ring` (as changed by [`KeyRing::rotate`] or [`KeyRing::retire`]).
    ///
    /// When the current key changed, the order makes every crash point safe: first
    /// the rotation file naming the new key as an active next key (so it is not
    /// lost) with the superseded one among the previous keys, then the key file,
    /// then the final rotation file.
    pub fn save(&self, ring: &KeyRing) -> Result<(), KeyFileError> {
        let on_disk = std::fs::read_to_string(&self.key)
            .ok()
            .and_then(|pem| SigningKey::from_pem(&pem).ok());
        let replaced = on_disk.is_none_or(|key| key.kid() != ring.current.kid());
        if replaced {
            let bridge = RotationFile {
                next: Some(NextEntry {
                    kid: ring.current.kid().to_string(),
                    pem: ring.current.to_pem().to_string(),
                    activate_at: Utc::now(),
                    retire_current_after: Utc::now(),
                }),
                previous: previous_entries(ring),
            };
            write_private(&self.rotation, &self.to_json(&bridge)?)?;
            write_private(&self.key, ring.current.to_pem())?;
        }
        let file = RotationFile {
            next: ring.next.as_ref().map(|next| NextEntry {
                kid: next.key.kid().to_string(),
                pem: next.key.to_pem().to_string(),
                activate_at: next.activate_at,
                retire_current_after: next.retire_current_after,
            }),
            previous: previous_entries(ring),
        };
        write_private(&self.rotation, &self.to_json(&file)?)
    }
}

/// The operator's side (`promptsales signing-key`): each reads, changes and
/// writes the files; running issuers pick the change up on their next reload.
impl KeyFiles {
    /// Starts a rotation to a fresh key signing after `delay`, the superseded key
    /// published `grace` longer; returns the new key id and when it signs (RFC 3339).
    pub fn rotate(
        &self,
        delay: Duration,
        grace: Duration,
    ) -> Result<(String, String), KeyFileError> {
        let mut ring = self.load_or_create()?;
        let key = SigningKey::generate().map_err(KeyFileError::Generate)?;
        let next = ring.rotate(key, Utc::now(), delay, grace)?;
        let outcome = (next.key.kid().to_string(), next.activate_at.to_rfc3339());
        self.save(&ring)?;
        Ok(outcome)
    }

    /// Stops publishing `kid` (see [`KeyRing::retire`]).
    pub fn retire(&self, kid: &str) -> Result<(), KeyFileError> {
        let mut ring = self.load()?;
        ring.retire(kid, Utc::now())?;
        self.save(&ring)
    }

    /// The key ids with their state and times, one per line (never key material).
    pub fn describe(&self) -> Result<String, KeyFileError> {
        let ring = self.load_or_create()?;
        let now = Utc::now();
        let mut text = format!("key file:      {}\n", self.key.display());
        text.push_str(&format!("rotation file: {}\n", self.rotation.display()));
        let signing = ring.signing(now).kid().to_string();
        text.push_str(&format!("signing:  {signing}\n"));
        if let Some(next) = ring.next.as_ref().filter(|n| n.activate_at > now) {
            text.push_str(&format!(
                "next:     {} (signs from {})\n",
                next.key.kid(),
                next.activate_at.to_rfc3339()
            ));
        }
        let superseded = ring
            .next
            .as_ref()
            .filter(|n| n.activate_at <= now && n.retire_current_after > now)
            .map(|n| (ring.current.kid(), n.retire_current_after));
        let previous = ring
            .previous
            .iter()
            .filter(|p| p.retire_after > now)
            .map(|p| (p.kid(), p.retire_after));
        for (kid, until) in superseded.into_iter().chain(previous) {
            if kid != signing {
                text.push_str(&format!(
                    "previous: {kid} (published until {})\n",
                    until.to_rfc3339()
                ));
            }
        }
        Ok(text)
    }
}

fn previous_entries(ring: &KeyRing) -> Vec<PreviousEntry> {
    ring.previous
        .iter()
        .map(|p| PreviousEntry {
            kid: p.kid().to_string(),
            retire_after: p.retire_after,
            jwk: p.jwk.clone(),
        })
        .collect()
}

impl KeyFiles {
    fn to_json(&self, file: &RotationFile) -> Result<String, KeyFileError> {
        serde_json::to_string_pretty(file).map_err(|e| KeyFileError::BadRotation {
            path: self.rotation.clone(),
            reason: e.to_string(),
        })
    }
}

/// Replaces `path` atomically with `text`, readable only by its owner.
fn write_private(path: &Path, text: &str) -> Result<(), KeyFileError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
    }

    fn kids(set: &JwkSet) -> Vec<String> {
        set.keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect()
    }

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

    #[test]
    fn a_rotation_publishes_first_signs_later_and_retires_the_old_key_after_its_tokens() {
        let old = SigningKey::generate().expect("key");
        let new = SigningKey::generate().expect("key");
        let mut ring = KeyRing::single(old.clone());
        let delay = Duration::from_secs(600);
        let grace = Duration::from_secs(930);
        ring.rotate(new.clone(), at(0), delay, grace)
            .expect("rotate");

        // Published at once, not signing yet.
        assert_eq!(ring.signing(at(1)).kid(), old.kid());
        assert_eq!(kids(&ring.published(at(1))), vec![old.kid(), new.kid()]);
        // A second rotation waits for the first.
        assert!(matches!(
            ring.rotate(SigningKey::generate().expect("key"), at(2), delay, grace),
            Err(KeyFileError::RotationPending { .. })
        ));
        // Signing with the new key; the old one still published for its live tokens.
        assert_eq!(ring.signing(at(600)).kid(), new.kid());
        assert_eq!(kids(&ring.published(at(600))), vec![new.kid(), old.kid()]);
        assert_eq!(kids(&ring.published(at(1529))), vec![new.kid(), old.kid()]);
        // Every token the old key signed has expired: no longer published.
        assert_eq!(kids(&ring.published(at(1530))), vec![new.kid()]);

        // Settling folds it in the same way.
        let mut settled = ring.clone();
        settled.settle(at(700));
        assert_eq!(settled.current.kid(), new.kid());
        assert!(settled.next.is_none());
        assert_eq!(
            kids(&settled.published(at(700))),
            kids(&ring.published(at(700)))
        );
        assert_eq!(kids(&settled.published(at(1530))), vec![new.kid()]);

        // Retiring early (a leaked key): gone at once; the signing key cannot be retired.
        settled.retire(old.kid(), at(701)).expect("retire");
        assert_eq!(kids(&settled.published(at(701))), vec![new.kid()]);
        assert!(matches!(
            settled.retire(new.kid(), at(701)),
            Err(KeyFileError::RetireSigning(_))
        ));
        assert!(matches!(
            settled.retire("nope", at(701)),
            Err(KeyFileError::UnknownKid(_))
        ));
    }

    #[test]
    fn rotation_state_survives_the_files_and_a_pending_key_can_be_cancelled() {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = KeyFiles::beside(dir.path().join(FILE_NAME));
        assert_eq!(
            files.rotation.file_name().and_then(|n| n.to_str()),
            Some("jwt-signing.rotation.json")
        );
        let mut ring = files.load_or_create().expect("created");
        let old = ring.current.kid().to_string();
        let now = Utc::now();
        let new = ring
            .rotate(
                SigningKey::generate().expect("key"),
                now,
                Duration::ZERO,
                Duration::from_secs(900),
            )
            .expect("rotate")
            .key
            .kid()
            .to_string();
        files.save(&ring).expect("save");
        let read = files.load().expect("read back");
        assert_eq!(read.signing(now).kid(), new);
        assert_eq!(kids(&read.published(now)), vec![new.clone(), old.clone()]);

        // The next rotation settles the first into the files.
        let mut ring = read;
        let third = ring
            .rotate(
                SigningKey::generate().expect("key"),
                now,
                Duration::from_secs(600),
                Duration::from_secs(900),
            )
            .expect("rotate")
            .key
            .kid()
            .to_string();
        files.save(&ring).expect("save");
        let read = files.load().expect("read back");
        assert_eq!(read.current.kid(), new);
        assert_eq!(
            kids(&read.published(now)),
            vec![new.clone(), third.clone(), old.clone()]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [&files.key, &files.rotation] {
                let mode = std::fs::metadata(path).expect("meta").permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", path.display());
            }
        }

        // Cancelling the pending key and retiring the old one leave only the current key.
        let mut ring = read;
        ring.retire(&third, now).expect("cancel");
        ring.retire(&old, now).expect("retire");
        files.save(&ring).expect("save");
        assert_eq!(kids(&files.load().expect("read").published(now)), vec![new]);

        std::fs::write(&files.rotation, "{ not json").expect("write");
        assert!(matches!(
            files.load(),
            Err(KeyFileError::BadRotation { .. })
        ));
    }
}
