//! The sales subgraph's integration tests. Contract tests run the same
//! async functions against SQLite (a temporary file) and PostgreSQL (a fresh
//! database from the kit's test server).

#[path = "sales/agenda.rs"]
mod agenda;
#[path = "sales/agent_actions.rs"]
mod agent_actions;
#[path = "sales/batching.rs"]
mod batching;
#[path = "sales/contract.rs"]
mod contract;
#[path = "sales/identity.rs"]
mod identity;
#[path = "sales/money.rs"]
mod money;
#[path = "sales/plans.rs"]
mod plans;
#[path = "sales/portal_support.rs"]
mod portal_support;
#[path = "sales/postgres.rs"]
mod postgres_only;
#[path = "sales/results.rs"]
mod results;
#[path = "sales/sdl.rs"]
mod sdl;
#[path = "sales/support.rs"]
mod support;
#[path = "sales/workflow.rs"]
mod workflow;

/// Declares each test once per backend: `sqlite::name` and `postgres::name`.
macro_rules! on_every_backend {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    let h = crate::support::Harness::sqlite().await?;
                    let outcome = crate::$module::$name(&h).await;
                    h.close().await;
                    outcome
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    let h = crate::support::Harness::postgres().await?;
                    let outcome = crate::$module::$name(&h).await;
                    h.close().await;
                    outcome
                }
            )*
        }
    };
}

on_every_backend!(
    contract::organizations_are_created_read_updated_and_paged,
    contract::users_have_unique_emails_and_are_filtered,
    contract::campaigns_are_created_with_objectives_and_updated_by_the_rules,
    contract::a_stale_update_is_a_conflict,
    contract::the_store_keeps_given_ids_and_refuses_broken_references,
    contract::campaigns_are_filtered_and_paged,
    contract::bad_input_is_refused_with_a_code_and_writes_nothing,
    contract::a_tenant_sees_only_its_own_rows,
    contract::the_demo_seed_is_idempotent_and_queryable,
    batching::entities_and_pages_cost_a_constant_number_of_statements,
    identity::the_password_grant_issues_tokens_with_the_users_permissions_and_refuses_the_rest,
    identity::refresh_tokens_rotate_and_a_reused_one_revokes_its_whole_login,
    identity::clients_get_tokens_with_their_secret_and_the_jwks_verifies_them,
    identity::sales_admins_grant_and_revoke_permissions_in_their_own_organization,
    identity::an_operation_over_websocket_is_audited_with_the_callers_address_and_agent,
    identity::a_requested_scope_narrows_the_token_and_its_refreshes_and_more_is_invalid_scope,
    identity::failed_logins_are_throttled_per_account_and_ip_and_a_success_resets_the_account,
    identity::with_redis_down_logins_fail_open_and_the_outage_is_counted,
    identity::the_oauth_endpoints_take_the_subgraphs_body_limit_and_answer_413,
    identity::a_rotated_signing_key_keeps_old_tokens_valid_until_it_is_retired,
);

// The portal: workflow, plans and money, on every backend.
mod portal {
    on_every_backend!(
        workflow::every_status_pair_is_legal_exactly_when_the_machine_allows_it,
        workflow::nothing_launches_before_every_approval_is_granted,
        workflow::a_rejection_sends_the_campaign_back_and_old_grants_never_count_again,
        workflow::a_strategy_becomes_a_draft_plan_reasoned_from_past_results,
        workflow::concurrent_last_grants_still_approve_the_campaign,
        money::movements_keep_a_running_balance_that_never_goes_negative,
        money::concurrent_spends_lose_no_update_and_never_overdraw,
        money::the_database_refuses_a_negative_balance_on_its_own,
        money::payment_methods_hold_tokens_and_transactions_fund_campaigns,
        plans::plan_limits_are_enforced_and_follow_the_live_subscription,
        plans::plan_limits_are_published_to_redis_and_an_outage_fails_no_mutation,
        plans::subscription_usage_and_ai_usage_read_one_counter,
        plans::with_redis_unreachable_record_usage_and_the_ai_gateway_follow_one_setting,
        results::the_dashboard_adds_up_the_seeded_results,
        results::the_audit_log_keeps_ninety_days,
        agenda::the_scheduler_fires_each_reminder_once_and_pushes_it,
        agent_actions::an_agent_action_waits_for_a_person_and_runs_once_with_the_arguments_approved,
        agent_actions::every_agent_tool_call_is_audited_whatever_the_callers_roles,
    );
}

// The portal's PostgreSQL-only guarantees.
mod portal_postgres {
    macro_rules! on_postgres {
        ($($module:ident :: $name:ident),* $(,)?) => {
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    let h = crate::support::Harness::postgres().await?;
                    let outcome = crate::$module::$name(&h).await;
                    h.close().await;
                    outcome
                }
            )*
        };
    }
    on_postgres!(
        agenda::two_schedulers_on_one_postgres_fire_each_reminder_exactly_once,
        postgres_only::the_service_role_cannot_change_the_schema_and_reporting_only_reads,
        postgres_only::triggers_guard_the_watermark_and_the_balance_and_the_view_refreshes,
    );
}
