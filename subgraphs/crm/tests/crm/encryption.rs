//! Personal data is ciphertext at rest; the blind index finds and de-duplicates e-mails.

use anyhow::{Context as _, Result};
use promptsales_crm::crypto::DataKey;
use promptsales_crm::crypto::key_file;
use promptsales_crm::store::InsertError;
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;
use sea_orm::{ConnectionTrait, Statement};

use super::support::{Backend, Harness, new_customer, test_kek};

pub async fn personal_data_is_only_ciphertext_at_rest(backend: Backend) -> Result<()> {
    let h = Harness::new(backend).await?;
    let org = new_id();
    let created = h
        .store
        .insert_customer(new_customer(org, "Lucia.Perez@Example.com"))
        .await?;
    let rows = h
        .db
        .query_all(Statement::from_string(
            h.db.get_database_backend(),
            "SELECT full_name_enc, email_enc, email_index, phone_enc, country, city, segment FROM customers",
        ))
        .await?;
    assert_eq!(rows.len(), 1);
    let mut stored = String::new();
    for column in [
        "full_name_enc",
        "email_enc",
        "email_index",
        "phone_enc",
        "country",
        "city",
        "segment",
    ] {
        let value: Option<String> = rows[0].try_get("", column)?;
        stored.push_str(&value.unwrap_or_default());
        stored.push('\n');
    }
    for secret in [
        "Lucía",
        "Pérez",
        "Perez",
        "lucia",
        "example.com",
        "600123456",
        "+34",
    ] {
        assert!(
            !stored.to_lowercase().contains(&secret.to_lowercase()),
            "{secret:?} is stored in clear:\n{stored}"
        );
    }
    for column in ["full_name_enc", "email_enc", "phone_enc"] {
        let value: String = rows[0].try_get("", column)?;
        assert!(
            value.starts_with("v2."),
            "{column} is not an envelope: {value}"
        );
    }
    // And it reads back in clear through the store.
    let read = h
        .store
        .customer(TenantScope::All, created.id)
        .await?
        .context("customer")?;
    assert_eq!(read.email, "lucia.perez@example.com");
    assert_eq!(read.full_name, "Lucía Pérez");
    assert_eq!(read.phone.as_deref(), Some("+34600123456"));
    Ok(())
}

pub async fn emails_are_unique_per_organization_through_the_blind_index(
    backend: Backend,
) -> Result<()> {
    let h = Harness::new(backend).await?;
    let (a, b) = (new_id(), new_id());
    h.store
        .insert_customer(new_customer(a, "ana@example.com"))
        .await?;
    let twin = h
        .store
        .insert_customer(new_customer(a, "  ANA@example.COM"))
        .await;
    assert!(matches!(twin, Err(InsertError::Conflict(_))), "{twin:?}");
    // Another tenant may know the same person.
    h.store
        .insert_customer(new_customer(b, "ana@example.com"))
        .await?;
    let found = h
        .store
        .customers_by_email(TenantScope::Organization(b), "ana@example.com")
        .await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].organization_id, b);
    assert_eq!(
        h.store
            .customers_by_email(TenantScope::All, "ana@example.com")
            .await?
            .len(),
        2
    );
    assert!(
        h.store
            .customers_by_email(TenantScope::Organization(a), "bea@example.com")
            .await?
            .is_empty()
    );
    Ok(())
}

#[test]
fn the_key_file_is_created_once_private_and_reused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("nested");
    let first = key_file::resolve(None, &data)?;
    let path = data.join(key_file::FILE_NAME);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(
        key_file::resolve(None, &data)?,
        first,
        "the same key on every start"
    );
    assert_eq!(
        key_file::resolve(Some(String::new()), &data)?,
        first,
        "an empty variable is unset"
    );
    let given = DataKey::from_bytes([7; 32]);
    assert_eq!(
        key_file::resolve(Some(given.to_base64()), &data)?,
        given,
        "the variable wins"
    );
    assert!(key_file::resolve(Some("not a key".into()), &data).is_err());
    assert!(
        std::fs::read_dir(&data)?.count() == 1,
        "no temporary file is left behind"
    );
    Ok(())
}

#[tokio::test]
async fn a_store_refuses_to_start_with_another_certificate() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
    let (store, db) = promptsales_crm::open_store_with(&url, test_kek(), None).await?;
    store
        .insert_customer(new_customer(new_id(), "ana@example.com"))
        .await?;
    db.close().await?;
    let (other, _, _) = promptsales_crm::crypto::KeyEncryptionKey::generate(2048)?;
    let err = match promptsales_crm::open_store_with(&url, other, None).await {
        Ok(_) => anyhow::bail!("opened with another certificate's key pair"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("wrapped for certificate key"), "{err}");
    promptsales_crm::open_store_with(&url, test_kek(), None).await?;
    Ok(())
}
