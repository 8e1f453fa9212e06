//! The central role check: every operation needs an identity and the
//! subgraph's subsystem role (queries and subscriptions `read`, mutations
//! `write`), checked once per request after parsing, before any resolver runs.
//!
//! Introspection (`__schema`, `__type`, `__typename`) and the federation SDL
//! (`_service`) stay open: the schema is no secret, and GraphiQL and
//! composition need it without a token. `_entities` is data and needs `read`.
//! A subgraph may name [`MemberFields`]: root fields any identified caller may
//! run whatever its roles here (an agent audits its own tool calls in sales
//! holding only a crm role); their resolvers make the finer checks.
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

/// Schema data naming the root fields that need an identity but no subsystem role (their
/// resolvers check what they need): an operation made only of these and open fields asks
/// for a verified caller, nothing more.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemberFields(pub &'static [&'static str]);

/// What an operation asks of its caller before any resolver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requirement {
    /// A verified identity, whatever its roles.
    Identity,
    /// The subgraph's subsystem role.
    Role(Role),
}

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
        let members = ctx.data_opt::<MemberFields>().copied().unwrap_or_default();
        match requirement(&document, members.0) {
            None => {}
            Some(Requirement::Identity) => {
                identified(
                    ctx.data_opt::<RequestContext>(),
                    ctx.data_opt::<Unauthenticated>(),
                )?;
            }
            Some(Requirement::Role(role)) => check(
                ctx.data_opt::<RequestContext>(),
                ctx.data_opt::<Unauthenticated>(),
                ctx.data_opt::<Subsystem>().copied(),
                role,
            )?,
        }
        Ok(document)
    }
}

fn refusal(message: String, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    crate::extension::ensure_code(&mut error, code);
    error
}

/// Whether the request carries a verified identity (`UNAUTHENTICATED` otherwise).
pub fn identified<'a>(
    context: Option<&'a RequestContext>,
    unauthenticated: Option<&Unauthenticated>,
) -> ServerResult<&'a RequestContext> {
    context.ok_or_else(|| {
        let reason = unauthenticated.map_or(TokenError::Missing, |u| u.0.clone());
        refusal(reason.to_string(), codes::UNAUTHENTICATED)
    })
}

/// Whether a caller may run an operation needing `role` in the subgraph of `subsystem`.
pub fn check(
    context: Option<&RequestContext>,
    unauthenticated: Option<&Unauthenticated>,
    subsystem: Option<Subsystem>,
    role: Role,
) -> ServerResult<()> {
    let context = identified(context, unauthenticated)?;
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
    match requirement(document, &[]) {
        Some(Requirement::Role(role)) => Some(role),
        _ => None,
    }
}

/// What a document asks of its caller, given the subgraph's member fields: the strictest
/// over its operations; `None` when it only touches open fields.
pub fn requirement(document: &ExecutableDocument, members: &[&str]) -> Option<Requirement> {
    document
        .operations
        .iter()
        .filter_map(|(_, op)| {
            let mut seen = HashSet::new();
            match reach(
                &op.node.selection_set,
                &document.fragments,
                members,
                &mut seen,
            ) {
                Reach::Open => None,
                Reach::Member => Some(Requirement::Identity),
                Reach::Data => Some(Requirement::Role(match op.node.ty {
                    OperationType::Mutation => Role::Write,
                    OperationType::Query | OperationType::Subscription => Role::Read,
                })),
            }
        })
        .max()
}

const OPEN_ROOT_FIELDS: [&str; 4] = ["__schema", "__type", "__typename", "_service"];

/// What a selection of root fields touches, mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// Only open fields.
    Open,
    /// Open and member fields.
    Member,
    /// Anything else.
    Data,
}

fn reach<'a>(
    selection_set: &'a Positioned<SelectionSet>,
    fragments: &'a std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
    members: &[&str],
    seen: &mut HashSet<&'a str>,
) -> Reach {
    selection_set
        .node
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if OPEN_ROOT_FIELDS.contains(&name) {
                    Reach::Open
                } else if members.contains(&name) {
                    Reach::Member
                } else {
                    Reach::Data
                }
            }
            Selection::InlineFragment(inline) => {
                reach(&inline.node.selection_set, fragments, members, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // A cycle or an unknown fragment is refused by validation later; here it is data.
                if !seen.insert(name) {
                    return Reach::Data;
                }
                fragments.get(name).map_or(Reach::Data, |f| {
                    reach(&f.node.selection_set, fragments, members, seen)
                })
            }
        })
        .max()
        .unwrap_or(Reach::Open)
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
    fn member_fields_need_only_an_identity_and_nothing_rides_along_with_them() {
        let needs = |query: &str| {
            requirement(
                &parse_query(query).expect("parses"),
                &["recordToolCall", "useAgentAction"],
            )
        };
        assert_eq!(
            needs("mutation { recordToolCall { id } __typename }"),
            Some(Requirement::Identity)
        );
        assert_eq!(
            needs("mutation { ...F } fragment F on Mutation { useAgentAction { id } }"),
            Some(Requirement::Identity)
        );
        // A member field beside any other field: the other field's role.
        assert_eq!(
            needs("mutation { recordToolCall { id } createCampaign { id } }"),
            Some(Requirement::Role(Role::Write))
        );
        assert_eq!(
            needs("mutation A { recordToolCall { id } } query B { campaigns { id } }"),
            Some(Requirement::Role(Role::Read))
        );
        assert_eq!(needs("{ __typename }"), None);
        // Without member fields, nothing changes.
        assert_eq!(
            role("mutation { recordToolCall { id } }"),
            Some(Role::Write)
        );
        let anonymous = identified(None, None).err().and_then(|e| e.extensions);
        assert!(anonymous.is_some_and(|x| x.get("code").is_some()));
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
