//! The four subgraphs, by name, and what the command does with each.

use chrono::NaiveDate;
use promptsales_kit::{ServiceConfig, StrEnum};

/// One of the four subgraphs, declared in start order (`Component::ALL`).
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Component {
    /// The central portal (PostgreSQL in production).
    Sales,
    /// Ad execution.
    Ads,
    /// Customers and leads.
    Crm,
    /// Content and AI.
    Content,
}

/// The named subgraphs, or all of them when none is named.
pub fn or_all(names: Vec<Component>) -> Vec<Component> {
    if names.is_empty() {
        Component::ALL.to_vec()
    } else {
        names
    }
}

impl Component {
    /// Its name, as in ports, env vars and schema files: its crate's `NAME` (a test pins them
    /// equal).
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// Its Federation v2 SDL.
    pub fn sdl(self) -> String {
        match self {
            Self::Sales => promptsales_sales::schema_sdl(),
            Self::Ads => promptsales_ads::schema_sdl(),
            Self::Crm => promptsales_crm::schema_sdl(),
            Self::Content => promptsales_content::schema_sdl(),
        }
    }

    /// Its configuration from the environment.
    pub fn config(self) -> anyhow::Result<ServiceConfig> {
        Ok(ServiceConfig::from_env(self.name())?)
    }

    /// Opens (and migrates) its store, then, given `seed_on`, seeds the demo data as of that day
    /// when the store lacks it. One day for every store: seeded a moment apart across midnight,
    /// their dates would disagree. Returns whether demo rows were written.
    pub async fn prepare_store(self, seed_on: Option<NaiveDate>) -> anyhow::Result<bool> {
        let url = self.config()?.database_url;
        macro_rules! prepare {
            ($krate:ident) => {{
                let (store, _db) = $krate::open_store(&url).await?;
                match seed_on {
                    Some(day) => $krate::seed_demo_on(store.as_ref(), day).await,
                    None => Ok(false),
                }
            }};
        }
        match self {
            Self::Sales => prepare!(promptsales_sales),
            Self::Ads => prepare!(promptsales_ads),
            Self::Crm => prepare!(promptsales_crm),
            Self::Content => {
                let (store, _db) = promptsales_content::open_store(&url).await?;
                match seed_on {
                    // Its demo rows carry no dates.
                    Some(_) => promptsales_content::seed_demo(store.as_ref()).await,
                    None => Ok(false),
                }
            }
        }
    }
}

/// Runs one subgraph until it is told to stop, its settings read from the environment once
/// (a bad value stops it before it starts, naming the variable).
pub async fn run_subgraph(component: Component) -> anyhow::Result<()> {
    match component {
        Component::Sales => promptsales_sales::run(promptsales_sales::Settings::from_env()?).await,
        Component::Ads => promptsales_ads::run(promptsales_ads::Settings::from_env()?).await,
        Component::Crm => promptsales_crm::run(promptsales_crm::Settings::from_env()?).await,
        Component::Content => {
            promptsales_content::run(promptsales_content::Settings::from_env()?).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_kit::names::assert_pinned;

    /// The names are in ports, env vars (`PROMPTSALES_SALES_URL`), schema files and the
    /// `promptsales subgraph <name>` command line: each is its crate's `NAME`.
    #[test]
    fn names_are_the_crates_names() {
        use Component::*;
        assert_pinned(&[
            (Sales, "sales"),
            (Ads, "ads"),
            (Crm, "crm"),
            (Content, "content"),
        ]);
        assert_eq!(Sales.name(), promptsales_sales::NAME);
        assert_eq!(Ads.name(), promptsales_ads::NAME);
        assert_eq!(Crm.name(), promptsales_crm::NAME);
        assert_eq!(Content.name(), promptsales_content::NAME);
    }
}
