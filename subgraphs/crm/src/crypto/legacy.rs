//! The first format of personal data at rest (`v1` envelopes), kept to read
//! and migrate rows written before envelope encryption.
//!
//! One data key (32 bytes) is the root; two independent keys are derived
//! from it with HMAC-SHA256 under distinct labels, one to encrypt and one to
//! index, so a leak of index values says nothing about the encryption key.
//! An envelope is text, `v1.<key id>.<nonce>.<ciphertext>` (base64url), so
//! it survives every store and names the key that sealed it: when keys
//! rotate, old rows stay readable by the key they name. The associated data
//! binds each ciphertext to its column and row, so a ciphertext copied into
//! another row or column does not open.

use hmac::{Hmac, Mac};
pub use promptsales_kit::sealed::DataKey;
use promptsales_kit::sealed::{EnvelopeCipher, hex};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// Envelope format version.
const VERSION: &str = "v1";
/// Label of the derived encryption key.
const ENCRYPTION_LABEL: &[u8] = b"promptsales/crm/personal-data/aes-256-gcm/v1";
/// Label of the derived blind-index key (a different label: an independent key).
pub(super) const INDEX_LABEL: &[u8] = b"promptsales/crm/email-blind-index/hmac-sha256/v1";
/// Label of the key id (a public fingerprint of the data key).
const KEY_ID_LABEL: &[u8] = b"promptsales/crm/key-id/v1";

use super::{CryptoError, Field};

/// Seals and opens personal data and computes blind indexes, all under one data key.
#[derive(Clone)]
pub struct PersonalDataCipher {
    envelope: EnvelopeCipher,
    index: HmacSha256,
}

impl std::fmt::Debug for PersonalDataCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalDataCipher")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl PersonalDataCipher {
    /// A cipher for `key`.
    pub fn new(key: &DataKey) -> Result<Self, CryptoError> {
        Ok(Self {
            envelope: EnvelopeCipher::new(
                VERSION,
                key.fingerprint(KEY_ID_LABEL)?,
                &key.derive(ENCRYPTION_LABEL)?,
            ),
            index: <HmacSha256 as Mac>::new_from_slice(&key.derive(INDEX_LABEL)?)
                .map_err(|e| CryptoError::Key(e.to_string()))?,
        })
    }

    /// The public id of the data key (16 hex digits), stored in every envelope.
    pub fn key_id(&self) -> &str {
        self.envelope.key_id()
    }

    /// Encrypts `plaintext` of column `field` of row `row` under a fresh random 96-bit nonce.
    pub fn seal(&self, field: Field, row: Uuid, plaintext: &str) -> Result<String, CryptoError> {
        Ok(self.envelope.seal(&field.place(row), plaintext)?)
    }

    /// Decrypts an envelope made by [`Self::seal`] for the same column and row.
    pub fn open(&self, field: Field, row: Uuid, envelope: &str) -> Result<String, CryptoError> {
        Ok(self.envelope.open(&field.place(row), envelope)?)
    }

    /// The blind index of a normalized e-mail: HMAC-SHA256 under the index key, lower-case hex.
    pub fn email_index(&self, normalized_email: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(normalized_email.as_bytes());
        hex(&mac.finalize().into_bytes())
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
