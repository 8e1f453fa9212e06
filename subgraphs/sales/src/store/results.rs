//! Store types of results: the summaries the ETL keeps and what dashboards read.

use async_trait::async_trait;
use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError};
use uuid::Uuid;

use crate::domain::planner::ChannelHistory;

/// One day of one channel's ad figures for a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdsSummaryRow {
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// Channel code.
    pub channel: String,
    /// Impressions.
    pub impressions: i64,
    /// Clicks.
    pub clicks: i64,
    /// Reach.
    pub reach: i64,
    /// Engagement.
    pub engagement: i64,
    /// Spend.
    pub spend: Decimal4,
    /// Conversions.
    pub conversions: i64,
    /// Their value.
    pub conversion_value: Decimal4,
}

/// One day of content production for a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSummaryRow {
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// `image`, `video`, `text`, `audio`.
    pub content_type: String,
    /// Pieces produced.
    pub total: i64,
    /// Approved.
    pub approved: i64,
    /// Rejected.
    pub rejected: i64,
    /// Waiting for review.
    pub pending: i64,
}

/// One day of CRM results for a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmSummaryRow {
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// New leads.
    pub leads: i64,
    /// Leads qualified (MQL or beyond).
    pub qualified: i64,
    /// Customers won.
    pub customers: i64,
    /// Revenue of their sales.
    pub revenue: Decimal4,
}

/// Totals over a period (or a campaign's whole life).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Ad spend.
    pub spend: Decimal4,
    /// Impressions.
    pub impressions: i64,
    /// Clicks.
    pub clicks: i64,
    /// Conversions reported by the ad platforms.
    pub conversions: i64,
    /// Leads.
    pub leads: i64,
    /// Customers won.
    pub customers: i64,
    /// Revenue.
    pub revenue: Decimal4,
}

/// A campaign's totals (for rankings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignTotals {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its totals.
    pub totals: Totals,
}

/// The results store.
#[async_trait]
pub trait ResultsStore: Send + Sync {
    /// Writes ads summary rows, replacing those with the same campaign, day and channel.
    async fn upsert_ads_summary(&self, rows: &[AdsSummaryRow]) -> Result<(), StoreError>;
    /// Writes content summary rows, replacing those with the same campaign, day and type.
    async fn upsert_content_summary(&self, rows: &[ContentSummaryRow]) -> Result<(), StoreError>;
    /// Writes CRM summary rows, replacing those with the same campaign and day.
    async fn upsert_crm_summary(&self, rows: &[CrmSummaryRow]) -> Result<(), StoreError>;
    /// Recomputes `campaign_performance` of these campaigns from the summaries.
    async fn refresh_performance(&self, campaign_ids: &[Uuid]) -> Result<(), StoreError>;
    /// Refreshes the dashboard totals view (PostgreSQL: `REFRESH MATERIALIZED VIEW
    /// CONCURRENTLY`, readers never blocked); nothing to do on SQLite.
    async fn refresh_dashboard_totals(&self) -> Result<(), StoreError>;
    /// What each channel spent and returned for an organization (the planner's history).
    async fn channel_history(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<ChannelHistory>, StoreError>;
    /// The performance rows of `campaign_ids` in scope (campaigns without one are absent).
    async fn campaign_performance(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Totals>, StoreError>;
    /// What the delta ETL has read of each source (admins' `etlStatus`).
    async fn etl_status(&self) -> Result<Vec<super::etl::EtlSourceStatus>, StoreError>;
    /// Totals per campaign of an organization over `from..=to` (days), in scope.
    async fn campaign_totals(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CampaignTotals>, StoreError>;
}
