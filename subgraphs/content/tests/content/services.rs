//! The third-party service registry: credentials encrypted at rest, never returned, admins only.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Backend, Harness, admin, code, field, tenant};

contract!(credentials_are_unreadable_in_the_store_and_never_returned);

const REGISTER: &str = "mutation($input: RegisterThirdPartyServiceInput!) { registerThirdPartyService(input: $input) { id name kind provider hasCredential credentialHint } }";

async fn credentials_are_unreadable_in_the_store_and_never_returned(
    backend: Backend,
) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    let org = Uuid::now_v7();
    let secret = "sk-live-CANVA-0123456789abcdef";
    let input = |name: &str, kind: &str, provider: &str, credential: Option<&str>| json!({"input": {"name": name, "kind": kind, "provider": provider, "credential": credential, "baseUrl": "https://api.example.com"}});
    let registered = h
        .ok(
            &admin(org),
            REGISTER,
            input("Canva", "DESIGN", "canva", Some(secret)),
        )
        .await?;
    let service = &registered["registerThirdPartyService"];
    assert_eq!(service["credentialHint"], "••••cdef");
    assert_eq!(service["hasCredential"], true);
    assert!(!serde_json::to_string(&registered)?.contains("0123456789"));
    h.ok(
        &admin(org),
        REGISTER,
        input(
            "Meta",
            "SOCIAL",
            "meta_business_suite",
            Some("EAAB-meta-token-XYZ-987654"),
        ),
    )
    .await?;
    h.ok(
        &admin(org),
        REGISTER,
        input("Local model", "MODEL_PROVIDER", "ollama", None),
    )
    .await?;

    // The raw rows hold envelopes, not secrets.
    let rows =
        h.db.query_all(Statement::from_string(
            h.db.get_database_backend(),
            "SELECT credential_enc, credential_hint FROM third_party_services",
        ))
        .await?;
    assert_eq!(rows.len(), 3);
    for row in rows {
        let sealed: Option<String> = row.try_get("", "credential_enc")?;
        if let Some(sealed) = sealed {
            assert!(sealed.starts_with("v1."), "{sealed}");
            assert!(
                !sealed.contains("CANVA")
                    && !sealed.contains("0123456789")
                    && !sealed.contains("meta-token"),
                "{sealed}"
            );
        }
    }
    // The engine opens it for server-side calls only.
    let id = uuid::Uuid::parse_str(service["id"].as_str().unwrap_or(""))?;
    let scope = promptsales_kit::context::TenantScope::Organization(org);
    assert_eq!(
        h.engine
            .service_credential(scope, id)
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some(secret)
    );

    let listed = h
        .ok(
            &admin(org),
            "{ thirdPartyServices { name provider credentialHint hasCredential } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        listed["thirdPartyServices"],
        json!([
            {"name": "Canva", "provider": "canva", "credentialHint": "••••cdef", "hasCredential": true},
            {"name": "Local model", "provider": "ollama", "credentialHint": Value::Null, "hasCredential": false},
            {"name": "Meta", "provider": "meta_business_suite", "credentialHint": "••••7654", "hasCredential": true},
        ])
    );
    let rotated = h
        .ok(&admin(org), "mutation($id: ID!) { setThirdPartyServiceCredential(id: $id, credential: \"sk-live-rotated-000000009999\") { credentialHint } }", json!({"id": id.to_string()}))
        .await?;
    assert_eq!(
        rotated["setThirdPartyServiceCredential"]["credentialHint"],
        "••••9999"
    );

    let duplicate = h
        .gql(
            &admin(org),
            REGISTER,
            input("Canva", "DESIGN", "canva", None),
        )
        .await;
    assert_eq!(code(&duplicate), Some("CONFLICT"));
    let bad = h
        .gql(&admin(org), REGISTER, input("X", "DESIGN", "can va", None))
        .await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("input.provider"))
    );
    let writer = h
        .gql(
            &tenant(org),
            REGISTER,
            input("Adobe", "DESIGN", "adobe", Some("k")),
        )
        .await;
    assert_eq!(
        code(&writer),
        Some("FORBIDDEN"),
        "registering needs content:admin"
    );
    let writer = h
        .gql(&tenant(org), "{ thirdPartyServices { name } }", json!({}))
        .await;
    assert_eq!(code(&writer), Some("FORBIDDEN"));
    let other = h
        .ok(
            &admin(Uuid::now_v7()),
            "{ thirdPartyServices { name } }",
            json!({}),
        )
        .await?;
    assert_eq!(other["thirdPartyServices"], json!([]));
    let foreign = h
        .gql(&admin(Uuid::now_v7()), "mutation($id: ID!) { setThirdPartyServiceCredential(id: $id, credential: null) { id } }", json!({"id": id.to_string()}))
        .await;
    assert_eq!(code(&foreign), Some("NOT_FOUND"));
    Ok(())
}
