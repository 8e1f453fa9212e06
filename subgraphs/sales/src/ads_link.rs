//! Sales tells ads when a campaign stops (paused, cancelled, completed) so that its ads
//! stop too. The rule of which ad moves for which campaign status lives in the ads domain
//! alone: sales only names the campaign (`reconcileCampaignAds`), with the caller's own
//! token, and ads reads the campaign's status back from sales. Ads also refuses to schedule,
//! run or record spend for a campaign that is not active at check time, so a missed call
//! never lets spending through; it only leaves ads to be stopped by calling it again, which
//! the reconcile sweep does until ads confirms (`crate::reconcile`, from the outbox row the
//! status change wrote).

use serde_json::{Value, json};
use uuid::Uuid;

/// Where the ads subgraph's GraphQL endpoint is (`PROMPTSALES_ADS_URL`; `off` for a sales
/// subgraph deployed without ads, which then has no ads to stop).
pub const ADS_URL_ENV: &str = "PROMPTSALES_ADS_URL";
/// Its default.
pub const DEFAULT_ADS_URL: &str = "http://127.0.0.1:4002/graphql";
/// How long ads may take (it retries each platform call a few times).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The ads endpoint, or `None` when the deployment has no ads subgraph (`off`).
fn ads_url() -> Option<String> {
    match std::env::var(ADS_URL_ENV) {
        Ok(u) if u.trim().eq_ignore_ascii_case("off") => None,
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_string()),
        _ => Some(DEFAULT_ADS_URL.to_string()),
    }
}

const RECONCILE: &str = "mutation SalesCampaignStopped($id: ID!) { reconcileCampaignAds(campaignId: $id) { id status } }";

/// Asks ads, as the caller whose `Authorization` header is `authorization`, to bring
/// `campaign_id`'s ads in line with its status; answers the ids of the ads it changed, or
/// what failed.
pub async fn campaign_stopped(
    campaign_id: Uuid,
    authorization: Option<&str>,
) -> Result<Vec<String>, String> {
    let Some(url) = ads_url() else {
        tracing::debug!(campaign = %campaign_id, "no ads subgraph configured: no ads to stop");
        return Ok(Vec::new());
    };
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = http
        .post(url)
        .json(&json!({"query": RECONCILE, "variables": {"id": campaign_id.to_string()}}));
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    let body: Value = request
        .send()
        .await
        .map_err(|e| format!("ads is unreachable: {}", e.without_url()))?
        .json()
        .await
        .map_err(|e| format!("ads answered garbage: {}", e.without_url()))?;
    if let Some(error) = body["errors"].as_array().and_then(|e| e.first()) {
        return Err(format!(
            "ads refused ({}): {}",
            error["extensions"]["code"].as_str().unwrap_or("?"),
            error["message"].as_str().unwrap_or_default()
        ));
    }
    Ok(body["data"]["reconcileCampaignAds"]
        .as_array()
        .map(|ads| {
            ads.iter()
                .filter_map(|ad| ad["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}
