//! Resources with stable URIs: a short guide to the graph, the composed schema (SDL), and
//! every operation file the tools come from.

use rmcp::model::{Resource, ResourceContents, ResourceTemplate};

use crate::server::Catalog;

/// The guide.
pub const GUIDE_URI: &str = "promptsales://guide";
/// The composed schema.
pub const SCHEMA_URI: &str = "promptsales://schema";
/// The prefix of operation files (`promptsales://operations/<file>`).
pub const OPERATIONS_PREFIX: &str = "promptsales://operations/";
/// The template of operation files (for `completion/complete`).
pub const OPERATIONS_TEMPLATE: &str = "promptsales://operations/{file}";

/// A short guide for an agent that meets the graph for the first time.
pub const GUIDE: &str = "# PromptSales for agents\n\n\
PromptSales is one GraphQL graph over four subsystems: **sales** (organizations, users, \
campaigns, approvals, budgets, the audit log), **ads** (ads and their daily metrics), \
**crm** (customers, leads, interactions, sales) and **content** (media assets, generated \
content, prompt templates).\n\n\
## How to work\n\n\
- Every tool runs one GraphQL operation on the router *as you*: you see your organization's \
data only, and only the tools your roles allow.\n\
- Read first: `listCampaigns`, `getCampaignPerformance`, `getNextLeads`, `listLeads`.\n\
- Everyday writes run at once: `createCampaignFromStrategy` (a draft and its plan), \
`requestCampaignApproval`, `generateCampaignContent` then `reviewGeneratedContent`, \
`claimNextLead`, `moveLeadStage` (pass the lead's `version` as `expectedVersion`; a \
`CONFLICT` means read it again), `recordInteraction`, `sendSuggestedReply`, `createSale`.\n\
- Anything that launches, spends, erases or changes permissions does not run from a call: \
the call files an approval request in sales and says so; a person with the sales admin role \
approves it, and the same call with the same arguments then runs, once.\n\
- Errors carry a code (`BAD_USER_INPUT` names the field, `NOT_FOUND`, `FORBIDDEN`, \
`CONFLICT`); fix what it says and call again.\n\
- `searchSchema` and `introspectType` explore the graph; `promptsales://schema` is the \
whole composed schema; `promptsales://operations/<file>` are the operations behind the tools.\n\
- Prompts are content's active prompt templates (`<name>@v<version>`); their arguments are \
the template's placeholders.\n";

/// Every resource, the fixed ones first, then one per operation file (sorted).
pub fn list(catalog: &Catalog) -> Vec<Resource> {
    let mut out = vec![
        Resource::new(GUIDE_URI, "guide")
            .with_title("A short guide to the PromptSales graph")
            .with_description("what the subsystems hold, how tools run, what needs approval")
            .with_mime_type("text/markdown"),
        Resource::new(SCHEMA_URI, "schema")
            .with_title("The composed GraphQL schema")
            .with_description("the supergraph SDL the tools are validated against")
            .with_mime_type("application/graphql"),
    ];
    for (file, _) in &catalog.files {
        out.push(
            Resource::new(format!("{OPERATIONS_PREFIX}{file}"), file.clone())
                .with_title(format!("Operation file {file}"))
                .with_description("the GraphQL operations of these tools")
                .with_mime_type("application/graphql"),
        );
    }
    out
}

/// The template of the operation files.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(OPERATIONS_TEMPLATE, "operation file")
            .with_description("one of the operation files the tools come from")
            .with_mime_type("application/graphql"),
    ]
}

/// The contents at `uri`, or `None` when there is no such resource.
pub fn read(catalog: &Catalog, uri: &str) -> Option<ResourceContents> {
    match uri {
        GUIDE_URI => Some(ResourceContents::text(GUIDE, uri).with_mime_type("text/markdown")),
        SCHEMA_URI => Some(
            ResourceContents::text(catalog.sdl.as_ref(), uri).with_mime_type("application/graphql"),
        ),
        _ => {
            let file = uri.strip_prefix(OPERATIONS_PREFIX)?;
            catalog
                .files
                .iter()
                .find(|(name, _)| name == file)
                .map(|(_, text)| {
                    ResourceContents::text(text.clone(), uri).with_mime_type("application/graphql")
                })
        }
    }
}

/// Operation file names starting with `prefix` (at most 100).
pub fn complete_file(catalog: &Catalog, prefix: &str) -> Vec<String> {
    catalog
        .files
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| name.starts_with(prefix))
        .take(100)
        .collect()
}
