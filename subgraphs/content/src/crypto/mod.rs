//! Secrets and personal data at rest: AES-256-GCM envelopes.
//!
//! Third-party credentials and outreach prospects (names, roles, notes) and
//! the messages written for them are sealed before they reach the store. The
//! encryption key is derived from the data key (HMAC-SHA256 under a label);
//! an envelope is text, `v1.<key id>.<nonce>.<ciphertext>` (base64url), and
//! the associated data binds it to its column and row, so a ciphertext copied
//! elsewhere does not open.

pub mod key_file;

use std::fmt;
use std::sync::{Arc, OnceLock};

use promptsales_kit::sealed::EnvelopeCipher;
pub use promptsales_kit::sealed::{DataKey, SealError as CryptoError};
use uuid::Uuid;

const VERSION: &str = "v1";
const ENCRYPTION_LABEL: &[u8] = b"promptsales/content/secrets/aes-256-gcm/v1";
const KEY_ID_LABEL: &[u8] = b"promptsales/content/key-id/v1";

/// The sealed columns, each a distinct associated-data context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `third_party_services.credential_enc`.
    Credential,
    /// `outreach_messages.prospect_enc`.
    Prospect,
    /// `outreach_messages.text_enc`.
    OutreachText,
    /// `outreach_jobs.request_enc` (a batch's pitch and prospects).
    OutreachRequest,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Self::Credential => "third_party_services.credential",
            Self::Prospect => "outreach_messages.prospect",
            Self::OutreachText => "outreach_messages.text",
            Self::OutreachRequest => "outreach_jobs.request",
        }
    }
}

/// Seals and opens secrets under one data key.
#[derive(Clone, Debug)]
pub struct SecretCipher {
    envelope: EnvelopeCipher,
}

impl SecretCipher {
    /// A cipher for `key`.
    pub fn new(key: &DataKey) -> Result<Self, CryptoError> {
        Ok(Self {
            envelope: EnvelopeCipher::new(
                VERSION,
                key.fingerprint(KEY_ID_LABEL)?,
                &key.derive(ENCRYPTION_LABEL)?,
            ),
        })
    }

    /// The public id of the data key.
    pub fn key_id(&self) -> &str {
        self.envelope.key_id()
    }

    fn place(field: Field, row: Uuid) -> String {
        format!("{}:{row}", field.label())
    }

    /// Encrypts `plaintext` of column `field` of row `row` under a fresh random nonce.
    pub fn seal(&self, field: Field, row: Uuid, plaintext: &str) -> Result<String, CryptoError> {
        self.envelope.seal(&Self::place(field, row), plaintext)
    }

    /// Decrypts an envelope made by [`Self::seal`] for the same column and row.
    pub fn open(&self, field: Field, row: Uuid, envelope: &str) -> Result<String, CryptoError> {
        self.envelope.open(&Self::place(field, row), envelope)
    }
}

/// The cipher, resolved on first use: `PROMPTSALES_CONTENT_DATA_KEY`, else `content.key` in the data folder.
///
/// Lazy so that a process that never touches a secret (tests, tools) never creates a key file.
#[derive(Clone, Default)]
pub struct LazyCipher {
    explicit: Option<Arc<SecretCipher>>,
    /// Where the key comes from when read at start (`PROMPTSALES_CONTENT_DATA_KEY` as set,
    /// the data folder); `None`: the environment, on first use.
    configured: Option<(Option<String>, std::path::PathBuf)>,
    resolved: Arc<OnceLock<Result<Arc<SecretCipher>, String>>>,
}

impl fmt::Debug for LazyCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LazyCipher")
    }
}

impl LazyCipher {
    /// A cipher over an explicit key (tests, tools).
    pub fn with_key(key: &DataKey) -> Result<Self, CryptoError> {
        Ok(Self {
            explicit: Some(Arc::new(SecretCipher::new(key)?)),
            configured: None,
            resolved: Arc::default(),
        })
    }

    /// A cipher over the key `data_key` gives (base64; unset or blank: `content.key` in
    /// `data_dir`, created when missing), loaded on the first call.
    pub fn configured(data_key: Option<String>, data_dir: std::path::PathBuf) -> Self {
        Self {
            configured: Some((data_key, data_dir)),
            ..Self::default()
        }
    }

    /// The cipher; the key is loaded (or created) on the first call.
    pub fn get(&self) -> Result<Arc<SecretCipher>, String> {
        if let Some(cipher) = &self.explicit {
            return Ok(cipher.clone());
        }
        self.resolved
            .get_or_init(|| {
                let key = match &self.configured {
                    Some((value, dir)) => key_file::resolve(value.clone(), dir),
                    None => key_file::load_data_key(),
                }
                .map_err(|e| e.to_string())?;
                SecretCipher::new(&key)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_refuses_other_rows_and_keys() {
        let c = SecretCipher::new(&DataKey::from_bytes([7; 32])).expect("cipher");
        let row = Uuid::now_v7();
        let a = c.seal(Field::Credential, row, "sk-live-123").expect("seal");
        assert_ne!(
            a,
            c.seal(Field::Credential, row, "sk-live-123").expect("seal")
        );
        assert!(!a.contains("sk-live"));
        assert_eq!(
            c.open(Field::Credential, row, &a).expect("open"),
            "sk-live-123"
        );
        assert!(matches!(
            c.open(Field::Credential, Uuid::now_v7(), &a),
            Err(CryptoError::Tampered)
        ));
        assert!(matches!(
            c.open(Field::Prospect, row, &a),
            Err(CryptoError::Tampered)
        ));
        let other = SecretCipher::new(&DataKey::from_bytes([8; 32])).expect("cipher");
        assert!(matches!(
            other.open(Field::Credential, row, &a),
            Err(CryptoError::UnknownKey(_))
        ));
        assert!(matches!(
            c.open(Field::Credential, row, "plain"),
            Err(CryptoError::Malformed)
        ));
    }
}
