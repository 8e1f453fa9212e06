//! Known rows in the four stores, and the graph serving them.

use std::sync::Arc;

use chrono::NaiveDate;
use promptsales_kit::auth::jwks::RemoteJwks;
use promptsales_kit::auth::{AuthConfig, SigningKey, TokenType, Verifier};
use promptsales_kit::testing::postgres;
use promptsales_kit::{Decimal4, new_id};
use promptsales_sales::auth::{AuthStore, Issuer, Lifetimes, SeaAuthStore};
use uuid::Uuid;

use super::harness::{Router, ServedSubgraph, bearer};

/// Every subsystem at `write`: what the existing tests act with for their tenant.
pub const ALL_WRITE: [&str; 4] = ["sales:write", "ads:write", "crm:write", "content:write"];

/// Every subsystem at `read`: what an analyst's agent holds.
pub const ALL_READ: [&str; 4] = ["sales:read", "ads:read", "crm:read", "content:read"];

fn money(text: &str) -> Decimal4 {
    text.parse().expect("a decimal literal")
}

/// Day `d` (1..=31) of the fixture's month: the 31 days its campaigns and ads run, placed
/// so that day 28 is today (days 1-27 have passed, 29-31 are to come). Fixed dates would
/// age: once past, every fixture ad would read ENDED.
pub fn day(d: u32) -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(i64::from(d) - 28)
}

/// [`day`] as GraphQL writes it (`YYYY-MM-DD`).
pub fn iso(d: u32) -> String {
    day(d).to_string()
}

/// [`day`] in words, as a user writes it: "17 November" (no year: the parser takes the
/// latest such month that began, which holds for any day up to today).
pub fn words(d: u32) -> String {
    day(d).format("%-d %B").to_string()
}

/// The ids the tests query and the other tenant's rows they must never see.
pub struct Fixture {
    /// The tenant under test.
    pub org_a: Uuid,
    /// Its active campaign (ads, leads, sales, assets).
    pub campaign_1: Uuid,
    /// Its draft campaign.
    pub campaign_2: Uuid,
    /// Another tenant.
    pub org_b: Uuid,
    /// The other tenant's campaign.
    pub campaign_b: Uuid,
    /// Org A's marketer (owner of its campaigns).
    pub marketer_a: Uuid,
    /// The running subgraphs: [sales, ads, crm, content]; held so they serve as long as the fixture lives.
    _subgraphs: Vec<ServedSubgraph>,
    /// The subgraphs' GraphQL URLs: [sales, ads, crm, content].
    pub subgraph_urls: [String; 4],
    /// The subgraphs' database URLs: [sales, ads, crm, content] (the hostile suite digests them).
    pub database_urls: [String; 4],
    /// The sales subgraph's base URL (`http://127.0.0.1:PORT`): `/oauth/token`, `/oauth/revoke`, `/.well-known/jwks.json`.
    pub sales_base: String,
    /// The JWKS URL every subgraph and the router verify with.
    pub jwks_url: String,
    /// The issuer the sales subgraph signs with (its key is this fixture's).
    pub issuer: Arc<Issuer>,
    /// The sales identity store (passwords, clients, permissions) of this graph.
    pub auth: Arc<dyn AuthStore>,
    /// The router in front of them.
    pub router: Router,
    /// The sources the delta ETL reads (the same stores the subgraphs serve).
    pub etl_sources: promptsales_etl::SourceStores,
    /// Where it writes the summaries (the sales store the subgraph serves).
    pub etl_sink: Arc<dyn promptsales_sales::store::etl::EtlSink>,
    /// The Redis this graph's live events travel through (content's template changes; the MCP
    /// adapters of the tests listen there).
    pub redis_url: String,
}

impl Fixture {
    /// The `Authorization` header of a token for org A holding every subsystem at `write`.
    pub fn as_org_a(&self) -> Vec<(&'static str, String)> {
        bearer(&self.token(Some(self.org_a), &ALL_WRITE))
    }

    /// An access token signed by the sales subgraph's key for a client acting for
    /// `org` (`None`: a platform operator) with `roles` (`"ads:read"`, ...).
    pub fn token(&self, org: Option<Uuid>, roles: &[&str]) -> String {
        self.issue("e2e-client", TokenType::Client, org, roles)
    }

    /// An access token for `user` of `org` with `roles` (a `typ: user` token, `sub` the user id).
    pub fn user_token(&self, user: Uuid, org: Uuid, roles: &[&str]) -> String {
        self.issue(&user.to_string(), TokenType::User, Some(org), roles)
    }

    /// Sets `user`'s password (argon2id), for password-grant logins at `/oauth/token`.
    pub async fn set_password(&self, user: Uuid, password: &str) -> anyhow::Result<()> {
        let hash = promptsales_sales::auth::secret::hash_secret(password)?;
        anyhow::ensure!(
            self.auth.set_password_hash(user, &hash).await?,
            "no user {user}"
        );
        Ok(())
    }

    /// Grants `user` of `org` each `subsystem:role` of `roles` (as a sales admin would).
    pub async fn grant(&self, user: Uuid, org: Uuid, roles: &[&str]) -> anyhow::Result<()> {
        for (subsystem, role) in promptsales_kit::RequestContext::parse_roles(roles.iter().copied())
        {
            self.auth
                .grant_permission(promptsales_sales::auth::store::Permission {
                    id: new_id(),
                    organization_id: org,
                    user_id: user,
                    subsystem,
                    role,
                    granted_by: None,
                    granted_at: chrono::Utc::now(),
                    revoked_by: None,
                    revoked_at: None,
                })
                .await?;
        }
        Ok(())
    }

    fn issue(&self, subject: &str, typ: TokenType, org: Option<Uuid>, roles: &[&str]) -> String {
        self.issuer
            .access_token(
                subject,
                typ,
                org,
                roles.iter().map(|r| r.to_string()).collect(),
            )
            .expect("the fixture's key signs")
            .token
    }
}

/// A verifier for a subgraph other than sales: keys fetched from `jwks_url`, as in production.
fn remote_verifier(jwks_url: &str) -> Arc<Verifier> {
    let config = AuthConfig {
        jwks_url: jwks_url.to_string(),
        ..AuthConfig::default()
    };
    Arc::new(Verifier::with_remote(&config, RemoteJwks::new(jwks_url)))
}

struct Rows {
    org_a: Uuid,
    org_b: Uuid,
    campaign_1: Uuid,
    campaign_2: Uuid,
    campaign_b: Uuid,
    marketer_a: Uuid,
}

/// Creates four fresh PostgreSQL databases, inserts the known rows, starts the subgraphs and the router.
pub async fn start() -> anyhow::Result<Fixture> {
    let pg = postgres().await;
    let sales_url = pg.fresh_database("e2e_sales").await?;
    let (sales, sales_db) = promptsales_sales::open_store(&sales_url).await?;
    let ads_url = pg.fresh_database("e2e_ads").await?;
    let (ads, ads_db) = promptsales_ads::open_store(&ads_url).await?;
    let crm_key = promptsales_crm::crypto::DataKey::generate()?;
    let crm_url = pg.fresh_database("e2e_crm").await?;
    let (crm, crm_db) = promptsales_crm::open_store_with_key(&crm_url, &crm_key).await?;
    let content_url = pg.fresh_database("e2e_content").await?;
    let (content, content_db) = promptsales_content::open_store(&content_url).await?;
    let database_urls = [
        sales_url.clone(),
        ads_url.clone(),
        crm_url.clone(),
        content_url.clone(),
    ];

    let etl_sources = promptsales_etl::SourceStores {
        ads: ads.clone(),
        crm: crm.clone(),
        content: content.clone(),
    };
    let etl_sink = promptsales_sales::etl_sink_on(sales_db.clone());
    let rows = insert_sales(sales.as_ref()).await?;
    insert_ads(ads.as_ref(), &rows).await?;
    insert_crm(crm.as_ref(), &rows).await?;
    insert_content(content.as_ref(), &rows).await?;

    // The sales subgraph issues and publishes the keys; the others fetch them from it.
    let issuer = Arc::new(Issuer::new(
        SigningKey::generate()?,
        AuthConfig::default(),
        Lifetimes::default(),
    ));
    let auth: Arc<dyn AuthStore> = Arc::new(SeaAuthStore::new(sales_db.clone()));
    // The agenda scheduler, as the sales service runs it, ticking often so that a reminder
    // fires soon after it is due (`agendaNotifications`); it stops with the test's runtime.
    promptsales_sales::scheduler::spawn(
        sales.clone(),
        &sales_url,
        std::time::Duration::from_millis(250),
    );
    // Campaign stops that ads has not confirmed, retried as the sales service does.
    promptsales_sales::reconcile::spawn(
        sales.clone(),
        issuer.clone(),
        std::time::Duration::from_millis(250),
    );
    let mut subgraphs = Vec::new();
    subgraphs.push(
        ServedSubgraph::start(promptsales_sales::http_router(
            sales,
            sales_db,
            issuer.clone(),
        )?)
        .await?,
    );
    let sales_base = subgraphs[0].url.trim_end_matches("/graphql").to_string();
    let jwks_url = format!("{sales_base}{}", promptsales_kit::auth::JWKS_PATH);
    // Ads asks this graph's sales for campaigns (with each caller's token), and sales tells
    // this graph's ads when a campaign stops (`PROMPTSALES_ADS_URL`, read per call; every
    // nextest test is its own process).
    let ads_services = promptsales_ads::AdsServices {
        directory: Arc::new(promptsales_ads::directory::SalesCampaignDirectory::new(
            subgraphs[0].url.clone(),
            std::time::Duration::from_secs(30),
        )),
        ..promptsales_ads::AdsServices::from_env()
    };
    let ads_graphql = promptsales_kit::server::router_with(
        promptsales_ads::app_with(ads.clone(), ads_db, ads_services.clone()),
        remote_verifier(&jwks_url),
    )?;
    subgraphs.push(
        ServedSubgraph::start(promptsales_ads::http_router(
            ads_graphql,
            ads,
            &ads_services,
            promptsales_ads::http::WebhookConfig::default(),
        )?)
        .await?,
    );
    // SAFETY: set once while the fixture starts, before any request reads it.
    unsafe { std::env::set_var(promptsales_sales::ads_link::ADS_URL_ENV, &subgraphs[1].url) };
    subgraphs.push(
        ServedSubgraph::start(promptsales_kit::server::router_with(
            promptsales_crm::app(crm, crm_db),
            remote_verifier(&jwks_url),
        )?)
        .await?,
    );
    // Content announces template changes on the test Redis, where the tests' MCP adapters
    // (child processes) listen. No prefix: the events name organizations no other graph has.
    let redis_url = promptsales_kit::testing::redis().await.url().to_string();
    let content_engine = promptsales_content::engine::ContentEngine::from_env_with_templates(
        content.clone(),
        promptsales_kit::template_changes::with_redis(&redis_url, "")?,
    )?;
    subgraphs.push(
        ServedSubgraph::start(promptsales_kit::server::router_with(
            promptsales_content::app_with(content, content_db, content_engine),
            remote_verifier(&jwks_url),
        )?)
        .await?,
    );
    let subgraph_urls = [
        subgraphs[0].url.clone(),
        subgraphs[1].url.clone(),
        subgraphs[2].url.clone(),
        subgraphs[3].url.clone(),
    ];
    // Each subgraph checks the ids it is given of another's entities against this graph's owners
    // (`kit::references`, `PROMPTSALES_<OWNER>_URL`, read per call; checks on).
    for (owner, url) in [
        promptsales_kit::references::Owner::Sales,
        promptsales_kit::references::Owner::Ads,
        promptsales_kit::references::Owner::Crm,
        promptsales_kit::references::Owner::Content,
    ]
    .into_iter()
    .zip(&subgraph_urls)
    {
        promptsales_kit::testing::references_to(owner, url);
    }
    let router = Router::start(
        [
            subgraph_urls[0].as_str(),
            subgraph_urls[1].as_str(),
            subgraph_urls[2].as_str(),
            subgraph_urls[3].as_str(),
        ],
        &jwks_url,
    )
    .await?;
    Ok(Fixture {
        org_a: rows.org_a,
        campaign_1: rows.campaign_1,
        campaign_2: rows.campaign_2,
        org_b: rows.org_b,
        campaign_b: rows.campaign_b,
        marketer_a: rows.marketer_a,
        _subgraphs: subgraphs,
        subgraph_urls,
        database_urls,
        sales_base,
        jwks_url,
        issuer,
        auth,
        router,
        etl_sources,
        etl_sink,
        redis_url,
    })
}

async fn insert_sales(store: &dyn promptsales_sales::store::SalesStore) -> anyhow::Result<Rows> {
    use promptsales_sales::domain::campaign::{Budget, CampaignStatus};
    use promptsales_sales::domain::user::UserType;
    use promptsales_sales::store::{NewCampaign, NewOrganization, NewUser};

    let mut ids = Vec::new();
    for (name, country) in [("Acme Outdoor", "ES"), ("Rival Corp", "US")] {
        let org = store
            .insert_organization(NewOrganization {
                id: None,
                name: name.into(),
                industry: "retail".into(),
                country: country.into(),
                sales_goal: money("100000"),
                budget: money("50000"),
                currency: "EUR".into(),
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let marketer = store
            .insert_user(NewUser {
                id: None,
                organization_id: org.id,
                email: format!("marketer@{}.example", country.to_lowercase()),
                name: "Mara Marketer".into(),
                phone: None,
                user_type: UserType::Marketer,
                timezone: "Europe/Madrid".into(),
                active: true,
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        ids.push((org.id, marketer.id));
    }
    let campaign =
        |org: Uuid, owner: Uuid, name: &str, status, total: &str, spent: &str| NewCampaign {
            id: Some(new_id()),
            organization_id: org,
            owner_id: owner,
            name: name.into(),
            description: None,
            key_message: Some("Gear that keeps climbing".into()),
            intent: None,
            status,
            budget: Budget {
                total: money(total),
                spent: money(spent),
            },
            currency: "EUR".into(),
            start_date: day(1),
            end_date: day(31),
            industry: None,
            target_countries: vec!["ES".into()],
            product_ids: vec![],
            objectives: vec![],
        };
    let (org_a, marketer_a) = ids[0];
    let (org_b, marketer_b) = ids[1];
    let mut inserted = Vec::new();
    for new in [
        campaign(
            org_a,
            marketer_a,
            "Winter Summit",
            CampaignStatus::Active,
            "10000",
            "2500",
        ),
        campaign(
            org_a,
            marketer_a,
            "Spring Trails",
            CampaignStatus::Draft,
            "5000",
            "0",
        ),
        campaign(
            org_b,
            marketer_b,
            "Rival Launch",
            CampaignStatus::Active,
            "90000",
            "100",
        ),
    ] {
        inserted.push(
            store
                .insert_campaign(new)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?
                .id,
        );
    }
    Ok(Rows {
        org_a,
        org_b,
        campaign_1: inserted[0],
        campaign_2: inserted[1],
        campaign_b: inserted[2],
        marketer_a,
    })
}

async fn insert_ads(
    store: &dyn promptsales_ads::store::AdsStore,
    rows: &Rows,
) -> anyhow::Result<()> {
    use promptsales_ads::domain::bid_strategy::BidStrategy;
    use promptsales_ads::domain::channel::AdChannel;
    use promptsales_ads::domain::performance::Performance;
    use promptsales_ads::domain::status::AdStatus;
    use promptsales_ads::store::{NewAd, NewAdMetric, NewMarket};

    let err = |e| anyhow::anyhow!("{e:?}");
    let market = |org| NewMarket {
        id: None,
        organization_id: org,
        country: "ES".into(),
        currency: "EUR".into(),
        language: "es".into(),
    };
    let market_a = store
        .insert_market(market(rows.org_a))
        .await
        .map_err(err)?
        .id;
    let market_b = store
        .insert_market(market(rows.org_b))
        .await
        .map_err(err)?
        .id;
    let ad = |org, market_id, campaign_id, channel, name: &str| NewAd {
        id: None,
        organization_id: org,
        campaign_id,
        channel,
        market_id,
        name: name.into(),
        status: AdStatus::Running,
        audience_segment_id: None,
        creative_ids: vec![],
        daily_budget: money("100"),
        bid_strategy: BidStrategy::LowestCost,
        start_date: day(1),
        end_date: day(31),
        platform: None,
        external_id: None,
    };
    let perf = |impressions, reach, clicks, engagement, spend: &str, conversions, value: &str| {
        Performance {
            impressions,
            reach,
            clicks,
            engagement,
            spend: money(spend),
            conversions,
            conversion_value: money(value),
        }
    };
    let instagram = store
        .insert_ad(ad(
            rows.org_a,
            market_a,
            rows.campaign_1,
            AdChannel::Instagram,
            "Summit reel",
        ))
        .await
        .map_err(err)?;
    let google = store
        .insert_ad(ad(
            rows.org_a,
            market_a,
            rows.campaign_1,
            AdChannel::Google,
            "Summit search",
        ))
        .await
        .map_err(err)?;
    let facebook = store
        .insert_ad(ad(
            rows.org_a,
            market_a,
            rows.campaign_2,
            AdChannel::Facebook,
            "Trails teaser",
        ))
        .await
        .map_err(err)?;
    let rival = store
        .insert_ad(ad(
            rows.org_b,
            market_b,
            rows.campaign_b,
            AdChannel::Facebook,
            "Rival ad",
        ))
        .await
        .map_err(err)?;
    for (org, ad_id, d, performance) in [
        (
            rows.org_a,
            instagram.id,
            1,
            perf(1000, 800, 50, 70, "100.50", 5, "500"),
        ),
        (
            rows.org_a,
            instagram.id,
            2,
            perf(2000, 1500, 30, 40, "60.25", 1, "100"),
        ),
        (
            rows.org_a,
            google.id,
            1,
            perf(500, 400, 20, 25, "40", 2, "300"),
        ),
        (
            rows.org_a,
            facebook.id,
            1,
            perf(300, 250, 3, 5, "9.99", 0, "0"),
        ),
        (
            rows.org_b,
            rival.id,
            1,
            perf(99_999, 90_000, 9_999, 9_999, "9999", 999, "99999"),
        ),
    ] {
        store
            .record_metric(NewAdMetric {
                id: None,
                organization_id: org,
                ad_id,
                day: day(d),
                performance,
            })
            .await
            .map_err(err)?;
    }
    Ok(())
}

async fn insert_crm(
    store: &dyn promptsales_crm::store::CrmStore,
    rows: &Rows,
) -> anyhow::Result<()> {
    use promptsales_crm::domain::customer::NewCustomer;
    use promptsales_crm::domain::lead::{LeadSource, LeadStage, NewLead};
    use promptsales_crm::domain::sale::NewSale;

    let err = |e| anyhow::anyhow!("{e:?}");
    let customer = |org, n: u32| NewCustomer {
        id: None,
        organization_id: org,
        full_name: format!("Customer {n}"),
        email: format!("customer{n}@example.com"),
        phone: None,
        country: Some("ES".into()),
        city: Some("Madrid".into()),
        latitude: Some(40.4168),
        longitude: Some(-3.7038),
        segment: None,
        lifetime_value: Decimal4::ZERO,
    };
    let mut customers = Vec::new();
    for n in 1..=3 {
        customers.push(
            store
                .insert_customer(customer(rows.org_a, n))
                .await
                .map_err(err)?
                .id,
        );
    }
    let rival_customer = store
        .insert_customer(customer(rows.org_b, 9))
        .await
        .map_err(err)?
        .id;
    let lead = |org, customer_id, campaign_id, stage| NewLead {
        id: None,
        organization_id: org,
        customer_id,
        campaign_id,
        source: LeadSource::Instagram,
        source_ad_id: None,
        stage,
        score: 50,
        purchase_intent: 0.5,
        assigned_agent_id: None,
        last_interaction_at: None,
    };
    let mut won = None;
    for (customer_id, campaign_id, stage) in [
        (customers[0], rows.campaign_1, LeadStage::Iql),
        (customers[1], rows.campaign_1, LeadStage::Iql),
        (customers[2], rows.campaign_1, LeadStage::Mql),
        (customers[0], rows.campaign_1, LeadStage::Won),
        (customers[1], rows.campaign_2, LeadStage::Sql),
    ] {
        let inserted = store
            .insert_lead(lead(rows.org_a, customer_id, campaign_id, stage))
            .await
            .map_err(err)?;
        if stage == LeadStage::Won {
            won = Some(inserted.id);
        }
    }
    let rival_lead = store
        .insert_lead(lead(
            rows.org_b,
            rival_customer,
            rows.campaign_b,
            LeadStage::Won,
        ))
        .await
        .map_err(err)?;
    let closed_at = chrono::Utc::now() - chrono::Duration::days(1);
    let sale = |org, customer_id, lead_id, campaign_id, amount: &str, currency: &str| NewSale {
        id: None,
        organization_id: org,
        customer_id,
        lead_id,
        campaign_id,
        product_id: None,
        amount: money(amount),
        currency: currency.into(),
        closed_at,
    };
    store
        .insert_sale(sale(
            rows.org_a,
            customers[0],
            won,
            rows.campaign_1,
            "1200.50",
            "EUR",
        ))
        .await
        .map_err(err)?;
    store
        .insert_sale(sale(
            rows.org_a,
            customers[2],
            None,
            rows.campaign_1,
            "99.50",
            "USD",
        ))
        .await
        .map_err(err)?;
    store
        .insert_sale(sale(
            rows.org_b,
            rival_customer,
            Some(rival_lead.id),
            rows.campaign_b,
            "77777",
            "EUR",
        ))
        .await
        .map_err(err)?;
    Ok(())
}

async fn insert_content(
    store: &dyn promptsales_content::store::ContentStore,
    rows: &Rows,
) -> anyhow::Result<()> {
    use promptsales_content::domain::asset::{AssetKind, NewMediaAsset, ReviewStatus};

    let asset = |org, kind, description: &str, hashtags: &[&str], campaign_id| NewMediaAsset {
        id: None,
        organization_id: org,
        kind,
        url: "https://assets.promptsales.example/x.png".into(),
        thumbnail_url: None,
        description: description.into(),
        hashtags: hashtags.iter().map(|h| h.to_string()).collect(),
        category: None,
        technical: Default::default(),
        rights: Default::default(),
        review_status: ReviewStatus::Approved,
        campaign_ids: vec![campaign_id],
    };
    for new in [
        asset(
            rows.org_a,
            AssetKind::Image,
            "Backpack on a snowy summit",
            &["winter", "hiking"],
            rows.campaign_1,
        ),
        asset(
            rows.org_a,
            AssetKind::Video,
            "Trail shoes in action",
            &["trailrunning"],
            rows.campaign_1,
        ),
        asset(
            rows.org_a,
            AssetKind::Text,
            "Camping checklist",
            &["camping"],
            rows.campaign_2,
        ),
        asset(
            rows.org_b,
            AssetKind::Image,
            "Rival banner",
            &["rival"],
            rows.campaign_b,
        ),
    ] {
        store
            .insert_asset(new)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(())
}
