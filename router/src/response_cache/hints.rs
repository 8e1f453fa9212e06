//! What the subgraphs said about caching one operation: the hint and the
//! entity tags of every subgraph response (see `promptsales_kit::cache_hints`).

use std::collections::BTreeSet;
use std::time::Duration;

use hive_router::executor::response::value::Value;

/// The hints and tags gathered from every subgraph response of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Hints {
    responses: u32,
    unhinted: u32,
    max_age: Option<u64>,
    private: bool,
    errors: bool,
    /// `Type:id` of every entity the subgraphs returned.
    pub tags: BTreeSet<String>,
}

/// How long a response may be cached, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Seconds.
    pub max_age: u64,
    /// Scoped to the user.
    pub private: bool,
}

impl Hints {
    /// Records one subgraph response's `extensions` and whether it carried errors.
    pub fn record(&mut self, extensions: Option<&Value<'_>>, has_errors: bool) {
        self.responses += 1;
        self.errors |= has_errors;
        let hint = extensions.and_then(|e| field(e, "cacheControl"));
        let max_age = hint.and_then(|h| field(h, "maxAge")).and_then(as_u64);
        match max_age {
            Some(age) => {
                self.max_age = Some(self.max_age.map_or(age, |m| m.min(age)));
                let scope = hint.and_then(|h| field(h, "scope"));
                if matches!(scope, Some(Value::String(s)) if s.eq_ignore_ascii_case("PRIVATE")) {
                    self.private = true;
                }
            }
            None => self.unhinted += 1,
        }
        if let Some(Value::Array(tags)) = extensions.and_then(|e| field(e, "cacheTags")) {
            for tag in tags {
                if let Value::String(tag) = tag {
                    self.tags.insert(tag.to_string());
                }
            }
        }
    }

    /// The caching policy: the shortest hint, private if any part is, capped at `max_ttl`;
    /// `None` when a subgraph response had no hint, a zero one, or errors, or when there was none.
    pub fn policy(&self, max_ttl: Duration) -> Option<Policy> {
        if self.responses == 0 || self.unhinted > 0 || self.errors {
            return None;
        }
        let max_age = self.max_age?.min(max_ttl.as_secs());
        (max_age > 0).then_some(Policy {
            max_age,
            private: self.private,
        })
    }
}

/// The type of a `Type:id` or `Type:*` tag.
fn type_of(tag: &str) -> Option<&str> {
    tag.split_once(':').map(|(type_name, _)| type_name)
}

/// Whether `tag` is a subgraph's list tag (`Type:*`) rather than an entity's.
fn is_list_tag(tag: &str) -> bool {
    tag.split_once(':').is_some_and(|(_, id)| id == "*")
}

/// The tags a response read for `organization` (`None`: a caller not scoped to
/// one) is stored under: its entities, and each list tag both as is and scoped to the tenant.
pub fn storage_tags(gathered: &BTreeSet<String>, organization: Option<&str>) -> Vec<String> {
    let mut tags = BTreeSet::new();
    for tag in gathered {
        match type_of(tag) {
            Some(type_name) if is_list_tag(tag) => {
                tags.extend(promptsales_kit::cache_hints::list_tags_stored_for(
                    type_name,
                    organization,
                ));
            }
            _ => {
                tags.insert(tag.clone());
            }
        }
    }
    tags.into_iter().collect()
}

/// What a mutation by a caller scoped to `organization` invalidates: the
/// entities it returned (`Type:id`), which it changed or created, and the
/// lists of their types whose membership it may have changed: that
/// organization's and the cross-tenant ones, or every list of the type when
/// the caller is not scoped to one organization (see `list_tags_changed_by`).
pub fn invalidation_tags(returned: &BTreeSet<String>, organization: Option<&str>) -> Vec<String> {
    let mut tags = BTreeSet::new();
    for tag in returned {
        let Some(type_name) = type_of(tag) else {
            continue;
        };
        if !is_list_tag(tag) {
            tags.insert(tag.clone());
        }
        tags.extend(promptsales_kit::cache_hints::list_tags_changed_by(
            type_name,
            organization,
        ));
    }
    tags.into_iter().collect()
}

/// The field `name` of an object value.
fn field<'v, 'a>(value: &'v Value<'a>, name: &str) -> Option<&'v Value<'a>> {
    match value {
        Value::Object(fields) => fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v),
        _ => None,
    }
}

fn as_u64(value: &Value<'_>) -> Option<u64> {
    match value {
        Value::U64(n) => Some(*n),
        Value::I64(n) => u64::try_from(*n).ok(),
        Value::F64(n) if *n >= 0.0 => Some(*n as u64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn extensions(max_age: Option<i64>, scope: &str, tags: &[&'static str]) -> Value<'static> {
        let mut fields = Vec::new();
        if let Some(age) = max_age {
            fields.push((
                "cacheControl",
                Value::Object(vec![
                    ("maxAge", Value::I64(age)),
                    ("scope", Value::String(Cow::Owned(scope.to_string()))),
                ]),
            ));
        }
        fields.push((
            "cacheTags",
            Value::Array(
                tags.iter()
                    .map(|t| Value::String(Cow::Borrowed(*t)))
                    .collect(),
            ),
        ));
        Value::Object(fields)
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn the_shortest_hint_wins_and_private_spreads() {
        let mut hints = Hints::default();
        hints.record(
            Some(&extensions(Some(60), "PUBLIC", &["Campaign:1"])),
            false,
        );
        hints.record(Some(&extensions(Some(30), "PRIVATE", &["Ad:2"])), false);
        assert_eq!(
            hints.policy(HOUR),
            Some(Policy {
                max_age: 30,
                private: true
            })
        );
        assert_eq!(
            hints.tags.iter().map(String::as_str).collect::<Vec<_>>(),
            vec!["Ad:2", "Campaign:1"]
        );
        assert_eq!(
            hints.policy(Duration::from_secs(10)).map(|p| p.max_age),
            Some(10)
        );
    }

    fn set(tags: &[&str]) -> BTreeSet<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_mutation_invalidates_its_entities_and_its_tenants_lists() {
        let returned = set(&["Campaign:c1", "Ad:*", "Ad:a1"]);
        assert_eq!(
            invalidation_tags(&returned, Some("org-a")),
            vec![
                "Ad:*@all",
                "Ad:*@org-a",
                "Ad:a1",
                "Campaign:*@all",
                "Campaign:*@org-a",
                "Campaign:c1"
            ]
        );
        // A caller acting for every tenant may have changed any tenant's lists.
        assert_eq!(
            invalidation_tags(&returned, None),
            vec!["Ad:*", "Ad:a1", "Campaign:*", "Campaign:c1"]
        );
    }

    #[test]
    fn lists_are_stored_under_their_tenant_and_for_every_tenant() {
        let gathered = set(&["Campaign:*", "Campaign:c1", "Organization:o1"]);
        assert_eq!(
            storage_tags(&gathered, Some("org-a")),
            vec![
                "Campaign:*",
                "Campaign:*@org-a",
                "Campaign:c1",
                "Organization:o1"
            ]
        );
        assert_eq!(
            storage_tags(&gathered, None),
            vec![
                "Campaign:*",
                "Campaign:*@all",
                "Campaign:c1",
                "Organization:o1"
            ]
        );
        // What tenant B stores is out of reach of tenant A's mutations, and within a platform operator's.
        let stored_b = storage_tags(&gathered, Some("org-b"));
        let by_a = invalidation_tags(&set(&["Campaign:c9"]), Some("org-a"));
        assert!(!stored_b.iter().any(|t| by_a.contains(t)), "{by_a:?}");
        let by_platform = invalidation_tags(&set(&["Campaign:c9"]), None);
        assert!(stored_b.iter().any(|t| by_platform.contains(t)));
    }

    #[test]
    fn nothing_is_cached_without_a_hint_on_every_part() {
        let mut hints = Hints::default();
        assert_eq!(hints.policy(HOUR), None, "no subgraph response");
        hints.record(Some(&extensions(Some(60), "PUBLIC", &[])), false);
        hints.record(Some(&extensions(None, "", &[])), false);
        assert_eq!(hints.policy(HOUR), None);
        let mut hints = Hints::default();
        hints.record(None, false);
        assert_eq!(hints.policy(HOUR), None);
        let mut hints = Hints::default();
        hints.record(Some(&extensions(Some(0), "PUBLIC", &[])), false);
        assert_eq!(hints.policy(HOUR), None, "no-cache");
        let mut hints = Hints::default();
        hints.record(Some(&extensions(Some(60), "PUBLIC", &[])), true);
        assert_eq!(hints.policy(HOUR), None, "errors");
    }
}
