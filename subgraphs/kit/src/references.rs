//! Checking that the ids a mutation names, of entities another subgraph owns, exist in the
//! caller's organization, before anything is written (issue 13).
//!
//! The owning subgraph is asked directly (not through the router) with the caller's own
//! `Authorization` header, so it applies the caller's tenant and roles:
//! `_entities(representations: [...]) { __typename }`, which every owner answers with `null`
//! and a `NOT_FOUND` error at `_entities.<i>` for an id the caller cannot see
//! ([`crate::entity_errors`]). Such an id gives `NOT_FOUND`, exactly as a missing local id
//! does; an owner that cannot be reached or answers garbage gives `SERVICE_UNAVAILABLE` and
//! nothing is written on a guess; an owner that refuses the caller (`FORBIDDEN`,
//! `UNAUTHENTICATED`: e.g. no `sales:read` to see a campaign) passes its refusal on, naming
//! the owner. A mutation collects every foreign id it names and makes ONE [`check`]: one
//! request per owner, the owners asked at once.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_<OWNER>_URL` (`SALES`, `ADS`, `CRM`, `CONTENT`) | `http://{PROMPTSALES_<OWNER>_HOST or 127.0.0.1}:{PROMPTSALES_<OWNER>_PORT or its default port}/graphql` | the owner's GraphQL endpoint |
//! | `PROMPTSALES_CHECK_REFERENCES` | `on` | `off` skips every check: only for a subgraph run alone (its own tests), never in a deployment |

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::ApiError;
use crate::names::StrEnum;

/// The most ids one mutation may name of one owner.
pub const MAX_IDS: usize = 200;
/// The switch: `off` turns every check off.
pub const CHECK_ENV: &str = "PROMPTSALES_CHECK_REFERENCES";
/// How long an owner may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

const QUERY: &str =
    "query ReferenceCheck($r: [_Any!]!) { _entities(representations: $r) { __typename } }";

/// The subgraph that owns an entity type, by its name (`sales`).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// Organizations, users, campaigns.
    Sales,
    /// Ads.
    Ads,
    /// Customers.
    Crm,
    /// Media assets.
    Content,
}

impl Owner {
    /// Its subgraph name, as in its environment variables ([`StrEnum::as_str`]).
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// The environment variable naming its GraphQL endpoint (`PROMPTSALES_SALES_URL`...).
    pub fn url_env(self) -> String {
        format!("PROMPTSALES_{}_URL", self.name().to_ascii_uppercase())
    }

    /// Its GraphQL endpoint, from the environment (read on every call: tests move an owner
    /// while a subgraph runs). Only its three variables are read: this runs on every checked
    /// mutation, where a snapshot of the whole environment would be wasted work.
    pub fn url(self) -> String {
        let upper = self.name().to_ascii_uppercase();
        let names = [
            self.url_env(),
            format!("PROMPTSALES_{upper}_HOST"),
            format!("PROMPTSALES_{upper}_PORT"),
        ];
        let vars = crate::config::Vars::from_pairs(
            names
                .into_iter()
                .filter_map(|name| std::env::var_os(&name).map(|value| (name, value))),
        );
        self.url_in(&vars)
    }

    /// Its GraphQL endpoint in `vars`: `PROMPTSALES_<OWNER>_URL`, else its listen address.
    pub fn url_in(self, vars: &crate::config::Vars) -> String {
        let upper = self.name().to_ascii_uppercase();
        if let Some(url) = vars.text(&self.url_env()) {
            return url;
        }
        // The owner's listen address, unless it listens on every interface.
        let host = vars
            .text(&format!("PROMPTSALES_{upper}_HOST"))
            .filter(|h| h != "0.0.0.0" && h != "::")
            .unwrap_or_else(|| "127.0.0.1".to_string());
        let port = vars
            .get(&format!("PROMPTSALES_{upper}_PORT"))
            .and_then(|p| p.trim().parse::<u16>().ok())
            .unwrap_or_else(|| crate::config::default_port(self.name()));
        format!("http://{host}:{port}/graphql")
    }
}

/// One id a mutation names, of an entity another subgraph owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Who owns the entity.
    pub owner: Owner,
    /// Its federation type name (`Campaign`).
    pub typename: &'static str,
    /// The input field that named it (`input.campaignId`), for the logs.
    pub field: String,
    /// The id.
    pub id: Uuid,
}

impl Reference {
    /// A sales `Campaign`.
    pub fn campaign(field: impl Into<String>, id: Uuid) -> Self {
        Self::new(Owner::Sales, "Campaign", field, id)
    }

    /// A sales `User`.
    pub fn user(field: impl Into<String>, id: Uuid) -> Self {
        Self::new(Owner::Sales, "User", field, id)
    }

    /// An ads `Ad`.
    pub fn ad(field: impl Into<String>, id: Uuid) -> Self {
        Self::new(Owner::Ads, "Ad", field, id)
    }

    /// A content `MediaAsset`.
    pub fn media_asset(field: impl Into<String>, id: Uuid) -> Self {
        Self::new(Owner::Content, "MediaAsset", field, id)
    }

    /// A crm `Customer`.
    pub fn customer(field: impl Into<String>, id: Uuid) -> Self {
        Self::new(Owner::Crm, "Customer", field, id)
    }

    /// Any entity of any owner.
    pub fn new(owner: Owner, typename: &'static str, field: impl Into<String>, id: Uuid) -> Self {
        Self {
            owner,
            typename,
            field: field.into(),
            id,
        }
    }

    /// One reference per id of a list argument (`input.campaignIds[i]`), made by `make`.
    pub fn each(field: &str, ids: &[Uuid], make: fn(String, Uuid) -> Reference) -> Vec<Reference> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| make(format!("{field}[{i}]"), *id))
            .collect()
    }
}

/// Whether checks are on (`PROMPTSALES_CHECK_REFERENCES` is not `off`).
pub fn enabled() -> bool {
    !std::env::var(CHECK_ENV)
        .map(|v| v.trim().eq_ignore_ascii_case("off"))
        .unwrap_or(false)
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .unwrap_or_default()
    })
}

/// [`check`] with the `Authorization` header of the request being resolved
/// ([`crate::server::RequestMeta`], which the kit's server puts in every operation's data).
pub async fn check_for(
    ctx: &async_graphql::Context<'_>,
    references: Vec<Reference>,
) -> Result<(), ApiError> {
    let authorization = ctx
        .data_opt::<crate::server::RequestMeta>()
        .and_then(crate::server::RequestMeta::authorization);
    check(authorization, references).await
}

/// Checks that every reference names an entity that the caller whose `Authorization` header is
/// `authorization` can see, asking each owner once (all at once): `Ok` when all exist, else the
/// error of the first faulty reference in the given order (`NOT_FOUND` naming its type and id;
/// `SERVICE_UNAVAILABLE` when its owner cannot answer; the owner's `FORBIDDEN` or
/// `UNAUTHENTICATED`). `BAD_USER_INPUT` past [`MAX_IDS`] ids of one owner.
pub async fn check(
    authorization: Option<&str>,
    references: Vec<Reference>,
) -> Result<(), ApiError> {
    if references.is_empty() || !enabled() {
        return Ok(());
    }
    // Each owner's distinct (type, id) pairs, in first-named order.
    let mut asks: Vec<(Owner, Vec<(&'static str, Uuid)>)> = Vec::new();
    for r in &references {
        let at = match asks.iter().position(|(o, _)| *o == r.owner) {
            Some(at) => at,
            None => {
                asks.push((r.owner, Vec::new()));
                asks.len() - 1
            }
        };
        let keys = &mut asks[at].1;
        if !keys.contains(&(r.typename, r.id)) {
            if keys.len() == MAX_IDS {
                return Err(ApiError::bad_input(
                    r.field.clone(),
                    format!("at most {MAX_IDS} ids of one kind may be named at once"),
                ));
            }
            keys.push((r.typename, r.id));
        }
    }
    let mut answers = futures::future::join_all(
        asks.iter()
            .map(|(owner, keys)| ask(*owner, keys, authorization)),
    )
    .await;
    for r in &references {
        let Some(at) = asks.iter().position(|(o, _)| *o == r.owner) else {
            continue;
        };
        if answers[at].is_err() {
            tracing::warn!(owner = r.owner.name(), field = %r.field, "reference check failed");
            return answers.swap_remove(at).map(|_| ());
        }
        if let Ok(missing) = &answers[at]
            && missing.contains(&(r.typename, r.id))
        {
            tracing::info!(owner = r.owner.name(), field = %r.field, id = %r.id, "reference not found for the caller");
            return Err(ApiError::not_found(r.typename, r.id));
        }
    }
    Ok(())
}

/// Asks `owner` about `keys`: the ones the caller cannot see, or why the owner gave no answer.
async fn ask(
    owner: Owner,
    keys: &[(&'static str, Uuid)],
    authorization: Option<&str>,
) -> Result<Vec<(&'static str, Uuid)>, ApiError> {
    let unavailable = |why: String| {
        tracing::warn!(owner = owner.name(), reason = %why, "reference owner unavailable");
        ApiError::Unavailable(format!(
            "the {} subgraph cannot confirm the ids named right now; try again",
            owner.name()
        ))
    };
    let representations: Vec<Value> = keys
        .iter()
        .map(|(typename, id)| json!({"__typename": typename, "id": id.to_string()}))
        .collect();
    let mut request = http()
        .post(owner.url())
        .json(&json!({"query": QUERY, "variables": {"r": representations}}));
    if let Some(token) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| unavailable(e.without_url().to_string()))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| unavailable(format!("HTTP {status}: {}", e.without_url())))?;
    missing(owner, keys, &body).map_err(|fault| match fault {
        Fault::Refused(err) => err,
        Fault::Garbage(why) => unavailable(format!("HTTP {status}: {why}")),
    })
}

/// Why an owner's answer says nothing about the ids.
#[derive(Debug)]
enum Fault {
    /// The owner refused the caller.
    Refused(ApiError),
    /// The answer is not one an owner gives.
    Garbage(String),
}

/// The keys an owner's `_entities` answer `body` says the caller cannot see: `null` (with or
/// without a `NOT_FOUND` error at `_entities.<i>`) or another type.
fn missing(
    owner: Owner,
    keys: &[(&'static str, Uuid)],
    body: &Value,
) -> Result<Vec<(&'static str, Uuid)>, Fault> {
    for error in body["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        let message = error["message"].as_str().unwrap_or_default();
        let at_entity = error["path"]
            .as_array()
            .is_some_and(|p| p.len() == 2 && p[0] == "_entities" && p[1].is_u64());
        match code {
            "NOT_FOUND" if at_entity => {}
            "FORBIDDEN" => {
                return Err(Fault::Refused(ApiError::Forbidden(format!(
                    "{}: {message}",
                    owner.name()
                ))));
            }
            "UNAUTHENTICATED" => {
                return Err(Fault::Refused(ApiError::Unauthenticated(format!(
                    "{}: {message}",
                    owner.name()
                ))));
            }
            _ => return Err(Fault::Garbage(format!("{code}: {message}"))),
        }
    }
    let Some(found) = body["data"]["_entities"].as_array() else {
        return Err(Fault::Garbage("no _entities".into()));
    };
    if found.len() != keys.len() {
        return Err(Fault::Garbage(format!(
            "{} answers for {} ids",
            found.len(),
            keys.len()
        )));
    }
    Ok(keys
        .iter()
        .zip(found)
        .filter(|((typename, _), entity)| entity["__typename"].as_str() != Some(typename))
        .map(|(key, _)| *key)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_pinned;

    /// An owner's name makes its environment variables (`PROMPTSALES_SALES_URL`) and port.
    #[test]
    fn owner_names_are_pinned() {
        assert_pinned(&[
            (Owner::Sales, "sales"),
            (Owner::Ads, "ads"),
            (Owner::Crm, "crm"),
            (Owner::Content, "content"),
        ]);
        assert_eq!(Owner::Crm.url_env(), "PROMPTSALES_CRM_URL");
    }

    fn keys() -> Vec<(&'static str, Uuid)> {
        vec![("Campaign", Uuid::now_v7()), ("User", Uuid::now_v7())]
    }

    #[test]
    fn a_null_entity_with_its_not_found_error_is_missing_and_the_others_are_not() {
        let keys = keys();
        let body = json!({
            "data": {"_entities": [null, {"__typename": "User"}]},
            "errors": [{"message": "Campaign not found", "path": ["_entities", 0],
                        "extensions": {"code": "NOT_FOUND"}}]
        });
        let missing = missing(Owner::Sales, &keys, &body).expect("an answer");
        assert_eq!(missing, vec![keys[0]]);
    }

    #[test]
    fn a_refusal_is_passed_on_and_anything_else_is_no_answer() {
        let keys = keys();
        let forbidden = json!({"data": null, "errors": [{"message": "needs sales:read",
            "extensions": {"code": "FORBIDDEN"}}]});
        assert!(matches!(
            missing(Owner::Sales, &keys, &forbidden),
            Err(Fault::Refused(ApiError::Forbidden(m))) if m.starts_with("sales: ")
        ));
        let internal = json!({"data": {"_entities": [null, null]}, "errors": [{"message": "db",
            "path": ["_entities", 0], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]});
        assert!(matches!(
            missing(Owner::Sales, &keys, &internal),
            Err(Fault::Garbage(_))
        ));
        let short = json!({"data": {"_entities": [{"__typename": "Campaign"}]}});
        assert!(matches!(
            missing(Owner::Sales, &keys, &short),
            Err(Fault::Garbage(_))
        ));
    }

    #[tokio::test]
    async fn an_owner_that_cannot_be_reached_is_unavailable_never_a_pass() {
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // SAFETY: each nextest test is its own process; nothing else reads this variable here.
        unsafe {
            std::env::set_var(
                "PROMPTSALES_SALES_URL",
                format!("http://127.0.0.1:{port}/graphql"),
            );
            std::env::remove_var(CHECK_ENV);
        }
        let err = check(
            Some("Bearer x"),
            vec![Reference::campaign("input.campaignId", Uuid::now_v7())],
        )
        .await
        .expect_err("no owner, no pass");
        assert!(matches!(err, ApiError::Unavailable(_)), "{err:?}");
        // SAFETY: as above.
        unsafe { std::env::set_var(CHECK_ENV, "off") };
        check(
            Some("Bearer x"),
            vec![Reference::campaign("input.campaignId", Uuid::now_v7())],
        )
        .await
        .expect("off checks nothing");
    }
}
