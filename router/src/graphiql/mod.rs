//! GraphiQL served by the router itself: the page on the GraphQL path (for browsers, i.e.
//! a GET that prefers `text/html`) and its bundle under [`ASSET_PREFIX`], all embedded in
//! the binary (built from `router/graphiql` by its `build.mjs`; see the README), so the
//! explorer works without the internet and under a Content-Security-Policy that allows only
//! the router's own origin.
//!
//! Registered first in [`crate::plugins`], it answers in `on_http_request` and ends the
//! request there: the rate limit, persisted queries and the response cache never see page
//! or asset requests. Hive Router's own page (`laboratory`) is off in `router.yaml`, and
//! would be answered here first anyway.

mod assets;

use hive_router::executor::hooks::on_http_request::{
    OnHttpRequestHookFuture, OnHttpRequestHookPayload,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::{RouterPlugin, StartHookPayload};
use hive_router::ntex::http::header::{HeaderName, HeaderValue};
use hive_router::ntex::http::{Method, Response};
use hive_router::ntex::util::Bytes;
use serde::Deserialize;

use crate::settings::de_bool;

/// Where the bundle's files are served (`/graphiql/app-<hash>.js`, ...).
pub const ASSET_PREFIX: &str = "/graphiql/";

/// The query the explorer opens with: the README's example.
pub const DEFAULT_QUERY: &str = include_str!("../../../docs/example-query.graphql");

/// The headers the explorer opens with (JSON with comments, as GraphiQL reads them).
pub const DEFAULT_HEADERS: &str = "\
// Queries need an access token. Get one from a shell with
//   cargo run -q -- token
// (or `promptsales token`; `--email <user>` for a user), then paste it here:
//   {\"Authorization\": \"Bearer <token>\"}
{}
";

/// The page's Content-Security-Policy: the router's own origin only.
///
/// `style-src 'unsafe-inline'`: the Monaco editor writes its theme and layout rules into
/// `<style>` elements at run time (and React sets style attributes); scripts stay strict
/// (`'self'`, no inline script, no eval). `data:` fonts and images are the icon font and
/// the small images the packaged CSS inlines.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `Cache-Control` of the hashed assets: a file's name changes with its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One embedded file of the bundle.
#[derive(Debug)]
pub struct Asset {
    /// Its hashed file name, as requested under [`ASSET_PREFIX`].
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

/// The embedded file of that hashed name.
pub fn asset(name: &str) -> Option<&'static Asset> {
    assets::ASSETS.iter().find(|asset| asset.name == name)
}

/// Every embedded file (to report the bundle's size, and for tests).
pub fn all_assets() -> &'static [Asset] {
    assets::ASSETS
}

/// `plugins.promptsales_graphiql.config` in `router.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphiqlConfig {
    /// Serve the explorer (`PROMPTSALES_ROUTER_LABORATORY`, default `true`).
    #[serde(default = "default_enabled", deserialize_with = "de_bool")]
    pub enabled: bool,
}

fn default_enabled() -> bool {
    true
}

/// The plugin serving GraphiQL.
pub struct GraphiqlPlugin {
    graphql_path: String,
    page: Bytes,
}

/// What a request asks of this plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// The explorer's page.
    Page,
    /// A file of the bundle, by name (maybe unknown).
    Asset(&'a str),
    /// `/` from a browser: sent on to the explorer (Hive Router's landing page loads
    /// scripts and icons from third-party sites).
    Root,
    /// Not for this plugin.
    Other,
}

/// Decides what a request is for; `accept` is its `Accept` header.
pub fn route<'a>(graphql_path: &str, method: &Method, path: &'a str, accept: &str) -> Route<'a> {
    if method != Method::GET && method != Method::HEAD {
        return Route::Other;
    }
    if let Some(name) = path.strip_prefix(ASSET_PREFIX) {
        return Route::Asset(name);
    }
    if path == graphql_path && prefers_html(accept) {
        return Route::Page;
    }
    if path == "/" && graphql_path != "/" && prefers_html(accept) {
        return Route::Root;
    }
    Route::Other
}

/// Whether an `Accept` header prefers an HTML page to a GraphQL response: `text/html` has a
/// higher weight than any GraphQL media type (a browser's navigation), wildcards aside.
pub fn prefers_html(accept: &str) -> bool {
    let mut html = 0.0_f32;
    let mut graphql = 0.0_f32;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "text/html" => html = html.max(q),
            "application/json"
            | "application/graphql-response+json"
            | "text/event-stream"
            | "multipart/mixed" => graphql = graphql.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > graphql
}

/// The explorer's HTML: the bundle's files by their hashed names, and its settings in a JSON
/// data block (not a script: the CSP allows no inline script).
pub fn render_page(graphql_path: &str) -> String {
    let config = serde_json::json!({
        "endpoint": graphql_path,
        "query": DEFAULT_QUERY,
        "headers": DEFAULT_HEADERS,
    });
    // `<` escaped so that nothing in the settings can close the data block.
    let config = config.to_string().replace('<', "\\u003c");
    let p = ASSET_PREFIX;
    format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>PromptSales GraphiQL</title>
    <link rel="icon" type="image/svg+xml" href="{p}{icon}" />
    <link rel="stylesheet" href="{p}{css}" />
    <script id="graphiql-config" type="application/json">{config}</script>
    <script defer src="{p}{js}"></script>
  </head>
  <body>
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="graphiql">Loading GraphiQL...</div>
  </body>
</html>
"#,
        icon = assets::ICON,
        css = assets::APP_CSS,
        js = assets::APP_JS,
    )
}

fn header(response: &mut Response, name: &'static str, value: &'static str) {
    response.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    );
}

fn page_response(page: &Bytes, head: bool) -> Response {
    let mut response = Response::Ok().body(if head { Bytes::new() } else { page.clone() });
    header(&mut response, "content-type", "text/html; charset=utf-8");
    // The page names the current bundle: always revalidated, never kept stale.
    header(&mut response, "cache-control", "no-cache");
    header(
        &mut response,
        "content-security-policy",
        CONTENT_SECURITY_POLICY,
    );
    header(&mut response, "x-content-type-options", "nosniff");
    header(&mut response, "referrer-policy", "no-referrer");
    header(&mut response, "x-frame-options", "DENY");
    response
}

fn asset_response(name: &str, head: bool) -> Response {
    let Some(asset) = asset(name) else {
        let mut response = Response::NotFound().body("no such GraphiQL asset\n");
        header(&mut response, "content-type", "text/plain; charset=utf-8");
        header(&mut response, "cache-control", "no-store");
        return response;
    };
    let mut response = Response::Ok().body(if head { &[][..] } else { asset.body });
    header(&mut response, "content-type", asset.content_type);
    header(&mut response, "cache-control", IMMUTABLE);
    header(&mut response, "x-content-type-options", "nosniff");
    // The workers run under the page's policy only if they carry one themselves.
    header(
        &mut response,
        "content-security-policy",
        CONTENT_SECURITY_POLICY,
    );
    response
}

fn redirect_response(graphql_path: &str) -> Response {
    let mut response = Response::Found().finish();
    if let Ok(location) = HeaderValue::from_str(graphql_path) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("location"), location);
    }
    header(&mut response, "cache-control", "no-cache");
    response
}

#[hive_router::async_trait]
impl RouterPlugin for GraphiqlPlugin {
    type Config = GraphiqlConfig;

    fn plugin_name() -> &'static str {
        "promptsales_graphiql"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        if !config.enabled {
            return payload.disable_plugin();
        }
        let graphql_path = payload.router_config().graphql_path().to_string();
        let page = Bytes::from(render_page(&graphql_path));
        payload.initialize_plugin(Self { graphql_path, page })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            let request = &payload.router_http_request;
            let accept = request
                .headers()
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let method = request.method();
            let head = method == Method::HEAD;
            match route(&self.graphql_path, method, request.path(), accept) {
                Route::Page => payload.end_with_response(page_response(&self.page, head)),
                Route::Asset(name) => {
                    let response = asset_response(name, head);
                    payload.end_with_response(response)
                }
                Route::Root => payload.end_with_response(redirect_response(&self.graphql_path)),
                Route::Other => payload.proceed(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

    #[test]
    fn browsers_get_the_page_and_clients_the_api() {
        let get = Method::GET;
        assert_eq!(route("/graphql", &get, "/graphql", CHROME), Route::Page);
        assert_eq!(
            route("/graphql", &get, "/graphql", "text/html"),
            Route::Page
        );
        for accept in [
            "",
            "*/*",
            "application/json",
            "application/graphql-response+json, application/json;q=0.9",
            "text/html;q=0.5, application/json",
            "text/event-stream",
            "text/html, application/json",
        ] {
            assert_eq!(
                route("/graphql", &get, "/graphql", accept),
                Route::Other,
                "{accept}"
            );
        }
        assert_eq!(
            route("/graphql", &Method::POST, "/graphql", CHROME),
            Route::Other
        );
        assert_eq!(route("/graphql", &get, "/health", CHROME), Route::Other);
        assert_eq!(route("/graphql", &get, "/", CHROME), Route::Root);
        assert_eq!(route("/graphql", &get, "/", "*/*"), Route::Other);
        assert_eq!(
            route("/graphql", &Method::HEAD, "/graphiql/x.js", ""),
            Route::Asset("x.js")
        );
    }

    #[test]
    fn the_page_names_existing_assets_only() {
        let page = render_page("/graphql");
        let mut named = 0;
        for part in page.split(ASSET_PREFIX).skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(asset(name).is_some(), "{name} is embedded");
            named += 1;
        }
        assert_eq!(named, 3, "icon, stylesheet and script");
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(page.contains(r#""endpoint":"/graphql""#));
    }

    #[test]
    fn the_settings_cannot_close_their_block() {
        let page = render_page("/graphql</script><script>alert(1)</script>");
        assert_eq!(page.matches("</script>").count(), 2, "{page}");
    }

    #[test]
    fn the_page_opens_with_the_example_query_and_the_token_hint() {
        let page = render_page("/graphql");
        let start = page.find(r#"type="application/json">"#).unwrap() + 24;
        let end = start + page[start..].find("</script>").unwrap();
        let config: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(config["query"], DEFAULT_QUERY);
        assert!(DEFAULT_QUERY.contains("query CampaignOverview"));
        let headers = config["headers"].as_str().unwrap();
        assert!(headers.contains(r#"{"Authorization": "Bearer <token>"}"#));
        assert!(headers.contains("cargo run -q -- token"));
    }

    #[test]
    fn assets_are_hashed_and_nothing_in_them_is_fetched_from_elsewhere() {
        assert!(all_assets().len() >= 6, "app, css, icon and three workers");
        for asset in all_assets() {
            let (stem, _) = asset.name.rsplit_once('.').unwrap();
            let hash = stem.rsplit('-').next().unwrap();
            assert_eq!(hash.len(), 16, "{} has a content hash", asset.name);
            assert!(!asset.body.is_empty());
        }
        let css = asset(assets::APP_CSS).unwrap();
        let css = std::str::from_utf8(css.body).unwrap();
        assert!(!css.contains("url(http"), "the CSS loads nothing remote");
        assert!(asset("nope.js").is_none());
        assert!(asset("").is_none());
    }

    #[test]
    fn the_policy_allows_only_the_own_origin() {
        for directive in CONTENT_SECURITY_POLICY.split(';') {
            let sources = directive.split_whitespace().skip(1);
            for source in sources {
                assert!(
                    ["'self'", "'none'", "'unsafe-inline'", "data:"].contains(&source),
                    "{source} in {directive}"
                );
            }
        }
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self';"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-eval"));
    }
}
