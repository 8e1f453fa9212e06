//! Dashboards from the summaries (filled by the demo seed), and the audit log's retention.

use chrono::{Duration, Utc};
use promptsales_kit::context::{Role, TenantScope};
use promptsales_kit::demo::demo_plan;
use promptsales_kit::{Decimal4, PageRequest};
use promptsales_sales::audit::{self, NewAuditEntry, Severity};
use promptsales_sales::store::audit::AuditFilter;
use serde_json::json;
use uuid::Uuid;

use crate::portal_support::caller;
use crate::support::Harness;

const DASHBOARD: &str = r#"query($org: ID!, $from: NaiveDate!, $to: NaiveDate!) {
  dashboard(organizationId: $org, from: $from, to: $to, best: 3) {
    from to
    totals { spend { amount currency } revenue { amount } leads customers conversionRate roi costPerLead { amount } costPerAcquisition { amount } }
    bestCampaigns { campaign { name status } figures { roi spend { amount } } }
  }
}"#;

fn units(value: &serde_json::Value) -> i64 {
    value
        .as_str()
        .and_then(|s| s.parse::<Decimal4>().ok())
        .map(|d| d.raw())
        .unwrap_or(-1)
}

/// The demo seed fills the summaries coherently with the kit plan (an organization's ad
/// spend is what its campaigns spent), and the dashboard derives its ratios from them,
/// ranks campaigns by ROI, and shows each tenant only its own.
pub async fn the_dashboard_adds_up_the_seeded_results(h: &Harness) -> anyhow::Result<()> {
    promptsales_sales::seed_demo(h.store.as_ref()).await?;
    // The plan's figures written straight in (the ETL's own tests cover deriving them).
    promptsales_sales::seed::seed_plan_summaries(h.store.as_ref()).await?;
    let plan = demo_plan();
    let aurora = &plan.organizations[0];
    let spent: i64 = h
        .store
        .campaigns_by_ids(
            TenantScope::All,
            &plan.campaigns.iter().map(|c| c.id).collect::<Vec<_>>(),
        )
        .await?
        .iter()
        .filter(|c| c.organization_id == aurora.id)
        .map(|c| c.budget.spent.raw())
        .sum();
    let reader = caller(aurora.id, Uuid::now_v7(), Role::Read);
    // A year either side of the seeding day holds every demo figure (its dates follow today).
    let today = promptsales_kit::demo::demo_today();
    let year = chrono::Duration::days(365);
    let vars = json!({"org": aurora.id.to_string(), "from": (today - year).to_string(), "to": (today + year).to_string()});
    let data = h.data(&reader, DASHBOARD, vars.clone()).await?;
    let totals = &data["dashboard"]["totals"];
    assert_eq!(
        units(&totals["spend"]["amount"]),
        spent,
        "ad spend equals the campaigns' spent budgets"
    );
    assert_eq!(totals["spend"]["currency"], "EUR");
    let (spend, revenue) = (
        units(&totals["spend"]["amount"]),
        units(&totals["revenue"]["amount"]),
    );
    let (leads, customers) = (
        totals["leads"].as_i64().unwrap_or(0),
        totals["customers"].as_i64().unwrap_or(0),
    );
    assert!(spend > 0 && revenue > 0 && leads > 0 && customers > 0);
    let roi = totals["roi"].as_f64().unwrap_or(f64::NAN);
    assert!((roi - (revenue - spend) as f64 / spend as f64).abs() < 1e-9);
    assert!(
        (totals["conversionRate"].as_f64().unwrap_or(f64::NAN) - customers as f64 / leads as f64)
            .abs()
            < 1e-9
    );
    assert_eq!(
        units(&totals["costPerLead"]["amount"]),
        Decimal4(spend).per(leads).map(|d| d.raw()).unwrap_or(0)
    );
    let best = data["dashboard"]["bestCampaigns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(best.len(), 3);
    let rois: Vec<f64> = best
        .iter()
        .map(|b| b["figures"]["roi"].as_f64().unwrap_or(f64::NAN))
        .collect();
    assert!(
        rois.windows(2).all(|w| w[0] >= w[1]),
        "highest ROI first: {rois:?}"
    );

    // A period without activity is all zeros and no ratios.
    let empty = h
        .data(
            &reader,
            DASHBOARD,
            json!({"org": aurora.id.to_string(), "from": "2020-01-01", "to": "2020-12-31"}),
        )
        .await?;
    assert_eq!(empty["dashboard"]["totals"]["roi"], json!(null));
    assert_eq!(empty["dashboard"]["bestCampaigns"], json!([]));
    // Another tenant learns nothing; a reversed period names its field.
    let nimbus = caller(plan.organizations[1].id, Uuid::now_v7(), Role::Read);
    assert_eq!(h.failure(&nimbus, DASHBOARD, vars).await[0].0, "NOT_FOUND");
    let reversed = json!({"org": aurora.id.to_string(), "from": "2027-01-01", "to": "2026-01-01"});
    assert_eq!(
        h.failure(&reader, DASHBOARD, reversed).await,
        vec![("BAD_USER_INPUT".to_string(), "to".to_string())]
    );
    // Seeding again changes nothing.
    assert!(!promptsales_sales::seed_demo(h.store.as_ref()).await?);
    Ok(())
}

/// Entries older than 90 days are purged; younger ones stay.
pub async fn the_audit_log_keeps_ninety_days(h: &Harness) -> anyhow::Result<()> {
    let organization = Uuid::now_v7();
    let entry = |action: &str| NewAuditEntry {
        organization_id: Some(organization),
        actor_id: Some(Uuid::now_v7()),
        action: action.to_string(),
        target_type: "User".into(),
        target_id: Some("someone".into()),
        severity: Severity::Info,
        origin: audit::Origin {
            ip: Some("203.0.113.9".into()),
            user_agent: Some("test".into()),
        },
        metadata: json!({"how": "password"}),
    };
    audit::record(h.store.as_ref(), entry("auth.login")).await?;
    let filter = AuditFilter {
        organization_id: Some(organization),
        ..Default::default()
    };
    let page = PageRequest {
        first: 10,
        after: None,
    };
    let listed = h
        .store
        .audit_entries(TenantScope::All, &filter, page)
        .await?;
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        listed.items[0].entry.origin.ip.as_deref(),
        Some("203.0.113.9")
    );
    // 89 days later it stays; 91 days later it goes.
    assert_eq!(
        audit::purge_expired(h.store.as_ref(), Utc::now() + Duration::days(89)).await?,
        0
    );
    assert_eq!(
        audit::purge_expired(h.store.as_ref(), Utc::now() + Duration::days(91)).await?,
        1
    );
    assert!(
        h.store
            .audit_entries(TenantScope::All, &filter, page)
            .await?
            .items
            .is_empty()
    );
    Ok(())
}
