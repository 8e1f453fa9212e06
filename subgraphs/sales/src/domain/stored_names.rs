//! The stored strings of every sales enum, pinned: they are in the database and on the
//! wire, so renaming a variant or changing the naming scheme must fail here first.

use promptsales_kit::names::assert_pinned;

use super::agenda::{NotificationKind, TaskKind, TaskStatus};
use super::agent_action::AgentActionStatus;
use super::campaign::CampaignStatus;
use super::money::{MovementKind, TransactionKind, TransactionStatus};
use super::objective::ObjectiveKind;
use super::subscription::{BillingCycle, FeatureKind, SubscriptionStatus};
use super::user::UserType;
use super::workflow::{ApprovalKind, ApprovalStatus};
use crate::schema::agent_actions::ToolCallOutcome;
use crate::store::audit::Severity;

#[test]
fn campaigns_and_objectives() {
    use CampaignStatus::*;
    assert_pinned(&[
        (Draft, "draft"),
        (PendingApproval, "pending_approval"),
        (Approved, "approved"),
        (Active, "active"),
        (Paused, "paused"),
        (Completed, "completed"),
        (Cancelled, "cancelled"),
    ]);
    use ObjectiveKind::*;
    assert_pinned(&[
        (Awareness, "awareness"),
        (LeadGeneration, "lead_generation"),
        (Conversion, "conversion"),
        (Engagement, "engagement"),
        (Sales, "sales"),
    ]);
}

#[test]
fn approvals() {
    use ApprovalKind::*;
    assert_pinned(&[
        (Budget, "budget"),
        (Content, "content"),
        (Schedule, "schedule"),
        (Launch, "launch"),
    ]);
    use ApprovalStatus::*;
    assert_pinned(&[
        (Pending, "pending"),
        (Granted, "granted"),
        (Rejected, "rejected"),
        (Withdrawn, "withdrawn"),
    ]);
}

#[test]
fn agenda() {
    use TaskKind::*;
    assert_pinned(&[
        (ContentReview, "content_review"),
        (Approval, "approval"),
        (Publish, "publish"),
        (Report, "report"),
    ]);
    use TaskStatus::*;
    assert_pinned(&[(Open, "open"), (Done, "done"), (Cancelled, "cancelled")]);
    use NotificationKind::*;
    assert_pinned(&[(Reminder, "reminder"), (Overdue, "overdue")]);
}

#[test]
fn money() {
    use MovementKind::*;
    assert_pinned(&[
        (Deposit, "deposit"),
        (Spend, "spend"),
        (Refund, "refund"),
        (Adjustment, "adjustment"),
    ]);
    use TransactionKind::*;
    assert_pinned(&[
        (Subscription, "subscription"),
        (CampaignBudget, "campaign_budget"),
    ]);
    use TransactionStatus::*;
    assert_pinned(&[
        (Pending, "pending"),
        (Succeeded, "succeeded"),
        (Failed, "failed"),
        (Refunded, "refunded"),
    ]);
}

#[test]
fn plans_and_subscriptions() {
    use BillingCycle::*;
    assert_pinned(&[(Monthly, "monthly"), (Yearly, "yearly")]);
    use FeatureKind::*;
    assert_pinned(&[(Limit, "limit"), (Boolean, "boolean"), (Quota, "quota")]);
    use SubscriptionStatus::*;
    assert_pinned(&[
        (Trial, "trial"),
        (Active, "active"),
        (Cancelled, "cancelled"),
        (Expired, "expired"),
    ]);
}

#[test]
fn users_and_audit() {
    use UserType::*;
    assert_pinned(&[
        (Customer, "customer"),
        (Admin, "admin"),
        (Marketer, "marketer"),
        (SalesAgent, "sales_agent"),
    ]);
    use Severity::*;
    assert_pinned(&[(Info, "info"), (Warning, "warning"), (Critical, "critical")]);
}

#[test]
fn agent_actions() {
    use AgentActionStatus::*;
    assert_pinned(&[
        (Pending, "pending"),
        (Approved, "approved"),
        (Rejected, "rejected"),
        (Used, "used"),
    ]);
    // In the audit log's details of every tool call (`recordToolCall`).
    use ToolCallOutcome::*;
    assert_pinned(&[
        (Succeeded, "succeeded"),
        (Failed, "failed"),
        (Refused, "refused"),
        (ApprovalRequested, "approval_requested"),
    ]);
}
