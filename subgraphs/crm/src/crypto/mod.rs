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
