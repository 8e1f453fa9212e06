//! The lead-capture webhook's authentication: an HMAC-SHA256 signature of
//! the timestamp and the body under the secret of the organization the request
//! names, checked in constant time, and a timestamp window that refuses replays
//! of old requests.
//!
//! Organization header: `x-promptsales-organization: <organization id>`;
//! signature header: `x-promptsales-signature: sha256=<hex of HMAC(secret, "<timestamp>.<body>")>`;
//! timestamp header: `x-promptsales-timestamp: <Unix seconds>`.
//!
//! Each organization has its own secrets ([`WebhookSecret`]): a rotation issues a
//! new one and leaves the previous ones a grace period; a revoked or expired
//! secret signs nothing.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use promptsales_kit::sealed::{SealError, random_bytes};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-promptsales-signature";
/// Header carrying the Unix time the sender signed at.
pub const TIMESTAMP_HEADER: &str = "x-promptsales-timestamp";
/// Header naming the organization whose secret signed the request (and that receives the lead).
pub const ORGANIZATION_HEADER: &str = "x-promptsales-organization";
/// What every issued secret starts with (so a leaked one is recognisable in a scan).
pub const SECRET_PREFIX: &str = "pswh_";
/// How long a replaced secret keeps signing after a rotation, by default (one day).
pub const DEFAULT_GRACE_SECS: i64 = 86_400;
/// The longest grace period a rotation may give (30 days).
pub const MAX_GRACE_SECS: i64 = 30 * 86_400;

/// An organization's webhook secret as recorded (the secret itself is only ever sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The organization it signs for.
    pub organization_id: Uuid,
    /// Who issued it.
    pub created_by: Option<Uuid>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops signing (set when a rotation replaced it).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl WebhookSecret {
    /// Whether it signs requests at `now`.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| end > now)
    }
}

/// A fresh secret: 256 random bits, hex, behind [`SECRET_PREFIX`].
pub fn new_secret() -> Result<String, SealError> {
    Ok(format!(
        "{SECRET_PREFIX}{}",
        crate::crypto::hex(&random_bytes::<32>()?)
    ))
}

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

/// A request's timestamp and signature, well-formed and inside the window (not yet checked
/// against any secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    timestamp: i64,
    signature: Vec<u8>,
}

impl SignedRequest {
    /// Reads the headers; `now` and `window_secs` bound the timestamp.
    pub fn parse(
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: i64,
        window_secs: i64,
    ) -> Result<Self, SignatureError> {
        let timestamp: i64 = timestamp
            .and_then(|t| t.trim().parse().ok())
            .ok_or(SignatureError::Header(TIMESTAMP_HEADER))?;
        let signature = signature
            .and_then(|s| s.trim().strip_prefix("sha256="))
            .and_then(from_hex)
            .ok_or(SignatureError::Header(SIGNATURE_HEADER))?;
        if (now - timestamp).abs() > window_secs {
            return Err(SignatureError::Stale(window_secs));
        }
        Ok(Self {
            timestamp,
            signature,
        })
    }

    /// Whether `secret` signed `body` (compared in constant time).
    pub fn signed_by(&self, secret: &[u8], body: &[u8]) -> bool {
        mac(secret, self.timestamp, body)
            .verify_slice(&self.signature)
            .is_ok()
    }

    /// Whether one of `secrets` signed `body` (each is tried: a rotation leaves two in use).
    pub fn signed_by_any<S: AsRef<[u8]>>(&self, secrets: &[S], body: &[u8]) -> bool {
        // Every secret is tried even after a match, so timing tells nothing about which one.
        secrets.iter().fold(false, |found, secret| {
            self.signed_by(secret.as_ref(), body) | found
        })
    }

    /// What names this exact request (its signature, lower-case hex) in the replay cache.
    pub fn replay_key(&self) -> String {
        crate::crypto::hex(&self.signature)
    }
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
    let request = SignedRequest::parse(timestamp, signature, now, window_secs)?;
    if request.signed_by(secret, body) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
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

    #[test]
    fn any_of_several_secrets_and_only_usable_ones() {
        let body = b"{}";
        let now = 1_800_000_000;
        let sig = sign(b"new", now, body);
        let request = SignedRequest::parse(Some(&now.to_string()), Some(&sig), now, 300).unwrap();
        assert!(request.signed_by_any(&[b"old".as_slice(), b"new".as_slice()], body));
        assert!(!request.signed_by_any(&[b"old".as_slice()], body));
        assert!(!request.signed_by_any::<&[u8]>(&[], body));
        assert_eq!(request.replay_key(), sig.trim_start_matches("sha256="));

        let at = Utc::now();
        let secret = WebhookSecret {
            id: Uuid::nil(),
            organization_id: Uuid::nil(),
            created_by: None,
            created_at: at,
            expires_at: None,
            revoked_at: None,
        };
        assert!(secret.usable_at(at));
        let expiring = WebhookSecret {
            expires_at: Some(at + chrono::Duration::seconds(10)),
            ..secret.clone()
        };
        assert!(expiring.usable_at(at + chrono::Duration::seconds(9)));
        assert!(!expiring.usable_at(at + chrono::Duration::seconds(10)));
        let revoked = WebhookSecret {
            revoked_at: Some(at),
            ..secret
        };
        assert!(!revoked.usable_at(at));
        let fresh = new_secret().unwrap();
        assert!(fresh.starts_with(SECRET_PREFIX) && fresh.len() == SECRET_PREFIX.len() + 64);
        assert_ne!(fresh, new_secret().unwrap());
    }
}
