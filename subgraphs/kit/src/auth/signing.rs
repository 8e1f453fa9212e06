//! The ES256 key that signs access tokens, and the public JWK it publishes.
//!
//! The issuer (sales) holds one; tests make throwaway ones. The private key
//! never leaves this type except as the PEM written to the key file, and its
//! `Debug` shows only the key id.

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};

use super::ALGORITHM;
use super::claims::Claims;

/// Why a signing key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The PEM is not a PKCS#8 P-256 private key.
    #[error("not a PKCS#8 PEM P-256 private key: {0}")]
    BadKey(String),
    /// Signing failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

/// A private signing key with its key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    public: Jwk,
    pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh random P-256 key (from the operating system's generator).
    pub fn generate() -> Result<Self, SigningError> {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        Self::from_pem(pem.as_str())
    }

    /// Reads a PKCS#8 PEM P-256 private key (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).
    pub fn from_pem(pem: &str) -> Result<Self, SigningError> {
        let encoding = EncodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        let mut public = Jwk::from_encoding_key(&encoding, ALGORITHM)
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        // RFC 7638 thumbprint: the same key always gets the same id, and a new key a new one.
        let kid = public
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self {
            kid,
            encoding,
            public,
            pem: pem.to_string(),
        })
    }

    /// The PEM to store in the key file (private: write it with mode 0600).
    pub fn to_pem(&self) -> &str {
        &self.pem
    }

    /// The key id (`kid`) tokens carry in their header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// The JWKS to publish: this key's public half.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.public.clone()],
        }
    }

    /// Signs `claims` as a compact JWT with `alg` ES256 and this key's `kid`.
    pub fn sign(&self, claims: &Claims) -> Result<String, SigningError> {
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| SigningError::Sign(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_its_pem_with_the_same_kid() {
        let key = SigningKey::generate().expect("key");
        let again = SigningKey::from_pem(key.to_pem()).expect("read back");
        assert_eq!(key.kid(), again.kid());
        assert_ne!(key.kid(), SigningKey::generate().expect("key").kid());
        let debug = format!("{key:?}");
        assert!(!debug.contains("PRIVATE"), "{debug}");
        let jwks = serde_json::to_value(key.jwks()).expect("json");
        assert_eq!(jwks["keys"][0]["kty"], "EC");
        assert_eq!(jwks["keys"][0]["crv"], "P-256");
        assert_eq!(jwks["keys"][0]["alg"], "ES256");
        assert_eq!(jwks["keys"][0]["kid"], key.kid());
        assert!(
            jwks["keys"][0].get("d").is_none(),
            "no private part: {jwks}"
        );
        assert!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .is_err()
        );
    }
}
