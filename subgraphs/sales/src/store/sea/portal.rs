//! The portal's store traits on [`SeaSalesStore`]: each method delegates to its module.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use uuid::Uuid;

use super::{SeaSalesStore, agenda, agent_actions, audit, money, plans, results, workflow};
use crate::domain::agenda::TaskStatus;
use crate::domain::planner::{ChannelHistory, Plan as ProposedPlan, Strategy};
use crate::domain::subscription::LiveFeature;
use crate::store::agenda::{AgendaNotification, AgendaStore, NewTask, ScheduleTask};
use crate::store::audit::{AuditEntry, AuditFilter, AuditStore, NewAuditEntry};
use crate::store::money::{
    BudgetMovement, MoneyStore, MovementError, NewMovement, PaymentMethod, Transaction,
};
use crate::store::plans::{Plan, PlanStore, Subscription, Usage, UsageError};
use crate::store::results::{
    AdsSummaryRow, CampaignTotals, ContentSummaryRow, CrmSummaryRow, ResultsStore,
};
use crate::store::workflow::{
    Approval, ApprovalDecision, CampaignPlan, StatusChange, WorkflowStore,
};
use crate::store::{Campaign, NewCampaign, WriteError};

#[async_trait]
impl WorkflowStore for SeaSalesStore {
    async fn approvals_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<Approval>, StoreError> {
        workflow::of_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn approvals_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Approval>, StoreError> {
        workflow::by_ids(&self.db, scope, ids).await
    }

    async fn pending_approvals(
        &self,
        scope: TenantScope,
        organization_id: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Approval>, StoreError> {
        workflow::pending(&self.db, scope, organization_id, limit).await
    }

    async fn change_status(
        &self,
        scope: TenantScope,
        change: StatusChange,
        audit: NewAuditEntry,
    ) -> Result<Campaign, WriteError> {
        workflow::change_status(&self.db, scope, change, audit).await
    }

    async fn resolve_approval(
        &self,
        scope: TenantScope,
        decision: ApprovalDecision,
        audit: NewAuditEntry,
    ) -> Result<Approval, WriteError> {
        workflow::resolve(&self.db, scope, decision, audit).await
    }

    async fn insert_proposal(
        &self,
        campaign: NewCampaign,
        strategy: Strategy,
        plan: ProposedPlan,
        proposed_by: Option<Uuid>,
        audit: NewAuditEntry,
    ) -> Result<(Campaign, CampaignPlan), WriteError> {
        workflow::insert_proposal(&self.db, campaign, strategy, plan, proposed_by, audit).await
    }

    async fn plans_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<CampaignPlan>, StoreError> {
        workflow::plans_of_campaigns(&self.db, scope, campaign_ids).await
    }
}

#[async_trait]
impl MoneyStore for SeaSalesStore {
    async fn apply_movement(
        &self,
        scope: TenantScope,
        movement: NewMovement,
        audit: NewAuditEntry,
    ) -> Result<BudgetMovement, MovementError> {
        money::apply_movement(&self.db, scope, movement, audit).await
    }

    async fn movements_of_campaign(
        &self,
        scope: TenantScope,
        campaign_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<BudgetMovement>, StoreError> {
        money::movements_of_campaign(&self.db, scope, campaign_id, page).await
    }

    async fn insert_payment_method(
        &self,
        method: PaymentMethod,
        audit: NewAuditEntry,
    ) -> Result<PaymentMethod, WriteError> {
        money::insert_payment_method(&self.db, method, audit).await
    }

    async fn deactivate_payment_method(
        &self,
        scope: TenantScope,
        id: Uuid,
        audit: NewAuditEntry,
    ) -> Result<PaymentMethod, WriteError> {
        money::deactivate_payment_method(&self.db, scope, id, audit).await
    }

    async fn payment_methods(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<PaymentMethod>, StoreError> {
        money::payment_methods(&self.db, scope, organization_id).await
    }

    async fn record_transaction(
        &self,
        scope: TenantScope,
        transaction: Transaction,
        deposit: Option<NewMovement>,
        audit: NewAuditEntry,
    ) -> Result<(Transaction, Option<BudgetMovement>), MovementError> {
        money::record_transaction(&self.db, scope, transaction, deposit, audit).await
    }

    async fn transactions(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<Transaction>, StoreError> {
        money::transactions(&self.db, scope, organization_id, page).await
    }
}

#[async_trait]
impl AuditStore for SeaSalesStore {
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        Ok(audit::insert(&self.db, entry).await?)
    }

    async fn audit_entries(
        &self,
        scope: TenantScope,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        audit::list(&self.db, scope, filter, page).await
    }

    async fn purge_audit(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        audit::purge(&self.db, before).await
    }
}

#[async_trait]
impl ResultsStore for SeaSalesStore {
    async fn campaign_performance(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, crate::store::results::Totals>, StoreError> {
        results::performance_of(&self.db, scope, campaign_ids).await
    }

    async fn etl_status(&self) -> Result<Vec<crate::store::etl::EtlSourceStatus>, StoreError> {
        super::etl::status(&self.db).await
    }

    async fn upsert_ads_summary(&self, rows: &[AdsSummaryRow]) -> Result<(), StoreError> {
        results::upsert_ads(&self.db, rows).await
    }

    async fn upsert_content_summary(&self, rows: &[ContentSummaryRow]) -> Result<(), StoreError> {
        results::upsert_content(&self.db, rows).await
    }

    async fn upsert_crm_summary(&self, rows: &[CrmSummaryRow]) -> Result<(), StoreError> {
        results::upsert_crm(&self.db, rows).await
    }

    async fn refresh_performance(&self, campaign_ids: &[Uuid]) -> Result<(), StoreError> {
        results::refresh_performance(&self.db, campaign_ids).await
    }

    async fn refresh_dashboard_totals(&self) -> Result<(), StoreError> {
        results::refresh_dashboard_totals(&self.db).await
    }

    async fn channel_history(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<ChannelHistory>, StoreError> {
        results::channel_history(&self.db, scope, organization_id).await
    }

    async fn campaign_totals(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CampaignTotals>, StoreError> {
        results::campaign_totals(&self.db, scope, organization_id, from, to).await
    }
}

#[async_trait]
impl PlanStore for SeaSalesStore {
    async fn insert_plan(&self, plan: Plan) -> Result<Plan, WriteError> {
        plans::insert_plan(&self.db, plan).await
    }

    async fn plans(&self, only_active: bool) -> Result<Vec<Plan>, StoreError> {
        plans::plans(&self.db, only_active).await
    }

    async fn plans_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Plan>, StoreError> {
        plans::plans_by_ids(&self.db, ids).await
    }

    async fn subscriptions_of(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<Subscription>, StoreError> {
        plans::subscriptions_of(&self.db, scope, organization_id).await
    }

    async fn subscription(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<Subscription>, StoreError> {
        plans::subscription_by_id(&self.db, scope, id).await
    }

    async fn insert_subscription(
        &self,
        subscription: Subscription,
        audit: NewAuditEntry,
    ) -> Result<Subscription, WriteError> {
        plans::insert_subscription(&self.db, subscription, audit).await
    }

    async fn update_subscription(
        &self,
        scope: TenantScope,
        subscription: Subscription,
        version: DateTime<Utc>,
        reset_usage: bool,
        audit: NewAuditEntry,
    ) -> Result<Subscription, WriteError> {
        plans::update_subscription(&self.db, scope, subscription, version, reset_usage, audit).await
    }

    async fn live_features(
        &self,
        scope: TenantScope,
        organization_id: Option<Uuid>,
    ) -> Result<Vec<(Uuid, LiveFeature)>, StoreError> {
        plans::live_features(&self.db, scope, organization_id).await
    }

    async fn active_campaigns(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<i64, StoreError> {
        plans::active_campaigns(&self.db, scope, organization_id).await
    }

    async fn add_usage(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
        feature: &str,
        amount: i64,
    ) -> Result<Usage, UsageError> {
        plans::add_usage(&self.db, scope, organization_id, feature, amount).await
    }

    async fn usage_of(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<Usage>, StoreError> {
        plans::usage_of(&self.db, scope, organization_id).await
    }
}

#[async_trait]
impl AgendaStore for SeaSalesStore {
    async fn insert_tasks(&self, tasks: Vec<NewTask>) -> Result<Vec<ScheduleTask>, WriteError> {
        agenda::insert(&self.db, tasks).await
    }

    async fn tasks_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<ScheduleTask>, StoreError> {
        agenda::of_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn finish_task(
        &self,
        scope: TenantScope,
        id: Uuid,
        status: TaskStatus,
    ) -> Result<ScheduleTask, WriteError> {
        agenda::finish(&self.db, scope, id, status).await
    }

    async fn fire_due(&self, now: DateTime<Utc>) -> Result<Vec<AgendaNotification>, StoreError> {
        agenda::fire_due(&self.db, now).await
    }
}

#[async_trait]
impl crate::store::agent_actions::AgentActionStore for SeaSalesStore {
    async fn file_agent_action(
        &self,
        new: crate::domain::agent_action::NewAgentAction,
        audit: NewAuditEntry,
    ) -> Result<crate::store::agent_actions::AgentAction, WriteError> {
        agent_actions::file(&self.db, new, audit).await
    }

    async fn agent_actions_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<crate::store::agent_actions::AgentAction>, StoreError> {
        agent_actions::by_ids(&self.db, scope, ids).await
    }

    async fn agent_actions(
        &self,
        scope: TenantScope,
        status: Option<crate::domain::agent_action::AgentActionStatus>,
        limit: u64,
    ) -> Result<Vec<crate::store::agent_actions::AgentAction>, StoreError> {
        agent_actions::list(&self.db, scope, status, limit).await
    }

    async fn resolve_agent_action(
        &self,
        scope: TenantScope,
        resolution: crate::store::agent_actions::AgentActionResolution,
        audit: NewAuditEntry,
    ) -> Result<crate::store::agent_actions::AgentAction, WriteError> {
        agent_actions::resolve(&self.db, scope, resolution, audit).await
    }

    async fn use_agent_action(
        &self,
        organization_id: Uuid,
        requested_by: Option<Uuid>,
        tool: &str,
        arguments: &str,
        audit: NewAuditEntry,
    ) -> Result<Option<crate::store::agent_actions::AgentAction>, WriteError> {
        agent_actions::use_approved(
            &self.db,
            organization_id,
            requested_by,
            tool,
            arguments,
            audit,
        )
        .await
    }
}

#[async_trait]
impl crate::store::reconcile::ReconcileStore for SeaSalesStore {
    async fn due_reconciles(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<crate::store::reconcile::PendingReconcile>, StoreError> {
        super::reconcile::due(&self.db, now, limit).await
    }

    async fn claim_reconcile(
        &self,
        row: &crate::store::reconcile::PendingReconcile,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        super::reconcile::claim(&self.db, row, until).await
    }

    async fn reconcile_done(
        &self,
        campaign_id: Uuid,
        asked_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        super::reconcile::done(&self.db, campaign_id, asked_at).await
    }

    async fn reconcile_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        audit: Option<NewAuditEntry>,
    ) -> Result<(), StoreError> {
        super::reconcile::failed(&self.db, id, error, next_attempt_at, audit).await
    }

    async fn pending_reconciles(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<crate::store::reconcile::PendingReconcile>, StoreError> {
        super::reconcile::of_campaigns(&self.db, scope, campaign_ids).await
    }
}
