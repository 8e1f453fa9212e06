//! `promptsales migrate` and `promptsales seed` against PostgreSQL, the production-like store.

use promptsales_kit::testing::postgres;

use super::harness::promptsales_bin;

fn run(args: &[&str], urls: &[(String, String)]) -> (bool, String) {
    let output = std::process::Command::new(promptsales_bin())
        .args(args)
        .envs(urls.iter().cloned())
        .env("PROMPTSALES_LOG", "warn")
        .output()
        .expect("running promptsales");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn migrate_and_seed_fill_four_postgres_stores_once() {
    let pg = postgres().await;
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut env = vec![(
        "PROMPTSALES_DATA_DIR".to_string(),
        data_dir.path().display().to_string(),
    )];
    for name in ["sales", "ads", "crm", "content"] {
        let url = pg
            .fresh_database(&format!("cmd_{name}"))
            .await
            .expect("database");
        env.push((
            format!("PROMPTSALES_{}_DATABASE_URL", name.to_uppercase()),
            url,
        ));
    }

    let (ok, text) = run(&["migrate"], &env);
    assert!(ok, "{text}");
    for name in ["sales", "ads", "crm", "content"] {
        assert!(text.contains(&format!("{name}: migrated")), "{text}");
    }
    let (ok, text) = run(&["seed"], &env);
    assert!(ok, "{text}");
    assert_eq!(text.matches("demo data loaded").count(), 4, "{text}");
    let (ok, text) = run(&["seed", "ads", "crm"], &env);
    assert!(ok, "{text}");
    assert_eq!(
        text.matches("demo data already present").count(),
        2,
        "seeding is idempotent: {text}"
    );

    // A store that cannot be reached is named, with its password hidden.
    let unreachable = [(
        "PROMPTSALES_SALES_DATABASE_URL".to_string(),
        "postgres://promptsales:hunter2@127.0.0.1:1/sales".to_string(),
    )];
    let (ok, text) = run(&["migrate", "sales"], &unreachable);
    assert!(!ok);
    assert!(
        text.contains("postgres://promptsales:***@127.0.0.1:1/sales"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}
