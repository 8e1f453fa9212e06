//! The cache key: the normalised operation, its variables and the caller's scope.
//!
//! Two callers share a cached response only when every input that could make
//! a subgraph answer differently is the same for both: the operation as the
//! router normalised it, the coerced variables, the tenant and roles of a
//! verified token, and every PromptSales context header sent. Responses whose
//! hints say `PRIVATE` are further keyed by the user.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::identity::{Caller, context_headers};
use hive_router::ntex::http::HeaderMap;

/// Who a response may be shared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Tenant, roles and context headers, as one string.
    pub shared: String,
    /// The user, for responses the hints mark private; `None` when the caller has none.
    pub user: Option<String>,
}

/// The scope of a request, or `None` when the caller cannot be vouched for (then nothing is cached or served).
pub fn scope(caller: &Caller, headers: &HeaderMap) -> Option<Scope> {
    let context = context_headers(headers).join("\n");
    match caller {
        Caller::Unverified => None,
        Caller::Anonymous => Some(Scope {
            shared: format!("anonymous\n{context}"),
            user: crate::identity::context_header(headers, "x-promptsales-user")
                .map(str::to_string),
        }),
        Caller::Verified(claims) => {
            let mut roles = claims.roles.clone();
            roles.sort();
            roles.dedup();
            Some(Scope {
                shared: format!(
                    "token\norg={}\nroles={}\n{context}",
                    claims.org.as_deref().unwrap_or("-"),
                    roles.join(",")
                ),
                user: claims.sub.clone(),
            })
        }
    }
}

/// The organization a caller is scoped to, as far as the router can vouch for
/// it: a verified token's `org`. `None` for a platform operator's token (every
/// tenant), an anonymous caller and a token the router did not verify: their
/// lists count as cross-tenant and their mutations invalidate every tenant's lists.
pub fn organization(caller: &Caller) -> Option<&str> {
    match caller {
        Caller::Verified(claims) => claims.org.as_deref(),
        Caller::Anonymous | Caller::Unverified => None,
    }
}

/// The hash every key of one operation, variables and scope starts from.
pub fn base_hash(
    operation: &str,
    variables: Option<&HashMap<String, hive_router::sonic_rs::Value>>,
    scope: &Scope,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update(b"\0");
    // Sorted, so the order a client wrote its variables in does not matter.
    if let Some(variables) = variables {
        let sorted: BTreeMap<&String, &hive_router::sonic_rs::Value> = variables.iter().collect();
        for (name, value) in sorted {
            hasher.update(name.as_bytes());
            hasher.update(b"=");
            hasher.update(
                hive_router::sonic_rs::to_string(value)
                    .unwrap_or_default()
                    .as_bytes(),
            );
            hasher.update(b"\0");
        }
    }
    hasher.update(b"\0");
    hasher.update(scope.shared.as_bytes());
    hex::encode(hasher.finalize())
}

/// The hash of a private response's key: the base and the user.
pub fn user_hash(base: &str, user: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(base.as_bytes());
    hasher.update(b"\0user\0");
    hasher.update(user.as_bytes());
    format!("{base}:u:{}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Claims;
    use hive_router::ntex::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn verified(org: &str, roles: &[&str], sub: &str) -> Caller {
        Caller::Verified(std::sync::Arc::new(Claims {
            sub: Some(sub.into()),
            org: Some(org.into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }))
    }

    #[test]
    fn tenants_roles_and_headers_change_the_key() {
        let none = headers(&[]);
        let a = scope(&verified("org-a", &["sales:read"], "u1"), &none).unwrap();
        let b = scope(&verified("org-b", &["sales:read"], "u1"), &none).unwrap();
        let admin = scope(&verified("org-a", &["sales:admin"], "u1"), &none).unwrap();
        let other_user = scope(&verified("org-a", &["sales:read"], "u2"), &none).unwrap();
        let op = "query { campaigns { id } }";
        let key = |s: &Scope| base_hash(op, None, s);
        assert_ne!(key(&a), key(&b));
        assert_ne!(key(&a), key(&admin));
        // The user only counts for private responses.
        assert_eq!(key(&a), key(&other_user));
        assert_ne!(user_hash(&key(&a), "u1"), user_hash(&key(&a), "u2"));

        let org_a = headers(&[("x-promptsales-organization", "org-a")]);
        let org_b = headers(&[("x-promptsales-organization", "org-b")]);
        assert_ne!(
            key(&scope(&Caller::Anonymous, &org_a).unwrap()),
            key(&scope(&Caller::Anonymous, &org_b).unwrap())
        );
        assert_eq!(scope(&Caller::Unverified, &org_a), None);
    }

    #[test]
    fn only_a_verified_token_names_the_tenant() {
        assert_eq!(
            organization(&verified("org-a", &["sales:read"], "u1")),
            Some("org-a")
        );
        let platform = Caller::Verified(std::sync::Arc::new(Claims {
            sub: Some("ops".into()),
            org: None,
            roles: vec![],
        }));
        assert_eq!(organization(&platform), None);
        assert_eq!(organization(&Caller::Unverified), None);
        assert_eq!(organization(&Caller::Anonymous), None);
    }

    #[test]
    fn variables_count_in_any_order() {
        let s = scope(&Caller::Anonymous, &headers(&[])).unwrap();
        let vars = |pairs: &[(&str, i64)]| -> HashMap<String, hive_router::sonic_rs::Value> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), hive_router::sonic_rs::Value::from(*v)))
                .collect()
        };
        let ab = vars(&[("a", 1), ("b", 2)]);
        let ba = vars(&[("b", 2), ("a", 1)]);
        let other = vars(&[("a", 1), ("b", 3)]);
        assert_eq!(base_hash("q", Some(&ab), &s), base_hash("q", Some(&ba), &s));
        assert_ne!(
            base_hash("q", Some(&ab), &s),
            base_hash("q", Some(&other), &s)
        );
        assert_ne!(base_hash("q", None, &s), base_hash("q2", None, &s));
    }
}
