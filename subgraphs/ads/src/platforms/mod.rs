//! Ad platforms behind one interface: publish an ad, pause it, pull its daily figures.
//!
//! [`MetaAdsClient`] speaks the Meta Marketing API (Graph API) over HTTP;
//! [`SimulatorPlatform`] invents plausible, deterministic figures for demos
//! and load tests. [`Platforms`] maps an ad's `platform` name to its connector.

mod meta;
mod simulator;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::Performance;
use crate::store::Ad;

pub use meta::{MetaAdsClient, MetaConfig};

/// The Meta action counted as a conversion unless configured otherwise.
pub fn meta_default_conversion_action() -> &'static str {
    meta::DEFAULT_CONVERSION_ACTION
}
pub use simulator::SimulatorPlatform;

/// Why a platform call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// The platform could not be reached or answered garbage.
    #[error("{platform} is unavailable: {message}")]
    Unavailable {
        /// The platform.
        platform: &'static str,
        /// What happened.
        message: String,
    },
    /// The platform refused the call (its own error message).
    #[error("{platform} refused: {message}")]
    Refused {
        /// The platform.
        platform: &'static str,
        /// Its message.
        message: String,
    },
}

/// One day of an ad as a platform reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformDay {
    /// The day.
    pub day: NaiveDate,
    /// The figures.
    pub performance: Performance,
}

/// An ad platform.
#[async_trait]
pub trait AdPlatform: Send + Sync {
    /// Its name, as stored in `Ad.platform` (`meta`, `simulator`).
    fn name(&self) -> &'static str;
    /// Creates the ad there, serving; returns its id there.
    async fn publish(&self, ad: &Ad) -> Result<String, PlatformError>;
    /// Stops the ad with that id there.
    async fn pause(&self, external_id: &str) -> Result<(), PlatformError>;
    /// Its daily figures within `from..=to`, oldest first.
    async fn pull_metrics(
        &self,
        external_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PlatformDay>, PlatformError>;
}

/// The configured connectors, by platform name.
#[derive(Clone, Default)]
pub struct Platforms(HashMap<&'static str, Arc<dyn AdPlatform>>);

impl std::fmt::Debug for Platforms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Platforms {
    /// No connector.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a connector under its name.
    pub fn with(mut self, platform: Arc<dyn AdPlatform>) -> Self {
        self.0.insert(platform.name(), platform);
        self
    }

    /// The simulator always; Meta when `meta` is configured (`PROMPTSALES_META_ACCESS_TOKEN` and its account).
    pub fn configured(meta: Option<MetaConfig>) -> Self {
        let platforms = Self::none().with(Arc::new(SimulatorPlatform));
        match meta {
            Some(config) => platforms.with(Arc::new(MetaAdsClient::new(config))),
            None => platforms,
        }
    }

    /// The connector of `name`, if configured.
    pub fn get(&self, name: &str) -> Option<Arc<dyn AdPlatform>> {
        self.0.get(name).cloned()
    }
}
