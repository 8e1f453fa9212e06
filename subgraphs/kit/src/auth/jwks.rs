//! The issuer's public keys, fetched from its JWKS URL: lazily, cached,
//! refetched when a token names an unknown `kid` (key rotation) but at most
//! once per [`RemoteJwks::MIN_REFETCH`], so a flood of forged `kid`s cannot
//! turn into a flood of requests to the issuer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};

use super::verifier::TokenError;

/// Decoding keys by `kid`.
pub type KeyMap = HashMap<String, DecodingKey>;

/// The usable keys of a JWKS: P-256 EC keys with a `kid`; others are skipped.
pub fn key_map(set: &JwkSet) -> KeyMap {
    set.keys
        .iter()
        .filter_map(|jwk| Some((jwk.common.key_id.clone()?, usable(jwk)?)))
        .collect()
}

fn usable(jwk: &Jwk) -> Option<DecodingKey> {
    match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            DecodingKey::from_jwk(jwk).ok()
        }
        _ => None,
    }
}

/// Keys held in memory and replaced in place: the issuer's own verifier, which
/// must follow its key rotations without a restart (and without any fetch).
#[derive(Clone, Default)]
pub struct SharedKeys(Arc<RwLock<Arc<KeyMap>>>);

impl std::fmt::Debug for SharedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedKeys").field(&self.len()).finish()
    }
}

impl SharedKeys {
    /// The usable keys of `set`.
    pub fn new(set: &JwkSet) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(key_map(set)))))
    }

    /// Replaces every key with the usable keys of `set` (a key left out is refused from now on).
    pub fn replace(&self, set: &JwkSet) {
        let keys = Arc::new(key_map(set));
        match self.0.write() {
            Ok(mut slot) => *slot = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }

    fn current(&self) -> Arc<KeyMap> {
        match self.0.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The key named `kid`, if held.
    pub fn get(&self, kid: &str) -> Option<DecodingKey> {
        self.current().get(kid).cloned()
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key ids held.
    pub fn kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self.current().keys().cloned().collect();
        kids.sort();
        kids
    }
}

#[derive(Clone, Default)]
struct Cache {
    keys: Arc<KeyMap>,
    fetched_at: Option<Instant>,
    // The last fetch, successful or not: fetches are at least `min_refetch` apart.
    attempted_at: Option<Instant>,
}

/// A JWKS fetched over HTTP and cached.
pub struct RemoteJwks {
    url: String,
    client: reqwest::Client,
    cache: RwLock<Cache>,
    // Held while fetching, so concurrent misses cause one request, not one each.
    fetching: tokio::sync::Mutex<()>,
    min_refetch: Duration,
    max_age: Duration,
}

impl RemoteJwks {
    /// The shortest time between two fetches caused by unknown `kid`s.
    pub const MIN_REFETCH: Duration = Duration::from_secs(10);
    /// How long a fetched key set is used before it is fetched again.
    pub const MAX_AGE: Duration = Duration::from_secs(600);

    /// Keys from `url`, not fetched until first needed.
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_intervals(url, Self::MIN_REFETCH, Self::MAX_AGE)
    }

    /// Like [`Self::new`] with other refetch intervals (tests use short ones).
    pub fn with_intervals(
        url: impl Into<String>,
        min_refetch: Duration,
        max_age: Duration,
    ) -> Self {
        Self {
            url: url.into(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
            min_refetch,
            max_age,
        }
    }

    /// The URL keys come from.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn cached(&self) -> Cache {
        match self.cache.read() {
            Ok(cache) => cache.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The key named `kid`, fetching the set when it was never fetched, is
    /// older than the maximum age, or lacks `kid` and the last fetch is old enough.
    pub async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        let fresh = |cache: &Cache| {
            cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.max_age)
        };
        let cache = self.cached();
        if fresh(&cache)
            && let Some(key) = cache.keys.get(kid)
        {
            return Ok(key.clone());
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        let cache = self.cached();
        let missing = !cache.keys.contains_key(kid);
        let may_fetch = cache
            .attempted_at
            .is_none_or(|at| at.elapsed() >= self.min_refetch);
        if (!fresh(&cache) || missing) && may_fetch {
            let result = self.fetch().await;
            let now = Some(Instant::now());
            let updated = match &result {
                Ok(keys) => Cache {
                    keys: Arc::new(keys.clone()),
                    fetched_at: now,
                    attempted_at: now,
                },
                Err(_) => Cache {
                    attempted_at: now,
                    ..cache.clone()
                },
            };
            match self.cache.write() {
                Ok(mut slot) => *slot = updated.clone(),
                Err(poisoned) => *poisoned.into_inner() = updated.clone(),
            }
            if let Err(reason) = result {
                tracing::warn!(url = %self.url, %reason, "cannot fetch the JWKS");
                // Nothing fetched yet: the token cannot be checked at all. Otherwise
                // a stale key is still the issuer's key: keep using it.
                if cache.fetched_at.is_none() {
                    return Err(TokenError::KeysUnavailable(reason));
                }
            }
            return updated
                .keys
                .get(kid)
                .cloned()
                .ok_or_else(|| TokenError::UnknownKey(kid.to_string()));
        }
        if cache.fetched_at.is_none() {
            return Err(TokenError::KeysUnavailable(
                "the key set could not be fetched recently".into(),
            ));
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| TokenError::UnknownKey(kid.to_string()))
    }

    async fn fetch(&self) -> Result<KeyMap, String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let set: JwkSet = response.json().await.map_err(|e| e.to_string())?;
        Ok(key_map(&set))
    }
}
