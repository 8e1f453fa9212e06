//! The sales subgraph's integration tests. Contract tests run the same
//! async functions against SQLite (a temporary file) and PostgreSQL (a fresh
//! database from the kit's test server).

#[path = "sales/batching.rs"]
mod batching;
#[path = "sales/contract.rs"]
mod contract;
#[path = "sales/sdl.rs"]
mod sdl;
#[path = "sales/support.rs"]
mod support;

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
);
