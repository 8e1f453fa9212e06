//! Export and erasure on request (GDPR/CCPA): everything held, then nothing personal; reports intact.

use anyhow::{Context as _, Result};
use promptsales_kit::context::Role;
use promptsales_kit::new_id;
use serde_json::json;

use super::support::{Backend, Harness, as_org, as_user, error_code};

const REPORTS: &str = "query($reps: [_Any!]!) {
    campaignConversionRanking { campaign { id } leads won rank conversionRate }
    revenueByChannel { source revenue { amount currency } sales }
    crmCampaignTotals { campaign { id } leads qualified won lost customers sales revenue { amount } }
    _entities(representations: $reps) { ... on Campaign { leadFunnel { iql mql sql opportunity won lost total } revenue { amount } salesCount } } }";

pub async fn export_returns_everything_and_erasure_keeps_reports(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org, campaign) = (new_id(), new_id());
    let capture = |email: &str, name: &str| {
        json!({"input": {"campaignId": campaign, "source": "TIKTOK", "fullName": name, "email": email,
            "phone": "+34 611 222 333", "city": "Sevilla", "country": "ES", "latitude": 37.3891, "longitude": -5.9845,
            "message": format!("{name} wants a demo"), "messageChannel": "WHATSAPP"}})
    };
    const CAPTURE: &str = "mutation($input: CaptureLeadInput!) { captureLead(input: $input) { customer { id } lead { id version } } }";
    let gone = h
        .data(
            as_org(org),
            CAPTURE,
            capture("erin@example.com", "Erin Gray"),
        )
        .await?;
    let stays = h
        .data(
            as_org(org),
            CAPTURE,
            capture("sam@example.com", "Sam Stone"),
        )
        .await?;
    let customer = gone["captureLead"]["customer"]["id"]
        .as_str()
        .context("id")?
        .to_string();
    let lead = gone["captureLead"]["lead"]["id"]
        .as_str()
        .context("lead")?
        .to_string();
    // Erin buys: the lead is won and a sale recorded.
    for (stage, version) in [("MQL", 1), ("SQL", 2), ("OPPORTUNITY", 3), ("WON", 4)] {
        h.data(
            as_org(org),
            "mutation($input: MoveLeadStageInput!) { moveLeadStage(input: $input) { version } }",
            json!({"input": {"leadId": lead, "expectedVersion": version, "stage": stage}}),
        )
        .await?;
    }
    h.data(
        as_org(org),
        "mutation($input: CreateSaleInput!) { createSale(input: $input) { id } }",
        json!({"input": {"customerId": customer, "campaignId": campaign, "leadId": lead, "amount": "499.90", "currency": "EUR"}}),
    )
    .await?;
    assert!(stays["captureLead"]["customer"]["id"].is_string());

    let export = h
        .data(
            as_org(org),
            "query($id: ID!) { customerDataExport(id: $id) {
                customer { fullName email phone city latitude consentMarketing }
                leads { id stage source } stageChanges { fromStage toStage }
                interactions { channel summary } sales { amount { amount currency } } exportedAt } }",
            json!({"id": customer}),
        )
        .await?;
    let export = &export["customerDataExport"];
    assert_eq!(export["customer"]["fullName"], "Erin Gray");
    assert_eq!(export["customer"]["email"], "erin@example.com");
    assert_eq!(export["customer"]["phone"], "+34611222333");
    assert_eq!(export["customer"]["city"], "Sevilla");
    assert_eq!(
        export["leads"],
        json!([{"id": lead, "stage": "WON", "source": "TIKTOK"}])
    );
    assert_eq!(
        export["stageChanges"].as_array().map(Vec::len),
        Some(5),
        "creation and four moves"
    );
    assert_eq!(
        export["interactions"],
        json!([{"channel": "WHATSAPP", "summary": "Erin Gray wants a demo"}])
    );
    assert_eq!(
        export["sales"],
        json!([{"amount": {"amount": "499.90", "currency": "EUR"}}])
    );

    let reps = json!({"reps": [{"__typename": "Campaign", "id": campaign}]});
    let before = h.data(as_org(org), REPORTS, reps.clone()).await?;

    // Erasure is an admin action.
    let writer = h
        .run(
            as_user(org, new_id(), Role::Write),
            "mutation($id: ID!) { eraseCustomer(id: $id) { id } }",
            json!({"id": customer}),
        )
        .await;
    assert_eq!(error_code(&writer).0, "FORBIDDEN");
    let erased = h
        .data(
            as_org(org),
            "mutation($id: ID!) { eraseCustomer(id: $id) { id fullName email phone city latitude erasedAt country } }",
            json!({"id": customer}),
        )
        .await?;
    let erased = &erased["eraseCustomer"];
    assert_eq!(
        (erased["fullName"].as_str(), erased["email"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(
        (
            erased["phone"].clone(),
            erased["city"].clone(),
            erased["latitude"].clone()
        ),
        (json!(null), json!(null), json!(null))
    );
    assert!(erased["erasedAt"].is_string());
    assert_eq!(erased["country"], "ES", "a country is an anonymous fact");

    // The store holds nothing of Erin's any more (read raw, no decryption).
    let mut stored = String::new();
    for row in h
        .rows("SELECT full_name_enc, email_enc, phone_enc, city FROM customers")
        .await?
    {
        for column in ["full_name_enc", "email_enc", "phone_enc", "city"] {
            stored.push_str(
                &row.try_get::<Option<String>>("", column)?
                    .unwrap_or_default(),
            );
        }
    }
    for row in h.rows("SELECT summary_enc FROM interactions").await? {
        stored.push_str(
            &row.try_get::<Option<String>>("", "summary_enc")?
                .unwrap_or_default(),
        );
    }
    assert!(!stored.contains("Erin") && !stored.contains("erin"));
    assert_eq!(
        h.rows("SELECT id FROM interactions WHERE summary_enc IS NOT NULL")
            .await?
            .len(),
        1,
        "Sam's summary stays"
    );
    let lookup = h
        .data(
            as_org(org),
            "{ customerByEmail(email: \"erin@example.com\") { id } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        lookup["customerByEmail"],
        json!(null),
        "no longer findable by e-mail"
    );
    let after = h.data(as_org(org), REPORTS, reps).await?;
    assert_eq!(after, before, "reports are unchanged by erasure");
    let export = h
        .data(as_org(org), "query($id: ID!) { customerDataExport(id: $id) { customer { email } interactions { summary } leads { stage } } }", json!({"id": customer}))
        .await?;
    assert_eq!(
        export["customerDataExport"]["interactions"],
        json!([{"summary": null}])
    );
    assert_eq!(
        export["customerDataExport"]["leads"],
        json!([{"stage": "WON"}])
    );

    // If Erin comes back, she is a new customer.
    let back = h
        .data(
            as_org(org),
            "mutation($input: CaptureLeadInput!) { captureLead(input: $input) { newCustomer } }",
            capture("erin@example.com", "Erin Gray"),
        )
        .await?;
    assert_eq!(back["captureLead"]["newCustomer"], true);
    let missing = h
        .run(
            as_org(new_id()),
            "mutation($id: ID!) { eraseCustomer(id: $id) { id } }",
            json!({"id": customer}),
        )
        .await;
    assert_eq!(error_code(&missing).0, "NOT_FOUND");
    Ok(())
}
