//! Schema migrations of each PromptSales store, one migrator per subgraph.
//!
//! Written with sea-query's schema builder so that one migration serves the
//! embedded SQLite default and PostgreSQL; statements that only make sense
//! on one backend check `manager.get_database_backend()`.

pub mod ads;
pub mod content;
pub mod crm;
mod etl_indexes;
pub mod sales;
