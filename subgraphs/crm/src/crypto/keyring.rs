//! The key ring: every data key unwrapped in memory, the one that seals new
//! writes, the blind-index key, and the legacy key when one is configured.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use promptsales_kit::sealed::{EnvelopeCipher, envelope_key_id, random_bytes};
use sha2::Sha256;
use uuid::Uuid;

use super::legacy::{DataKey, INDEX_LABEL, PersonalDataCipher};
use super::{CryptoError, Field, KeyEncryptionKey, hex};

type HmacSha256 = Hmac<Sha256>;

/// Envelope format version of envelope encryption.
pub const VERSION: &str = "v2";
/// Envelope format version of the legacy single-key format.
pub const LEGACY_VERSION: &str = "v1";
/// The id of the blind-index key (there is one, for ever: rotating it would re-index every row).
pub const INDEX_KEY_ID: &str = "index";

/// What a stored key is for.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    /// Encrypts personal data.
    Data,
    /// Keys the e-mail blind index.
    Index,
}

/// A stored key: only ever wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRecord {
    /// Its id (32 hex digits, time-ordered for data keys).
    pub id: String,
    /// What it is for.
    pub purpose: KeyPurpose,
    /// The key wrapped with RSA-OAEP-SHA256 under the certificate's public key (standard base64).
    pub wrapped: String,
    /// Fingerprint of the certificate key that wrapped it.
    pub kek_fingerprint: String,
    /// Whether it seals new writes (the newest active data key does).
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl DataKeyRecord {
    /// A new random key of `purpose`, wrapped under `kek`.
    pub fn generate(
        kek: &KeyEncryptionKey,
        purpose: KeyPurpose,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<Self, CryptoError> {
        let key: [u8; 32] = random_bytes()?;
        Self::wrap(kek, purpose, id, &key, now)
    }

    /// `key` of `purpose`, wrapped under `kek`.
    pub fn wrap(
        kek: &KeyEncryptionKey,
        purpose: KeyPurpose,
        id: String,
        key: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Self, CryptoError> {
        Ok(Self {
            id,
            purpose,
            wrapped: STANDARD.encode(kek.wrap(key)?),
            kek_fingerprint: kek.fingerprint().to_string(),
            active: true,
            created_at: now,
        })
    }

    /// The blind-index key to keep when migrating from the legacy key: the same derivation,
    /// so rows indexed before envelope encryption are still found.
    pub fn legacy_index_key(legacy: &DataKey) -> Result<[u8; 32], CryptoError> {
        Ok(legacy.derive(INDEX_LABEL)?)
    }

    /// The key in clear (only to re-wrap it under another certificate, or to build a ring).
    pub fn unwrap_with(&self, kek: &KeyEncryptionKey) -> Result<[u8; 32], CryptoError> {
        if self.kek_fingerprint != kek.fingerprint() {
            return Err(CryptoError::Kek(format!(
                "data key {} is wrapped for certificate key {}, but the configured one is {}",
                self.id,
                self.kek_fingerprint,
                kek.fingerprint()
            )));
        }
        let wrapped = STANDARD
            .decode(&self.wrapped)
            .map_err(|_| CryptoError::Kek(format!("data key {} is not base64", self.id)))?;
        kek.unwrap(&wrapped)?
            .try_into()
            .map_err(|_| CryptoError::Kek(format!("data key {} is not 32 bytes", self.id)))
    }
}

/// Every usable key, unwrapped: seals with the active data key, opens with any.
#[derive(Clone)]
pub struct KeyRing {
    active: String,
    data: HashMap<String, EnvelopeCipher>,
    index: HmacSha256,
    legacy: Option<PersonalDataCipher>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("data_keys", &self.data.len())
            .field("legacy", &self.legacy.is_some())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Unwraps `records` with `kek`; the newest active data key seals new writes.
    pub fn unwrap(
        records: &[DataKeyRecord],
        kek: &KeyEncryptionKey,
        legacy: Option<&DataKey>,
    ) -> Result<Self, CryptoError> {
        let mut data = HashMap::new();
        let mut index = None;
        let mut active: Option<&DataKeyRecord> = None;
        for record in records {
            let key = record.unwrap_with(kek)?;
            match record.purpose {
                KeyPurpose::Index => {
                    index = Some(
                        <HmacSha256 as Mac>::new_from_slice(&key)
                            .map_err(|e| CryptoError::Key(e.to_string()))?,
                    );
                }
                KeyPurpose::Data => {
                    data.insert(
                        record.id.clone(),
                        EnvelopeCipher::new(VERSION, record.id.clone(), &key),
                    );
                    if record.active && active.is_none_or(|a| record.id > a.id) {
                        active = Some(record);
                    }
                }
            }
        }
        let index = index.ok_or_else(|| CryptoError::Key("no blind-index key is stored".into()))?;
        let active = active
            .ok_or_else(|| CryptoError::Key("no active data key is stored".into()))?
            .id
            .clone();
        Ok(Self {
            active,
            data,
            index,
            legacy: legacy.map(PersonalDataCipher::new).transpose()?,
        })
    }

    /// The data key that seals new writes.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Whether the ring can open data sealed with key `id` (a legacy key id counts).
    pub fn knows(&self, id: &str) -> bool {
        self.data.contains_key(id) || self.legacy.as_ref().is_some_and(|l| l.key_id() == id)
    }

    /// Encrypts `plaintext` of column `field` of row `row` with the active data key.
    pub fn seal(&self, field: Field, row: Uuid, plaintext: &str) -> Result<String, CryptoError> {
        let cipher = self
            .data
            .get(&self.active)
            .ok_or_else(|| CryptoError::UnknownKey(self.active.clone()))?;
        Ok(cipher.seal(&field.place(row), plaintext)?)
    }

    /// The data key id an envelope names (`v1` and `v2`).
    pub fn key_id_of(envelope: &str) -> Option<&str> {
        envelope_key_id(envelope)
    }

    /// Decrypts an envelope of column `field` of row `row`, whichever known key sealed it.
    pub fn open(&self, field: Field, row: Uuid, envelope: &str) -> Result<String, CryptoError> {
        if envelope.starts_with("v1.") {
            return match &self.legacy {
                Some(legacy) => legacy.open(field, row, envelope),
                None => Err(CryptoError::UnknownKey(
                    Self::key_id_of(envelope).unwrap_or("?").to_string(),
                )),
            };
        }
        let key_id = Self::key_id_of(envelope).ok_or(CryptoError::Malformed)?;
        let cipher = self
            .data
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_string()))?;
        Ok(cipher.open(&field.place(row), envelope)?)
    }

    /// The blind index of a normalized e-mail: HMAC-SHA256 under the index key, lower-case hex.
    pub fn email_index(&self, normalized_email: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(normalized_email.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// A random value shaped like a blind index (64 hex digits) that matches no e-mail:
    /// what an erased customer keeps, so the unique index still holds and nothing links it.
    pub fn random_index() -> Result<String, CryptoError> {
        Ok(hex(&random_bytes::<32>()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(kek: &KeyEncryptionKey, records: &[DataKeyRecord]) -> KeyRing {
        KeyRing::unwrap(records, kek, None).unwrap()
    }

    #[test]
    fn rotation_seals_with_the_newest_key_and_opens_with_any() {
        let (kek, _, _) = KeyEncryptionKey::generate(2048).unwrap();
        let now = Utc::now();
        let index =
            DataKeyRecord::generate(&kek, KeyPurpose::Index, INDEX_KEY_ID.into(), now).unwrap();
        let first = DataKeyRecord::generate(&kek, KeyPurpose::Data, "a".repeat(32), now).unwrap();
        let old = ring(&kek, &[index.clone(), first.clone()]);
        let row = Uuid::now_v7();
        let sealed = old.seal(Field::Email, row, "ana@example.com").unwrap();
        assert!(sealed.starts_with(&format!("v2.{}.", "a".repeat(32))));
        assert!(!sealed.contains("ana"));

        let second = DataKeyRecord::generate(&kek, KeyPurpose::Data, "b".repeat(32), now).unwrap();
        let new = ring(&kek, &[index, first, second]);
        assert_eq!(new.active_key_id(), "b".repeat(32));
        assert_eq!(
            new.open(Field::Email, row, &sealed).unwrap(),
            "ana@example.com"
        );
        assert!(matches!(
            new.open(Field::Phone, row, &sealed),
            Err(CryptoError::Tampered)
        ));
        assert!(matches!(
            new.open(Field::Email, Uuid::now_v7(), &sealed),
            Err(CryptoError::Tampered)
        ));
        assert_eq!(
            new.email_index("ana@example.com"),
            old.email_index("ana@example.com"),
            "the index key survives rotation"
        );
        assert!(matches!(
            old.open(
                Field::Email,
                row,
                &new.seal(Field::Email, row, "x").unwrap()
            ),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn legacy_envelopes_open_and_keep_their_index() {
        let (kek, _, _) = KeyEncryptionKey::generate(2048).unwrap();
        let legacy = DataKey::from_bytes([9; 32]);
        let old = PersonalDataCipher::new(&legacy).unwrap();
        let now = Utc::now();
        let index_key = DataKeyRecord::legacy_index_key(&legacy).unwrap();
        let records = [
            DataKeyRecord::wrap(
                &kek,
                KeyPurpose::Index,
                INDEX_KEY_ID.into(),
                &index_key,
                now,
            )
            .unwrap(),
            DataKeyRecord::generate(&kek, KeyPurpose::Data, "c".repeat(32), now).unwrap(),
        ];
        let ring = KeyRing::unwrap(&records, &kek, Some(&legacy)).unwrap();
        let row = Uuid::now_v7();
        let v1 = old.seal(Field::FullName, row, "Ana").unwrap();
        assert_eq!(ring.open(Field::FullName, row, &v1).unwrap(), "Ana");
        assert_eq!(ring.email_index("a@b.co"), old.email_index("a@b.co"));
        assert!(ring.knows(old.key_id()));
    }
}
