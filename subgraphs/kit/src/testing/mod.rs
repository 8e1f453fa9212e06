//! Test harness: real PostgreSQL and Redis servers for tests, never mocks.
//!
//! Each server is the one named by `TEST_DATABASE_URL` / `TEST_REDIS_URL` when
//! set, and otherwise a throwaway instance started from the installed binaries
//! on a free port in a temporary folder. Throwaway servers are owned by a small
//! shell watchdog reading a pipe from the test process: when the test process
//! exits (even by `SIGKILL`) the pipe closes and the watchdog stops the server
//! and deletes its folder, so nothing outlives `cargo test`.
//!
//! Isolation between tests running in parallel:
//! - PostgreSQL: [`TestPostgres::fresh_database`] creates a new, uniquely named
//!   empty database per call.
//! - Redis: [`TestRedis::fresh_prefix`] hands out a unique key prefix per call;
//!   tests share one logical database and must never `FLUSHDB`/`FLUSHALL`.
//!   Tests that need to stop Redis use [`throwaway_redis`], a private instance.

pub mod introspection;
pub mod ports;
pub mod postgres;
mod process;
pub mod redis;

pub use introspection::{GRAPHIQL_INTROSPECTION, assert_introspection_fits};
pub use ports::free_port;
pub use postgres::{TestPostgres, postgres, try_postgres};
pub use redis::{OwnedRedis, TestRedis, redis, throwaway_redis, try_redis};

/// Turns [`crate::references`] checks off in this test process
/// (`PROMPTSALES_CHECK_REFERENCES=off`): for a subgraph's own tests, which run it without
/// the subgraphs owning the ids it names. Tests of the checks themselves run the owners
/// instead (the ads crate's real sales, the end-to-end graph).
pub fn without_reference_checks() {
    // SAFETY: every nextest test is its own process, and this runs while a test sets up,
    // before the code under test reads the variable.
    unsafe { std::env::set_var(crate::references::CHECK_ENV, "off") };
}

/// Points [`crate::references`] at `url` for `owner`'s entities and turns checks on, in this
/// test process: a test that runs the owner itself.
pub fn references_to(owner: crate::references::Owner, url: &str) {
    // SAFETY: as in [`without_reference_checks`].
    unsafe {
        std::env::set_var(owner.url_env(), url);
        std::env::remove_var(crate::references::CHECK_ENV);
    }
}
