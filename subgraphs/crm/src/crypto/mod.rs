//! Personal data at rest: envelope encryption and the e-mail blind index.
//!
//! - A **key-encryption key** (KEK) is an RSA key pair whose public half is an
//!   X.509 certificate ([`kek`]). It never encrypts data itself.
//! - **Data keys** (random 256-bit AES keys) encrypt personal data with
//!   AES-256-GCM. They are stored only wrapped under the certificate's public
//!   key with RSA-OAEP-SHA256, and unwrapped in memory with the private key.
//! - Every envelope (`v2.<data key id>.<nonce>.<ciphertext>`, base64url) and
//!   every row (`data_key_id`) names the data key that sealed it, so a
//!   rotation only changes which key seals new writes; older rows stay
//!   readable and are re-encrypted in batches ([`keyring`]).
//! - The associated data binds each ciphertext to its column and row, so a
//!   ciphertext copied into another row or column does not open.
//! - The **blind index** of e-mails is HMAC-SHA256 under a separate, long-lived
//!   index key (also wrapped by the KEK), so exact look-up and de-duplication
//!   never decrypt anything.
//! - `v1` envelopes (one raw key from `crm.key`, before this scheme) remain
//!   readable when that key is configured ([`legacy`]); re-encryption moves
//!   them to the current data key.

pub mod kek;
pub mod key_file;
pub mod keyring;
pub mod legacy;

pub use kek::KeyEncryptionKey;

/// Where crm's keys come from, read once at start: the certificate pair
/// (`PROMPTSALES_CRM_KEK_CERT`, `_KEK_KEY`), the previous pair during a rotation
/// (`_KEK_PREVIOUS_CERT`, `_KEK_PREVIOUS_KEY`), the legacy key (`PROMPTSALES_CRM_DATA_KEY`),
/// each as set (blank counts as unset where it is used), and the data folder.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeySettings {
    /// Path of the certificate whose key wraps the data keys.
    pub cert: Option<String>,
    /// Path of its private key.
    pub key: Option<String>,
    /// Path of the previous certificate.
    pub previous_cert: Option<String>,
    /// Path of the previous private key.
    pub previous_key: Option<String>,
    /// The legacy data key itself (base64), a secret.
    pub legacy_key: Option<String>,
    /// Where the generated pair and `crm.key` are.
    pub data_dir: std::path::PathBuf,
}

impl std::fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Paths only: the legacy key never reaches a log.
        f.debug_struct("KeySettings")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("previous_cert", &self.previous_cert)
            .field("previous_key", &self.previous_key)
            .field(
                "legacy_key",
                &self.legacy_key.as_ref().map(|_| "<redacted>"),
            )
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl KeySettings {
    /// The key settings of `vars`.
    pub fn from_vars(vars: &promptsales_kit::config::Vars) -> Self {
        let text = |name: &str| vars.get(name).map(str::to_string);
        Self {
            cert: text(kek::CERT_ENV),
            key: text(kek::KEY_ENV),
            previous_cert: text(kek::PREVIOUS_CERT_ENV),
            previous_key: text(kek::PREVIOUS_KEY_ENV),
            legacy_key: text(key_file::ENV_VAR),
            data_dir: promptsales_kit::config::data_dir_of(vars),
        }
    }
}
pub use keyring::{DataKeyRecord, KeyPurpose, KeyRing};
pub use legacy::{DataKey, PersonalDataCipher};
use promptsales_kit::sealed::SealError;

/// Why personal data could not be sealed or opened, or keys not handled.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key material is not usable.
    #[error("invalid data key: {0}")]
    Key(String),
    /// The system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// The text is not an envelope of this format.
    #[error("not a personal-data envelope")]
    Malformed,
    /// Sealed under a key that is not in the key ring.
    #[error("sealed with data key {0}, which is not configured")]
    UnknownKey(String),
    /// The envelope was altered, or belongs to another row or column.
    #[error("personal data failed authentication")]
    Tampered,
    /// Wrapping or unwrapping a data key with the certificate's key pair failed.
    #[error("key encryption: {0}")]
    Kek(String),
}

/// The encrypted columns, each a distinct associated-data context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `customers.full_name_enc`.
    FullName,
    /// `customers.email_enc`.
    Email,
    /// `customers.phone_enc`.
    Phone,
    /// `interactions.summary_enc` (free text about a person is personal data too).
    InteractionSummary,
    /// `crm_webhook_secrets.secret_enc` (an organization's webhook signing secret).
    WebhookSecret,
}

impl Field {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::FullName => "customers.full_name",
            Self::Email => "customers.email",
            Self::Phone => "customers.phone",
            Self::InteractionSummary => "interactions.summary",
            Self::WebhookSecret => "crm_webhook_secrets.secret",
        }
    }

    /// The associated data binding a ciphertext to this column of `row`.
    pub(crate) fn place(self, row: uuid::Uuid) -> String {
        format!("{}:{row}", self.label())
    }
}

pub(crate) use promptsales_kit::sealed::hex;

impl From<SealError> for CryptoError {
    fn from(error: SealError) -> Self {
        match error {
            SealError::Key(reason) => Self::Key(reason),
            SealError::Random(reason) => Self::Random(reason),
            SealError::Malformed => Self::Malformed,
            SealError::UnknownKey(id) => Self::UnknownKey(id),
            SealError::Tampered => Self::Tampered,
        }
    }
}
