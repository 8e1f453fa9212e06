//! AES-256-GCM envelopes: how secrets and personal data are kept at rest.
//!
//! An envelope is text, `<version>.<key id>.<nonce>.<ciphertext>` (base64url),
//! so it survives every store and names the key that sealed it: when keys
//! rotate, old rows stay readable by the key they name. The associated data
//! binds each ciphertext to its place (column and row), so a ciphertext copied
//! elsewhere does not open. Subgraphs choose versions, labels and key ids; the
//! format and the cipher are this module's alone.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a value could not be sealed or opened.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SealError {
    /// The key material is not usable.
    #[error("invalid data key: {0}")]
    Key(String),
    /// The system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// The text is not an envelope of this format.
    #[error("not a sealed envelope")]
    Malformed,
    /// Sealed under a key that is not configured.
    #[error("sealed with data key {0}, which is not configured")]
    UnknownKey(String),
    /// The envelope was altered, or belongs to another place.
    #[error("sealed value failed authentication")]
    Tampered,
}

/// A 32-byte root key; keys for each use are derived from it under distinct labels.
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
    pub fn generate() -> Result<Self, SealError> {
        random_bytes().map(Self)
    }

    /// Reads standard base64 of exactly 32 bytes (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SealError::Key("not base64".into()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| SealError::Key(format!("{} bytes, expected 32", b.len())))?;
        Ok(Self(bytes))
    }

    /// Standard base64 of the key (what key files and environment variables hold).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// An independent key for one use: HMAC-SHA256 of `label` under this key.
    pub fn derive(&self, label: &[u8]) -> Result<[u8; 32], SealError> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .map_err(|e| SealError::Key(e.to_string()))?;
        mac.update(label);
        Ok(mac.finalize().into_bytes().into())
    }

    /// A public fingerprint of this key (16 hex digits), derived under `label`.
    pub fn fingerprint(&self, label: &[u8]) -> Result<String, SealError> {
        Ok(hex(&self.derive(label)?[..8]))
    }
}

/// Seals and opens envelopes of one version under one key.
#[derive(Clone)]
pub struct EnvelopeCipher {
    version: &'static str,
    key_id: String,
    aead: Aes256Gcm,
}

impl fmt::Debug for EnvelopeCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvelopeCipher")
            .field("version", &self.version)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl EnvelopeCipher {
    /// A cipher writing `version` envelopes that name `key_id`, encrypting with `key`.
    pub fn new(version: &'static str, key_id: impl Into<String>, key: &[u8; 32]) -> Self {
        Self {
            version,
            key_id: key_id.into(),
            aead: Aes256Gcm::new(key.into()),
        }
    }

    /// The id written into every envelope.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext`, bound to `place`, under a fresh random 96-bit nonce.
    pub fn seal(&self, place: &str, plaintext: &str) -> Result<String, SealError> {
        let nonce: [u8; 12] = random_bytes()?;
        let ciphertext = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| SealError::Key("encryption failed".into()))?;
        Ok(format!(
            "{}.{}.{}.{}",
            self.version,
            self.key_id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        ))
    }

    /// Decrypts an envelope made by [`Self::seal`] for the same `place`.
    pub fn open(&self, place: &str, envelope: &str) -> Result<String, SealError> {
        let mut parts = envelope.split('.');
        let (Some(version), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SealError::Malformed);
        };
        if version != self.version {
            return Err(SealError::Malformed);
        }
        if key_id != self.key_id {
            return Err(SealError::UnknownKey(key_id.to_string()));
        }
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| SealError::Malformed)
        };
        let (nonce, ciphertext) = (decode(nonce)?, decode(ciphertext)?);
        if nonce.len() != 12 {
            return Err(SealError::Malformed);
        }
        let plaintext = self
            .aead
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| SealError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| SealError::Malformed)
    }
}

/// The key id an envelope names, without opening it.
pub fn envelope_key_id(envelope: &str) -> Option<&str> {
    envelope.split('.').nth(1)
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| SealError::Random(e.to_string()))?;
    Ok(bytes)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_opens_only_in_its_place_under_its_key() {
        let key = DataKey::from_bytes([7; 32]);
        let cipher = EnvelopeCipher::new(
            "v9",
            key.fingerprint(b"id").unwrap(),
            &key.derive(b"enc").unwrap(),
        );
        let sealed = cipher.seal("t.c:1", "secret").unwrap();
        assert!(sealed.starts_with(&format!("v9.{}.", cipher.key_id())));
        assert!(!sealed.contains("secret"));
        assert_ne!(
            sealed,
            cipher.seal("t.c:1", "secret").unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(envelope_key_id(&sealed), Some(cipher.key_id()));
        assert_eq!(cipher.open("t.c:1", &sealed).unwrap(), "secret");
        assert!(matches!(
            cipher.open("t.c:2", &sealed),
            Err(SealError::Tampered)
        ));
        let other = DataKey::from_bytes([8; 32]);
        let stranger = EnvelopeCipher::new(
            "v9",
            other.fingerprint(b"id").unwrap(),
            &other.derive(b"enc").unwrap(),
        );
        assert!(matches!(
            stranger.open("t.c:1", &sealed),
            Err(SealError::UnknownKey(_))
        ));
        assert!(matches!(
            cipher.open("t.c:1", "v9.x"),
            Err(SealError::Malformed)
        ));
        let round = DataKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(round, key);
    }
}
