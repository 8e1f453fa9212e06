//! Plans, subscriptions, limits and their publication to Redis.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Request, Variables};
use promptsales_kit::Decimal4;
use promptsales_kit::server::execute_as;
use promptsales_sales::domain::campaign::CampaignStatus;
use promptsales_sales::domain::subscription::{BillingCycle, FeatureKind};
use promptsales_sales::limits::PlanLimitsPublisher;
use promptsales_sales::store::plans::{Plan, PlanFeature};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::portal_support::{Team, audit_count, extension};
use crate::support::{self, Harness};

/// A plan for the ads subsystem: one active campaign, three AI generations a month.
pub async fn small_plan(h: &Harness, code: &str) -> anyhow::Result<Plan> {
    Ok(h.store
        .insert_plan(Plan {
            id: Uuid::now_v7(),
            code: code.to_string(),
            name: format!("Plan {code}"),
            subsystem: "ads".into(),
            billing_cycle: BillingCycle::Monthly,
            price: Decimal4::from_units(99),
            currency: "EUR".into(),
            trial_days: 14,
            max_users: 5,
            active: true,
            features: vec![
                PlanFeature {
                    name: "active_campaigns".into(),
                    kind: FeatureKind::Limit,
                    value: 1,
                    unit: Some("campaigns".into()),
                },
                PlanFeature {
                    name: "ai_generations_per_month".into(),
                    kind: FeatureKind::Quota,
                    value: 3,
                    unit: Some("generations".into()),
                },
            ],
        })
        .await?)
}

const SUBSCRIBE: &str = r#"mutation($org: ID!, $plan: ID!) { subscribe(organizationId: $org, planId: $plan, trial: true) { id status trialEndsAt autoRenew plan { code features { name kind value } } } }"#;
const USE: &str = r#"mutation($org: ID!, $n: Int!) { recordUsage(organizationId: $org, feature: "ai_generations_per_month", amount: $n) { feature used limit } }"#;
const RESUME: &str =
    r#"mutation($id: ID!) { changeCampaignStatus(id: $id, status: ACTIVE) { status } }"#;

async fn paused_campaign(h: &Harness, team: &Team, name: &str) -> anyhow::Result<String> {
    let mut new = support::new_campaign(team.org.id, team.marketer.id, name);
    new.status = CampaignStatus::Paused;
    Ok(support::campaign(h, new).await?.id.to_string())
}

/// Subscribing (trial), the active-campaign limit and the monthly quota (PLAN_LIMIT_REACHED),
/// renewal leaving the month's AI counter alone, cancellation lifting the limits; each change audited.
pub async fn plan_limits_are_enforced_and_follow_the_live_subscription(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Quota").await?;
    let plan = small_plan(h, "ads-small").await?;
    let (admin, writer) = (team.approver(), team.writer());
    let org = team.org.id.to_string();
    let vars = json!({"org": org, "plan": plan.id.to_string()});
    let data = h.data(&admin, SUBSCRIBE, vars.clone()).await?;
    let sub = &data["subscribe"];
    assert_eq!(sub["status"], "TRIAL");
    assert_eq!(
        sub["plan"]["features"][0],
        json!({"name": "active_campaigns", "kind": "LIMIT", "value": 1})
    );
    let sub_id = sub["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        h.failure(&admin, SUBSCRIBE, vars.clone()).await[0].0,
        "CONFLICT",
        "one live plan per subsystem"
    );
    assert_eq!(h.failure(&writer, SUBSCRIBE, vars).await[0].0, "FORBIDDEN");
    let catalogue = h
        .data(
            &writer,
            "{ plans { code trialDays price { amount currency } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        catalogue["plans"],
        json!([{"code": "ads-small", "trialDays": 14, "price": {"amount": "99.00", "currency": "EUR"}}])
    );

    let first = paused_campaign(h, &team, "First").await?;
    let second = paused_campaign(h, &team, "Second").await?;
    h.data(&writer, RESUME, json!({"id": first})).await?;
    let response = h.run(&writer, RESUME, json!({"id": second})).await;
    assert_eq!(support::errors(&response)[0].0, "PLAN_LIMIT_REACHED");
    assert_eq!(extension(&response, "feature"), ["active_campaigns"]);
    assert_eq!(extension(&response, "limit"), ["1"]);

    let used = |data: Value| data["recordUsage"]["used"].as_i64();
    assert_eq!(
        used(h.data(&writer, USE, json!({"org": org, "n": 2})).await?),
        Some(2)
    );
    let over = h.run(&writer, USE, json!({"org": org, "n": 2})).await;
    assert_eq!(support::errors(&over)[0].0, "PLAN_LIMIT_REACHED");
    assert_eq!(extension(&over, "used"), ["2"]);
    assert_eq!(
        used(h.data(&writer, USE, json!({"org": org, "n": 1})).await?),
        Some(3)
    );
    let usage = h
        .data(&writer, r#"query($org: ID!) { subscriptionUsage(organizationId: $org) { feature used limit } }"#, json!({"org": org}))
        .await?;
    assert_eq!(
        usage["subscriptionUsage"],
        json!([{"feature": "active_campaigns", "used": 1, "limit": 1}, {"feature": "ai_generations_per_month", "used": 3, "limit": 3}])
    );

    let renewed = h
        .data(
            &admin,
            r#"mutation($id: ID!) { renewSubscription(id: $id) { status trialEndsAt } }"#,
            json!({"id": sub_id}),
        )
        .await?;
    assert_eq!(
        renewed["renewSubscription"],
        json!({"status": "ACTIVE", "trialEndsAt": null})
    );
    // AI generations count per calendar month (the one counter the AI gateway keeps):
    // renewing the subscription does not hand out another month's worth.
    let still_over = h.run(&writer, USE, json!({"org": org, "n": 1})).await;
    assert_eq!(support::errors(&still_over)[0].0, "PLAN_LIMIT_REACHED");
    assert_eq!(extension(&still_over, "used"), ["3"]);

    let cancel =
        r#"mutation($id: ID!) { cancelSubscription(id: $id) { status autoRenew cancelledAt } }"#;
    let cancelled = h.data(&admin, cancel, json!({"id": sub_id})).await?;
    assert_eq!(cancelled["cancelSubscription"]["status"], "CANCELLED");
    assert_eq!(
        h.failure(&admin, cancel, json!({"id": sub_id})).await[0].0,
        "CONFLICT"
    );
    // No live plan, no limit: the second campaign may run now.
    assert_eq!(
        h.data(&writer, RESUME, json!({"id": second})).await?["changeCampaignStatus"]["status"],
        "ACTIVE"
    );
    assert_eq!(
        audit_count(h, &sub_id).await?,
        3,
        "created, renewed, cancelled"
    );
    // Another tenant cannot touch it.
    let other = Team::new(h, "Elsewhere").await?;
    let foreign = h
        .failure(
            &other.approver(),
            r#"mutation($id: ID!) { renewSubscription(id: $id) { id } }"#,
            json!({"id": sub_id}),
        )
        .await;
    assert_eq!(foreign[0].0, "NOT_FOUND");
    Ok(())
}

async fn run(
    h: &Harness,
    publisher: Arc<PlanLimitsPublisher>,
    context: &promptsales_kit::RequestContext,
    query: &str,
    variables: Value,
) -> async_graphql::Response {
    // The app of the harness with this publisher instead of the process's.
    let mut app = promptsales_sales::app(h.store.clone(), h.db.clone());
    app.schema = promptsales_sales::schema::builder()
        .data(h.store.clone())
        .data(publisher)
        .finish();
    execute_as(
        &app,
        context.clone(),
        Request::new(query).variables(Variables::from_json(variables)),
    )
    .await
}

/// A subscription change publishes `plan:{org}` (feature -> limit) to Redis, cancelling
/// removes it, start-up publishes every organization; with Redis down the mutation still
/// succeeds and the failure is counted.
pub async fn plan_limits_are_published_to_redis_and_an_outage_fails_no_mutation(
    h: &Harness,
) -> anyhow::Result<()> {
    use redis::AsyncCommands;
    let redis_server = promptsales_kit::testing::redis().await;
    let publisher = Arc::new(PlanLimitsPublisher::new(
        redis_server.url(),
        redis_server.fresh_prefix(),
    ));
    let team = Team::new(h, "Published").await?;
    let plan = small_plan(h, "ads-redis").await?;
    let vars = json!({"org": team.org.id.to_string(), "plan": plan.id.to_string()});
    let response = run(h, publisher.clone(), &team.approver(), SUBSCRIBE, vars).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let sub_id = response.data.into_json()?["subscribe"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let client = redis::Client::open(redis_server.url())?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let key = publisher.key(team.org.id);
    let hash: HashMap<String, i64> = con.hgetall(&key).await?;
    assert_eq!(
        hash,
        HashMap::from([
            ("active_campaigns".to_string(), 1),
            ("ai_generations_per_month".to_string(), 3)
        ])
    );
    let ttl: i64 = con.ttl(&key).await?;
    assert!(ttl > 0, "the hash expires unless republished");

    // Start-up republishes everything (here after the key was lost).
    let _: () = con.del(&key).await?;
    assert!(promptsales_sales::limits::publish_all(h.store.as_ref(), &publisher).await >= 1);
    let hash: HashMap<String, i64> = con.hgetall(&key).await?;
    assert_eq!(hash.len(), 2);

    let cancel = r#"mutation($id: ID!) { cancelSubscription(id: $id) { status } }"#;
    let response = run(
        h,
        publisher.clone(),
        &team.approver(),
        cancel,
        json!({"id": sub_id}),
    )
    .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let exists: bool = con.exists(&key).await?;
    assert!(!exists, "no live plan, no limits published");

    // Redis down: the subscription is written all the same, the failure counted.
    let down = Arc::new(PlanLimitsPublisher::new(
        format!(
            "redis://127.0.0.1:{}",
            promptsales_kit::testing::free_port()
        ),
        "down:",
    ));
    let vars = json!({"org": team.org.id.to_string(), "plan": plan.id.to_string()});
    let response = run(h, down.clone(), &team.approver(), SUBSCRIBE, vars).await;
    assert!(
        response.errors.is_empty(),
        "a Redis outage fails no mutation: {:?}",
        response.errors
    );
    assert_eq!(down.failures(), 1);
    let subs = h
        .store
        .subscriptions_of(promptsales_kit::context::TenantScope::All, team.org.id)
        .await?;
    assert_eq!(subs.len(), 2);
    Ok(())
}

/// `subscriptionUsage` (sales) and the AI gateway (content's `aiUsage`, its plan limit) read and
/// reserve in one monthly counter: generations made by the gateway show in sales, uses recorded
/// in sales count against the gateway's limit, and a refusal on either side adds nothing.
pub async fn subscription_usage_and_ai_usage_read_one_counter(h: &Harness) -> anyhow::Result<()> {
    use promptsales_kit::ai::{
        AiError, AiGateway, ChatMessage, ChatRequest, HashingEmbedder, RedisCache, TemplateWriter,
    };
    let redis_server = promptsales_kit::testing::redis().await;
    let prefix = redis_server.fresh_prefix();
    let publisher = Arc::new(PlanLimitsPublisher::new(redis_server.url(), prefix.clone()));
    let gateway = AiGateway::new(
        Arc::new(TemplateWriter::new()),
        Arc::new(HashingEmbedder::default()),
    )
    .with_cache(
        Arc::new(RedisCache::open(redis_server.url(), prefix)?),
        std::time::Duration::from_secs(60),
    );
    let team = Team::new(h, "OneCounter").await?;
    let plan = small_plan(h, "ads-counter").await?;
    let org = team.org.id.to_string();
    let vars = json!({"org": org, "plan": plan.id.to_string()});
    let response = run(h, publisher.clone(), &team.approver(), SUBSCRIBE, vars).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);

    let request = |i: usize| ChatRequest::new(vec![ChatMessage::user(format!("post {i}"))]);
    gateway
        .generate_all(Some(team.org.id), "t", &[request(1), request(2)], 2)
        .await?;
    let usage_query =
        r#"query($org: ID!) { subscriptionUsage(organizationId: $org) { feature used limit } }"#;
    let ai_used = |response: async_graphql::Response| -> anyhow::Result<Value> {
        anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json()?;
        Ok(data["subscriptionUsage"]
            .as_array()
            .and_then(|rows| {
                rows.iter()
                    .find(|r| r["feature"] == "ai_generations_per_month")
                    .cloned()
            })
            .unwrap_or(Value::Null))
    };
    let writer = team.writer();
    assert_eq!(
        ai_used(
            run(
                h,
                publisher.clone(),
                &writer,
                usage_query,
                json!({"org": org})
            )
            .await
        )?,
        json!({"feature": "ai_generations_per_month", "used": 2, "limit": 3}),
        "what the gateway generated shows in sales"
    );
    let response = run(
        h,
        publisher.clone(),
        &writer,
        USE,
        json!({"org": org, "n": 1}),
    )
    .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    assert_eq!(
        gateway
            .monthly_usage(team.org.id)
            .await
            .map(|u| (u.generations, u.limit)),
        Some((3, 3)),
        "what sales recorded shows in the gateway"
    );
    assert_eq!(
        gateway
            .generate(Some(team.org.id), "t", &request(3))
            .await
            .expect_err("the month is used up"),
        AiError::PlanLimitReached { limit: 3, used: 3 }
    );
    let refused = run(
        h,
        publisher.clone(),
        &writer,
        USE,
        json!({"org": org, "n": 1}),
    )
    .await;
    assert_eq!(support::errors(&refused)[0].0, "PLAN_LIMIT_REACHED");
    assert_eq!(
        ai_used(
            run(
                h,
                publisher.clone(),
                &writer,
                usage_query,
                json!({"org": org})
            )
            .await
        )?["used"],
        3,
        "refusals on either side added nothing"
    );
    Ok(())
}

/// Redis unreachable (a closed port): sales' `recordUsage` and the AI gateway follow the one
/// setting `kit::quota::admit` applies: `open` (the default) admits the use unmetered
/// (`metered: false`, counted), `closed` refuses it (`SERVICE_UNAVAILABLE`; the gateway's
/// `MeteringUnavailable`, which content answers as `SERVICE_UNAVAILABLE`).
pub async fn with_redis_unreachable_record_usage_and_the_ai_gateway_follow_one_setting(
    h: &Harness,
) -> anyhow::Result<()> {
    use promptsales_kit::ai::{
        AiError, AiGateway, ChatMessage, ChatRequest, HashingEmbedder, LimitPolicy, RedisCache,
        TemplateWriter,
    };
    use promptsales_kit::quota::WithoutRedis;
    let redis_server = promptsales_kit::testing::redis().await;
    let up = Arc::new(PlanLimitsPublisher::new(
        redis_server.url(),
        redis_server.fresh_prefix(),
    ));
    let team = Team::new(h, "QuotaDown").await?;
    let plan = small_plan(h, "ads-quota-down").await?;
    let org = team.org.id.to_string();
    let vars = json!({"org": org, "plan": plan.id.to_string()});
    let response = run(h, up, &team.approver(), SUBSCRIBE, vars).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);

    let closed_port = format!(
        "redis://127.0.0.1:{}",
        promptsales_kit::testing::free_port()
    );
    let use_metered = r#"mutation($org: ID!, $n: Int!) { recordUsage(organizationId: $org, feature: "ai_generations_per_month", amount: $n) { feature used limit metered } }"#;
    let before = promptsales_kit::quota::unmetered();
    let open = Arc::new(
        PlanLimitsPublisher::new(closed_port.clone(), "down:")
            .with_without_redis(WithoutRedis::Open),
    );
    let response = run(
        h,
        open,
        &team.writer(),
        use_metered,
        json!({"org": org, "n": 2}),
    )
    .await;
    assert!(
        response.errors.is_empty(),
        "open admits: {:?}",
        response.errors
    );
    assert_eq!(
        response.data.into_json()?["recordUsage"],
        json!({"feature": "ai_generations_per_month", "used": 0, "limit": 3, "metered": false})
    );
    assert!(
        promptsales_kit::quota::unmetered() >= before + 2,
        "the unmetered use is counted"
    );
    let closed = Arc::new(
        PlanLimitsPublisher::new(closed_port.clone(), "down:")
            .with_without_redis(WithoutRedis::Closed),
    );
    let response = run(
        h,
        closed,
        &team.writer(),
        use_metered,
        json!({"org": org, "n": 1}),
    )
    .await;
    assert_eq!(support::errors(&response)[0].0, "SERVICE_UNAVAILABLE");

    // Reading the counter follows the same setting: `open` answers every feature, the AI
    // generations unmetered; `closed` is SERVICE_UNAVAILABLE.
    let usage = r#"query($org: ID!) { subscriptionUsage(organizationId: $org) { feature used limit metered } }"#;
    let open = Arc::new(
        PlanLimitsPublisher::new(closed_port.clone(), "down:")
            .with_without_redis(WithoutRedis::Open),
    );
    let response = run(h, open, &team.writer(), usage, json!({"org": org})).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let rows = response.data.into_json()?["subscriptionUsage"].clone();
    let ai = rows
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["feature"] == "ai_generations_per_month")
        })
        .cloned();
    assert_eq!(
        ai,
        Some(
            json!({"feature": "ai_generations_per_month", "used": 0, "limit": 3, "metered": false})
        ),
        "{rows:#}"
    );
    assert!(
        rows.as_array().is_some_and(|rows| rows.len() > 1
            && rows
                .iter()
                .filter(|r| r["feature"] != "ai_generations_per_month")
                .all(|r| r["metered"] == true)),
        "every other feature is answered, metered: {rows:#}"
    );
    let closed = Arc::new(
        PlanLimitsPublisher::new(closed_port.clone(), "down:")
            .with_without_redis(WithoutRedis::Closed),
    );
    let response = run(h, closed, &team.writer(), usage, json!({"org": org})).await;
    assert_eq!(support::errors(&response)[0].0, "SERVICE_UNAVAILABLE");

    // The gateway on the same unreachable Redis, under the same two settings.
    let gateway = |without_redis: WithoutRedis| -> anyhow::Result<AiGateway> {
        Ok(AiGateway::new(
            Arc::new(TemplateWriter::new()),
            Arc::new(HashingEmbedder::default()),
        )
        .with_cache(
            Arc::new(RedisCache::open(&closed_port, "down:")?),
            std::time::Duration::from_secs(60),
        )
        .with_limits(LimitPolicy {
            without_redis,
            ..LimitPolicy::default()
        }))
    };
    let request = ChatRequest::new(vec![ChatMessage::user("post")]);
    let generated = gateway(WithoutRedis::Open)?
        .generate(Some(team.org.id), "t", &request)
        .await?;
    assert!(!generated.metered, "open: generated unmetered");
    assert_eq!(
        gateway(WithoutRedis::Closed)?
            .generate(Some(team.org.id), "t", &request)
            .await
            .expect_err("closed: refused"),
        AiError::MeteringUnavailable
    );
    Ok(())
}
