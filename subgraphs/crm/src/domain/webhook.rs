//! The lead-capture webhook's authentication: an HMAC-SHA256 signature of
//! the timestamp and the body under a shared secret, checked in constant
//! time, and a timestamp window that refuses replays of old requests.
//!
//! Signature header: `x-promptsales-signature: sha256=<hex of HMAC(secret, "<timestamp>.<body>")>`;
//! timestamp header: `x-promptsales-timestamp: <Unix seconds>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-promptsales-signature";
/// Header carrying the Unix time the sender signed at.
pub const TIMESTAMP_HEADER: &str = "x-promptsales-timestamp";

/// Why a webhook request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is missing or malformed.
    #[error("missing or malformed {0} header")]
    Header(&'static str),
    /// Signed too long ago (or too far in the future): a replay or a wrong clock.
    #[error("the timestamp is outside the accepted window of {0} seconds")]
    Stale(i64),
    /// The signature does not match.
    #[error("the signature does not match")]
    Mismatch,
}

/// The signature header value a sender computes (`sha256=<hex>`).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("sha256={}", crate::crypto::hex(&digest))
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks a request's headers and body; `now` and `window_secs` bound the timestamp.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    window_secs: i64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SignatureError::Header(TIMESTAMP_HEADER))?;
    let given = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(from_hex)
        .ok_or(SignatureError::Header(SIGNATURE_HEADER))?;
    if (now - timestamp).abs() > window_secs {
        return Err(SignatureError::Stale(window_secs));
    }
    // `verify_slice` compares in constant time.
    mac(secret, timestamp, body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_requests_pass_and_others_do_not() {
        let secret = b"s3cret";
        let body = br#"{"email":"a@b.co"}"#;
        let now = 1_800_000_000;
        let sig = sign(secret, now, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        let ts = now.to_string();
        assert_eq!(
            verify(secret, Some(&ts), Some(&sig), body, now + 10, 300),
            Ok(())
        );
        assert_eq!(
            verify(secret, Some(&ts), Some(&sig), b"{}", now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", Some(&ts), Some(&sig), body, now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(secret, Some(&ts), Some(&sig), body, now + 301, 300),
            Err(SignatureError::Stale(300))
        );
        assert_eq!(
            verify(secret, None, Some(&sig), body, now, 300),
            Err(SignatureError::Header(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(secret, Some(&ts), Some("md5=00"), body, now, 300),
            Err(SignatureError::Header(SIGNATURE_HEADER))
        );
        let other_ts = (now + 1).to_string();
        assert_eq!(
            verify(secret, Some(&other_ts), Some(&sig), body, now, 300),
            Err(SignatureError::Mismatch),
            "the timestamp is signed too"
        );
    }
}
