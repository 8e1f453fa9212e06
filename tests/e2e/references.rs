//! Issue 13, "every reference is checked against the caller's tenant": through the router, every
//! mutation argument naming an entity another subgraph owns (campaign, user, ad, media asset)
//! answers `NOT_FOUND` for another tenant's id, exactly as for an id that does not exist, and
//! writes nothing (every table of the four stores digested before and after); the caller's own
//! ids pass; an owner that cannot be reached gives `SERVICE_UNAVAILABLE` and writes nothing.

use serde_json::{Value, json};
use uuid::Uuid;

use super::fixture::{self, Fixture};
use super::harness::{bearer, error_codes};
use super::hostile::{digest, is_attempt_log};

type Digest = std::collections::BTreeMap<String, (i64, String)>;

async fn call(f: &Fixture, who: &[(&'static str, String)], query: &str, vars: Value) -> Value {
    f.router
        .post(query, vars, who)
        .await
        .expect("the router answers")
}

/// The first id of a connection `field` read as `who`.
async fn first_id(f: &Fixture, who: &[(&'static str, String)], field: &str) -> String {
    let query = format!("{{ {field}(first: 1) {{ edges {{ node {{ id }} }} }} }}");
    let answer = call(f, who, &query, json!({})).await;
    answer["data"][field]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id of {field}: {answer:#}"))
        .to_string()
}

/// The keys of tenant data whose rows changed between two digests.
fn changed(before: &Digest, after: &Digest) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| !is_attempt_log(k) && before.get(*k) != after.get(*k))
        .cloned()
        .collect()
}

const GENERATE: &str = "mutation($input: GenerateCampaignContentInput!) { generateCampaignContent(input: $input) { id } }";
const REGISTER: &str =
    "mutation($input: RegisterMediaAssetInput!) { registerMediaAsset(input: $input) { id } }";
const LINK: &str =
    "mutation($a: ID!, $c: ID!) { linkAssetToCampaign(assetId: $a, campaignId: $c) { id } }";
const CAPTURE: &str =
    "mutation($input: CaptureLeadInput!) { captureLead(input: $input) { lead { id } } }";
const CREATE_LEAD: &str = "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }";
const CREATE_SALE: &str = "mutation($input: CreateSaleInput!) { createSale(input: $input) { id } }";
const INTERACTION: &str =
    "mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { id } }";
const CREATE_AD: &str = "mutation($input: CreateAdInput!) { createAd(input: $input) { id } }";
const UPDATE_AD: &str =
    "mutation($id: ID!, $input: UpdateAdInput!) { updateAd(id: $id, input: $input) { id } }";
const LAUNCH: &str =
    "mutation($c: ID!, $ads: [AdLaunchInput!]!) { launchAds(campaignId: $c, ads: $ads) { id } }";

fn brief(campaign: &str) -> Value {
    json!({"input": {"campaignId": campaign, "campaignName": "Winter Summit",
        "keyMessage": "Gear that keeps climbing", "audiences": [{"name": "Weekend hikers"}],
        "channels": ["EMAIL"]}})
}

#[tokio::test]
async fn every_foreign_id_a_mutation_names_is_not_found_writes_nothing_and_own_ids_pass() {
    let f = fixture::start().await.expect("the graph starts");
    let a = bearer(&f.user_token(f.marketer_a, f.org_a, &fixture::ALL_WRITE));
    let b = bearer(&f.token(Some(f.org_b), &fixture::ALL_WRITE));
    // Org B's entities, each owned by another subgraph than the one org A's mutation goes to.
    let (campaign_b, ad_b, asset_b, user_b) = (
        f.campaign_b.to_string(),
        first_id(&f, &b, "ads").await,
        first_id(&f, &b, "mediaAssets").await,
        first_id(&f, &b, "users").await,
    );
    // Org A's own.
    let campaign_a = f.campaign_1.to_string();
    let (ad_a, asset_a, customer_a, lead_a) = (
        first_id(&f, &a, "ads").await,
        first_id(&f, &a, "mediaAssets").await,
        first_id(&f, &a, "customers").await,
        first_id(&f, &a, "leads").await,
    );
    let markets = call(&f, &a, "{ markets { id } }", json!({})).await;
    let market_a = markets["data"]["markets"][0]["id"]
        .as_str()
        .expect("org A's market")
        .to_string();
    let marketer_a = f.marketer_a.to_string();
    let missing = Uuid::now_v7().to_string();
    let today = chrono::Utc::now().date_naive();
    let ad_input = |campaign: &str, creatives: Vec<&str>| {
        json!({"input": {"marketId": market_a, "campaignId": campaign, "channel": "INSTAGRAM",
            "name": "Reference check", "dailyBudget": "1", "creativeIds": creatives,
            "startDate": (today + chrono::Duration::days(1)).to_string(),
            "endDate": (today + chrono::Duration::days(2)).to_string()}})
    };
    let lead_input = |campaign: &str, ad: Option<&str>, agent: Option<&str>| {
        json!({"input": {"campaignId": campaign, "customerId": customer_a, "source": "EMAIL",
            "stage": "IQL", "sourceAdId": ad, "assignedAgentId": agent}})
    };
    let capture_input = |campaign: &str, ad: Option<&str>| {
        json!({"input": {"campaignId": campaign, "email": "reference.check@example.test",
            "fullName": "Reference Check", "source": "EMAIL", "sourceAdId": ad}})
    };
    let launch_input = |creative: &str| {
        json!({"c": campaign_a, "ads": [{"marketId": market_a, "channel": "INSTAGRAM",
            "name": "Launch check", "dailyBudget": "1", "creativeIds": [creative],
            "startDate": (today + chrono::Duration::days(1)).to_string(),
            "endDate": (today + chrono::Duration::days(2)).to_string()}]})
    };

    // (argument, mutation, variables naming org B's entity, the same naming no entity at all)
    let foreign: Vec<(&str, &str, Value, Value)> = vec![
        (
            "generateCampaignContent input.campaignId",
            GENERATE,
            brief(&campaign_b),
            brief(&missing),
        ),
        (
            "registerMediaAsset input.campaignIds",
            REGISTER,
            json!({"input": {"kind": "IMAGE", "description": "x", "url": "https://example.com/x.png",
                "campaignIds": [campaign_a, campaign_b]}}),
            json!({"input": {"kind": "IMAGE", "description": "x", "url": "https://example.com/x.png",
                "campaignIds": [missing]}}),
        ),
        (
            "linkAssetToCampaign campaignId",
            LINK,
            json!({"a": asset_a, "c": campaign_b}),
            json!({"a": asset_a, "c": missing}),
        ),
        (
            "captureLead input.campaignId",
            CAPTURE,
            capture_input(&campaign_b, None),
            capture_input(&missing, None),
        ),
        (
            "captureLead input.sourceAdId",
            CAPTURE,
            capture_input(&campaign_a, Some(&ad_b)),
            capture_input(&campaign_a, Some(&missing)),
        ),
        (
            "createLead input.campaignId",
            CREATE_LEAD,
            lead_input(&campaign_b, None, None),
            lead_input(&missing, None, None),
        ),
        (
            "createLead input.sourceAdId",
            CREATE_LEAD,
            lead_input(&campaign_a, Some(&ad_b), None),
            lead_input(&campaign_a, Some(&missing), None),
        ),
        (
            "createLead input.assignedAgentId",
            CREATE_LEAD,
            lead_input(&campaign_a, None, Some(&user_b)),
            lead_input(&campaign_a, None, Some(&missing)),
        ),
        (
            "createSale input.campaignId",
            CREATE_SALE,
            json!({"input": {"campaignId": campaign_b, "customerId": customer_a, "amount": "10", "currency": "EUR"}}),
            json!({"input": {"campaignId": missing, "customerId": customer_a, "amount": "10", "currency": "EUR"}}),
        ),
        (
            "recordInteraction input.agentId",
            INTERACTION,
            json!({"input": {"leadId": lead_a, "actor": "AGENT", "agentId": user_b, "channel": "EMAIL",
                "direction": "OUTBOUND", "summary": "called"}}),
            json!({"input": {"leadId": lead_a, "actor": "AGENT", "agentId": missing, "channel": "EMAIL",
                "direction": "OUTBOUND", "summary": "called"}}),
        ),
        (
            "createAd input.campaignId",
            CREATE_AD,
            ad_input(&campaign_b, vec![]),
            ad_input(&missing, vec![]),
        ),
        (
            "createAd input.creativeIds",
            CREATE_AD,
            ad_input(&campaign_a, vec![&asset_b]),
            ad_input(&campaign_a, vec![&missing]),
        ),
        (
            "updateAd input.creativeIds",
            UPDATE_AD,
            json!({"id": ad_a, "input": {"creativeIds": [asset_b]}}),
            json!({"id": ad_a, "input": {"creativeIds": [missing]}}),
        ),
        (
            "launchAds ads[i].creativeIds",
            LAUNCH,
            launch_input(&asset_b),
            launch_input(&missing),
        ),
    ];
    let before = digest(&f.database_urls).await;
    let mut faults = Vec::new();
    for (argument, mutation, theirs, nobodys) in &foreign {
        let refused = call(&f, &a, mutation, theirs.clone()).await;
        let absent = call(&f, &a, mutation, nobodys.clone()).await;
        for (what, answer) in [("org B's id", &refused), ("a missing id", &absent)] {
            if error_codes(answer) != ["NOT_FOUND"] || !answer["data"].is_null() {
                faults.push(format!("{argument} with {what}: {answer}"));
            }
        }
        // The same answer as for an id that does not exist: only the id differs.
        let message = |answer: &Value| {
            answer["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .split(' ')
                .filter(|w| Uuid::parse_str(w).is_err())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if message(&refused) != message(&absent) {
            faults.push(format!("{argument}: {refused} differs from {absent}"));
        }
    }
    let after = digest(&f.database_urls).await;
    assert!(faults.is_empty(), "{faults:#?}");
    assert_eq!(
        changed(&before, &after),
        Vec::<String>::new(),
        "nothing was written"
    );

    // The caller's own ids pass every check.
    let own: Vec<(&str, &str, Value)> = vec![
        ("generateCampaignContent", GENERATE, brief(&campaign_a)),
        (
            "registerMediaAsset",
            REGISTER,
            json!({"input": {"kind": "IMAGE", "description": "own", "url": "https://example.com/own.png",
                "campaignIds": [campaign_a]}}),
        ),
        (
            "linkAssetToCampaign",
            LINK,
            json!({"a": asset_a, "c": f.campaign_2.to_string()}),
        ),
        (
            "captureLead",
            CAPTURE,
            capture_input(&campaign_a, Some(&ad_a)),
        ),
        (
            "createLead",
            CREATE_LEAD,
            lead_input(&campaign_a, Some(&ad_a), Some(&marketer_a)),
        ),
        (
            "createSale",
            CREATE_SALE,
            json!({"input": {"campaignId": campaign_a, "customerId": customer_a, "amount": "10", "currency": "EUR"}}),
        ),
        (
            "recordInteraction",
            INTERACTION,
            json!({"input": {"leadId": lead_a, "actor": "AGENT", "agentId": marketer_a, "channel": "EMAIL",
                "direction": "OUTBOUND", "summary": "called"}}),
        ),
        ("createAd", CREATE_AD, ad_input(&campaign_a, vec![&asset_a])),
        (
            "updateAd",
            UPDATE_AD,
            json!({"id": ad_a, "input": {"creativeIds": [asset_a]}}),
        ),
    ];
    for (mutation, query, vars) in own {
        let answer = call(&f, &a, query, vars).await;
        assert!(
            answer.get("errors").is_none(),
            "{mutation} with org A's own ids: {answer:#}"
        );
    }
}

#[tokio::test]
async fn an_owner_that_cannot_be_reached_is_service_unavailable_and_nothing_is_written() {
    let f = fixture::start().await.expect("the graph starts");
    let a = f.as_org_a();
    // Content asks sales at `PROMPTSALES_SALES_URL` (read per call): point it at a closed port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    promptsales_kit::testing::references_to(
        promptsales_kit::references::Owner::Sales,
        &format!("http://127.0.0.1:{port}/graphql"),
    );
    let before = digest(&f.database_urls).await;
    let answer = call(&f, &a, GENERATE, brief(&f.campaign_1.to_string())).await;
    assert_eq!(error_codes(&answer), ["SERVICE_UNAVAILABLE"], "{answer:#}");
    let registered = call(
        &f,
        &a,
        REGISTER,
        json!({"input": {"kind": "IMAGE", "description": "x", "url": "https://example.com/x.png",
            "campaignIds": [f.campaign_1.to_string()]}}),
    )
    .await;
    assert_eq!(
        error_codes(&registered),
        ["SERVICE_UNAVAILABLE"],
        "{registered:#}"
    );
    let after = digest(&f.database_urls).await;
    assert_eq!(
        changed(&before, &after),
        Vec::<String>::new(),
        "nothing was written"
    );
    // Back to the real sales: the same request passes.
    promptsales_kit::testing::references_to(
        promptsales_kit::references::Owner::Sales,
        &f.subgraph_urls[0],
    );
    let answer = call(&f, &a, GENERATE, brief(&f.campaign_1.to_string())).await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
}

/// crm's lead-capture webhook has no caller token: it checks the ids a capture names as the
/// signing secret's organization, with the platform's service client (`client_credentials`
/// narrowed to that organization). Against this graph's real sales and ads: another tenant's
/// ad as `sourceAdId`, and a missing one, are 404 `NOT_FOUND` naming `sourceAdId` with nothing
/// written; the organization's own ad is captured.
#[tokio::test]
async fn the_lead_webhook_checks_the_source_ad_against_ads_as_the_signing_organization() {
    use promptsales_crm::domain::webhook::{
        ORGANIZATION_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign,
    };
    use promptsales_sales::auth::store::OAuthClient;

    let f = fixture::start().await.expect("the graph starts");
    let (client_id, client_secret) = ("e2e-crm-webhook", "a-service-secret-for-e2e");
    f.auth
        .upsert_client(OAuthClient {
            id: promptsales_kit::new_id(),
            client_id: client_id.into(),
            secret_hash: promptsales_sales::auth::secret::hash_secret(client_secret).expect("hash"),
            name: "crm (platform service)".into(),
            organization_id: None,
            roles: vec!["sales:read".into(), "ads:read".into()],
            active: true,
        })
        .await
        .expect("the service client is registered");
    let identity = promptsales_kit::service_identity::ServiceIdentity::new(
        &format!("{}/oauth/token", f.sales_base),
        client_id,
        client_secret,
    );
    let webhook = promptsales_crm::webhook::routes_with(
        f.etl_sources.crm.clone(),
        promptsales_crm::Services::local(),
        promptsales_crm::webhook::WebhookConfig::new(300),
        Some(std::sync::Arc::new(identity)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!(
        "http://{}{}",
        listener.local_addr().expect("its address"),
        promptsales_crm::webhook::PATH
    );
    tokio::spawn(promptsales_kit::server::serve_on(
        listener,
        webhook,
        futures::future::pending(),
    ));

    let a = bearer(&f.user_token(f.marketer_a, f.org_a, &fixture::ALL_WRITE));
    let b = bearer(&f.token(Some(f.org_b), &fixture::ALL_WRITE));
    let (ad_a, ad_b) = (first_id(&f, &a, "ads").await, first_id(&f, &b, "ads").await);
    let admin = bearer(&f.token(Some(f.org_a), &["crm:admin"]));
    let rotated = call(
        &f,
        &admin,
        "mutation { rotateCrmWebhookSecret(graceSeconds: 0) { secret } }",
        json!({}),
    )
    .await;
    let secret = rotated["data"]["rotateCrmWebhookSecret"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("org A's webhook secret: {rotated:#}"))
        .to_string();
    let http = reqwest::Client::new();
    let capture = |source_ad: String, email: &'static str| {
        let (http, url, secret) = (&http, &url, &secret);
        let body =
            json!({"campaignId": f.campaign_1, "sourceAdId": source_ad, "source": "facebook",
            "fullName": "Carla Ruiz", "email": email, "message": "Hi!", "messageChannel": "chat"})
            .to_string();
        async move {
            let now = chrono::Utc::now().timestamp();
            let response = http
                .post(url)
                .header("content-type", "application/json")
                .header(TIMESTAMP_HEADER, now.to_string())
                .header(
                    SIGNATURE_HEADER,
                    sign(secret.as_bytes(), now, body.as_bytes()),
                )
                .header(ORGANIZATION_HEADER, f.org_a.to_string())
                .body(body)
                .send()
                .await
                .expect("crm's webhook answers");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    // Past the router's response cache: the webhook's writes do not go through the router.
    let mut fresh = a.clone();
    fresh.push(("cache-control", "no-store".to_string()));
    let leads = || async {
        let answer = call(
            &f,
            &fresh,
            "{ leads(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
        answer["data"]["leads"]["edges"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| panic!("org A's leads: {answer:#}"))
    };
    let before = leads().await;
    for (ad, why) in [
        (ad_b, "org B's ad"),
        (Uuid::now_v7().to_string(), "a missing ad"),
    ] {
        let (status, answer) = capture(ad, "mallory@example.com").await;
        assert_eq!(
            (status, answer["code"].as_str(), answer["field"].as_str()),
            (404, Some("NOT_FOUND"), Some("sourceAdId")),
            "{why}: {answer}"
        );
    }
    assert_eq!(leads().await, before, "nothing written");
    let (status, answer) = capture(ad_a, "carla@example.com").await;
    assert_eq!(status, 200, "org A's own ad: {answer}");
    assert_eq!(leads().await, before + 1, "the capture is written");
}
