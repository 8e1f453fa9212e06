//! The hostile-input suite: hundreds of requests a hostile client would send, to the
//! router, every subgraph and the MCP adapter of the debug build, and what must hold:
//! no 5xx, every answer a JSON body with a stable code, each within a bound, every
//! service healthy afterwards, resident memory under a ceiling (from `/proc`), and
//! every tenant's rows unchanged (counts and a digest per table before and after).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use promptsales_kit::auth::{Claims, SigningKey, TokenType};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use super::fixture::{self, Fixture};
use super::mcp::{shipped_operations, start_http};

/// Hang guard: any answer slower than this is a failure (most take milliseconds).
const ANSWER_WITHIN: Duration = Duration::from_secs(15);
/// Resident memory ceilings after the suite, in MiB (debug builds).
const ROUTER_RSS_MIB: u64 = 1024;
const MCP_RSS_MIB: u64 = 512;
/// This process serves the four subgraphs (and runs the test client).
const SUBGRAPHS_RSS_MIB: u64 = 2048;
/// Requests sent at once (two cores are shared with the services under test).
const CONCURRENCY: usize = 6;

/// How an answer must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A GraphQL response: `errors[*].extensions.code` on every error.
    GraphQL,
    /// A JSON-RPC message: `error.code` on a refusal.
    JsonRpc,
}

/// One hostile request and what it must get.
struct Probe {
    what: String,
    kind: Kind,
    request: reqwest::RequestBuilder,
}

fn probe(what: impl Into<String>, kind: Kind, request: reqwest::RequestBuilder) -> Probe {
    Probe {
        what: what.into(),
        kind,
        request,
    }
}

/// Whether an answer is acceptable: below 500, JSON, with stable codes on its errors.
fn judge(kind: Kind, status: u16, content_type: &str, body: &[u8]) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("HTTP {status}"));
    }
    if (200..300).contains(&status) && body.is_empty() {
        // Accepted with nothing to say (a notification, a session that is already gone).
        return Ok(());
    }
    let messages: Vec<Value> = if content_type.starts_with("text/event-stream") {
        String::from_utf8_lossy(body)
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter(|data| !data.trim().is_empty())
            .map(|data| serde_json::from_str(data.trim()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?
    } else {
        vec![serde_json::from_slice(body).map_err(|_| {
            format!(
                "HTTP {status}, not JSON: {:?}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )
        })?]
    };
    if messages.is_empty() {
        return Err(format!("HTTP {status}, an empty event stream"));
    }
    for message in messages {
        match kind {
            Kind::GraphQL => {
                let errors = message.get("errors").and_then(Value::as_array);
                if let Some(errors) = errors {
                    for error in errors {
                        let code = error["extensions"]["code"].as_str().unwrap_or("");
                        if code.is_empty() {
                            return Err(format!("HTTP {status}, an error without a code: {error}"));
                        }
                    }
                }
                if status >= 400 && errors.is_none_or(Vec::is_empty) {
                    return Err(format!("HTTP {status} without errors: {message}"));
                }
                if errors.is_none() && message.get("data").is_none() {
                    return Err(format!("HTTP {status}, neither data nor errors: {message}"));
                }
            }
            Kind::JsonRpc => {
                // A JSON-RPC error has a numeric code; the adapter's own 401 challenge is an
                // OAuth error (RFC 6750), whose code is the `error` string.
                let coded = message["error"]["code"].is_i64() || message["error"].is_string();
                if message.get("error").is_some() && !coded {
                    return Err(format!("HTTP {status}, an error without a code: {message}"));
                }
                if status >= 400 && !coded {
                    return Err(format!("HTTP {status} without a coded error: {message}"));
                }
            }
        }
    }
    Ok(())
}

async fn run(probe: Probe) -> Result<(), String> {
    let started = Instant::now();
    let response = probe
        .request
        .timeout(ANSWER_WITHIN)
        .send()
        .await
        .map_err(|e| format!("{}: no answer: {e}", probe.what))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{}: body not read: {e}", probe.what))?;
    if started.elapsed() > ANSWER_WITHIN {
        return Err(format!(
            "{}: answered after {:?}",
            probe.what,
            started.elapsed()
        ));
    }
    judge(probe.kind, status, &content_type, &body).map_err(|e| format!("{}: {e}", probe.what))
}

fn nested_selection(depth: usize) -> String {
    format!(
        "{{{}__typename{}}}",
        " a {".repeat(depth),
        "}".repeat(depth)
    )
}

fn nested_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn doubling_fragments(levels: usize) -> String {
    let mut doc =
        format!("query Q {{ organizations {{ edges {{ node {{ ...F{levels} }} }} }} }}\n");
    doc.push_str("fragment F0 on Organization { id name }\n");
    for i in 1..=levels {
        doc.push_str(&format!(
            "fragment F{i} on Organization {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    doc
}

fn aliases(n: usize) -> String {
    let fields: String = (0..n).map(|i| format!("a{i}: __typename ")).collect();
    format!("{{ {fields} }}")
}

fn tokens(n: usize) -> String {
    format!("{{ {} }}", "__typename ".repeat(n))
}

/// Strings a hostile client puts in every string and id argument.
fn injections() -> Vec<String> {
    vec![
        "' OR 1=1 --".into(),
        "\"; DROP TABLE campaigns; --".into(),
        "1; SELECT pg_sleep(10)".into(),
        "{{7*7}}${7*7}".into(),
        "<script>alert(1)</script>".into(),
        "../../../../etc/passwd".into(),
        "\u{0000}nul".into(),
        "%00%ff".into(),
        "\u{202e}gnp.exe".into(),
        "x".repeat(100_000),
        "00000000-0000-0000-0000-00000000000g".into(),
        "-1".into(),
        "9".repeat(400),
        "🦀".repeat(1000),
    ]
}

/// Queries and mutations taking one id (selecting only `__typename`, valid for any type).
const ID_FIELDS: &[&str] = &[
    "query($v: ID!) { ad(id: $v) { __typename } }",
    "query($v: ID!) { generatedContent(id: $v) { __typename } }",
    "query($v: ID!) { mediaAsset(id: $v) { __typename } }",
    "query($v: ID!) { outreachJob(id: $v) { __typename } }",
    "query($v: ID!) { customer(id: $v) { __typename } }",
    "query($v: ID!) { lead(id: $v) { __typename } }",
    "query($v: ID!) { sale(id: $v) { __typename } }",
    "query($v: ID!) { campaign(id: $v) { __typename } }",
    "query($v: ID!) { organization(id: $v) { __typename } }",
    "query($v: ID!) { user(id: $v) { __typename } }",
    "query($v: ID!) { paymentMethods(organizationId: $v) { __typename } }",
    "query($v: String!) { customerByEmail(email: $v) { __typename } }",
    "query($v: String!) { searchAssets(text: $v) { __typename } }",
    "mutation($v: ID!) { pauseAd(id: $v) { __typename } }",
    "mutation($v: ID!) { eraseCustomer(id: $v) { __typename } }",
    "mutation($v: ID!) { changeCampaignStatus(id: $v, status: ACTIVE) { __typename } }",
];

fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    token: &str,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .header(
            "accept",
            "application/graphql-response+json, application/json",
        )
        .json(body)
}

fn post_raw(
    client: &reqwest::Client,
    url: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
    token: &str,
) -> reqwest::RequestBuilder {
    let mut request = client
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request
}

/// Tokens a hostile client tries: forged, expired, for another audience, `alg: none`, junk.
fn bad_tokens(f: &Fixture) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    let claims = |aud: &str, exp: i64| Claims {
        iss: "promptsales".into(),
        aud: aud.into(),
        sub: Uuid::now_v7().to_string(),
        org: Some(f.org_a),
        roles: fixture::ALL_WRITE.iter().map(|r| r.to_string()).collect(),
        typ: TokenType::Client,
        exp,
        iat: now - 7200,
        jti: Uuid::now_v7().to_string(),
    };
    let key = f.issuer.key();
    let forged = SigningKey::generate()
        .expect("a key")
        .sign(&claims("promptsales-api", now + 300))
        .expect("signs");
    let expired = key
        .sign(&claims("promptsales-api", now - 3600))
        .expect("signs");
    let audience = key.sign(&claims("another-api", now + 300)).expect("signs");
    let b64 = |v: &Value| base64url(v.to_string().as_bytes());
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&serde_json::to_value(claims("promptsales-api", now + 300)).expect("claims"))
    );
    vec![
        ("forged", forged),
        ("expired", expired),
        ("wrong audience", audience),
        ("alg none", none),
        ("garbage", "not.a.token".into()),
        ("huge", "A".repeat(6_000)),
    ]
}

/// Unpadded base64url (RFC 4648 §5), enough to write an unsigned JWT by hand.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The probes of the router and of each subgraph (GraphQL endpoints).
fn graphql_probes(f: &Fixture, client: &reqwest::Client, token: &str) -> Vec<Probe> {
    let mut probes = Vec::new();
    let targets: Vec<(String, String)> =
        std::iter::once(("router".to_string(), f.router.url.clone()))
            .chain(
                ["sales", "ads", "crm", "content"]
                    .iter()
                    .zip(&f.subgraph_urls)
                    .map(|(name, url)| (name.to_string(), url.clone())),
            )
            .collect();
    for (target, url) in &targets {
        let gql = |what: String, request| probe(format!("{target} {what}"), Kind::GraphQL, request);
        // Depth bombs, in the document and through GET.
        for depth in [20, 33, 41, 50, 64, 200, 10_000] {
            let query = nested_selection(depth);
            probes.push(gql(
                format!("depth {depth}"),
                post_json(client, url, &json!({ "query": query }), token),
            ));
            // A URL holds up to ~64 KB: GET goes up to 2,000 levels.
            let query = nested_selection(depth.min(2_000));
            probes.push(gql(
                format!("GET depth {}", depth.min(2_000)),
                client
                    .get(url)
                    .header("authorization", format!("Bearer {token}"))
                    .query(&[("query", query.as_str())]),
            ));
        }
        // Nesting in JSON: extensions and variables.
        for depth in [33, 50, 500, 10_000] {
            for field in ["extensions", "variables"] {
                let body = format!(
                    r#"{{"query":"{{ __typename }}","{field}":{{"x":{}}}}}"#,
                    nested_json(depth)
                );
                probes.push(gql(
                    format!("{field} nested {depth}"),
                    post_raw(client, url, Some("application/json"), body, token),
                ));
            }
        }
        // Alias, fragment and token bombs.
        for n in [31, 200, 5_000] {
            probes.push(gql(
                format!("{n} aliases"),
                post_json(client, url, &json!({ "query": aliases(n) }), token),
            ));
        }
        for levels in [12, 24, 32, 64] {
            probes.push(gql(
                format!("doubling fragments {levels}"),
                post_json(
                    client,
                    url,
                    &json!({ "query": doubling_fragments(levels) }),
                    token,
                ),
            ));
        }
        probes.push(gql(
            "fragment cycle".into(),
            post_json(
                client,
                url,
                &json!({ "query": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }" }),
                token,
            ),
        ));
        for n in [4_500, 12_000, 200_000] {
            probes.push(gql(
                format!("{n} tokens"),
                post_json(client, url, &json!({ "query": tokens(n) }), token),
            ));
        }
        // Sizes: a 1 MB variable (under the limit) and a body over it.
        probes.push(gql(
            "1 MB variable".into(),
            post_json(
                client,
                url,
                &json!({ "query": "query($v: String!) { searchAssets(text: $v) { __typename } }", "variables": { "v": "y".repeat(1_000_000) } }),
                token,
            ),
        ));
        probes.push(gql(
            "3 MB body".into(),
            post_raw(
                client,
                url,
                Some("application/json"),
                format!(
                    r#"{{"query":"{{ __typename }}","variables":{{"pad":"{}"}}}}"#,
                    "z".repeat(3_000_000)
                ),
                token,
            ),
        ));
        probes.push(gql(
            "100k variables".into(),
            post_json(
                client,
                url,
                &json!({ "query": "{ __typename }", "variables": (0..100_000).map(|i| (format!("v{i}"), json!(i))).collect::<serde_json::Map<_, _>>() }),
                token,
            ),
        ));
        // Encodings and media types.
        for (what, bytes) in [
            (
                "invalid UTF-8",
                vec![
                    b'{', b'"', b'q', b'u', b'e', b'r', b'y', b'"', b':', b'"', 0xff, 0xfe, b'"',
                    b'}',
                ],
            ),
            ("truncated JSON", br#"{"query":"{ __typename"#.to_vec()),
            ("not an object", b"42".to_vec()),
            ("null query", br#"{"query":null}"#.to_vec()),
            ("numeric query", br#"{"query":5}"#.to_vec()),
            ("empty body", Vec::new()),
        ] {
            probes.push(gql(
                what.into(),
                post_raw(client, url, Some("application/json"), bytes, token),
            ));
        }
        let mutation = json!({ "query": "mutation { pauseAd(id: \"00000000-0000-7000-8000-000000000000\") { id } }" }).to_string();
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
            None,
        ] {
            probes.push(gql(
                format!("content type {content_type:?}"),
                post_raw(client, url, content_type, mutation.clone(), token),
            ));
        }
        // Mutations over GET, batches, other methods.
        for (what, query) in [
            (
                "GET mutation",
                "mutation { pauseAd(id: \"00000000-0000-7000-8000-000000000000\") { id } }",
            ),
            (
                "GET named mutation",
                "mutation M { updateOrganization(id: \"00000000-0000-7000-8000-000000000000\", input: {name: \"x\"}) { id } }",
            ),
        ] {
            probes.push(gql(
                what.into(),
                client
                    .get(url)
                    .header("authorization", format!("Bearer {token}"))
                    .query(&[("query", query)]),
            ));
        }
        probes.push(gql(
            "batch".into(),
            post_json(client, url, &json!([{ "query": "{ __typename }" }, { "query": "mutation { pauseAd(id: \"x\") { id } }" }]), token),
        ));
        probes.push(gql(
            "PUT".into(),
            client
                .put(url)
                .header("authorization", format!("Bearer {token}"))
                .json(&json!({ "query": "{ __typename }" })),
        ));
        // Introspection abuse.
        let of_type = format!(
            "{{ __schema {{ types {{ fields {{ type {}name{} }} }} }} }}",
            "{ ofType ".repeat(40),
            " }".repeat(40)
        );
        probes.push(gql(
            "introspection 40 ofType".into(),
            post_json(client, url, &json!({ "query": of_type }), token),
        ));
        probes.push(gql(
            "introspection huge name".into(),
            post_json(client, url, &json!({ "query": format!("{{ __type(name: \"{}\") {{ name }} }}", "T".repeat(100_000)) }), token),
        ));
        // Tokens.
        for (what, bad) in bad_tokens(f) {
            probes.push(gql(
                format!("token {what}"),
                post_json(
                    client,
                    url,
                    &json!({ "query": "{ organizations(first: 1) { edges { node { id } } } }" }),
                    &bad,
                ),
            ));
        }
    }
    // Injection strings and malformed ids in every id and string argument, through the router.
    for query in ID_FIELDS {
        for value in injections() {
            probes.push(probe(
                format!(
                    "router injection {:.30} in {}",
                    value.escape_debug(),
                    query
                        .split('{')
                        .nth(1)
                        .and_then(|field| field.split('(').next())
                        .unwrap_or("")
                        .trim()
                ),
                Kind::GraphQL,
                post_json(
                    client,
                    &f.router.url,
                    &json!({ "query": query, "variables": { "v": value } }),
                    token,
                ),
            ));
        }
    }
    // Numeric overflow.
    for first in [
        "2147483648",
        "-1",
        "1e309",
        "99999999999999999999",
        "1.5",
        "\"ten\"",
    ] {
        probes.push(probe(
            format!("router first: {first}"),
            Kind::GraphQL,
            post_json(
                client,
                &f.router.url,
                &json!({ "query": format!("{{ campaigns(first: {first}) {{ edges {{ node {{ id }} }} }} }}") }),
                token,
            ),
        ));
    }
    // Another tenant's ids on every kind of entity, read and write.
    let other = |id: Uuid| id.to_string();
    for (what, query) in [
        (
            "read campaign",
            format!(
                "{{ campaign(id: \"{}\") {{ id name }} }}",
                other(f.campaign_b)
            ),
        ),
        (
            "read organization",
            format!(
                "{{ organization(id: \"{}\") {{ id name }} }}",
                other(f.org_b)
            ),
        ),
        (
            "read usable content",
            format!(
                "{{ usableContent(campaignId: \"{}\") {{ edges {{ node {{ id }} }} }} }}",
                other(f.campaign_b)
            ),
        ),
        (
            "read payment methods",
            format!(
                "{{ paymentMethods(organizationId: \"{}\") {{ id }} }}",
                other(f.org_b)
            ),
        ),
        (
            "write organization",
            format!(
                "mutation {{ updateOrganization(id: \"{}\", input: {{ name: \"Pwned\" }}) {{ id }} }}",
                other(f.org_b)
            ),
        ),
        (
            "write campaign",
            format!(
                "mutation {{ updateCampaign(id: \"{}\", input: {{ name: \"Pwned\" }}) {{ id }} }}",
                other(f.campaign_b)
            ),
        ),
        (
            "campaign status",
            format!(
                "mutation {{ changeCampaignStatus(id: \"{}\", status: CANCELLED) {{ id }} }}",
                other(f.campaign_b)
            ),
        ),
        (
            "launch ads",
            format!(
                "mutation {{ launchAds(campaignId: \"{}\", ads: []) {{ id }} }}",
                other(f.campaign_b)
            ),
        ),
    ] {
        probes.push(probe(
            format!("router cross-tenant {what}"),
            Kind::GraphQL,
            post_json(client, &f.router.url, &json!({ "query": query }), token),
        ));
    }
    // Paths a subgraph does not serve.
    for url in &f.subgraph_urls {
        let base = url.trim_end_matches("/graphql");
        for path in ["/graphql%00", "/%00", "/graphql/../../etc/passwd", "/nope"] {
            probes.push(probe(
                format!("{base}{path}"),
                Kind::GraphQL,
                client.get(format!("{base}{path}")),
            ));
        }
    }
    probes
}

/// Probes of the MCP adapter's HTTP transport.
fn mcp_probes(client: &reqwest::Client, url: &str, token: &str) -> Vec<Probe> {
    let base = || {
        client
            .post(url)
            .header("authorization", format!("Bearer {token}"))
            .header("accept", "application/json, text/event-stream")
    };
    let rpc = |what: &str, request: reqwest::RequestBuilder| {
        probe(format!("mcp {what}"), Kind::JsonRpc, request)
    };
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "hostile", "version": "0" } }
    });
    let mut probes = vec![
        rpc("malformed JSON", base().header("content-type", "application/json").body("{ not json")),
        rpc("invalid UTF-8", base().header("content-type", "application/json").body(vec![0xffu8, 0xfe, 0x00])),
        rpc("text/plain", base().header("content-type", "text/plain").body(initialize.to_string())),
        rpc("form", base().header("content-type", "application/x-www-form-urlencoded").body("a=b")),
        rpc("no session", base().json(&json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }))),
        rpc(
            "unknown session",
            base()
                .header("mcp-session-id", "no-such-session")
                .json(&json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" })),
        ),
        rpc("batch", base().json(&json!([initialize.clone(), initialize.clone()]))),
        rpc("deep JSON", base().header("content-type", "application/json").body(format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}}"#,
            nested_json(10_000)
        ))),
        rpc("huge params", base().json(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": { "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "x".repeat(5_000_000), "version": "0" } }
        }))),
        rpc("wrong jsonrpc version", base().json(&json!({ "jsonrpc": "1.0", "id": 1, "method": "initialize" }))),
        rpc("no method", base().json(&json!({ "jsonrpc": "2.0", "id": 1 }))),
        rpc("unknown protocol header", base().header("mcp-protocol-version", "1999-01-01").json(&initialize)),
        rpc("GET without session", client.get(url).header("authorization", format!("Bearer {token}")).header("accept", "text/event-stream")),
        rpc("DELETE unknown session", client.delete(url).header("authorization", format!("Bearer {token}")).header("mcp-session-id", "nope")),
        rpc("no token", client.post(url).header("accept", "application/json, text/event-stream").json(&initialize)),
        rpc("junk token", client.post(url).header("authorization", "Bearer junk").header("accept", "application/json, text/event-stream").json(&initialize)),
        rpc("not acceptable", client.post(url).header("authorization", format!("Bearer {token}")).header("accept", "text/html").json(&initialize)),
    ];
    probes.push(rpc(
        "unknown path",
        client.get(url.replace("/mcp", "/nope%00")),
    ));
    probes
}

/// Sends garbage frames over `graphql-transport-ws` to `url`; the service must stay up.
async fn websocket_garbage(url: &str, token: &str) -> Vec<String> {
    let ws_url = url.replacen("http://", "ws://", 1);
    let frames: Vec<(&str, Message)> = vec![
        ("binary garbage", Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into())),
        ("not JSON", Message::Text("{{{{ nope".into())),
        ("subscribe before init", Message::Text(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { __typename }" } }).to_string().into())),
        ("deep JSON", Message::Text(format!(r#"{{"type":"connection_init","payload":{}}}"#, nested_json(10_000)).into())),
        ("huge frame", Message::Text(format!(r#"{{"type":"connection_init","payload":{{"x":"{}"}}}}"#, "x".repeat(4_000_000)).into())),
        ("deep subscription", Message::Text(json!({ "id": "1", "type": "subscribe", "payload": { "query": nested_selection(10_000) } }).to_string().into())),
    ];
    let mut failures = Vec::new();
    for (what, frame) in frames {
        let mut request = match ws_url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{url} ws {what}: {e}"));
                continue;
            }
        };
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let connected =
            tokio::time::timeout(ANSWER_WITHIN, tokio_tungstenite::connect_async(request)).await;
        let Ok(Ok((mut socket, _))) = connected else {
            failures.push(format!("{url} ws {what}: no connection"));
            continue;
        };
        if what == "deep subscription" {
            let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
            let _ = socket.send(Message::Text(init.to_string().into())).await;
            let _ = tokio::time::timeout(ANSWER_WITHIN, socket.next()).await;
        }
        let _ = socket.send(frame).await;
        // Whatever comes back (an error message, a close), it must come within the bound.
        match tokio::time::timeout(ANSWER_WITHIN, socket.next()).await {
            Err(_) => failures.push(format!(
                "{url} ws {what}: no answer within {ANSWER_WITHIN:?}"
            )),
            Ok(Some(Ok(Message::Text(text)))) => {
                if serde_json::from_str::<Value>(&text).is_err() {
                    failures.push(format!("{url} ws {what}: a non-JSON message {text:.200}"));
                }
            }
            Ok(_) => {}
        }
    }
    failures
}

/// Resident memory of a process, in MiB (`VmRSS` of `/proc/<pid>/status`).
fn rss_mib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Per database, table and tenant: the row count and an MD5 of the rows.
pub(super) async fn digest(urls: &[String; 4]) -> BTreeMap<String, (i64, String)> {
    let mut digests = BTreeMap::new();
    for url in urls {
        let db = Database::connect(url.as_str()).await.expect("the database");
        let tables = db
            .query_all(Statement::from_string(
                DbBackend::Postgres,
                "SELECT table_name::text AS t, bool_or(column_name = 'organization_id') AS scoped \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 GROUP BY table_name ORDER BY table_name",
            ))
            .await
            .expect("tables");
        for row in tables {
            let table: String = row.try_get("", "t").expect("name");
            let scoped: bool = row.try_get("", "scoped").unwrap_or(false);
            let tenant = if scoped {
                "organization_id::text"
            } else {
                "'-'"
            };
            let sql = format!(
                "SELECT {tenant} AS tenant, count(*)::bigint AS n, \
                 md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS digest \
                 FROM \"{table}\" x GROUP BY 1"
            );
            let rows = db
                .query_all(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .expect("digest");
            for row in rows {
                let tenant: Option<String> = row.try_get("", "tenant").ok();
                let n: i64 = row.try_get("", "n").expect("count");
                let md5: String = row.try_get("", "digest").expect("digest");
                let db_name = url.rsplit('/').next().unwrap_or(url);
                digests.insert(
                    format!("{db_name}.{table}[{}]", tenant.unwrap_or_default()),
                    (n, md5),
                );
            }
        }
        let _ = db.close().await;
    }
    digests
}

/// Tables that record the attempts themselves (refused logins, AI calls), not tenant data.
pub(super) fn is_attempt_log(key: &str) -> bool {
    ["audit", "ai_request", "seaql_migrations"]
        .iter()
        .any(|t| key.contains(t))
}

#[tokio::test]
async fn hostile_input_never_takes_a_service_down() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(&f, &shipped_operations(), &[])
        .await
        .expect("mcp starts");
    let token = f.token(Some(f.org_a), &fixture::ALL_WRITE);
    let before = digest(&f.database_urls).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");

    let mut probes = graphql_probes(&f, &client, &token);
    probes.extend(mcp_probes(&client, &adapter.url, &token));
    let total = probes.len();
    let started = Instant::now();
    let mut failures: Vec<String> = futures::stream::iter(probes)
        .map(run)
        .buffer_unordered(CONCURRENCY)
        .filter_map(|r| async move { r.err() })
        .collect()
        .await;
    let mut websocket = 0;
    for url in std::iter::once(&f.router.url).chain(f.subgraph_urls.iter()) {
        failures.extend(websocket_garbage(url, &token).await);
        websocket += 6;
    }

    // MCP tools that parse a client's document: refused by the router's limits, in time.
    let (service, _) =
        super::mcp::connect_http(&adapter, &token, rmcp::ClientLifecycleMode::Initialize)
            .await
            .expect("connects");
    let mut tool_calls = 0;
    for (what, document) in [
        ("doubling fragments 30", doubling_fragments(30)),
        ("doubling fragments 64", doubling_fragments(64)),
        ("depth 10000", nested_selection(10_000)),
        ("200k tokens", tokens(200_000)),
        ("5000 aliases", aliases(5_000)),
    ] {
        tool_calls += 1;
        let call = tokio::time::timeout(
            ANSWER_WITHIN,
            super::mcp::call(
                &service,
                "validateOperation",
                json!({ "operation": document }),
            ),
        )
        .await;
        match call {
            Err(_) => failures.push(format!(
                "mcp validateOperation {what}: no answer within {ANSWER_WITHIN:?}"
            )),
            Ok(Err(e)) => failures.push(format!("mcp validateOperation {what}: {e}")),
            Ok(Ok(result)) => {
                let structured = result.structured_content.clone().unwrap_or(Value::Null);
                let verdict = structured.get("data").unwrap_or(&structured);
                if verdict["valid"] != json!(false) || !verdict["code"].is_string() {
                    failures.push(format!(
                        "mcp validateOperation {what}: not refused with a code: {structured}"
                    ));
                }
            }
        }
    }
    let _ = service.cancel().await;
    let elapsed = started.elapsed();

    // Every service answers its health check afterwards.
    let router_base = f.router.url.trim_end_matches("/graphql");
    let mut health = vec![
        format!("{router_base}/health"),
        format!("{router_base}/readiness"),
        format!("{}/health", adapter.base),
    ];
    health.extend(
        f.subgraph_urls
            .iter()
            .map(|u| u.replace("/graphql", "/health/ready")),
    );
    for url in health {
        match client.get(&url).timeout(ANSWER_WITHIN).send().await {
            Ok(r) if r.status().is_success() => {}
            other => failures.push(format!("{url} not healthy afterwards: {other:?}")),
        }
    }
    // A legitimate request still works.
    let ok = f
        .router
        .post(
            "{ organizations(first: 5) { edges { node { id } } } }",
            json!({}),
            &f.as_org_a(),
        )
        .await
        .expect("a normal query");
    if ok.get("errors").is_some() {
        failures.push(format!("a normal query fails afterwards: {ok}"));
    }

    // Memory stays under its ceilings.
    let router_rss = f.router.pid().and_then(|p| rss_mib(&p.to_string()));
    let mcp_rss = adapter._child.id().and_then(|p| rss_mib(&p.to_string()));
    let own_rss = rss_mib("self");
    for (what, rss, ceiling) in [
        ("router", router_rss, ROUTER_RSS_MIB),
        ("mcp", mcp_rss, MCP_RSS_MIB),
        ("subgraphs (test process)", own_rss, SUBGRAPHS_RSS_MIB),
    ] {
        match rss {
            Some(rss) if rss < ceiling => {}
            Some(rss) => {
                failures.push(format!("{what}: {rss} MiB resident, ceiling {ceiling} MiB"))
            }
            None => failures.push(format!("{what}: resident memory unreadable")),
        }
    }

    // The stores hold exactly what they held.
    let after = digest(&f.database_urls).await;
    for (key, value) in &before {
        if !is_attempt_log(key) && after.get(key) != Some(value) {
            failures.push(format!("{key} changed: {value:?} -> {:?}", after.get(key)));
        }
    }
    for key in after.keys() {
        if !is_attempt_log(key) && !before.contains_key(key) {
            failures.push(format!("{key} appeared"));
        }
    }

    let sent = total + websocket + tool_calls;
    eprintln!(
        "hostile suite: {sent} requests in {elapsed:?}; resident MiB: router {router_rss:?}, mcp {mcp_rss:?}, subgraphs {own_rss:?}"
    );
    assert!(sent >= 300, "only {sent} hostile requests");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The router, over unreachable subgraphs: what is tested is refused before any of them is asked.
async fn lone_router() -> super::harness::Router {
    let nowhere = format!(
        "http://127.0.0.1:{}/graphql",
        promptsales_kit::testing::free_port()
    );
    let jwks = format!(
        "http://127.0.0.1:{}/jwks.json",
        promptsales_kit::testing::free_port()
    );
    super::harness::Router::start([&nowhere, &nowhere, &nowhere, &nowhere], &jwks)
        .await
        .expect("the router starts")
}

/// Issue 12's first finding: a 263-byte document nested 50 deep, and a body whose
/// `extensions` nest 50 levels, made the debug router's memory grow without end. They
/// are refused with a code, at once, and the router's memory stays where it was.
#[tokio::test]
async fn the_263_byte_request_is_refused_at_once_in_a_debug_build() {
    let router = lone_router().await;
    let client = reqwest::Client::new();
    let pid = router.pid().expect("the router runs").to_string();
    let rss_before = rss_mib(&pid).expect("the router's memory");
    // 50 selection sets deep, as the issue sent it (under every byte and token limit).
    let query = format!("{{{} a {}}}", " a {".repeat(49), "}".repeat(49));
    let body = json!({ "query": query }).to_string();
    let json_body = format!(
        r#"{{"query":"{{ __typename }}","extensions":{{"x":{}}}}}"#,
        nested_json(50)
    );
    for (what, body, code) in [
        ("document nested 50", body, "MAX_DEPTH_EXCEEDED"),
        ("extensions nested 50", json_body, "MAX_JSON_DEPTH_EXCEEDED"),
    ] {
        for _ in 0..20 {
            let started = Instant::now();
            let response = client
                .post(&router.url)
                .header("content-type", "application/json")
                .body(body.clone())
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what}: no answer within 10 s ({e})"));
            assert_eq!(response.status(), 400, "{what}");
            let answer: Value = response.json().await.expect("JSON");
            assert_eq!(
                answer["errors"][0]["extensions"]["code"], code,
                "{what}: {answer}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{what}: answered after {:?}",
                started.elapsed()
            );
        }
    }
    let rss_after = rss_mib(&pid).expect("the router's memory");
    assert!(
        rss_after < rss_before + 64,
        "the router grew from {rss_before} MiB to {rss_after} MiB"
    );
}

/// Issue 12: `generatedContents { campaign { organization { id } } }` answered `{"data":null}`
/// with no error when a row pointed at a campaign the caller cannot resolve (sales answered
/// a silent `null` entity and the non-null `campaign` nulled everything above it). Now only
/// that row's `campaign` is null, with `NOT_FOUND` at its path, and the other rows resolve.
#[tokio::test]
async fn generated_content_of_a_campaign_the_caller_cannot_see_is_null_with_not_found() {
    let f = fixture::start().await.expect("the graph starts");
    // Two rows of org A's content: one for its own campaign, one pointing at org B's (a row
    // the content store holds for org A, whose campaign sales will not show org A).
    let db = Database::connect(f.database_urls[3].as_str())
        .await
        .expect("the content database");
    for (id, campaign) in [
        (Uuid::now_v7(), f.campaign_1),
        (Uuid::now_v7(), f.campaign_b),
    ] {
        db.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO generated_contents (id, organization_id, campaign_id, audience_name, \
             channel, variants, model, from_cache, created_at, updated_at) \
             VALUES ($1, $2, $3, 'Hikers', 'email', '[]', 'template', false, now(), now())",
            [id.into(), f.org_a.into(), campaign.into()],
        ))
        .await
        .expect("a generated content row");
    }
    let _ = db.close().await;

    let answer = f
        .router
        .post(
            "{ generatedContents(first: 10) { edges { node { id campaign { id organization { id } } } } } }",
            json!({}),
            &f.as_org_a(),
        )
        .await
        .expect("an answer");
    let edges = answer["data"]["generatedContents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("partial data, not a null answer: {answer}"));
    assert_eq!(edges.len(), 2, "{answer}");
    let campaigns: Vec<&Value> = edges.iter().map(|e| &e["node"]["campaign"]).collect();
    let visible = campaigns
        .iter()
        .position(|c| !c.is_null())
        .unwrap_or_else(|| panic!("the visible campaign resolves: {answer}"));
    assert_eq!(
        campaigns[visible]["id"],
        f.campaign_1.to_string(),
        "{answer}"
    );
    assert_eq!(
        campaigns[visible]["organization"]["id"],
        f.org_a.to_string(),
        "{answer}"
    );
    let hidden = 1 - visible;
    assert!(campaigns[hidden].is_null(), "{answer}");
    let errors = answer["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("the null comes with an error: {answer}"));
    let not_found: Vec<&Value> = errors
        .iter()
        .filter(|e| e["extensions"]["code"] == "NOT_FOUND")
        .collect();
    assert_eq!(not_found.len(), 1, "{answer}");
    assert_eq!(
        not_found[0]["path"],
        json!(["generatedContents", "edges", hidden, "node", "campaign"]),
        "{answer}"
    );
    assert!(
        !serde_json::to_string(&answer)
            .expect("JSON")
            .contains(&f.org_b.to_string()),
        "nothing of org B leaks: {answer}"
    );
}

/// Sends `request` as raw bytes to `address` and reads the whole answer (the server closes).
async fn raw_http(address: &str, request: &[u8]) -> Result<(u16, String, Vec<u8>), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut socket = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        // The server may answer (and close) before the whole request is sent.
        let _ = socket.write_all(request).await;
        let mut answer = Vec::new();
        let _ = socket.read_to_end(&mut answer).await;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(ANSWER_WITHIN, exchange)
        .await
        .map_err(|_| format!("no answer within {ANSWER_WITHIN:?}"))??;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("not HTTP: {:?}", String::from_utf8_lossy(&answer)))?;
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status: {head}"))?;
    Ok((status, head, answer[split + 4..].to_vec()))
}

/// Issue 12: hyper (subgraphs, MCP adapter) and ntex (router) answered what they could not
/// parse (a NUL byte in the path, two different `Content-Length`s, huge headers, a huge URI)
/// themselves, with an empty body. Every subgraph, the MCP adapter and the router now answer
/// each as JSON with a stable code.
#[tokio::test]
async fn malformed_http_gets_a_json_answer_with_a_code_from_every_service() {
    let f = fixture::start().await.expect("the graph starts");
    let adapter = start_http(&f, &shipped_operations(), &[])
        .await
        .expect("mcp starts");
    let requests: Vec<(&str, Vec<u8>)> = vec![
        (
            "NUL in the path",
            b"GET /graph\0ql HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        ),
        (
            "two Content-Lengths",
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 30\r\n\r\n{}".to_vec(),
        ),
        (
            "huge header",
            format!("GET /graphql HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "a".repeat(500_000)).into_bytes(),
        ),
        (
            "huge URI",
            format!("GET /graphql?query={} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000)).into_bytes(),
        ),
        ("not HTTP", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec()),
        ("bad version", b"GET /graphql HTTP/9.9\r\nhost: x\r\n\r\n".to_vec()),
    ];
    let mut targets: Vec<(String, bool)> = f
        .subgraph_urls
        .iter()
        .map(|url| (url.clone(), false))
        .collect();
    targets.push((adapter.url.clone(), true));
    // The router (ntex under Hive Router) answered each with an empty 400 or 431.
    targets.push((f.router.url.clone(), false));
    let mut failures = Vec::new();
    for (url, json_rpc) in &targets {
        let address = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        for (what, request) in &requests {
            let answer = raw_http(&address, request).await;
            let verdict = answer.and_then(|(status, head, body)| {
                if !(400..500).contains(&status) {
                    return Err(format!("HTTP {status}"));
                }
                if !head
                    .to_ascii_lowercase()
                    .contains("content-type: application/json")
                {
                    return Err(format!("HTTP {status}, not JSON: {head}"));
                }
                let json: Value = serde_json::from_slice(&body)
                    .map_err(|e| format!("HTTP {status}, body not JSON ({e}): {body:?}"))?;
                let coded = if *json_rpc {
                    json["error"]["code"] == -32600
                } else {
                    json["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
                };
                if coded {
                    Ok(())
                } else {
                    Err(format!("HTTP {status}, no code: {json}"))
                }
            });
            if let Err(e) = verdict {
                failures.push(format!("{url} {what}: {e}"));
            }
        }
    }
    // A path no route of the router serves: a JSON 404 with a code (Hive's landing page before).
    let base = f.router.url.trim_end_matches("/graphql");
    let response = reqwest::get(format!("{base}/no-such-path"))
        .await
        .expect("GET an unknown path");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if status != 404 || answer["errors"][0]["extensions"]["code"] != "NOT_FOUND" {
        failures.push(format!("router /no-such-path: HTTP {status} {answer}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sends `POST path` to `base` (`http://host:port`) with a chunked body (no `Content-Length`)
/// that never ends, reading the answer as it comes; the status and body of the answer.
/// The body stops at 64 MiB, far past every limit, so a server that reads on past its limit
/// never answers in time.
async fn endless_chunked_post(
    base: &str,
    path: &str,
    content_type: &str,
    token: &str,
) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let host = base.trim_start_matches("http://");
    let socket = tokio::net::TcpStream::connect(host).await?;
    let (mut read, mut write) = socket.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\n\
         authorization: Bearer {token}\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        let opening = r#"{"query":"{ __typename }","variables":{"pad":""#;
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "z".repeat(64 * 1024));
        let mut sent = 0usize;
        write.write_all(head.as_bytes()).await?;
        write
            .write_all(format!("{:x}\r\n{opening}\r\n", opening.len()).as_bytes())
            .await?;
        while sent < 64 * 1024 * 1024 {
            write.write_all(chunk.as_bytes()).await?;
            sent += 64 * 1024;
        }
        anyhow::Ok(())
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    let read_all = async {
        loop {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
            if response_is_complete(&answer) {
                break;
            }
        }
    };
    let in_time = tokio::time::timeout(ANSWER_WITHIN, read_all).await;
    writer.abort();
    anyhow::ensure!(in_time.is_ok(), "no answer within {ANSWER_WITHIN:?}");
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("not an HTTP answer: {head:?}"))?;
    Ok((status, body.to_string()))
}

/// Whether `answer` holds a whole HTTP response: its head and `Content-Length` bytes of body.
fn response_is_complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok());
    length.is_some_and(|length| body.len() >= length)
}

/// A body streamed without a `Content-Length` (which `DefaultBodyLimit` alone would not
/// stop in async-graphql-axum) is cut at the limit on every subgraph's GraphQL endpoint
/// and on the routes the subgraphs add beside it (sales' OAuth, ads' webhook).
#[tokio::test]
async fn a_chunked_body_without_a_length_is_cut_at_the_limit() {
    let f = fixture::start().await.expect("the graph starts");
    let token = f.token(Some(f.org_a), &fixture::ALL_WRITE);
    let mut targets: Vec<(String, &str, &str)> = f
        .subgraph_urls
        .iter()
        .map(|url| (url.clone(), "/graphql", "application/json"))
        .collect();
    let ads_base = f.subgraph_urls[1].trim_end_matches("/graphql").to_string();
    targets.push((
        format!("{}/oauth/token", f.sales_base),
        "/oauth/token",
        "application/x-www-form-urlencoded",
    ));
    targets.push((
        format!("{ads_base}/webhooks/ads/meta"),
        "/webhooks/ads/meta",
        "application/json",
    ));
    for (url, path, content_type) in targets {
        let base = url.trim_end_matches(path);
        let (status, body) = endless_chunked_post(base, path, content_type, &token)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        // An answer at all means the server stopped reading: the body never ends. The
        // kit's GraphQL endpoint says 413; the OAuth endpoint keeps RFC 6749's 400.
        assert!((400..500).contains(&status), "{url}: {status} {body}");
        if path == "/graphql" {
            assert_eq!(status, 413, "{url}: {body}");
            let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
                "{url}: {body}"
            );
        }
    }
}

/// Issue 12: the router forwarded only the token and the request id, so the subgraphs
/// audited every operation with the router's address and no user agent. It now forwards the
/// client's user agent and address (`X-Forwarded-For` as the router writes it: a client's own
/// is dropped), which a subgraph believes because the router is among its trusted proxies.
#[tokio::test]
async fn an_operation_through_the_router_is_audited_with_the_clients_address_and_agent() {
    // SAFETY: set before the fixture starts anything that reads the environment (every
    // nextest test is a process of its own). The subgraphs and the router trust loopback's
    // 127.0.0.1, where the router connects from; the client comes from 127.0.0.2.
    unsafe { std::env::set_var("PROMPTSALES_TRUSTED_PROXIES", "127.0.0.1") };
    let f = fixture::start().await.expect("the graph starts");
    let token = f.user_token(
        f.marketer_a,
        f.org_a,
        &["sales:read", "sales:write", "sales:admin"],
    );
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .user_agent("hostile-e2e/1.0")
        .build()
        .expect("a client");
    let send = |query: String| {
        client
            .post(&f.router.url)
            .bearer_auth(&token)
            // What a client may claim; the router forwards what it saw instead.
            .header("x-forwarded-for", "6.6.6.6")
            .json(&json!({ "query": query }))
            .send()
    };
    let changed: Value = send(format!(
        r#"mutation {{ changeCampaignStatus(id: "{}", status: CANCELLED) {{ status }} }}"#,
        f.campaign_2
    ))
    .await
    .expect("the mutation answers")
    .json()
    .await
    .expect("JSON");
    assert_eq!(
        changed["data"]["changeCampaignStatus"]["status"], "CANCELLED",
        "{changed}"
    );
    let audit: Value = send(format!(
        r#"{{ auditLog(filter: {{ action: "campaign.status_changed", targetId: "{}" }}, first: 5) {{ edges {{ node {{ ip userAgent }} }} }} }}"#,
        f.campaign_2
    ))
    .await
    .expect("the audit log answers")
    .json()
    .await
    .expect("JSON");
    let entry = &audit["data"]["auditLog"]["edges"][0]["node"];
    assert_eq!(
        (entry["ip"].as_str(), entry["userAgent"].as_str()),
        (Some("127.0.0.2"), Some("hostile-e2e/1.0")),
        "{audit}"
    );
}
