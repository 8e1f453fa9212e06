//! Personal data at rest: AES-256-GCM envelopes and the e-mail blind index.
//!
//! One data key (32 bytes) is the root; two independent keys are derived
//! from it with HMAC-SHA256 under distinct labels, one to encrypt and one to
//! index, so a leak of index values says nothing about the encryption key.
//! An envelope is text, `v1.<key id>.<nonce>.<ciphertext>` (base64url), so
//! it survives every store and names the key that sealed it: when keys
//! rotate, old rows stay readable by the key they name. The associated data
//! binds each ciphertext to its column and row, so a ciphertext copied into
//! another row or column does not open.

pub mod key_file;

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// Envelope format version.
const VERSION: &str = "v1";
/// Label of the derived encryption key.
const ENCRYPTION_LABEL: &[u8] = b"promptsales/crm/personal-data/aes-256-gcm/v1";
/// Label of the derived blind-index key (a different label: an independent key).
const INDEX_LABEL: &[u8] = b"promptsales/crm/email-blind-index/hmac-sha256/v1";
/// Label of the key id (a public fingerprint of the data key).
const KEY_ID_LABEL: &[u8] = b"promptsales/crm/key-id/v1";

/// Why personal data could not be sealed or opened.
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
    /// Sealed under another key than the one configured.
    #[error("sealed with data key {0}, which is not configured")]
    UnknownKey(String),
    /// The envelope was altered, or belongs to another row or column.
    #[error("personal data failed authentication")]
    Tampered,
}

/// The 32-byte root key of personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

impl DataKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A new random key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| CryptoError::Random(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Reads standard base64 of exactly 32 bytes (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| CryptoError::Key("not base64".into()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| CryptoError::Key(format!("{} bytes, expected 32", b.len())))?;
        Ok(Self(bytes))
    }

    /// Standard base64 of the key (what the key file and the environment variable hold).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// The personal-data columns, each a distinct associated-data context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `customers.full_name_enc`.
    FullName,
    /// `customers.email_enc`.
    Email,
    /// `customers.phone_enc`.
    Phone,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Self::FullName => "customers.full_name",
            Self::Email => "customers.email",
            Self::Phone => "customers.phone",
        }
    }
}

/// Seals and opens personal data and computes blind indexes, all under one data key.
#[derive(Clone)]
pub struct PersonalDataCipher {
    key_id: String,
    aead: Aes256Gcm,
    index: HmacSha256,
}

impl fmt::Debug for PersonalDataCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalDataCipher")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn derive(key: &DataKey, label: &[u8]) -> Result<[u8; 32], CryptoError> {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(&key.0).map_err(|e| CryptoError::Key(e.to_string()))?;
    mac.update(label);
    Ok(mac.finalize().into_bytes().into())
}

impl PersonalDataCipher {
    /// A cipher for `key`.
    pub fn new(key: &DataKey) -> Result<Self, CryptoError> {
        let encryption_key = derive(key, ENCRYPTION_LABEL)?;
        let index_key = derive(key, INDEX_LABEL)?;
        let fingerprint = derive(key, KEY_ID_LABEL)?;
        let key_id = fingerprint[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            key_id,
            aead: Aes256Gcm::new(&encryption_key.into()),
            index: <HmacSha256 as Mac>::new_from_slice(&index_key)
                .map_err(|e| CryptoError::Key(e.to_string()))?,
        })
    }

    /// The public id of the data key (16 hex digits), stored in every envelope.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn aad(field: Field, row: Uuid) -> String {
        format!("{}:{row}", field.label())
    }

    /// Encrypts `plaintext` of column `field` of row `row` under a fresh random 96-bit nonce.
    pub fn seal(&self, field: Field, row: Uuid, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; 12];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| CryptoError::Random(e.to_string()))?;
        let aad = Self::aad(field, row);
        let ciphertext = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Key("encryption failed".into()))?;
        Ok(format!(
            "{VERSION}.{}.{}.{}",
            self.key_id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        ))
    }

    /// Decrypts an envelope made by [`Self::seal`] for the same column and row.
    pub fn open(&self, field: Field, row: Uuid, envelope: &str) -> Result<String, CryptoError> {
        let mut parts = envelope.split('.');
        let (Some(VERSION), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        if key_id != self.key_id {
            return Err(CryptoError::UnknownKey(key_id.to_string()));
        }
        let nonce = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| CryptoError::Malformed)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| CryptoError::Malformed)?;
        if nonce.len() != 12 {
            return Err(CryptoError::Malformed);
        }
        let aad = Self::aad(field, row);
        let plaintext = self
            .aead
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::Malformed)
    }

    /// The blind index of a normalized e-mail: HMAC-SHA256 under the index key, lower-case hex.
    pub fn email_index(&self, normalized_email: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(normalized_email.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(byte: u8) -> PersonalDataCipher {
        PersonalDataCipher::new(&DataKey::from_bytes([byte; 32])).unwrap()
    }

    #[test]
    fn seals_and_opens_with_fresh_nonces() {
        let c = cipher(1);
        let row = Uuid::now_v7();
        let a = c.seal(Field::Email, row, "ana@example.com").unwrap();
        let b = c.seal(Field::Email, row, "ana@example.com").unwrap();
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("ana"));
        assert!(a.starts_with(&format!("v1.{}.", c.key_id())));
        assert_eq!(c.open(Field::Email, row, &a).unwrap(), "ana@example.com");
    }

    #[test]
    fn refuses_other_rows_columns_keys_and_tampering() {
        let c = cipher(1);
        let row = Uuid::now_v7();
        let sealed = c.seal(Field::Phone, row, "+34600000000").unwrap();
        assert!(matches!(
            c.open(Field::Phone, Uuid::now_v7(), &sealed),
            Err(CryptoError::Tampered)
        ));
        assert!(matches!(
            c.open(Field::Email, row, &sealed),
            Err(CryptoError::Tampered)
        ));
        assert!(matches!(
            cipher(2).open(Field::Phone, row, &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
        let mut tampered = sealed.clone();
        let last = tampered
            .pop()
            .map(|ch| if ch == 'A' { 'B' } else { 'A' })
            .unwrap();
        tampered.push(last);
        assert!(c.open(Field::Phone, row, &tampered).is_err());
        assert!(matches!(
            c.open(Field::Phone, row, "plain"),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn blind_index_is_keyed_and_deterministic() {
        let c = cipher(1);
        let i = c.email_index("ana@example.com");
        assert_eq!(i.len(), 64);
        assert_eq!(i, c.email_index("ana@example.com"));
        assert_ne!(i, cipher(2).email_index("ana@example.com"));
        assert_ne!(i, c.email_index("ana@example.org"));
    }

    #[test]
    fn keys_read_base64_of_32_bytes() {
        let k = DataKey::generate().unwrap();
        assert_eq!(
            DataKey::from_base64(&format!(" {}\n", k.to_base64())).unwrap(),
            k
        );
        assert!(DataKey::from_base64("c2hvcnQ=").is_err());
        assert!(DataKey::from_base64("!!").is_err());
        assert_eq!(format!("{k:?}"), "DataKey(<secret>)");
    }
}
