//! The router's checks of an HTTP request's raw GraphQL parameters, before Hive Router
//! decodes them: the JSON depth of a POST body (or of a GET's `variables` and
//! `extensions`), then the document's limits.
//!
//! The fields are read with the decoders Hive Router itself uses (sonic-rs for bodies,
//! serde_urlencoded as ntex's `Query` for query strings): a request this check cannot
//! read is one Hive cannot read either, so no document reaches the parser unchecked.

use serde::Deserialize;

use crate::{DocumentLimits, LimitExceeded, check_document, check_json_depth};

/// The GraphQL text fields of a POST body, read only after its JSON depth passed.
#[derive(Deserialize)]
struct PostText {
    query: Option<String>,
}

/// The text fields of a GET query string, before any JSON in them is decoded.
#[derive(Deserialize)]
struct GetText {
    query: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Checks a POST body: its JSON depth, then its `query` against `limits`.
pub fn check_post_body(
    body: &[u8],
    max_json_depth: usize,
    limits: &DocumentLimits,
) -> Result<(), LimitExceeded> {
    check_json_depth(body, max_json_depth)?;
    // Within the depth limit, decoding the text fields is cheap; invalid JSON is Hive's to report.
    if let Ok(PostText { query: Some(query) }) = sonic_rs::from_slice(body) {
        check_document(&query, limits)?;
    }
    Ok(())
}

/// Checks a GET query string: the JSON depth of `variables` and `extensions`, then `query`.
pub fn check_get_query(
    query_string: &str,
    max_json_depth: usize,
    limits: &DocumentLimits,
) -> Result<(), LimitExceeded> {
    // An undecodable query string is Hive's to report (it decodes it the same way).
    let Ok(get) = serde_urlencoded::from_str::<GetText>(query_string) else {
        return Ok(());
    };
    for json in [&get.variables, &get.extensions].into_iter().flatten() {
        check_json_depth(json.as_bytes(), max_json_depth)?;
    }
    if let Some(query) = &get.query {
        check_document(query, limits)?;
    }
    Ok(())
}
