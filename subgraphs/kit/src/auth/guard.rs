//! The central role check: every operation needs an identity and the
//! subgraph's subsystem role (queries and subscriptions `read`, mutations
//! `write`), checked once per request after parsing, before any resolver runs.
//!
//! Introspection (`__schema`, `__type`, `__typename`) and the federation SDL
//! (`_service`) stay open: the schema is no secret, and GraphiQL and
//! composition need it without a token. `_entities` is data and needs `read`.
//! Finer checks (admin actions) call [`RequestContext::require`] in resolvers.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, ServerError, ServerResult, Variables};

use super::verifier::TokenError;
use crate::context::{RequestContext, Role, Subsystem};
use crate::error::codes;

/// Request data standing in for a [`RequestContext`] when the request has no
/// valid token: why it has none, so the refusal can say.
#[derive(Debug, Clone)]
pub struct Unauthenticated(pub TokenError);

/// Refuses operations without an identity (`UNAUTHENTICATED`) or without the
/// subsystem's role (`FORBIDDEN`). Reads the [`RequestContext`] and the
/// [`Subsystem`] from the request (or connection) data.
#[derive(Debug, Default, Clone, Copy)]
pub struct AccessGuard;

impl ExtensionFactory for AccessGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AccessGuard)
    }
}

#[async_trait::async_trait]
impl Extension for AccessGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some(role) = required_role(&document) {
            check(
                ctx.data_opt::<RequestContext>(),
                ctx.data_opt::<Unauthenticated>(),
                ctx.data_opt::<Subsystem>().copied(),
                role,
            )?;
        }
        Ok(document)
    }
}

fn refusal(message: String, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    crate::extension::ensure_code(&mut error, code);
    error
}

/// Whether a caller may run an operation needing `role` in the subgraph of `subsystem`.
pub fn check(
    context: Option<&RequestContext>,
    unauthenticated: Option<&Unauthenticated>,
    subsystem: Option<Subsystem>,
    role: Role,
) -> ServerResult<()> {
    let Some(context) = context else {
        let reason = unauthenticated.map_or(TokenError::Missing, |u| u.0.clone());
        return Err(refusal(reason.to_string(), codes::UNAUTHENTICATED));
    };
    let Some(subsystem) = subsystem else {
        // A schema served without its subsystem: nobody's role can match it.
        return Err(refusal(
            "this service does not name its subsystem; no role grants access".into(),
            codes::FORBIDDEN,
        ));
    };
    context
        .require(subsystem, role)
        .map_err(|e| refusal(e.message(), e.code()))
}

/// The role a document needs: the highest over its operations (`write` for a
/// mutation, `read` otherwise), or `None` when it only touches open fields.
pub fn required_role(document: &ExecutableDocument) -> Option<Role> {
    document
        .operations
        .iter()
        .filter(|(_, op)| !only_open_fields(&op.node.selection_set, &document.fragments))
        .map(|(_, op)| match op.node.ty {
            OperationType::Mutation => Role::Write,
            OperationType::Query | OperationType::Subscription => Role::Read,
        })
        .max()
}

const OPEN_ROOT_FIELDS: [&str; 4] = ["__schema", "__type", "__typename", "_service"];

fn only_open_fields(
    selection_set: &Positioned<SelectionSet>,
    fragments: &std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
) -> bool {
    let mut seen = HashSet::new();
    open(selection_set, fragments, &mut seen)
}

fn open<'a>(
    selection_set: &'a Positioned<SelectionSet>,
    fragments: &'a std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
    seen: &mut HashSet<&'a str>,
) -> bool {
    selection_set
        .node
        .items
        .iter()
        .all(|item| match &item.node {
            Selection::Field(field) => OPEN_ROOT_FIELDS.contains(&field.node.name.node.as_str()),
            Selection::InlineFragment(inline) => open(&inline.node.selection_set, fragments, seen),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // A cycle or an unknown fragment is refused by validation later; here it is not open.
                if !seen.insert(name) {
                    return false;
                }
                fragments
                    .get(spread.node.fragment_name.node.as_str())
                    .is_some_and(|f| open(&f.node.selection_set, fragments, seen))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn role(query: &str) -> Option<Role> {
        required_role(&parse_query(query).expect("parses"))
    }

    #[test]
    fn reads_need_read_writes_need_write_and_schema_questions_are_open() {
        assert_eq!(role("{ campaigns { id } }"), Some(Role::Read));
        assert_eq!(
            role("{ _entities(representations: []) { __typename } }"),
            Some(Role::Read)
        );
        assert_eq!(role("subscription { ticks }"), Some(Role::Read));
        assert_eq!(
            role("mutation { createCampaign { id } }"),
            Some(Role::Write)
        );
        assert_eq!(role("{ __schema { types { name } } }"), None);
        assert_eq!(role("{ _service { sdl } }"), None);
        assert_eq!(role("{ __typename }"), None);
        assert_eq!(role("{ ...F } fragment F on Query { __typename }"), None);
        assert_eq!(
            role("{ ...F } fragment F on Query { __typename campaigns { id } }"),
            Some(Role::Read)
        );
        assert_eq!(
            role("{ ... on Query { campaigns { id } } }"),
            Some(Role::Read)
        );
        // Several operations: the strictest decides, whichever one runs.
        assert_eq!(
            role("query A { __typename } mutation B { x }"),
            Some(Role::Write)
        );
    }

    #[test]
    fn no_identity_is_unauthenticated_and_no_role_is_forbidden() {
        let code = |r: ServerResult<()>| {
            r.err()
                .and_then(|e| e.extensions)
                .and_then(|x| x.get("code").cloned())
                .map(|c| c.to_string())
        };
        assert_eq!(
            code(check(None, None, Some(Subsystem::Ads), Role::Read)).as_deref(),
            Some("\"UNAUTHENTICATED\"")
        );
        let expired = Unauthenticated(TokenError::Expired);
        let refused = check(None, Some(&expired), Some(Subsystem::Ads), Role::Read);
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.message.contains("expired"))
        );
        let reader = RequestContext::for_organization(uuid::Uuid::now_v7())
            .with_role(Subsystem::Ads, Role::Read);
        assert!(check(Some(&reader), None, Some(Subsystem::Ads), Role::Read).is_ok());
        assert_eq!(
            code(check(
                Some(&reader),
                None,
                Some(Subsystem::Ads),
                Role::Write
            ))
            .as_deref(),
            Some("\"FORBIDDEN\"")
        );
        assert_eq!(
            code(check(Some(&reader), None, Some(Subsystem::Crm), Role::Read)).as_deref(),
            Some("\"FORBIDDEN\"")
        );
        assert_eq!(
            code(check(Some(&reader), None, None, Role::Read)).as_deref(),
            Some("\"FORBIDDEN\"")
        );
    }
}
