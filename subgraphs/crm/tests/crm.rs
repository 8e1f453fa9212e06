//! The crm crate's integration tests. Contract tests run the same async
//! functions against SQLite (a temporary file) and PostgreSQL (a fresh
//! database on the test server: `TEST_DATABASE_URL`, else a throwaway one).

mod crm {
    pub mod api;
    pub mod bad_input;
    pub mod batching;
    pub mod encryption;
    pub mod sdl;
    pub mod seeding;
    pub mod support;
    pub mod tenancy;
}

use crm::support::Backend;
use crm::{api, bad_input, batching, encryption, seeding, tenancy};

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
);
