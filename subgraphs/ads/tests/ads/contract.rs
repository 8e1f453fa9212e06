//! The store contract: what any `AdsStore` adapter must do, run on every backend.

use anyhow::Result;
use promptsales_ads::domain::{AdChannel, AdStatus, BidStrategy, Performance};
use promptsales_ads::store::{
    AdChanges, AdFilter, NewAdMetric, NewMarket, NewRows, is_unique_violation,
};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, PageRequest, new_id};

use crate::harness::{Env, day_n, figures, new_ad};

on_each_backend!(
    markets_are_per_tenant_and_unique_per_country_and_language,
    ads_round_trip_with_their_market_and_page_by_id,
    updates_change_only_ads_in_scope,
    the_database_refuses_rows_that_cross_tenants_or_break_rules,
    recording_a_day_twice_replaces_it,
    campaign_sums_are_per_campaign_and_channel,
    campaign_ad_pages_are_cut_per_campaign,
    inserting_rows_is_all_or_nothing,
    migrations_roll_back_and_apply_again,
);

async fn markets_are_per_tenant_and_unique_per_country_and_language(env: &Env) -> Result<()> {
    let (a, b) = (new_id(), new_id());
    let es = env.market(a, "ES", "EUR").await?;
    env.market(a, "FR", "EUR").await?;
    let us = env.market(b, "US", "USD").await?;
    assert_eq!(
        (
            es.country.as_str(),
            es.currency.as_str(),
            es.language.as_str()
        ),
        ("ES", "EUR", "es")
    );

    let of_a = env.store.markets(TenantScope::Organization(a)).await?;
    assert_eq!(
        of_a.iter().map(|m| m.country.as_str()).collect::<Vec<_>>(),
        ["ES", "FR"]
    );
    assert_eq!(env.store.markets(TenantScope::All).await?.len(), 3);
    assert_eq!(
        env.store
            .market(TenantScope::Organization(a), us.id)
            .await?,
        None
    );
    assert_eq!(
        env.store
            .market(TenantScope::Organization(b), us.id)
            .await?,
        Some(us)
    );

    let again = env
        .store
        .insert_market(NewMarket {
            id: None,
            organization_id: a,
            country: "ES".into(),
            currency: "EUR".into(),
            language: "es".into(),
        })
        .await
        .expect_err("the same country and language twice");
    assert!(is_unique_violation(&again), "{again:?}");
    // Another tenant may have the same market.
    env.market(b, "ES", "EUR").await?;
    Ok(())
}

async fn ads_round_trip_with_their_market_and_page_by_id(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let campaign = new_id();
    let given = new_id();
    let creatives = vec![new_id(), new_id()];
    let segment = new_id();
    let inserted = env
        .store
        .insert_ad(promptsales_ads::store::NewAd {
            id: Some(given),
            creative_ids: creatives.clone(),
            audience_segment_id: Some(segment),
            daily_budget: Decimal4(1_234_567),
            bid_strategy: BidStrategy::TargetRoas,
            platform: Some("meta".into()),
            external_id: Some("120210000001".into()),
            ..new_ad(&market, campaign, AdChannel::Instagram, "Winter reel")
        })
        .await?;
    assert_eq!(inserted.id, given);
    assert_eq!(inserted.market, market);
    assert_eq!(inserted.creative_ids, creatives);
    assert_eq!(inserted.audience_segment_id, Some(segment));
    assert_eq!(inserted.daily_budget, Decimal4(1_234_567));
    assert_eq!(inserted.bid_strategy, BidStrategy::TargetRoas);
    assert_eq!(inserted.external_id.as_deref(), Some("120210000001"));
    assert_eq!(
        env.store
            .ads_by_id(TenantScope::Organization(org), &[given])
            .await?,
        vec![inserted.clone()]
    );
    assert!(
        env.store
            .ads_by_id(TenantScope::Organization(new_id()), &[given])
            .await?
            .is_empty()
    );

    let mut ids = vec![given];
    for (i, channel) in [
        AdChannel::Facebook,
        AdChannel::Google,
        AdChannel::Facebook,
        AdChannel::Email,
    ]
    .into_iter()
    .enumerate()
    {
        ids.push(
            env.ad(&market, campaign, channel, &format!("ad {i}"))
                .await?
                .id,
        );
    }
    let all = TenantScope::All;
    let first = env
        .store
        .ads(
            all,
            &AdFilter::default(),
            &PageRequest {
                first: 2,
                after: None,
            },
        )
        .await?;
    assert_eq!(
        first.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        ids[..2]
    );
    assert!(first.has_next);
    let rest = env
        .store
        .ads(
            all,
            &AdFilter::default(),
            &PageRequest {
                first: 10,
                after: Some(ids[1]),
            },
        )
        .await?;
    assert_eq!(
        rest.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        ids[2..]
    );
    assert!(!rest.has_next);
    let facebook = AdFilter {
        campaign_id: Some(campaign),
        channel: Some(AdChannel::Facebook),
        status: Some(AdStatus::Draft),
    };
    let page = env
        .store
        .ads(all, &facebook, &PageRequest::default())
        .await?;
    assert_eq!(
        page.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [ids[1], ids[3]]
    );
    let other_campaign = AdFilter {
        campaign_id: Some(new_id()),
        ..AdFilter::default()
    };
    assert!(
        env.store
            .ads(all, &other_campaign, &PageRequest::default())
            .await?
            .items
            .is_empty()
    );
    Ok(())
}

async fn updates_change_only_ads_in_scope(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "FR", "EUR").await?;
    let ad = env
        .ad(&market, new_id(), AdChannel::Tiktok, "Trail")
        .await?;
    let changes = AdChanges {
        name: "Trail 2".into(),
        status: AdStatus::Scheduled,
        audience_segment_id: Some(new_id()),
        creative_ids: vec![new_id()],
        daily_budget: Decimal4::from_units(75),
        bid_strategy: BidStrategy::CostCap,
        start_date: day_n(5),
        end_date: day_n(36),
        platform: Some("tiktok_ads".into()),
        external_id: Some("7000001".into()),
    };
    assert_eq!(
        env.store
            .update_ad(TenantScope::Organization(new_id()), ad.id, changes.clone())
            .await?,
        None
    );
    assert_eq!(
        env.store.ads_by_id(TenantScope::All, &[ad.id]).await?,
        vec![ad.clone()]
    );

    let updated = env
        .store
        .update_ad(TenantScope::Organization(org), ad.id, changes.clone())
        .await?
        .expect("in scope");
    assert_eq!(updated.name, changes.name);
    assert_eq!(updated.status, AdStatus::Scheduled);
    assert_eq!(updated.creative_ids, changes.creative_ids);
    assert_eq!(updated.daily_budget, changes.daily_budget);
    assert_eq!(
        (updated.start_date, updated.end_date),
        (changes.start_date, changes.end_date)
    );
    assert_eq!(updated.external_id, changes.external_id);
    assert_eq!(
        (updated.campaign_id, updated.channel, updated.created_at),
        (ad.campaign_id, ad.channel, ad.created_at)
    );
    assert!(updated.updated_at >= ad.updated_at);
    Ok(())
}

async fn the_database_refuses_rows_that_cross_tenants_or_break_rules(env: &Env) -> Result<()> {
    let (a, b) = (new_id(), new_id());
    let market_a = env.market(a, "ES", "EUR").await?;
    // An ad of tenant B in tenant A's market.
    let crossing = promptsales_ads::store::NewAd {
        organization_id: b,
        ..new_ad(&market_a, new_id(), AdChannel::Sms, "crossing")
    };
    assert!(env.store.insert_ad(crossing).await.is_err());
    let backwards = promptsales_ads::store::NewAd {
        end_date: day_n(-29),
        ..new_ad(&market_a, new_id(), AdChannel::Sms, "backwards")
    };
    assert!(env.store.insert_ad(backwards).await.is_err());
    let negative = promptsales_ads::store::NewAd {
        daily_budget: Decimal4(-1),
        ..new_ad(&market_a, new_id(), AdChannel::Sms, "negative")
    };
    assert!(env.store.insert_ad(negative).await.is_err());

    let ad = env.ad(&market_a, new_id(), AdChannel::Sms, "ok").await?;
    let day = |organization_id, performance| NewAdMetric {
        id: None,
        organization_id,
        ad_id: ad.id,
        day: day_n(2),
        performance,
    };
    assert!(
        env.store
            .record_metric(day(b, figures(100, 10, 5, 1, 20)))
            .await
            .is_err()
    );
    assert!(
        env.store
            .record_metric(day(a, figures(100, 101, 5, 1, 20)))
            .await
            .is_err()
    );
    let negative_spend = Performance {
        spend: Decimal4(-100),
        ..figures(100, 10, 5, 1, 20)
    };
    assert!(
        env.store
            .record_metric(day(a, negative_spend))
            .await
            .is_err()
    );
    assert_eq!(env.row_counts().await?, (1, 1, 0));
    Ok(())
}

async fn recording_a_day_twice_replaces_it(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "DE", "EUR").await?;
    let ad = env.ad(&market, new_id(), AdChannel::Youtube, "Eco").await?;
    let day = day_n(3);
    let record = |performance| NewAdMetric {
        id: None,
        organization_id: org,
        ad_id: ad.id,
        day,
        performance,
    };
    let first = env
        .store
        .record_metric(record(figures(1_000, 20, 10, 1, 50)))
        .await?;
    let second = env
        .store
        .record_metric(record(figures(2_000, 30, 15, 2, 80)))
        .await?;
    assert_eq!(second.id, first.id, "a replaced day keeps its id");
    assert_eq!(second.performance, figures(2_000, 30, 15, 2, 80));
    assert_eq!(second.created_at, first.created_at);
    env.day(&ad, day_n(4), figures(500, 5, 3, 0, 0)).await?;

    let totals = env
        .store
        .totals_of_ads(TenantScope::Organization(org), &[ad.id])
        .await?;
    assert_eq!(totals[&ad.id], figures(2_500, 35, 18, 2, 80));
    let days = env
        .store
        .metrics_of_ads(TenantScope::All, &[ad.id], day, day)
        .await?;
    assert_eq!(days.len(), 1);
    let both = env
        .store
        .metrics_of_ads(TenantScope::All, &[ad.id], day, day_n(31))
        .await?;
    assert_eq!(
        both.iter().map(|d| d.day).collect::<Vec<_>>(),
        [day, day_n(4)]
    );
    assert!(
        env.store
            .metrics_of_ads(TenantScope::Organization(new_id()), &[ad.id], day, day)
            .await?
            .is_empty()
    );
    Ok(())
}

async fn campaign_sums_are_per_campaign_and_channel(env: &Env) -> Result<()> {
    let (a, b) = (new_id(), new_id());
    let market_a = env.market(a, "ES", "EUR").await?;
    let market_b = env.market(b, "US", "USD").await?;
    let (c1, c2, empty) = (new_id(), new_id(), new_id());
    let ig = env.ad(&market_a, c1, AdChannel::Instagram, "ig").await?;
    let fb = env.ad(&market_a, c1, AdChannel::Facebook, "fb").await?;
    let fb2 = env.ad(&market_a, c1, AdChannel::Facebook, "fb2").await?;
    let quiet = env.ad(&market_a, c2, AdChannel::Email, "quiet").await?;
    let foreign = env
        .ad(
            &market_b,
            c1,
            AdChannel::Instagram,
            "other tenant, same campaign id",
        )
        .await?;
    env.day(&ig, day_n(1), figures(1_000, 10, 5, 1, 30)).await?;
    env.day(&ig, day_n(2), figures(3_000, 30, 15, 0, 0)).await?;
    env.day(&fb, day_n(1), figures(2_000, 40, 20, 2, 100))
        .await?;
    env.day(&fb2, day_n(1), figures(500, 5, 1, 0, 0)).await?;
    env.day(&foreign, day_n(1), figures(9_000, 90, 90, 9, 900))
        .await?;

    let scope = TenantScope::Organization(a);
    let totals = env
        .store
        .totals_of_campaigns(scope, &[c1, c2, empty])
        .await?;
    assert_eq!(totals[&c1], figures(6_500, 85, 41, 3, 130));
    assert_eq!(
        totals[&c2],
        Performance::default(),
        "ads without days sum to zeros"
    );
    assert!(!totals.contains_key(&empty));
    let everyone = env
        .store
        .totals_of_campaigns(TenantScope::All, &[c1])
        .await?;
    assert_eq!(everyone[&c1].impressions, 15_500);

    let channels = env
        .store
        .channel_totals_of_campaigns(scope, &[c1, c2])
        .await?;
    let rows: Vec<_> = channels
        .iter()
        .map(|r| (r.campaign_id, r.channel, r.performance))
        .collect();
    let mut expected = vec![
        (c1, AdChannel::Facebook, figures(2_500, 45, 21, 2, 100)),
        (c1, AdChannel::Instagram, figures(4_000, 40, 20, 1, 30)),
        (c2, AdChannel::Email, Performance::default()),
    ];
    expected.sort_by_key(|(c, ch, _)| (*c, ch.code()));
    assert_eq!(rows, expected);
    let ads = env
        .store
        .totals_of_ads(scope, &[ig.id, quiet.id, foreign.id])
        .await?;
    assert_eq!(ads.len(), 2);
    assert_eq!(ads[&quiet.id], Performance::default());
    Ok(())
}

async fn campaign_ad_pages_are_cut_per_campaign(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "PT", "EUR").await?;
    let (big, small, none) = (new_id(), new_id(), new_id());
    let mut big_ids = Vec::new();
    for i in 0..5 {
        let channel = if i % 2 == 0 {
            AdChannel::Google
        } else {
            AdChannel::Linkedin
        };
        big_ids.push(env.ad(&market, big, channel, &format!("big {i}")).await?.id);
    }
    let small_id = env.ad(&market, small, AdChannel::Google, "small").await?.id;
    let scope = TenantScope::Organization(org);
    let page = PageRequest {
        first: 2,
        after: None,
    };
    let pages = env
        .store
        .ads_of_campaigns(scope, &[big, small, none], &AdFilter::default(), &page)
        .await?;
    assert_eq!(
        pages[&big].items.iter().map(|a| a.id).collect::<Vec<_>>(),
        big_ids[..2]
    );
    assert!(pages[&big].has_next);
    assert_eq!(
        pages[&small].items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [small_id]
    );
    assert!(!pages[&small].has_next);
    assert!(!pages.contains_key(&none));

    let after = PageRequest {
        first: 2,
        after: Some(big_ids[1]),
    };
    let pages = env
        .store
        .ads_of_campaigns(scope, &[big], &AdFilter::default(), &after)
        .await?;
    assert_eq!(
        pages[&big].items.iter().map(|a| a.id).collect::<Vec<_>>(),
        big_ids[2..4]
    );
    assert!(pages[&big].has_next);

    let google = AdFilter {
        channel: Some(AdChannel::Google),
        ..AdFilter::default()
    };
    let pages = env
        .store
        .ads_of_campaigns(scope, &[big, small], &google, &PageRequest::default())
        .await?;
    assert_eq!(pages[&big].items.len(), 3);
    assert_eq!(pages[&small].items.len(), 1);
    let elsewhere = env
        .store
        .ads_of_campaigns(TenantScope::Organization(new_id()), &[big], &google, &page)
        .await?;
    assert!(elsewhere.is_empty());
    Ok(())
}

async fn inserting_rows_is_all_or_nothing(env: &Env) -> Result<()> {
    let org = new_id();
    let market_id = new_id();
    let market = NewMarket {
        id: Some(market_id),
        organization_id: org,
        country: "IT".into(),
        currency: "EUR".into(),
        language: "it".into(),
    };
    let market_row = promptsales_ads::store::Market {
        id: market_id,
        organization_id: org,
        country: "IT".into(),
        currency: "EUR".into(),
        language: "it".into(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let ad = promptsales_ads::store::NewAd {
        id: Some(new_id()),
        ..new_ad(&market_row, new_id(), AdChannel::Print, "print")
    };
    let ad_id = ad.id.unwrap_or_default();
    let day = |clicks| NewAdMetric {
        id: None,
        organization_id: org,
        ad_id,
        day: day_n(1),
        performance: figures(100, clicks, 1, 0, 0),
    };
    let broken = NewRows {
        markets: vec![market.clone()],
        ads: vec![ad.clone()],
        metrics: vec![day(500)],
    };
    assert!(env.store.insert_rows(broken).await.is_err());
    assert_eq!(env.row_counts().await?, (0, 0, 0));

    let good = NewRows {
        markets: vec![market],
        ads: vec![ad],
        metrics: vec![day(5)],
    };
    env.store.insert_rows(good).await?;
    assert_eq!(env.row_counts().await?, (1, 1, 1));
    Ok(())
}

async fn migrations_roll_back_and_apply_again(env: &Env) -> Result<()> {
    use promptsales_migrations::ads::Migrator;
    use sea_orm_migration::MigratorTrait;
    env.market(new_id(), "GB", "GBP").await?;
    Migrator::down(&env.db, None).await?;
    assert!(
        env.store.markets(TenantScope::All).await.is_err(),
        "the tables are gone"
    );
    Migrator::up(&env.db, None).await?;
    assert!(env.store.markets(TenantScope::All).await?.is_empty());
    // Applying again is a no-op.
    Migrator::up(&env.db, None).await?;
    env.market(new_id(), "GB", "GBP").await?;
    Ok(())
}
