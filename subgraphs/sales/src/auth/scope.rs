//! The `scope` parameter of the token endpoint (RFC 6749 section 3.3): a
//! space-separated list of `subsystem:role` strings that narrows a token to
//! fewer roles than its holder has.
//!
//! Roles are ordered (`read` < `write` < `admin`), so a scope asks for at most
//! a role per subsystem: `sales:read` is within a held `sales:admin` and gives
//! a token that can only read sales. Asking for a subsystem not held, or a
//! higher role than held, is `invalid_scope`; so is anything that is not a
//! `subsystem:role` pair.

use std::collections::BTreeMap;

use promptsales_kit::RequestContext;
use promptsales_kit::StrEnum;
use promptsales_kit::context::{Role, Subsystem};

/// Roles by subsystem, as a scope or as what someone holds.
pub type Roles = BTreeMap<Subsystem, Role>;

/// A requested scope that is malformed or exceeds what is held; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidScope(pub String);

/// Reads a `scope` parameter: `None` when absent or blank (no narrowing).
pub fn parse(text: Option<&str>) -> Result<Option<Roles>, InvalidScope> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let mut roles = Roles::new();
    for item in text.split_whitespace() {
        let parsed = item
            .split_once(':')
            .and_then(|(s, r)| Some((Subsystem::parse(s)?, Role::parse(r)?)));
        let Some((subsystem, role)) = parsed else {
            return Err(InvalidScope(format!(
                "unknown scope {item:?}: scopes are subsystem:role pairs such as sales:read or ads:write"
            )));
        };
        if roles
            .insert(subsystem, role)
            .is_some_and(|other| other != role)
        {
            return Err(InvalidScope(format!(
                "the scope names two roles in {}",
                subsystem.name()
            )));
        }
    }
    Ok(Some(roles))
}

/// The canonical text of a scope (`sales:read ads:write`, in subsystem order).
pub fn to_text(roles: &Roles) -> String {
    to_strings(roles).join(" ")
}

/// Roles as `subsystem:role` strings (the token's `roles` claim).
pub fn to_strings(roles: &Roles) -> Vec<String> {
    roles
        .iter()
        .map(|(s, r)| format!("{}:{}", s.name(), r.name()))
        .collect()
}

/// What `strings` (a token's or a client's `roles`) hold, the highest role per subsystem.
pub fn held(strings: &[String]) -> Roles {
    RequestContext::parse_roles(strings.iter().map(String::as_str))
}

/// `requested` when every role in it is within `held`; `invalid_scope` otherwise.
pub fn within(requested: &Roles, held: &Roles) -> Result<Roles, InvalidScope> {
    let exceeding: Vec<String> = requested
        .iter()
        .filter(|(subsystem, role)| held.get(subsystem).is_none_or(|h| h < role))
        .map(|(s, r)| format!("{}:{}", s.name(), r.name()))
        .collect();
    if exceeding.is_empty() {
        Ok(requested.clone())
    } else {
        Err(InvalidScope(format!(
            "the requested scope exceeds what is held: {}",
            exceeding.join(" ")
        )))
    }
}

/// `held` cut down to `scope` (each subsystem at the lower of the two; subsystems
/// outside the scope dropped): a refreshed token never regains a role its login
/// gave up, nor keeps one revoked since.
pub fn narrow(held: &Roles, scope: &Roles) -> Roles {
    scope
        .iter()
        .filter_map(|(subsystem, role)| held.get(subsystem).map(|h| (*subsystem, (*h).min(*role))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(text: &str) -> Roles {
        parse(Some(text)).ok().flatten().unwrap_or_default()
    }

    #[test]
    fn a_scope_narrows_within_the_role_order_and_refuses_anything_more() {
        let holds = held(&["sales:admin".into(), "ads:read".into()]);
        assert_eq!(parse(None), Ok(None));
        assert_eq!(parse(Some("  ")), Ok(None));
        let asked = roles("ads:read  sales:read");
        assert_eq!(
            within(&asked, &holds).map(|r| to_text(&r)).as_deref(),
            Ok("sales:read ads:read")
        );
        assert!(within(&roles("ads:write"), &holds).is_err());
        assert!(within(&roles("crm:read"), &holds).is_err());
        assert!(parse(Some("openid")).is_err());
        assert!(parse(Some("sales:owner")).is_err());
        assert!(parse(Some("sales:read sales:write")).is_err());
        assert_eq!(
            parse(Some("sales:read sales:read")).map(|r| r.map(|r| r.len())),
            Ok(Some(1))
        );

        // Narrowing a refreshed token: lower of the two, revoked subsystems dropped.
        let now_held = held(&["sales:write".into()]);
        assert_eq!(
            to_text(&narrow(&now_held, &roles("sales:admin ads:read"))),
            "sales:write"
        );
        assert_eq!(to_text(&narrow(&holds, &roles("sales:read"))), "sales:read");
    }
}
