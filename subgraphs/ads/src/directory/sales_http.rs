//! The campaign directory over the sales subgraph's GraphQL endpoint, with a
//! short-lived in-process cache per campaign and tenant of the campaigns that may spend.
//!
//! The request carries the caller's own `Authorization` header, so sales
//! applies the caller's tenant and roles: ads never reads a campaign its caller
//! could not. A caller without a token (an internal job) is refused by sales.
//!
//! Forgetting a campaign (its status changed) reaches every ads instance through
//! Redis ([`SalesCampaignDirectory::sharing_forgets`]), and an answer that was in
//! flight while its campaign was forgotten is not remembered.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::NaiveDate;
use promptsales_kit::Decimal4;
use promptsales_kit::bus::Bus;
use promptsales_kit::config::Vars;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{Caller, CampaignDirectory, DirectoryError};
use crate::domain::{CampaignFacts, CampaignState};

/// The default address of the sales subgraph.
pub const DEFAULT_SALES_URL: &str = "http://127.0.0.1:4001/graphql";
/// How long a campaign's figures are reused (`PROMPTSALES_ADS_CAMPAIGN_CACHE_TTL`, seconds).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
/// How long one request to sales may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 1_024;
/// The pub/sub channel on which every ads instance hears which campaigns' facts went stale.
pub const FORGET_CHANNEL: &str = "ads:campaign_forget";

/// `PROMPTSALES_SALES_URL` of `vars` (unset or blank: [`DEFAULT_SALES_URL`]).
pub fn sales_url(vars: &Vars) -> String {
    vars.get("PROMPTSALES_SALES_URL")
        .filter(|u| !u.trim().is_empty())
        .unwrap_or(DEFAULT_SALES_URL)
        .to_string()
}

/// `PROMPTSALES_ADS_CAMPAIGN_CACHE_TTL` of `vars` (seconds; unset or not a number: [`DEFAULT_CACHE_TTL`]).
pub fn cache_ttl(vars: &Vars) -> Duration {
    vars.get("PROMPTSALES_ADS_CAMPAIGN_CACHE_TTL")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(DEFAULT_CACHE_TTL, Duration::from_secs)
}

const QUERY: &str = "query AdsCampaignFacts($id: ID!) { campaign(id: $id) { id status currency startDate endDate targetCountries organization { id } budget { total { amount currency } } approvals { round kind status } } }";

/// Campaign, tenant, and a digest of the caller's token: an answer serves only the
/// caller whose token obtained it (roles differ between callers of one tenant).
type Key = (Uuid, Option<Uuid>, [u8; 32]);

fn key_of(caller: &Caller, id: Uuid) -> Key {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(caller.authorization.as_deref().unwrap_or_default());
    (id, caller.context.organization, digest.into())
}

/// The answers remembered, and when campaigns were last forgotten.
#[derive(Default)]
struct Remembered {
    entries: HashMap<Key, (Instant, CampaignFacts)>,
    /// When each campaign was last forgotten: an answer asked for before that (in flight while
    /// the campaign changed) is not remembered. Kept for the longest a request may take.
    forgotten: HashMap<Uuid, Instant>,
    /// When everything was last forgotten (a listener that missed messages).
    all_forgotten: Option<Instant>,
}

type Cache = Mutex<Remembered>;

/// Asks the sales subgraph; remembers each answer for a short while.
pub struct SalesCampaignDirectory {
    url: String,
    http: reqwest::Client,
    ttl: Duration,
    cache: Arc<Cache>,
    /// Where forgetting a campaign is told to (and heard from) the other instances.
    forgets: Option<Bus<Uuid>>,
}

fn evict(cache: &Cache, id: Option<Uuid>) {
    if let Ok(mut cache) = cache.lock() {
        let now = Instant::now();
        cache
            .forgotten
            .retain(|_, at| at.elapsed() < REQUEST_TIMEOUT);
        match id {
            Some(id) => {
                cache.entries.retain(|(campaign, _, _), _| *campaign != id);
                cache.forgotten.insert(id, now);
            }
            None => {
                cache.entries.clear();
                cache.all_forgotten = Some(now);
            }
        }
    }
}

impl std::fmt::Debug for SalesCampaignDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalesCampaignDirectory")
            .field("url", &self.url)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl SalesCampaignDirectory {
    /// A directory over the sales GraphQL endpoint at `url`, caching answers for `ttl`.
    pub fn new(url: impl Into<String>, ttl: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            url: url.into(),
            http,
            ttl,
            cache: Arc::default(),
            forgets: None,
        }
    }

    /// This directory, sharing what it forgets with the other instances on `bus` and forgetting
    /// what they forget: a campaign stopped through one ads replica (`reconcileCampaignAds`)
    /// stops being answered from the others' caches at once, not when their entries expire, so
    /// no replica accepts spend on a stale ACTIVE. Call within a tokio runtime (the listener
    /// starts; it ends with the directory).
    pub fn sharing_forgets(mut self, bus: Bus<Uuid>) -> Self {
        let cache = Arc::downgrade(&self.cache);
        let mut heard = bus.subscribe();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    let id = match heard.recv().await {
                        Ok(id) => Some(id),
                        // Missed some: forgetting everything is the safe reading.
                        Err(RecvError::Lagged(_)) => None,
                        Err(RecvError::Closed) => break,
                    };
                    let Some(cache) = cache.upgrade() else { break };
                    evict(&cache, id);
                }
            });
        }
        self.forgets = Some(bus);
        self
    }

    fn cached(&self, key: &Key) -> Option<CampaignFacts> {
        let cache = self.cache.lock().ok()?;
        let (at, facts) = cache.entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| facts.clone())
    }

    /// Remembers an answer asked for at `asked`, unless its campaign was forgotten since.
    fn remember(&self, key: Key, facts: &CampaignFacts, asked: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            let stale = cache.forgotten.get(&key.0).is_some_and(|at| *at >= asked)
                || cache.all_forgotten.is_some_and(|at| at >= asked);
            if stale {
                return;
            }
            if cache.entries.len() >= SWEEP_AT {
                let ttl = self.ttl;
                cache.entries.retain(|_, (at, _)| at.elapsed() < ttl);
            }
            cache.entries.insert(key, (Instant::now(), facts.clone()));
        }
    }

    async fn fetch(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CampaignFacts>, DirectoryError> {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({"query": QUERY, "variables": {"id": id.to_string()}}));
        if let Some(token) = &caller.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| DirectoryError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let body: Envelope = response.json().await.map_err(|e| {
            DirectoryError::Unavailable(format!(
                "HTTP {status}, unreadable answer: {}",
                e.without_url()
            ))
        })?;
        if let Some(error) = body.errors.into_iter().next() {
            let code = error.extensions.and_then(|e| e.code).unwrap_or_default();
            if code == "NOT_FOUND" {
                return Ok(None);
            }
            return Err(DirectoryError::Refused {
                code,
                message: error.message,
            });
        }
        let Some(campaign) = body.data.and_then(|d| d.campaign) else {
            return Ok(None);
        };
        campaign.into_facts().map(Some)
    }
}

#[async_trait]
impl CampaignDirectory for SalesCampaignDirectory {
    fn forget(&self, id: Uuid) {
        evict(&self.cache, Some(id));
        if let Some(bus) = &self.forgets {
            bus.publish(id);
        }
    }

    async fn campaign(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CampaignFacts>, DirectoryError> {
        if let Some(facts) = self.cached(&key_of(caller, id)) {
            return Ok(Some(facts));
        }
        self.fresh_campaign(caller, id).await
    }

    async fn fresh_campaign(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CampaignFacts>, DirectoryError> {
        let key = key_of(caller, id);
        let asked = Instant::now();
        let facts = self.fetch(caller, id).await?;
        // Only a "yes" is remembered (an active campaign with its launch approved): a refusal is
        // asked again, so an approval or a launch takes effect at once, and a stop reaches ads
        // through `reconcileCampaignAds`, which forgets the campaign.
        if let Some(f) = &facts
            && f.state == CampaignState::Active
            && f.launch_approved
        {
            self.remember(key, f, asked);
        }
        Ok(facts)
    }
}

#[derive(Deserialize)]
struct Envelope {
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<GqlError>,
}

#[derive(Deserialize)]
struct GqlError {
    #[serde(default)]
    message: String,
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    code: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    campaign: Option<CampaignDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CampaignDto {
    id: String,
    status: String,
    currency: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    #[serde(default)]
    target_countries: Vec<String>,
    organization: IdDto,
    budget: BudgetDto,
    #[serde(default)]
    approvals: Vec<ApprovalDto>,
}

#[derive(Deserialize)]
struct ApprovalDto {
    round: i32,
    kind: String,
    status: String,
}

#[derive(Deserialize)]
struct IdDto {
    id: String,
}

#[derive(Deserialize)]
struct BudgetDto {
    total: MoneyDto,
}

#[derive(Deserialize)]
struct MoneyDto {
    amount: String,
}

impl CampaignDto {
    fn into_facts(self) -> Result<CampaignFacts, DirectoryError> {
        let bad = |what: &str, value: &str| {
            DirectoryError::Unavailable(format!("sales answered an unreadable {what}: {value:?}"))
        };
        Ok(CampaignFacts {
            id: Uuid::parse_str(&self.id).map_err(|_| bad("campaign id", &self.id))?,
            organization_id: Uuid::parse_str(&self.organization.id)
                .map_err(|_| bad("organization id", &self.organization.id))?,
            state: CampaignState::from_graphql(&self.status)
                .ok_or_else(|| bad("status", &self.status))?,
            total: Decimal4::from_str(&self.budget.total.amount)
                .map_err(|_| bad("amount", &self.budget.total.amount))?,
            // Sales asks every approval again in each round: only the latest round counts.
            // Its state machine reaches ACTIVE only with LAUNCH granted, and PAUSED or
            // COMPLETED only from ACTIVE: those states prove the grant by themselves.
            launch_approved: matches!(self.status.as_str(), "ACTIVE" | "PAUSED" | "COMPLETED") || {
                let last = self.approvals.iter().map(|a| a.round).max();
                self.approvals
                    .iter()
                    .any(|a| Some(a.round) == last && a.kind == "LAUNCH" && a.status == "GRANTED")
            },
            currency: self.currency,
            start_date: self.start_date,
            end_date: self.end_date,
            target_countries: self.target_countries,
        })
    }
}
