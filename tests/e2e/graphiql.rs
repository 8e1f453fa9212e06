//! GraphiQL served by the router itself (the page, the bundle under /graphiql/), checked over
//! HTTP against the real router binary: what a browser gets, the cache and security headers,
//! and that page and asset requests neither count against the rate limit nor reach the cache.
//! The page in a real browser: scripts/browser-check.sh.

use promptsales_router::graphiql::{self, ASSET_PREFIX, CONTENT_SECURITY_POLICY, IMMUTABLE};
use serde_json::json;

use super::edge;
use super::harness::Router;

const CHROME_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

/// A router with no subgraph behind it (the explorer and `{ __typename }` need none) and a
/// rate limit of 2 requests per hour.
async fn router() -> Router {
    let nowhere = "http://127.0.0.1:9/graphql";
    Router::start_with_env(
        [nowhere; 4],
        "http://127.0.0.1:9/.well-known/jwks.json",
        &[
            ("PROMPTSALES_RATE_LIMIT", "2".to_string()),
            ("PROMPTSALES_RATE_LIMIT_WINDOW", "1h".to_string()),
        ],
    )
    .await
    .expect("the router starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_router_serves_graphiql_from_itself_outside_the_rate_limit() {
    let router = router().await;
    let base = router.url.trim_end_matches("/graphql").to_string();
    let client = client();

    // The page: HTML, the CSP of the router's own origin, never cached stale.
    let page = client
        .get(&router.url)
        .header("accept", CHROME_ACCEPT)
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(
        header(&page, "content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(header(&page, "cache-control"), "no-cache");
    assert!(
        page.headers().get("x-cache").is_none(),
        "not the response cache's"
    );
    let html = page.text().await.expect("the page");
    assert!(
        html.contains("CampaignOverview"),
        "opens with the example query"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page names nothing elsewhere: {html}"
    );

    // Every file the page names, and every file of the bundle, many times over a rate
    // limit of 2: all served, with long cache headers.
    let named: Vec<&str> = html
        .split(ASSET_PREFIX)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .collect();
    assert_eq!(named.len(), 3, "icon, stylesheet and script: {named:?}");
    for asset in graphiql::all_assets() {
        for _ in 0..3 {
            let response = client
                .get(format!("{base}{ASSET_PREFIX}{}", asset.name))
                .send()
                .await
                .expect("GET an asset");
            assert_eq!(response.status(), 200, "{}", asset.name);
            assert_eq!(header(&response, "content-type"), asset.content_type);
            assert_eq!(header(&response, "cache-control"), IMMUTABLE);
            assert_eq!(header(&response, "x-content-type-options"), "nosniff");
            assert!(response.headers().get("x-cache").is_none());
            let body = response.bytes().await.expect("the asset");
            assert_eq!(body.as_ref(), asset.body, "{}", asset.name);
        }
    }
    for name in named {
        assert!(graphiql::asset(name).is_some(), "{name} is served");
    }

    let missing = client
        .get(format!("{base}{ASSET_PREFIX}app-0000000000000000.js"))
        .send()
        .await
        .expect("GET a missing asset");
    assert_eq!(missing.status(), 404);

    // A browser at / is sent to the explorer (Hive's landing page loads from CDNs).
    let root = client
        .get(format!("{base}/"))
        .header("accept", CHROME_ACCEPT)
        .send()
        .await
        .expect("GET /");
    assert_eq!(root.status(), 302);
    assert_eq!(header(&root, "location"), "/graphql");

    // GraphQL clients still get GraphQL at the same path, and the rate limit still has its
    // whole budget: none of the requests above counted.
    let typename = edge::query("{ __typename }", json!({}));
    for n in 1..=2 {
        let ok = edge::post(&router.url, typename.clone(), &[])
            .await
            .expect("query");
        assert_eq!(ok.status, 200, "request {n}: {ok:#?}");
        assert_eq!(ok.body["data"]["__typename"], "Query");
    }
    let limited = edge::post(&router.url, typename, &[]).await.expect("query");
    assert_eq!(
        limited.status, 429,
        "the third counted request: {limited:#?}"
    );
}

#[tokio::test]
async fn the_explorer_can_be_turned_off() {
    let nowhere = "http://127.0.0.1:9/graphql";
    let router = Router::start_with_env(
        [nowhere; 4],
        "http://127.0.0.1:9/.well-known/jwks.json",
        &[("PROMPTSALES_ROUTER_LABORATORY", "false".to_string())],
    )
    .await
    .expect("the router starts");
    let client = client();
    let page = client
        .get(&router.url)
        .header("accept", CHROME_ACCEPT)
        .send()
        .await
        .expect("GET /graphql");
    let content_type = header(&page, "content-type").to_string();
    let body = page.text().await.unwrap_or_default();
    assert!(
        !content_type.starts_with("text/html"),
        "no page (Hive's own is off too): {content_type} {body}"
    );
    assert!(!body.contains("unpkg.com"), "{body}");
    // The asset paths fall through to Hive Router's default answer (its landing page).
    let base = router.url.trim_end_matches("/graphql");
    let asset = &graphiql::all_assets()[0];
    let response = client
        .get(format!("{base}{ASSET_PREFIX}{}", asset.name))
        .send()
        .await
        .expect("GET an asset");
    assert_ne!(header(&response, "content-type"), asset.content_type);
    let body = response.bytes().await.unwrap_or_default();
    assert_ne!(body.as_ref(), asset.body);
}
