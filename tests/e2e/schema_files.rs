//! The committed schema files are what the code exports and what the composer makes of it.

use super::harness::{promptsales_bin, repo_root};

#[test]
fn committed_subgraph_sdls_and_supergraph_are_current() {
    let output = std::process::Command::new(promptsales_bin())
        .args(["compose", "--check", "--dir"])
        .arg(repo_root().join("schema"))
        .output()
        .expect("running promptsales compose --check");
    assert!(
        output.status.success(),
        "schema files are stale (run `cargo run -- compose`):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_supergraph_composes_all_four_subgraphs() {
    let supergraph =
        std::fs::read_to_string(repo_root().join("schema/supergraph.graphql")).expect("supergraph");
    for name in ["SALES", "ADS", "CRM", "CONTENT"] {
        assert!(
            supergraph.contains(&format!("{name} @join__graph(")),
            "the supergraph lacks the {name} subgraph"
        );
    }
    // Hive Router 0.2.19 plans root fields only when the root types carry @join__type.
    let query_type = supergraph
        .lines()
        .find(|l| l.starts_with("type Query "))
        .expect("a Query type");
    for name in ["SALES", "ADS", "CRM", "CONTENT"] {
        assert!(
            query_type.contains(&format!("@join__type(graph: {name})")),
            "{query_type}"
        );
    }
}
