//! The key-encryption key: an RSA key pair with an X.509 certificate.
//!
//! Paths come from `PROMPTSALES_CRM_KEK_CERT` and `PROMPTSALES_CRM_KEK_KEY`
//! (PEM). When neither is set and the files do not exist in the data folder,
//! a self-signed development certificate (RSA 3072) is generated there on
//! first start. In production the operator provides both (for instance from a
//! secret store), and the private key never leaves the service's memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::OsRng;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{DecodePem, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::{CryptoError, hex};

/// Environment variable: path of the certificate (PEM) whose public key wraps data keys.
pub const CERT_ENV: &str = "PROMPTSALES_CRM_KEK_CERT";
/// Environment variable: path of its private key (PEM, PKCS#8 or PKCS#1).
pub const KEY_ENV: &str = "PROMPTSALES_CRM_KEK_KEY";
/// Default certificate file in the data folder.
pub const CERT_FILE: &str = "crm-kek.crt.pem";
/// Default private key file in the data folder.
pub const KEY_FILE: &str = "crm-kek.key.pem";
/// Size of generated development keys.
pub const GENERATED_BITS: usize = 3072;

/// Why the key-encryption key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// A file-system failure.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// A file does not hold what it should.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Only one of the two variables is set.
    #[error("set both {CERT_ENV} and {KEY_ENV}, or neither")]
    HalfConfigured,
    /// Generating a key or certificate failed.
    #[error("cannot generate the development certificate: {0}")]
    Generate(String),
}

/// An RSA key pair whose public half is an X.509 certificate: wraps and unwraps data keys.
#[derive(Clone)]
pub struct KeyEncryptionKey {
    public: RsaPublicKey,
    private: RsaPrivateKey,
    fingerprint: String,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEncryptionKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl KeyEncryptionKey {
    /// A key pair from a certificate and its private key; they must match.
    pub fn from_parts(certificate: &Certificate, private: RsaPrivateKey) -> Result<Self, String> {
        let spki =
            x509_cert::der::Encode::to_der(&certificate.tbs_certificate.subject_public_key_info)
                .map_err(|e| format!("certificate public key: {e}"))?;
        let public = RsaPublicKey::from_public_key_der(&spki)
            .map_err(|e| format!("the certificate's key is not an RSA key: {e}"))?;
        if public != private.to_public_key() {
            return Err("the private key does not match the certificate".into());
        }
        Ok(Self {
            public,
            private,
            fingerprint: hex(&Sha256::digest(&spki)),
        })
    }

    /// SHA-256 of the certificate's SubjectPublicKeyInfo (hex): which key pair wrapped a data key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Encrypts a data key with RSA-OAEP-SHA256 under the certificate's public key.
    pub fn wrap(&self, key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.public
            .encrypt(&mut OsRng, Oaep::new::<Sha256>(), key)
            .map_err(|e| CryptoError::Kek(e.to_string()))
    }

    /// Decrypts a wrapped data key with the private key.
    pub fn unwrap(&self, wrapped: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.private
            .decrypt(Oaep::new::<Sha256>(), wrapped)
            .map_err(|e| CryptoError::Kek(e.to_string()))
    }

    /// A new key pair with a self-signed certificate (PEM texts of both), for development.
    pub fn generate(bits: usize) -> Result<(Self, String, String), KekError> {
        let private =
            RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| KekError::Generate(e.to_string()))?;
        let certificate = self_signed(&private)?;
        let cert_pem = certificate
            .to_pem(LineEnding::LF)
            .map_err(|e| KekError::Generate(e.to_string()))?;
        let key_pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KekError::Generate(e.to_string()))?
            .to_string();
        let kek = Self::from_parts(&certificate, private).map_err(KekError::Generate)?;
        Ok((kek, cert_pem, key_pem))
    }
}

fn self_signed(private: &RsaPrivateKey) -> Result<Certificate, KekError> {
    let generate = |e: &dyn std::fmt::Display| KekError::Generate(e.to_string());
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(private.clone());
    let spki_der = private
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| generate(&e))?;
    let spki: SubjectPublicKeyInfoOwned =
        x509_cert::der::Decode::from_der(spki_der.as_bytes()).map_err(|e| generate(&e))?;
    let mut serial = [0u8; 16];
    rand::RngCore::fill_bytes(&mut OsRng, &mut serial);
    // A positive serial: the first bit clear.
    serial[0] &= 0x7f;
    let serial = SerialNumber::new(&serial).map_err(|e| generate(&e))?;
    let validity =
        Validity::from_now(Duration::from_secs(10 * 365 * 24 * 3600)).map_err(|e| generate(&e))?;
    let subject = Name::from_str("CN=PromptSales crm key encryption (development),O=PromptSales")
        .map_err(|e| generate(&e))?;
    let builder = CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signer)
        .map_err(|e| generate(&e))?;
    builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| generate(&e))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KekError + '_ {
    move |source| KekError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, message: impl std::fmt::Display) -> KekError {
    KekError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Reads a certificate and its private key from PEM files.
pub fn load(cert_path: &Path, key_path: &Path) -> Result<KeyEncryptionKey, KekError> {
    let cert_pem = std::fs::read_to_string(cert_path).map_err(io(cert_path))?;
    let certificate =
        Certificate::from_pem(cert_pem.as_bytes()).map_err(|e| invalid(cert_path, e))?;
    let key_pem = std::fs::read_to_string(key_path).map_err(io(key_path))?;
    let private = RsaPrivateKey::from_pkcs8_pem(&key_pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&key_pem))
        .map_err(|e| invalid(key_path, format!("not an RSA private key in PEM: {e}")))?;
    KeyEncryptionKey::from_parts(&certificate, private).map_err(|e| invalid(cert_path, e))
}

/// The configured key pair: the two variables when set, else the files in `dir`
/// (generated there, once, when missing).
pub fn resolve(
    cert_env: Option<String>,
    key_env: Option<String>,
    dir: &Path,
) -> Result<KeyEncryptionKey, KekError> {
    let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty()).map(PathBuf::from);
    match (set(cert_env), set(key_env)) {
        (Some(cert), Some(key)) => load(&cert, &key),
        (None, None) => load_or_generate(&dir.join(CERT_FILE), &dir.join(KEY_FILE)),
        _ => Err(KekError::HalfConfigured),
    }
}

/// Environment variable: path of the previous certificate (PEM), during a certificate rotation.
pub const PREVIOUS_CERT_ENV: &str = "PROMPTSALES_CRM_KEK_PREVIOUS_CERT";
/// Environment variable: path of the previous certificate's private key.
pub const PREVIOUS_KEY_ENV: &str = "PROMPTSALES_CRM_KEK_PREVIOUS_KEY";

/// The previous key pair when a certificate rotation is configured (both variables set).
pub fn load_previous(keys: &super::KeySettings) -> Result<Option<KeyEncryptionKey>, KekError> {
    let set = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    match (set(&keys.previous_cert), set(&keys.previous_key)) {
        (Some(cert), Some(key)) => load(Path::new(&cert), Path::new(&key)).map(Some),
        (None, None) => Ok(None),
        _ => Err(KekError::HalfConfigured),
    }
}

/// The process's key pair as configured, else the data folder's.
pub fn load_configured(keys: &super::KeySettings) -> Result<KeyEncryptionKey, KekError> {
    resolve(keys.cert.clone(), keys.key.clone(), &keys.data_dir)
}

/// Reads the pair at these paths, generating both when the private key does not exist yet.
///
/// The private key file is created once, atomically (a private temporary file
/// hard-linked into place): of two processes starting together, one key wins
/// and both use it. The certificate is then made from that key when missing.
pub fn load_or_generate(cert_path: &Path, key_path: &Path) -> Result<KeyEncryptionKey, KekError> {
    if !key_path.exists() {
        let (_, _, key_pem) = KeyEncryptionKey::generate(GENERATED_BITS)?;
        if create_once(key_path, key_pem.as_bytes(), 0o600)? {
            tracing::warn!(
                path = %key_path.display(),
                "generated a development key-encryption key for crm personal data; back it up"
            );
        }
    }
    if !cert_path.exists() {
        let key_pem = std::fs::read_to_string(key_path).map_err(io(key_path))?;
        let private = RsaPrivateKey::from_pkcs8_pem(&key_pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&key_pem))
            .map_err(|e| invalid(key_path, e))?;
        let cert_pem = self_signed(&private)?
            .to_pem(LineEnding::LF)
            .map_err(|e| KekError::Generate(e.to_string()))?;
        create_once(cert_path, cert_pem.as_bytes(), 0o644)?;
    }
    load(cert_path, key_path)
}

/// Writes `bytes` to `path` unless it exists; returns whether this call created it.
pub(crate) fn create_once(path: &Path, bytes: &[u8], mode: u32) -> Result<bool, KekError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps_and_refuses_other_pairs() {
        let (kek, cert_pem, _) = KeyEncryptionKey::generate(2048).unwrap();
        assert!(cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let wrapped = kek.wrap(&[7u8; 32]).unwrap();
        assert_eq!(wrapped.len(), 256);
        assert_eq!(kek.unwrap(&wrapped).unwrap(), vec![7u8; 32]);
        let (other, _, _) = KeyEncryptionKey::generate(2048).unwrap();
        assert!(other.unwrap(&wrapped).is_err());
        assert_ne!(kek.fingerprint(), other.fingerprint());
    }
}
