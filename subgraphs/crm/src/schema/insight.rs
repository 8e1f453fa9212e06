//! Analytics: conversion ranking, revenue per channel, customers near a point, ETL totals.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::ApiError;
use promptsales_kit::context::Role;

use super::types::{CrmCampaignConversion, CrmCampaignTotals, CrmChannelRevenue, NearbyCustomer};
use super::{authorize, crm_store};
use crate::domain::geo::{self, Point};

/// Analytics queries.
#[derive(Default)]
pub struct InsightQuery;

#[Object]
impl InsightQuery {
    /// Campaigns ranked by conversion (won / leads) within each organization visible to the caller.
    async fn campaign_conversion_ranking(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CrmCampaignConversion>> {
        let context = authorize(ctx, Role::Read)?;
        let rows = crm_store(ctx)?
            .campaign_conversion_ranking(context.scope())
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Revenue per lead source channel and currency.
    async fn revenue_by_channel(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CrmChannelRevenue>> {
        let context = authorize(ctx, Role::Read)?;
        let rows = crm_store(ctx)?
            .revenue_by_channel(context.scope())
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| CrmChannelRevenue {
                source: r.source.map(Into::into),
                revenue: r.revenue,
                sales: r.sales,
            })
            .collect())
    }

    /// Customers within `radiusKm` of a point, nearest first (great-circle distance).
    async fn customers_near(
        &self,
        ctx: &Context<'_>,
        latitude: f64,
        longitude: f64,
        radius_km: f64,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<NearbyCustomer>> {
        let context = authorize(ctx, Role::Read)?;
        let center = Point {
            latitude,
            longitude,
        };
        geo::check_search(center, radius_km).map_err(ApiError::from)?;
        let rows = crm_store(ctx)?
            .customers_near(
                context.scope(),
                center,
                radius_km,
                u64::try_from(first).unwrap_or(20),
            )
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(NearbyCustomer).collect())
    }

    /// Totals of each campaign whose leads or sales changed after `updatedAfter` (the ETL's
    /// watermark), oldest change first; pass the last row's `updatedAt` to read on.
    async fn crm_campaign_totals(
        &self,
        ctx: &Context<'_>,
        updated_after: Option<DateTime<Utc>>,
        #[graphql(default = 100, validator(minimum = 1, maximum = 1000))] first: i32,
    ) -> async_graphql::Result<Vec<CrmCampaignTotals>> {
        let context = authorize(ctx, Role::Read)?;
        let rows = crm_store(ctx)?
            .campaign_totals(
                context.scope(),
                updated_after,
                u64::try_from(first).unwrap_or(100),
            )
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
