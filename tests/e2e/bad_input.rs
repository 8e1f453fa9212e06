//! Bad input through the router: a clear error with a stable code, nothing written, no panic.

use serde_json::{Value, json};

use super::fixture::{self, Fixture};
use super::harness::{data, error_codes};

const CREATE: &str = r#"
mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }"#;

fn campaign_input(f: &Fixture, budget: &str, start: &str, end: &str) -> Value {
    json!({ "input": {
        "organizationId": f.org_a.to_string(),
        "ownerId": f.marketer_a.to_string(),
        "name": "Autumn Peaks",
        "budget": budget,
        "currency": "EUR",
        "startDate": start,
        "endDate": end,
    }})
}

async fn campaign_count(f: &Fixture) -> usize {
    let response = f
        .router
        .post(
            "{ campaigns(first: 100) { edges { node { id } } } }",
            json!({}),
            &f.as_org_a(),
        )
        .await
        .expect("query");
    data(&response)["campaigns"]["edges"]
        .as_array()
        .map_or(0, Vec::len)
}

fn field_of(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["field"].as_str()
}

#[tokio::test]
async fn every_kind_of_bad_input_gets_its_code_and_writes_nothing() {
    let f = fixture::start().await.expect("the graph starts");
    let headers = f.as_org_a();
    let before = campaign_count(&f).await;

    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "malformed query",
            "{ organizations { edges ",
            json!({}),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "unknown field",
            "{ organizations { edges { node { nope } } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "wrong variable type",
            "query($first: Int) { organizations(first: $first) { edges { node { id } } } }",
            json!({ "first": "ten" }),
            "BAD_USER_INPUT",
        ),
        (
            "invalid id",
            r#"{ campaign(id: "42") { name } }"#,
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "page too large",
            "{ campaigns(first: 5000) { edges { node { id } } } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
    ];
    for (what, query, variables, code) in cases {
        let response = f.router.post(query, variables, &headers).await.expect(what);
        assert_eq!(
            error_codes(&response),
            vec![code.to_string()],
            "{what}: {response:#}"
        );
        if code == "GRAPHQL_VALIDATION_FAILED" {
            // The router's error-codes plugin keeps the failed rule beside the standard code.
            assert_eq!(
                response["errors"][0]["extensions"]["rule"], "FieldsOnCorrectType",
                "{response:#}"
            );
        }
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(!message.is_empty(), "{what}: an error a person can read");
    }

    let negative = f
        .router
        .post(
            CREATE,
            campaign_input(&f, "-5", "2026-11-01", "2026-11-30"),
            &headers,
        )
        .await
        .expect("mutation");
    assert_eq!(
        error_codes(&negative),
        vec!["BAD_USER_INPUT"],
        "{negative:#}"
    );
    assert_eq!(field_of(&negative), Some("input.budget"), "{negative:#}");

    let reversed = f
        .router
        .post(
            CREATE,
            campaign_input(&f, "100", "2026-11-30", "2026-11-01"),
            &headers,
        )
        .await
        .expect("mutation");
    assert_eq!(
        error_codes(&reversed),
        vec!["BAD_USER_INPUT"],
        "{reversed:#}"
    );
    assert_eq!(field_of(&reversed), Some("input.endDate"), "{reversed:#}");

    let bad_money = f
        .router
        .post(
            CREATE,
            campaign_input(&f, "12.345678", "2026-11-01", "2026-11-30"),
            &headers,
        )
        .await
        .expect("mutation");
    assert_eq!(
        error_codes(&bad_money),
        vec!["BAD_USER_INPUT"],
        "{bad_money:#}"
    );

    assert_eq!(
        campaign_count(&f).await,
        before,
        "a refused mutation wrote nothing"
    );

    // And a good one goes through, so the refusals above were about the input.
    let created = f
        .router
        .post(
            CREATE,
            campaign_input(&f, "100", "2026-11-01", "2026-11-30"),
            &headers,
        )
        .await
        .expect("mutation");
    data(&created);
    assert_eq!(campaign_count(&f).await, before + 1);
}
