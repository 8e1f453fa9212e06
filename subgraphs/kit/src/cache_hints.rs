//! Cache hints and entity tags a subgraph sends the router with every response.
//!
//! The router's response cache needs to know, for each subgraph response,
//! how long it may live and which entities it holds:
//!
//! - `extensions.cacheControl = {"maxAge": N, "scope": "PUBLIC" | "PRIVATE"}`:
//!   async-graphql's own `Response::cache_control`, the shortest
//!   `#[graphql(cache_control(max_age = N[, private]))]` among the types and
//!   fields the operation selects. Absent when nothing selected has a hint
//!   (the router then never caches the operation); `maxAge: 0` when a hint
//!   says `no_cache`.
//! - `extensions.cacheTags = ["Campaign:<id>", ...]`: every object whose `id`
//!   the operation selected, as `Type:id`. The router tags a cached response
//!   with them, and a mutation's tags invalidate the cached responses holding
//!   the same entities (see [`crate::cache_tags`] for invalidating from elsewhere).
//!   An object reached through a list the client asked for (`campaigns`,
//!   `ads`, connection edges) also gives its list tag `Type:*`: a mutation
//!   returning any `Type` invalidates those responses, since it may have
//!   created, deleted or moved one (a list's membership is not an entity).
//!
//! Lists are invalidated per tenant. A subgraph only knows `Type:*`; the
//! router, which knows the caller's organization, stores a list response
//! under [`list_tags_stored_for`] that organization, and a mutation of a
//! `Type` invalidates [`list_tags_changed_by`] the mutating caller's
//! organization: a caller scoped to one organization can only change that
//! organization's rows, so other tenants' lists stay cached.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{Name, QueryPathNode, QueryPathSegment, Response, ServerResult, Value};

/// The response extension carrying the cache hint.
pub const CACHE_CONTROL_EXTENSION: &str = "cacheControl";
/// The response extension carrying the entity tags.
pub const CACHE_TAGS_EXTENSION: &str = "cacheTags";

/// The tag of one entity: `Type:id`.
pub fn entity_tag(type_name: &str, id: &str) -> String {
    format!("{type_name}:{id}")
}

/// The tag of every list response holding a `type_name`, whoever read it: `Type:*`.
pub fn list_tag(type_name: &str) -> String {
    format!("{type_name}:*")
}

/// What stands for "no single organization" in a tenant list tag (organization ids are UUIDs, never this).
const CROSS_TENANT: &str = "all";

/// The tag of the list responses holding a `type_name` read for `organization`
/// (`None`: by a caller not scoped to one, whose lists may hold every tenant's rows): `Type:*@{organization|all}`.
pub fn tenant_list_tag(type_name: &str, organization: Option<&str>) -> String {
    format!("{type_name}:*@{}", organization.unwrap_or(CROSS_TENANT))
}

/// The list tags a list response holding a `type_name`, read for `organization`, is stored under:
/// the tenant's (for tenant-scoped invalidation) and [`list_tag`] (for invalidating every tenant's at once).
pub fn list_tags_stored_for(type_name: &str, organization: Option<&str>) -> [String; 2] {
    [
        list_tag(type_name),
        tenant_list_tag(type_name, organization),
    ]
}

/// The list tags a change to a `type_name` made by a caller scoped to `organization` invalidates:
/// that organization's lists and the cross-tenant ones. `None` (a platform operator, a component
/// acting for every tenant, or a caller the router cannot vouch for): every list of the type.
pub fn list_tags_changed_by(type_name: &str, organization: Option<&str>) -> Vec<String> {
    match organization {
        Some(organization) => vec![
            tenant_list_tag(type_name, Some(organization)),
            tenant_list_tag(type_name, None),
        ],
        None => vec![list_tag(type_name)],
    }
}

/// Whether the field at `node` sits inside a list the client asked for (the
/// router's `_entities` representations do not count: that list is the fetch's, not the client's).
fn reached_through_a_list(node: &QueryPathNode<'_>) -> bool {
    let mut current = node.parent;
    while let Some(n) = current {
        if let QueryPathSegment::Index(_) = n.segment {
            let is_entities_fetch = n.parent.is_some_and(|p| {
                p.parent.is_none() && matches!(p.segment, QueryPathSegment::Name("_entities"))
            });
            if !is_entities_fetch {
                return true;
            }
        }
        current = n.parent;
    }
    false
}

/// Records the `Type:id` of every object whose `id` an operation resolves, into `extensions.cacheTags`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CacheTags;

impl ExtensionFactory for CacheTags {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CacheTagsExtension::default())
    }
}

/// The entities a request changed without returning them (their tags join the response's).
#[derive(Debug, Default, Clone)]
pub struct ChangedEntities(Arc<Mutex<BTreeSet<String>>>);

/// Names `Type:id` in this response's cache tags although the operation did not select it:
/// a mutation that changes figures hanging off a parent entity (an ad's metrics change its
/// `Campaign`'s totals) names the parent, so the router invalidates every cached response
/// holding that parent. Outside a request with the [`CacheTags`] extension it does nothing.
pub fn tag_changed(ctx: &async_graphql::Context<'_>, type_name: &str, id: &str) {
    if let Some(changed) = ctx.data_opt::<ChangedEntities>()
        && let Ok(mut tags) = changed.0.lock()
    {
        tags.insert(entity_tag(type_name, id));
    }
}

/// One request's tags (the factory makes one per request).
#[derive(Debug, Default)]
struct CacheTagsExtension {
    tags: Mutex<BTreeSet<String>>,
    changed: ChangedEntities,
}

/// Tags the response with `tag` whatever the operation selects: for results that are no
/// entity with an `id` (a dashboard), so that whoever changes them can invalidate them.
/// Same set as [`tag_changed`]: both join the response's `extensions.cacheTags`.
pub fn add_tag(ctx: &async_graphql::Context<'_>, tag: String) {
    if let Some(changed) = ctx.data_opt::<ChangedEntities>()
        && let Ok(mut tags) = changed.0.lock()
    {
        tags.insert(tag);
    }
}

/// Root and introspection types hold no entities.
fn is_entity_type(type_name: &str) -> bool {
    !matches!(type_name, "Query" | "Mutation" | "Subscription") && !type_name.starts_with("__")
}

#[async_trait::async_trait]
impl Extension for CacheTagsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: async_graphql::extensions::NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        let request = request.data(self.changed.clone());
        next.run(ctx, request).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let parent =
            (info.name == "id" && !info.is_for_introspection && is_entity_type(info.parent_type))
                .then(|| {
                    (
                        info.parent_type.to_string(),
                        reached_through_a_list(info.path_node),
                    )
                });
        let value = next.run(ctx, info).await?;
        if let (Some((parent, in_list)), Some(Value::String(id))) = (parent, &value)
            && let Ok(mut tags) = self.tags.lock()
        {
            tags.insert(entity_tag(&parent, id));
            if in_list {
                tags.insert(list_tag(&parent));
            }
        }
        Ok(value)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let mut tags = self
            .tags
            .lock()
            .map(|mut tags| std::mem::take(&mut *tags))
            .unwrap_or_default();
        if let Ok(mut changed) = self.changed.0.lock() {
            tags.append(&mut changed);
        }
        if !tags.is_empty() {
            response.extensions.insert(
                CACHE_TAGS_EXTENSION.to_string(),
                Value::List(tags.into_iter().map(Value::String).collect()),
            );
        }
        response
    }
}

/// Writes `response.cache_control` into `extensions.cacheControl` (nothing when no hint applies).
pub fn annotate(response: &mut Response) {
    let hint = response.cache_control;
    if hint.max_age == 0 {
        return;
    }
    let mut value = async_graphql::indexmap::IndexMap::new();
    // async-graphql's -1 means "no-cache": the router caches nothing below 1 s.
    value.insert(
        Name::new("maxAge"),
        Value::from(i64::from(hint.max_age.max(0))),
    );
    value.insert(
        Name::new("scope"),
        Value::from(if hint.public { "PUBLIC" } else { "PRIVATE" }),
    );
    response
        .extensions
        .insert(CACHE_CONTROL_EXTENSION.to_string(), Value::Object(value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};

    #[derive(SimpleObject)]
    #[graphql(cache_control(max_age = 60))]
    struct Campaign {
        id: ID,
        name: String,
    }

    #[derive(SimpleObject)]
    #[graphql(cache_control(max_age = 10, private))]
    struct Me {
        id: ID,
    }

    struct Query;

    #[Object]
    impl Query {
        async fn campaigns(&self) -> Vec<Campaign> {
            vec![
                Campaign {
                    id: ID::from("c1"),
                    name: "one".into(),
                },
                Campaign {
                    id: ID::from("c2"),
                    name: "two".into(),
                },
            ]
        }
        async fn me(&self) -> Me {
            Me { id: ID::from("u1") }
        }
        async fn version(&self) -> &'static str {
            "1"
        }
    }

    fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(CacheTags)
            .finish()
    }

    async fn run(query: &str) -> async_graphql::Response {
        let mut response = schema().execute(query).await;
        annotate(&mut response);
        response
    }

    #[tokio::test]
    async fn tags_every_selected_id_with_its_type() {
        let response = run("{ campaigns { id name } me { id } }").await;
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json["extensions"]["cacheTags"],
            serde_json::json!(["Campaign:*", "Campaign:c1", "Campaign:c2", "Me:u1"]),
            "campaigns came in a list, me did not"
        );
    }

    #[test]
    fn the_routers_entity_fetch_is_not_a_client_list() {
        let entities = QueryPathNode {
            parent: None,
            segment: QueryPathSegment::Name("_entities"),
        };
        let fetched = QueryPathNode {
            parent: Some(&entities),
            segment: QueryPathSegment::Index(0),
        };
        let id = QueryPathNode {
            parent: Some(&fetched),
            segment: QueryPathSegment::Name("id"),
        };
        assert!(!reached_through_a_list(&id));
        let ads = QueryPathNode {
            parent: Some(&fetched),
            segment: QueryPathSegment::Name("ads"),
        };
        let ad = QueryPathNode {
            parent: Some(&ads),
            segment: QueryPathSegment::Index(2),
        };
        let ad_id = QueryPathNode {
            parent: Some(&ad),
            segment: QueryPathSegment::Name("id"),
        };
        assert!(
            reached_through_a_list(&ad_id),
            "a campaign's ads are a list"
        );
    }

    #[test]
    fn a_tenants_change_reaches_its_own_and_the_cross_tenant_lists_only() {
        let stored_a = list_tags_stored_for("Campaign", Some("org-a"));
        let stored_b = list_tags_stored_for("Campaign", Some("org-b"));
        let stored_platform = list_tags_stored_for("Campaign", None);
        let changed_by_a = list_tags_changed_by("Campaign", Some("org-a"));
        let reaches = |stored: &[String; 2], changed: &[String]| {
            stored.iter().any(|tag| changed.contains(tag))
        };
        assert!(reaches(&stored_a, &changed_by_a));
        assert!(
            !reaches(&stored_b, &changed_by_a),
            "another tenant's lists stay"
        );
        assert!(
            reaches(&stored_platform, &changed_by_a),
            "lists spanning tenants go"
        );
        let changed_by_platform = list_tags_changed_by("Campaign", None);
        for stored in [&stored_a, &stored_b, &stored_platform] {
            assert!(reaches(stored, &changed_by_platform));
        }
        assert!(!reaches(
            &list_tags_stored_for("Ad", Some("org-a")),
            &changed_by_a
        ));
    }

    #[tokio::test]
    async fn no_tags_without_ids() {
        let response = run("{ campaigns { name } }").await;
        assert!(!response.extensions.contains_key(CACHE_TAGS_EXTENSION));
    }

    #[tokio::test]
    async fn hint_is_the_shortest_and_private_wins() {
        let response = run("{ campaigns { name } me { id } }").await;
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json["extensions"]["cacheControl"],
            serde_json::json!({"maxAge": 10, "scope": "PRIVATE"})
        );
        let response = run("{ campaigns { name } }").await;
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json["extensions"]["cacheControl"],
            serde_json::json!({"maxAge": 60, "scope": "PUBLIC"})
        );
    }

    #[tokio::test]
    async fn no_hint_without_hinted_parts() {
        let response = run("{ version }").await;
        assert!(!response.extensions.contains_key(CACHE_CONTROL_EXTENSION));
    }
}
