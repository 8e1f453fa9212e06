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

/// What a mutation invalidates: the entities it returned (`Type:id`), and the
/// lists of their types (`Type:*`), whose membership it may have changed.
pub fn invalidation_tags(returned: &BTreeSet<String>) -> Vec<String> {
    let mut tags = returned.clone();
    for tag in returned {
        if let Some((type_name, id)) = tag.split_once(':')
            && id != "*"
        {
            tags.insert(promptsales_kit::cache_hints::list_tag(type_name));
        }
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

    #[test]
    fn a_mutation_invalidates_its_entities_and_their_lists() {
        let returned: BTreeSet<String> = ["Campaign:c1", "Ad:*", "Ad:a1"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            invalidation_tags(&returned),
            vec!["Ad:*", "Ad:a1", "Campaign:*", "Campaign:c1"]
        );
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
