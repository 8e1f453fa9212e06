//! Every shipped operation file is a valid tool against the committed supergraph.

use std::path::Path;

use promptsales_kit::StrEnum;
use promptsales_kit::context::{Role, Subsystem};
use promptsales_mcp::config::BUILT_SUPERGRAPH;
use promptsales_mcp::operations::{load_dir, load_embedded};
use promptsales_mcp::schema::{OperationKind, SchemaIndex};

fn index() -> SchemaIndex {
    let sdl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/supergraph.graphql"),
    )
    .unwrap_or_else(|_| BUILT_SUPERGRAPH.to_string());
    SchemaIndex::parse(&sdl).expect("the supergraph parses")
}

#[test]
fn every_shipped_operation_file_loads_without_problems() {
    let index = index();
    let (tools, problems) = load_dir(
        &index,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("operations"),
    );
    assert!(problems.is_empty(), "{problems:#?}");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for expected in [
        "getContent",
        "getCampaignPerformance",
        "getCampaignFunnel",
        "getBestChannels",
        "getNextLeads",
        "getSuggestedReply",
        "generateCampaignContent",
        "getCampaignContentLog",
        "createCampaignDraft",
        "requestCampaignApproval",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "tools come in a deterministic order");
}

#[test]
fn the_embedded_copies_match_the_folder() {
    let index = index();
    let (embedded, _) = load_embedded(&index);
    let (folder, _) = load_dir(
        &index,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("operations"),
    );
    let a: Vec<&str> = embedded.iter().map(|t| t.name.as_str()).collect();
    let b: Vec<&str> = folder.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(a, b);
}

#[test]
fn roles_follow_the_subgraphs_an_operation_touches() {
    let index = index();
    let (tools, _) = load_dir(
        &index,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("operations"),
    );
    let tool = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        tool("getSuggestedReply").roles,
        [(Subsystem::Crm, Role::Read)].into()
    );
    assert_eq!(
        tool("generateCampaignContent").roles,
        [(Subsystem::Content, Role::Write)].into()
    );
    assert_eq!(
        tool("getContent").roles,
        [(Subsystem::Content, Role::Read)].into()
    );
    assert_eq!(
        tool("getCampaignFunnel").roles,
        [(Subsystem::Sales, Role::Read), (Subsystem::Crm, Role::Read)].into()
    );
    let draft = tool("createCampaignDraft");
    assert_eq!(draft.kind, OperationKind::Mutation);
    assert_eq!(draft.roles, [(Subsystem::Sales, Role::Write)].into());
    let content = tool("getContent");
    assert_eq!(content.kind, OperationKind::Query);
    assert_eq!(
        content.input_schema["required"],
        serde_json::json!(["description"])
    );
    assert!(content.input_schema["$defs"]["AssetKind"]["enum"].is_array());
}

#[test]
fn every_subgraph_has_at_least_two_tools_of_its_own() {
    let index = index();
    let (tools, _) = load_dir(
        &index,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("operations"),
    );
    for subsystem in Subsystem::ALL.iter().copied() {
        let own: Vec<&str> = tools
            .iter()
            .filter(|t| t.roles.len() == 1 && t.roles.contains_key(&subsystem))
            .map(|t| t.name.as_str())
            .collect();
        assert!(own.len() >= 2, "{subsystem:?} has only {own:?}");
    }
}

#[test]
fn the_daily_write_tools_ship_with_their_risk_class() {
    use promptsales_mcp::risk::RiskClass;
    let index = index();
    let (tools, problems) = load_dir(
        &index,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("operations"),
    );
    assert!(problems.is_empty(), "{problems:#?}");
    let class = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} shipped"))
            .risk
    };
    for everyday in [
        "createCampaignFromStrategy",
        "createCampaignDraft",
        "requestCampaignApproval",
        "generateCampaignContent",
        "reviewGeneratedContent",
        "savePromptTemplate",
        "claimNextLead",
        "moveLeadStage",
        "recordInteraction",
        "sendSuggestedReply",
        "createSale",
    ] {
        assert_eq!(class(everyday), RiskClass::Write, "{everyday}");
    }
    assert_eq!(class("recordCampaignBudgetMovement"), RiskClass::Spend);
    assert_eq!(class("launchCampaign"), RiskClass::Launch);
    assert_eq!(class("listLeads"), RiskClass::Read);
    // Each description says what to pass, not only what it is.
    let move_stage = tools
        .iter()
        .find(|t| t.name == "moveLeadStage")
        .expect("shipped");
    assert!(
        move_stage.description.contains("expectedVersion"),
        "{}",
        move_stage.description
    );
    assert_eq!(
        move_stage.roles.get(&Subsystem::Crm),
        Some(&Role::Write),
        "{:?}",
        move_stage.roles
    );
}
