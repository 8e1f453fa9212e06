//! End-to-end tests of the whole graph through the router.
//!
//! The subgraphs run in this process over real PostgreSQL databases; the
//! router is the real `promptsales router` binary, a child process.

mod e2e {
    pub mod fixture;
    pub mod harness;
    // The router's edge: Redis persisted queries, response cache, limits, resilience.
    pub mod edge;

    // `ask`: questions in plain words through MCP and GraphQL (issue 22).
    mod ask;
    mod bad_input;
    mod cross_subgraph;
    // The delta ETL killed mid-cycle, and its live dashboards through the router.
    mod etl_crash;
    mod etl_live;
    // GraphiQL served by the router itself (in a browser: scripts/browser-check.sh).
    mod graphiql;
    // Hundreds of hostile requests to every service: nothing goes down, nothing changes.
    mod hostile;
    // Every id of another subgraph's entity a mutation names is checked against the caller's tenant (issue 13).
    mod identity;
    mod persisted_queries;
    mod rate_limit;
    mod references;
    mod resilience;
    mod response_cache;
    // The platform's promises across subgraphs (approvals, budget, quotas, tenants, freshness).
    mod rules;
    // Live data (ads metrics, crm's agent queue) through the router's WebSocket.
    pub mod routed_subscriptions;
    // The MCP adapter driven by an MCP client.
    mod mcp;
    // AI agents' daily work through the MCP write tools, under supervision (issue 17).
    mod mcp_work;
    mod schema_files;
    mod store_commands;
    // `promptsales up` restarting killed components (issue 19).
    mod supervision;
    mod up_command;
}
