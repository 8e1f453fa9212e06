//! End-to-end tests of the whole graph through the router.
//!
//! The subgraphs run in this process over real PostgreSQL databases; the
//! router is the real `promptsales router` binary, a child process.

mod e2e {
    pub mod fixture;
    pub mod harness;

    mod bad_input;
    mod cross_subgraph;
    mod schema_files;
    mod store_commands;
    mod up_command;
}
