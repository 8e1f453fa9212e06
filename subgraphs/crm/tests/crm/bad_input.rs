//! Bad input is refused with a stable code (and the field at fault), and writes nothing.

use anyhow::Result;
use serde_json::{Value, json};

use super::support::{Backend, Harness, as_org, error_code, new_customer, new_lead, unscoped};
use promptsales_crm::store::LeadStage;
use promptsales_kit::RequestContext;
use promptsales_kit::new_id;

const CREATE_CUSTOMER: &str =
    "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }";
const CREATE_LEAD: &str = "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }";
const CREATE_SALE: &str = "mutation($input: CreateSaleInput!) { createSale(input: $input) { id } }";

struct Case {
    name: &'static str,
    context: RequestContext,
    query: &'static str,
    variables: Value,
    code: &'static str,
    field: Option<&'static str>,
}

pub async fn bad_input_is_refused_with_a_code_and_writes_nothing(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (org_a, org_b, campaign) = (new_id(), new_id(), new_id());
    let a = h
        .store
        .insert_customer(new_customer(org_a, "ana@example.com"))
        .await?;
    let a2 = h
        .store
        .insert_customer(new_customer(org_a, "alex@example.com"))
        .await?;
    let b = h
        .store
        .insert_customer(new_customer(org_b, "bea@example.com"))
        .await?;
    h.store
        .insert_lead(new_lead(org_a, a.id, campaign, LeadStage::Won))
        .await?;
    let lead_a2 = h
        .store
        .insert_lead(new_lead(org_a, a2.id, campaign, LeadStage::Won))
        .await?;
    let lead_b = h
        .store
        .insert_lead(new_lead(org_b, b.id, campaign, LeadStage::Won))
        .await?;

    let customer = |extra: Value| {
        let mut input = json!({"fullName": "Eva Example", "email": "eva@example.com"});
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        json!({ "input": input })
    };
    let lead = |extra: Value| {
        let mut input = json!({"customerId": a.id, "campaignId": campaign, "source": "WEB"});
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        json!({ "input": input })
    };
    let sale = |extra: Value| {
        let mut input =
            json!({"customerId": a.id, "campaignId": campaign, "amount": "10", "currency": "EUR"});
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        json!({ "input": input })
    };
    let org = || as_org(org_a);
    let case = |name, context, query, variables, code, field| Case {
        name,
        context,
        query,
        variables,
        code,
        field,
    };
    let cases = vec![
        case(
            "invalid id",
            org(),
            "{ customer(id: \"42\") { id } }",
            json!({}),
            "BAD_USER_INPUT",
            Some("id"),
        ),
        case(
            "invalid id in input",
            org(),
            CREATE_LEAD,
            lead(json!({"customerId": "x"})),
            "BAD_USER_INPUT",
            Some("input.customerId"),
        ),
        case(
            "negative money",
            org(),
            CREATE_SALE,
            sale(json!({"amount": "-5"})),
            "BAD_USER_INPUT",
            Some("input.amount"),
        ),
        case(
            "zero money",
            org(),
            CREATE_SALE,
            sale(json!({"amount": "0"})),
            "BAD_USER_INPUT",
            Some("input.amount"),
        ),
        case(
            "negative lifetime value",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"lifetimeValue": "-1"})),
            "BAD_USER_INPUT",
            Some("input.lifetimeValue"),
        ),
        case(
            "money finer than 4 places",
            org(),
            CREATE_SALE,
            sale(json!({"amount": "1.23456"})),
            "BAD_USER_INPUT",
            None,
        ),
        case(
            "currency not ISO",
            org(),
            CREATE_SALE,
            sale(json!({"currency": "euro"})),
            "BAD_USER_INPUT",
            Some("input.currency"),
        ),
        case(
            "sale closed in the future",
            org(),
            CREATE_SALE,
            sale(json!({"closedAt": "2999-01-01T00:00:00Z"})),
            "BAD_USER_INPUT",
            Some("input.closedAt"),
        ),
        case(
            "interaction in the future",
            org(),
            CREATE_LEAD,
            lead(json!({"lastInteractionAt": "2999-01-01T00:00:00Z"})),
            "BAD_USER_INPUT",
            Some("input.lastInteractionAt"),
        ),
        case(
            "score above 100",
            org(),
            CREATE_LEAD,
            lead(json!({"score": 101})),
            "BAD_USER_INPUT",
            Some("input.score"),
        ),
        case(
            "intent above 1",
            org(),
            CREATE_LEAD,
            lead(json!({"purchaseIntent": 1.5})),
            "BAD_USER_INPUT",
            Some("input.purchaseIntent"),
        ),
        case(
            "latitude out of range",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"latitude": 91.0, "longitude": 0.0})),
            "BAD_USER_INPUT",
            Some("input.latitude"),
        ),
        case(
            "latitude without longitude",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"latitude": 10.0})),
            "BAD_USER_INPUT",
            Some("input.longitude"),
        ),
        case(
            "not an email",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"email": "eva.example.com"})),
            "BAD_USER_INPUT",
            Some("input.email"),
        ),
        case(
            "unknown country",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"country": "XX"})),
            "BAD_USER_INPUT",
            Some("input.country"),
        ),
        case(
            "phone without country code",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"phone": "600 123 456"})),
            "BAD_USER_INPUT",
            Some("input.phone"),
        ),
        case(
            "blank name",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"fullName": "  "})),
            "BAD_USER_INPUT",
            Some("input.fullName"),
        ),
        case(
            "duplicate email, other case",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"email": " ANA@example.com"})),
            "CONFLICT",
            None,
        ),
        case(
            "customer of another tenant",
            org(),
            CREATE_LEAD,
            lead(json!({"customerId": b.id})),
            "NOT_FOUND",
            None,
        ),
        case(
            "sale for another tenant's customer",
            org(),
            CREATE_SALE,
            sale(json!({"customerId": b.id})),
            "NOT_FOUND",
            None,
        ),
        case(
            "lead of another tenant",
            org(),
            CREATE_SALE,
            sale(json!({"leadId": lead_b.id})),
            "NOT_FOUND",
            None,
        ),
        case(
            "lead of another customer",
            org(),
            CREATE_SALE,
            sale(json!({"leadId": lead_a2.id})),
            "BAD_USER_INPUT",
            Some("input.leadId"),
        ),
        case(
            "writing into another tenant",
            org(),
            CREATE_CUSTOMER,
            customer(json!({"organizationId": org_b})),
            "NOT_FOUND",
            None,
        ),
        case(
            "no tenant to write into",
            unscoped(),
            CREATE_CUSTOMER,
            customer(json!({})),
            "BAD_USER_INPUT",
            Some("input.organizationId"),
        ),
        case(
            "page too large",
            org(),
            "{ customers(first: 500) { edges { cursor } } }",
            json!({}),
            "BAD_USER_INPUT",
            Some("first"),
        ),
        case(
            "forged cursor",
            org(),
            "{ leads(after: \"!!\") { edges { cursor } } }",
            json!({}),
            "BAD_USER_INPUT",
            Some("after"),
        ),
        case(
            "unknown filter country",
            org(),
            "{ customers(filter: {country: \"Spain\"}) { edges { cursor } } }",
            json!({}),
            "BAD_USER_INPUT",
            Some("filter.country"),
        ),
        case(
            "bad email lookup",
            org(),
            "{ customerByEmail(email: \"nope\") { id } }",
            json!({}),
            "BAD_USER_INPUT",
            Some("email"),
        ),
        case(
            "unknown field",
            org(),
            "{ customers { edges { node { shoeSize } } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            None,
        ),
        case(
            "unknown enum value",
            org(),
            "{ leads(filter: {stage: [DONE]}) { edges { cursor } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            None,
        ),
        // async-graphql checks variable values while validating, so the kit codes them as validation failures.
        case(
            "wrong variable type",
            org(),
            "query($first: Int) { customers(first: $first) { edges { cursor } } }",
            json!({"first": "many"}),
            "GRAPHQL_VALIDATION_FAILED",
            None,
        ),
        case(
            "wrong input object type",
            org(),
            CREATE_LEAD,
            lead(json!({"score": "high"})),
            "GRAPHQL_VALIDATION_FAILED",
            None,
        ),
        case(
            "malformed query",
            org(),
            "{ customers(first: 2) { edges { node { id }",
            json!({}),
            "GRAPHQL_PARSE_FAILED",
            None,
        ),
    ];

    for case in cases {
        let before = h.counts().await?;
        let response = h.run(case.context, case.query, case.variables).await;
        let (code, field) = error_code(&response);
        assert_eq!(code, case.code, "{}: {:?}", case.name, response.errors);
        if let Some(expected) = case.field {
            assert_eq!(
                field.as_deref(),
                Some(expected),
                "{}: {:?}",
                case.name,
                response.errors
            );
        }
        assert_eq!(h.counts().await?, before, "{} wrote something", case.name);
    }
    Ok(())
}
