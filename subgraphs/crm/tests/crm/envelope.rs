//! Envelope encryption: data keys wrapped by the certificate, rotation, batched re-encryption, legacy rows.

use anyhow::{Context as _, Result};
use promptsales_crm::crypto::{DataKey, Field, PersonalDataCipher};
use promptsales_crm::store::{Actor, Direction, InteractionChannel, LeadStage, NewInteraction};
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;
use sea_orm::{ConnectionTrait, Statement, Value};

use super::support::{Backend, Harness, fresh_url, new_customer, new_lead, test_kek};

/// `data_key_id` of every customer, and the key ids their e-mail envelopes name.
async fn customer_keys(h: &Harness) -> Result<Vec<(Option<String>, String)>> {
    let mut keys = Vec::new();
    for row in h
        .rows("SELECT data_key_id, email_enc FROM customers ORDER BY id")
        .await?
    {
        let id: Option<String> = row.try_get("", "data_key_id")?;
        let envelope: String = row.try_get("", "email_enc")?;
        let named = envelope.split('.').nth(1).unwrap_or_default().to_string();
        keys.push((id, named));
    }
    Ok(keys)
}

pub async fn rotation_reencrypts_in_batches_while_old_rows_stay_readable(
    backend: Backend,
) -> Result<()> {
    let h = Harness::new(backend).await?;
    let org = new_id();
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = h
            .store
            .insert_customer(new_customer(org, &format!("person{i}@example.com")))
            .await?;
        ids.push(c.id);
    }
    let lead = h
        .store
        .insert_lead(new_lead(org, ids[0], new_id(), LeadStage::Iql))
        .await?;
    h.store
        .record_interaction(
            TenantScope::Organization(org),
            NewInteraction {
                lead_id: lead.id,
                channel: InteractionChannel::Whatsapp,
                direction: Direction::Inbound,
                actor: Actor::Agent,
                agent_id: None,
                summary: Some("asked about the Madrid store opening".into()),
                sentiment: Some(0.5),
                occurred_at: chrono::Utc::now(),
            },
        )
        .await?;
    let before = h.store.key_status().await?;
    let first = before.active_key_id.clone();
    assert_eq!(before.data_keys.len(), 1);
    assert_eq!(before.data_keys[0].customers, 5);
    assert_eq!(before.data_keys[0].interactions, 1);
    assert!(
        customer_keys(&h)
            .await?
            .iter()
            .all(|(id, named)| id.as_deref() == Some(&first) && *named == first),
        "every row records the data key that sealed it"
    );
    // The stored data key is only ever wrapped: 3072/2048-bit RSA-OAEP output, not 32 raw bytes.
    let wrapped = h
        .rows("SELECT wrapped_key, kek_fingerprint FROM crm_data_keys")
        .await?;
    assert_eq!(wrapped.len(), 2, "one data key and the blind-index key");
    for row in &wrapped {
        let text: String = row.try_get("", "wrapped_key")?;
        assert!(
            text.len() > 300,
            "a wrapped key is an RSA ciphertext, got {} chars",
            text.len()
        );
        let fingerprint: String = row.try_get("", "kek_fingerprint")?;
        assert_eq!(fingerprint, test_kek().fingerprint());
    }

    let second = h.store.rotate_data_key().await?;
    assert_ne!(second, first);
    let newcomer = h
        .store
        .insert_customer(new_customer(org, "newcomer@example.com"))
        .await?;
    let keys = customer_keys(&h).await?;
    assert_eq!(
        keys.iter()
            .filter(|(id, _)| id.as_deref() == Some(second.as_str()))
            .count(),
        1,
        "new writes use the new key, old rows are not rewritten at once"
    );
    // Old rows stay readable meanwhile.
    let read = h.store.customers_by_ids(TenantScope::All, &ids).await?;
    assert_eq!(read.len(), 5);
    assert!(read.iter().all(|c| c.email.starts_with("person")));

    let batch = h.store.reencrypt_batch(2).await?;
    assert_eq!((batch.customers, batch.interactions), (2, 0));
    assert_eq!(batch.remaining, 4, "3 customers and 1 interaction left");
    let mut rounds = 1;
    loop {
        let report = h.store.reencrypt_batch(2).await?;
        rounds += 1;
        if report.remaining == 0 {
            break;
        }
        anyhow::ensure!(rounds < 10, "re-encryption does not converge: {report:?}");
    }
    assert!(
        customer_keys(&h)
            .await?
            .iter()
            .all(|(id, named)| id.as_deref() == Some(second.as_str()) && *named == second)
    );
    let status = h.store.key_status().await?;
    assert_eq!(status.active_key_id, second);
    let old = status
        .data_keys
        .iter()
        .find(|k| k.id == first)
        .context("old key")?;
    assert_eq!((old.customers, old.interactions, old.active), (0, 0, false));
    // Everything still opens, and the blind index survived the rotation.
    let all = h.store.customers_by_ids(TenantScope::All, &ids).await?;
    assert!(all.iter().all(|c| c.full_name == "Lucía Pérez"));
    let found = h
        .store
        .customers_by_email(TenantScope::Organization(org), "person3@example.com")
        .await?;
    assert_eq!(found.len(), 1);
    let history = h
        .store
        .interactions_of_leads(TenantScope::All, &[lead.id], 5)
        .await?;
    assert_eq!(
        history[&lead.id][0].summary.as_deref(),
        Some("asked about the Madrid store opening")
    );
    assert!(
        h.store
            .customer(TenantScope::All, newcomer.id)
            .await?
            .is_some()
    );
    Ok(())
}

pub async fn legacy_rows_open_with_the_old_key_and_move_to_envelopes(
    backend: Backend,
) -> Result<()> {
    let (url, _dir) = fresh_url(backend).await?;
    let db =
        promptsales_kit::db::connect_and_migrate::<promptsales_migrations::crm::Migrator>(&url)
            .await?;
    // A row as the single-key format wrote it (no data_key_id, v1 envelopes, the old index).
    let legacy = DataKey::from_bytes([42; 32]);
    let old = PersonalDataCipher::new(&legacy)?;
    let (id, org) = (new_id(), new_id());
    let now = chrono::Utc::now();
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO customers (id, organization_id, full_name_enc, email_enc, email_index, lifetime_value, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
        [
            Value::from(id),
            Value::from(org),
            Value::from(old.seal(Field::FullName, id, "Old Timer")?),
            Value::from(old.seal(Field::Email, id, "old@example.com")?),
            Value::from(old.email_index("old@example.com")),
            Value::from(now),
        ],
    ))
    .await?;
    db.close().await?;

    let refused = match promptsales_crm::open_store_with(&url, test_kek(), None).await {
        Ok(_) => anyhow::bail!("opened legacy rows without the legacy key"),
        Err(e) => format!("{e:#}"),
    };
    assert!(refused.contains("legacy data key"), "{refused}");

    let (store, db) =
        promptsales_crm::open_store_with(&url, test_kek(), Some(legacy.clone())).await?;
    let read = store
        .customer(TenantScope::All, id)
        .await?
        .context("legacy row")?;
    assert_eq!(
        (read.full_name.as_str(), read.email.as_str()),
        ("Old Timer", "old@example.com")
    );
    assert_eq!(
        store
            .customers_by_email(TenantScope::Organization(org), "old@example.com")
            .await?
            .len(),
        1,
        "the blind index keeps the legacy derivation"
    );
    assert_eq!(store.key_status().await?.legacy_rows, 1);
    let report = store.reencrypt_batch(100).await?;
    assert_eq!((report.customers, report.remaining), (1, 0));
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT email_enc, data_key_id FROM customers",
        ))
        .await?
        .context("row")?;
    let envelope: String = row.try_get("", "email_enc")?;
    assert!(envelope.starts_with("v2."), "{envelope}");
    assert!(row.try_get::<Option<String>>("", "data_key_id")?.is_some());
    db.close().await?;
    // Once moved, the legacy key is no longer needed.
    let (store, _db) = promptsales_crm::open_store_with(&url, test_kek(), None).await?;
    assert_eq!(
        store
            .customer(TenantScope::All, id)
            .await?
            .context("row")?
            .full_name,
        "Old Timer"
    );
    Ok(())
}

#[tokio::test]
async fn a_certificate_rotation_rewraps_the_data_keys() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
    let old = test_kek();
    let (store, db) = promptsales_crm::open_store_with(&url, old.clone(), None).await?;
    let org = new_id();
    let ana = store
        .insert_customer(super::support::new_customer(org, "ana@example.com"))
        .await?;
    drop(store);
    let (new, _, _) = promptsales_crm::crypto::KeyEncryptionKey::generate(2048)?;
    let moved =
        promptsales_crm::store::sea::keys::rewrap(&db, &old, &new, chrono::Utc::now()).await?;
    assert_eq!(moved, 2, "the index key and the data key");
    assert_eq!(
        promptsales_crm::store::sea::keys::rewrap(&db, &old, &new, chrono::Utc::now()).await?,
        0,
        "idempotent"
    );
    db.close().await?;
    let (store, _db) = promptsales_crm::open_store_with(&url, new, None).await?;
    let read = store
        .customer(TenantScope::All, ana.id)
        .await?
        .context("ana")?;
    assert_eq!(read.email, "ana@example.com");
    assert_eq!(
        store
            .customers_by_email(TenantScope::Organization(org), "ana@example.com")
            .await?
            .len(),
        1
    );
    drop(store);
    assert!(
        promptsales_crm::open_store_with(&url, old, None)
            .await
            .is_err(),
        "the old certificate no longer opens the keys"
    );
    Ok(())
}
