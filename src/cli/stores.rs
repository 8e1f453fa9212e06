//! `promptsales migrate` and `promptsales seed`.

use super::Component;

/// Applies pending migrations to each named store.
pub async fn migrate(components: Vec<Component>) -> anyhow::Result<()> {
    for component in components {
        component.prepare_store(None).await?;
        println!("{}: migrated", component.name());
    }
    Ok(())
}

/// Loads the demo data into each named store that lacks it.
pub async fn seed(components: Vec<Component>) -> anyhow::Result<()> {
    let day = promptsales_kit::demo::demo_today();
    for component in components {
        let wrote = component.prepare_store(Some(day)).await?;
        println!(
            "{}: {}",
            component.name(),
            if wrote {
                "demo data loaded"
            } else {
                "demo data already present"
            }
        );
    }
    // The demo summaries are the ETL's work, derived from the demo sources just loaded.
    let report = super::etl::run_once_quietly().await?;
    println!(
        "etl: {} summary rows from {} source rows",
        report.rows_written(),
        report.rows_read()
    );
    Ok(())
}
