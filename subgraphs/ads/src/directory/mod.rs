//! The campaigns ads launches for are owned by sales: their budget, dates and
//! countries come through [`CampaignDirectory`], whose real implementation
//! ([`SalesCampaignDirectory`]) asks the sales subgraph over GraphQL.

mod sales_http;

use async_trait::async_trait;
use promptsales_kit::RequestContext;
use uuid::Uuid;

use crate::domain::CampaignFacts;

pub use sales_http::{
    DEFAULT_CACHE_TTL, DEFAULT_SALES_URL, FORGET_CHANNEL, SalesCampaignDirectory, cache_ttl,
    sales_url,
};

/// Who asks: the caller's verified identity, and the bearer token it came with (forwarded,
/// so sales applies the caller's own tenant and roles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The verified identity of the request.
    pub context: RequestContext,
    /// The `Authorization` header the request came with (forwarded verbatim).
    pub authorization: Option<String>,
}

/// Why the directory could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// Sales could not be reached or answered garbage.
    #[error("the sales subgraph is unavailable: {0}")]
    Unavailable(String),
    /// Sales refused the caller (its code: `FORBIDDEN`, `UNAUTHENTICATED`...).
    #[error("the sales subgraph refused: {message}")]
    Refused {
        /// Sales' `extensions.code`.
        code: String,
        /// Sales' message.
        message: String,
    },
}

/// Where the facts of a campaign come from.
#[async_trait]
pub trait CampaignDirectory: Send + Sync {
    /// The campaign as `caller` may see it; `None` when it does not exist for them.
    async fn campaign(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CampaignFacts>, DirectoryError>;

    /// The campaign as `caller` may see it now, never from memory: for the checks that commit
    /// budget (a launch, a publication, a launched plan's change), so a total lowered in sales
    /// or a stop counts at once. The default asks [`Self::campaign`].
    async fn fresh_campaign(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CampaignFacts>, DirectoryError> {
        self.campaign(caller, id).await
    }

    /// Drops what is remembered of campaign `id` (its status changed): the next ask is fresh.
    fn forget(&self, id: Uuid) {
        let _ = id;
    }
}
