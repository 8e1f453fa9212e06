//! The crm crate's integration tests. Contract tests run the same async
//! functions against SQLite (a temporary file) and PostgreSQL (a fresh
//! database on the test server: `TEST_DATABASE_URL`, else a throwaway one).

mod crm {
    pub mod analytics;
    pub mod api;
    pub mod bad_input;
    pub mod batching;
    pub mod capture;
    pub mod copilot;
    pub mod encryption;
    pub mod envelope;
    pub mod funnel;
    pub mod privacy;
    pub mod queue;
    pub mod scale;
    pub mod scoring;
    pub mod sdl;
    pub mod seeding;
    pub mod support;
    pub mod tenancy;
    pub mod webhook;
}

use crm::support::Backend;
use crm::{
    analytics, api, bad_input, batching, capture, encryption, envelope, funnel, privacy, queue,
    scoring, seeding, tenancy, webhook,
};

/// One `#[tokio::test]` per backend for each contract test function.
macro_rules! on_every_backend {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    $module::$name(Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    $module::$name(Backend::Postgres).await
                }
            )*
        }
    };
}

on_every_backend!(
    api::create_and_read_through_the_graph,
    api::lists_page_and_filter,
    api::store_inserts_take_caller_ids,
    bad_input::bad_input_is_refused_with_a_code_and_writes_nothing,
    batching::entities_and_lists_cost_a_constant_number_of_statements,
    encryption::personal_data_is_only_ciphertext_at_rest,
    encryption::emails_are_unique_per_organization_through_the_blind_index,
    seeding::demo_seed_is_plausible_and_idempotent,
    tenancy::tenants_see_only_their_own_rows,
    envelope::rotation_reencrypts_in_batches_while_old_rows_stay_readable,
    envelope::legacy_rows_open_with_the_old_key_and_move_to_envelopes,
    capture::a_known_person_is_merged_not_duplicated,
    capture::concurrent_captures_of_one_person_make_one_customer,
    funnel::stage_moves_follow_the_funnel_and_are_recorded,
    funnel::a_concurrent_conflicting_move_is_refused_not_lost,
    funnel::interactions_are_recorded_encrypted_and_listed,
    scoring::the_model_beats_a_constant_guess_on_held_out_leads,
    scoring::a_lead_captured_after_training_is_scored_at_capture,
    scoring::a_new_organizations_leads_are_scored_by_the_platform_prior,
    scoring::batch_rescoring_writes_what_row_by_row_writes,
    webhook::each_organization_signs_for_itself_only,
    webhook::a_capture_naming_another_tenants_campaign_is_not_found_against_the_real_sales_subgraph,
    webhook::a_rotation_keeps_the_old_secret_for_its_grace_and_revocation_ends_it,
    webhook::the_exact_retry_of_a_failed_capture_is_accepted_and_copies_race_to_one,
    queue::the_queue_orders_by_waiting_intent_and_value,
    queue::two_agents_never_claim_the_same_lead,
    queue::the_subscription_pushes_new_and_reprioritised_leads,
    analytics::campaigns_rank_by_conversion_within_each_organization,
    analytics::customers_near_a_point_on_known_coordinates,
    analytics::campaign_totals_follow_the_watermark,
    privacy::export_returns_everything_and_erasure_keeps_reports,
);
