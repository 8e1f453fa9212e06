//! Webhook signatures: HMAC-SHA256 over `"{timestamp}.{body}"` with the platform's shared secret.
//!
//! The timestamp is signed with the body, so a captured request cannot be
//! replayed later with a fresh timestamp; requests older (or newer) than the
//! tolerance are refused. Within the window a replay only re-records the same
//! days, which replaces them: ingestion is idempotent.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-promptsales-signature";
/// Header carrying the Unix time (seconds) the platform signed at.
pub const TIMESTAMP_HEADER: &str = "x-promptsales-timestamp";

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is absent.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// A header does not have its shape.
    #[error("the {0} header is malformed")]
    Malformed(&'static str),
    /// Signed too long ago (or in the future) to be accepted.
    #[error("the request was signed outside the accepted window of {0} seconds")]
    Stale(i64),
    /// The signature does not match the body.
    #[error("the signature does not match the request")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header value for `body` at `timestamp` (what a platform, or a test, sends).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Checks a request's headers against its body at time `now` (Unix seconds).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp
        .ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed(TIMESTAMP_HEADER))?;
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let given = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Malformed(SIGNATURE_HEADER))?;
    if now.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale(tolerance_secs));
    }
    let expected = mac(secret, timestamp, body).finalize().into_bytes();
    // Constant time: the comparison must not tell an attacker how many leading bytes matched.
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";

    #[test]
    fn a_signed_body_verifies_and_any_change_does_not() {
        let body = br#"{"metrics":[]}"#;
        let sig = sign(SECRET, 1_000, body);
        assert_eq!(
            verify(SECRET, Some("1000"), Some(&sig), body, 1_100, 300),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, Some("1000"), Some(&sig), b"{}", 1_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, Some("1001"), Some(&sig), body, 1_100, 300),
            Err(SignatureError::Mismatch),
            "the timestamp is signed too"
        );
        assert_eq!(
            verify(b"other", Some("1000"), Some(&sig), body, 1_100, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_missing_and_malformed_headers_are_refused() {
        let body = b"x";
        let sig = sign(SECRET, 1_000, body);
        assert_eq!(
            verify(SECRET, Some("1000"), Some(&sig), body, 1_301, 300),
            Err(SignatureError::Stale(300))
        );
        assert_eq!(
            verify(SECRET, None, Some(&sig), body, 1_000, 300),
            Err(SignatureError::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(SECRET, Some("1000"), None, body, 1_000, 300),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify(SECRET, Some("soon"), Some(&sig), body, 1_000, 300),
            Err(SignatureError::Malformed(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(SECRET, Some("1000"), Some("md5=00"), body, 1_000, 300),
            Err(SignatureError::Malformed(SIGNATURE_HEADER))
        );
    }
}
