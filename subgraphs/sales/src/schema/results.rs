//! Dashboards and the audit log in GraphQL.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::context::Role;
use promptsales_kit::{Decimal4, Money, PageRequest, RequestContext, ResultExt, parse_id};

use super::campaign::Campaign;
use super::loaders::{CampaignLoader, loader};
use crate::domain::{access, dashboard};
use crate::store::audit::AuditFilter;
use crate::store::{self, results::Totals};

/// Figures of a period (or a campaign), with the ratios derived from them.
pub struct ResultFigures {
    kpis: dashboard::Kpis,
    currency: String,
}

impl ResultFigures {
    /// The figures of `totals`, money in `currency`.
    pub fn new(totals: Totals, currency: String) -> Self {
        Self {
            kpis: dashboard::kpis(totals),
            currency,
        }
    }

    fn money(&self, amount: Decimal4) -> Money {
        Money {
            amount,
            currency: self.currency.clone(),
        }
    }
}

/// Figures of a period (or a campaign), with the ratios derived from them.
#[Object(cache_control(max_age = 60))]
impl ResultFigures {
    /// Ad spend.
    async fn spend(&self) -> Money {
        self.money(self.kpis.totals.spend)
    }

    /// Revenue of the sales attributed.
    async fn revenue(&self) -> Money {
        self.money(self.kpis.totals.revenue)
    }

    /// Impressions.
    async fn impressions(&self) -> i64 {
        self.kpis.totals.impressions
    }

    /// Clicks.
    async fn clicks(&self) -> i64 {
        self.kpis.totals.clicks
    }

    /// Leads.
    async fn leads(&self) -> i64 {
        self.kpis.totals.leads
    }

    /// Customers won.
    async fn customers(&self) -> i64 {
        self.kpis.totals.customers
    }

    /// Customers won per lead (null without leads).
    async fn conversion_rate(&self) -> Option<f64> {
        self.kpis.conversion_rate
    }

    /// (revenue - spend) / spend (null without spend).
    async fn roi(&self) -> Option<f64> {
        self.kpis.roi
    }

    /// Clicks per impression.
    async fn ctr(&self) -> Option<f64> {
        self.kpis.ctr
    }

    /// Spend per lead.
    async fn cost_per_lead(&self) -> Option<Money> {
        self.kpis.cost_per_lead.map(|m| self.money(m))
    }

    /// Spend per customer won.
    async fn cost_per_acquisition(&self) -> Option<Money> {
        self.kpis.cost_per_acquisition.map(|m| self.money(m))
    }
}

/// One campaign's results in a dashboard.
pub struct CampaignResult {
    campaign_id: uuid::Uuid,
    figures: ResultFigures,
}

/// One campaign's results in a dashboard.
#[Object(cache_control(max_age = 60))]
impl CampaignResult {
    /// The campaign.
    async fn campaign(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Campaign>> {
        Ok(loader::<CampaignLoader>(ctx)?
            .load_one(self.campaign_id)
            .await
            .api()?
            .map(Campaign))
    }

    /// Its figures.
    async fn figures(&self) -> &ResultFigures {
        &self.figures
    }
}

/// An organization's results over a period.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 60))]
pub struct SalesDashboard {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Totals of every campaign.
    pub totals: ResultFigures,
    /// The best campaigns (highest ROI first).
    pub best_campaigns: Vec<CampaignResult>,
}

/// `dashboard`: spend, revenue, conversion, ROI, cost per lead and acquisition, best campaigns.
pub async fn dashboard(
    ctx: &Context<'_>,
    organization_id: &ID,
    from: NaiveDate,
    to: NaiveDate,
    best: Option<i32>,
) -> async_graphql::Result<SalesDashboard> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Read)?;
    let organization_id = parse_id("organizationId", organization_id)?;
    dashboard::period(from, to)?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    let organization = super::writable_organization(store, scope, organization_id).await?;
    // The ETL invalidates this tag when it changes the organization's summaries.
    promptsales_kit::cache_hints::add_tag(
        ctx,
        promptsales_kit::cache_hints::entity_tag(
            super::DASHBOARD_TAG_TYPE,
            &organization_id.to_string(),
        ),
    );
    let campaigns = store
        .campaign_totals(scope, organization_id, from, to)
        .await
        .api()?;
    let figures = |totals: Totals| ResultFigures {
        kpis: dashboard::kpis(totals),
        currency: organization.currency.clone(),
    };
    let totals = figures(dashboard::sum(&campaigns));
    let n = best.unwrap_or(5).clamp(1, 50) as usize;
    Ok(SalesDashboard {
        from,
        to,
        totals,
        best_campaigns: dashboard::best(campaigns, n)
            .into_iter()
            .map(|c| CampaignResult {
                campaign_id: c.campaign_id,
                figures: figures(c.totals),
            })
            .collect(),
    })
}

/// How serious an audited action is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::store::audit::Severity")]
pub enum AuditSeverity {
    /// Routine.
    Info,
    /// Changes rights or money.
    Warning,
    /// Irreversible or security-relevant.
    Critical,
}

/// A recorded sensitive action.
pub struct AuditEntry(pub store::audit::AuditEntry);

/// A recorded sensitive action.
#[Object(cache_control(max_age = 0, private))]
impl AuditEntry {
    /// The audit entry's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization it concerns.
    async fn organization_id(&self) -> Option<ID> {
        self.0.entry.organization_id.map(|id| ID(id.to_string()))
    }

    /// Who did it (absent for the system).
    async fn actor_id(&self) -> Option<ID> {
        self.0.entry.actor_id.map(|id| ID(id.to_string()))
    }

    /// What was done (`campaign.status_changed`, `approval.granted`, `auth.login`, ...).
    async fn action(&self) -> &str {
        &self.0.entry.action
    }

    /// The kind of thing it was done to.
    async fn target_type(&self) -> &str {
        &self.0.entry.target_type
    }

    /// Which one.
    async fn target_id(&self) -> Option<&str> {
        self.0.entry.target_id.as_deref()
    }

    /// How serious.
    async fn severity(&self) -> AuditSeverity {
        self.0.entry.severity.into()
    }

    /// The client's IP address.
    async fn ip(&self) -> Option<&str> {
        self.0.entry.origin.ip.as_deref()
    }

    /// The client's user agent.
    async fn user_agent(&self) -> Option<&str> {
        self.0.entry.origin.user_agent.as_deref()
    }

    /// Details, as JSON.
    async fn metadata(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.entry.metadata.clone())
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

/// Which audit entries to list.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// Only this organization's.
    pub organization_id: Option<ID>,
    /// Only this action.
    pub action: Option<String>,
    /// Only actions on this target.
    pub target_id: Option<ID>,
    /// Only by this actor.
    pub actor_id: Option<ID>,
}

/// `auditLog`: newest first; sales admins only.
pub async fn audit_log(
    ctx: &Context<'_>,
    filter: Option<AuditFilterInput>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, AuditEntry>> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Admin)?;
    let page = PageRequest::new(first, after)?;
    let f = filter.unwrap_or_default();
    let filter = AuditFilter {
        organization_id: f
            .organization_id
            .map(|id| parse_id("filter.organizationId", &id))
            .transpose()?,
        action: f.action,
        target_id: f.target_id.map(|id| id.to_string()),
        actor_id: f
            .actor_id
            .map(|id| parse_id("filter.actorId", &id))
            .transpose()?,
    };
    let rows = super::store(ctx)?
        .audit_entries(context.scope(), &filter, page)
        .await
        .api()?;
    Ok(rows.into_connection(&page, |e| e.id, AuditEntry))
}
