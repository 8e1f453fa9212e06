//! Budget movements, payment methods and transactions, on every backend.

use futures::future::join_all;
use promptsales_kit::context::{Role, TenantScope};
use promptsales_kit::{Decimal4, PageRequest};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use crate::portal_support::{Team, audit_count, caller, extension};
use crate::support::{self, Harness};

const MOVE: &str = r#"mutation($input: BudgetMovementInput!) {
  recordBudgetMovement(input: $input) { id kind amount { amount currency } balanceAfter { amount } totalAfter { amount } spentAfter { amount } sourceSubsystem reference }
}"#;

fn movement(campaign: &str, kind: &str, amount: &str) -> Value {
    json!({"input": {"campaignId": campaign, "kind": kind, "amount": amount, "sourceSubsystem": "ads", "reference": "ad-1"}})
}

async fn budget(h: &Harness, campaign: uuid::Uuid) -> anyhow::Result<(Decimal4, Decimal4)> {
    let c = h
        .store
        .campaigns_by_ids(TenantScope::All, &[campaign])
        .await?;
    let c = c.first().ok_or_else(|| anyhow::anyhow!("campaign gone"))?;
    Ok((c.budget.total, c.budget.spent))
}

/// Deposits, spends, refunds and adjustments keep `balance = total - spent`, each movement
/// records the balance it left, and a movement the balance cannot cover is refused
/// (INSUFFICIENT_FUNDS) without writing anything.
pub async fn movements_keep_a_running_balance_that_never_goes_negative(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Ledger").await?;
    let id = team.campaign.id.to_string();
    let writer = team.writer();
    // The campaign starts with 1000 total, nothing spent.
    let steps = [
        ("SPEND", "400", "600.00"),
        ("DEPOSIT", "250.5", "850.50"),
        ("REFUND", "100", "950.50"),
        ("ADJUSTMENT", "-50.5", "900.00"),
        ("SPEND", "900", "0.00"),
    ];
    for (kind, amount, balance) in steps {
        let data = h.data(&writer, MOVE, movement(&id, kind, amount)).await?;
        assert_eq!(
            data["recordBudgetMovement"]["balanceAfter"]["amount"], balance,
            "{kind} {amount}"
        );
        assert_eq!(data["recordBudgetMovement"]["sourceSubsystem"], "ads");
    }
    assert_eq!(
        budget(h, team.campaign.id).await?,
        (Decimal4::from_units(1_200), Decimal4::from_units(1_200))
    );
    let audited = audit_count(h, &id).await?;

    let response = h.run(&writer, MOVE, movement(&id, "SPEND", "0.01")).await;
    assert_eq!(support::errors(&response)[0].0, "INSUFFICIENT_FUNDS");
    assert_eq!(extension(&response, "available"), ["0.00"]);
    let refund_too_much = h
        .failure(&writer, MOVE, movement(&id, "REFUND", "1200.01"))
        .await;
    assert_eq!(refund_too_much[0].0, "INSUFFICIENT_FUNDS");
    let below_spent = h
        .failure(&writer, MOVE, movement(&id, "ADJUSTMENT", "-1"))
        .await;
    assert_eq!(below_spent[0].0, "INSUFFICIENT_FUNDS");
    assert_eq!(
        h.failure(&writer, MOVE, movement(&id, "SPEND", "-5")).await,
        vec![("BAD_USER_INPUT".to_string(), "input.amount".to_string())]
    );
    let mut bad_source = movement(&id, "SPEND", "1");
    bad_source["input"]["sourceSubsystem"] = json!("billing");
    assert_eq!(
        h.failure(&writer, MOVE, bad_source).await[0].1,
        "input.sourceSubsystem"
    );
    let reader = caller(team.org.id, team.marketer.id, Role::Read);
    assert_eq!(
        h.failure(&reader, MOVE, movement(&id, "DEPOSIT", "1"))
            .await[0]
            .0,
        "FORBIDDEN"
    );
    let other = Team::new(h, "Stranger").await?;
    assert_eq!(
        h.failure(&other.writer(), MOVE, movement(&id, "DEPOSIT", "1"))
            .await[0]
            .0,
        "NOT_FOUND"
    );
    // Refusals wrote nothing: same budget, same movements, same audit trail.
    assert_eq!(
        budget(h, team.campaign.id).await?,
        (Decimal4::from_units(1_200), Decimal4::from_units(1_200))
    );
    assert_eq!(audit_count(h, &id).await?, audited);
    let page = h
        .store
        .movements_of_campaign(
            TenantScope::All,
            team.campaign.id,
            PageRequest {
                first: 100,
                after: None,
            },
        )
        .await?;
    assert_eq!(page.items.len(), steps.len());
    let listed = h
        .data(&writer, r#"query($id: ID!) { campaign(id: $id) { budgetMovements(first: 2) { edges { node { kind balanceAfter { amount } } } pageInfo { hasNextPage } } } }"#, json!({"id": id}))
        .await?;
    let movements = &listed["campaign"]["budgetMovements"];
    assert_eq!(
        movements["edges"][0]["node"],
        json!({"kind": "SPEND", "balanceAfter": {"amount": "600.00"}})
    );
    assert_eq!(movements["pageInfo"]["hasNextPage"], true);
    Ok(())
}

/// Many spends at once on one campaign: exactly as many succeed as the balance covers, the
/// spent amount is their sum (no lost update), and no balance is ever negative.
pub async fn concurrent_spends_lose_no_update_and_never_overdraw(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Rush").await?;
    let id = team.campaign.id.to_string();
    let writer = team.writer();
    // 1000 available, 40 spends of 30: 33 fit (990), 7 must be refused.
    let attempts = 40;
    let responses =
        join_all((0..attempts).map(|_| h.run(&writer, MOVE, movement(&id, "SPEND", "30")))).await;
    let mut ok = 0;
    for response in &responses {
        match support::errors(response).first() {
            None => ok += 1,
            Some((code, _)) => assert_eq!(
                code, "INSUFFICIENT_FUNDS",
                "only refusals for lack of funds"
            ),
        }
    }
    assert_eq!(ok, 33);
    let (total, spent) = budget(h, team.campaign.id).await?;
    assert_eq!(
        (total, spent),
        (Decimal4::from_units(1_000), Decimal4::from_units(990))
    );
    let page = h
        .store
        .movements_of_campaign(
            TenantScope::All,
            team.campaign.id,
            PageRequest {
                first: 100,
                after: None,
            },
        )
        .await?;
    assert_eq!(page.items.len(), 33);
    let mut balances: Vec<i64> = page.items.iter().map(|m| m.balance_after().raw()).collect();
    balances.sort_unstable();
    balances.dedup();
    assert_eq!(balances.len(), 33, "each spend saw the one before it");
    assert!(balances.iter().all(|b| *b >= 0));
    assert_eq!(
        balances.first().copied(),
        Some(Decimal4::from_units(10).raw())
    );
    let summed: i64 = page.items.iter().map(|m| m.amount.raw()).sum();
    assert_eq!(summed, spent.raw());
    Ok(())
}

fn statement(
    backend: DatabaseBackend,
    postgres: &str,
    sqlite: &str,
    values: Vec<sea_orm::Value>,
) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        postgres
    } else {
        sqlite
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The database guards the balance on its own: a write around the application that would
/// overdraw a campaign or record a negative balance is refused by its CHECKs.
pub async fn the_database_refuses_a_negative_balance_on_its_own(h: &Harness) -> anyhow::Result<()> {
    let team = Team::new(h, "Guard").await?;
    let backend = h.db.get_database_backend();
    let overdraw =
        h.db.execute(statement(
            backend,
            "UPDATE campaigns SET budget_spent = budget_total + 1 WHERE id = $1",
            "UPDATE campaigns SET budget_spent = budget_total + 1 WHERE id = ?",
            vec![team.campaign.id.into()],
        ))
        .await;
    let message = format!("{:?}", overdraw.err()).to_lowercase();
    assert!(message.contains("check"), "refused by a CHECK: {message}");
    let now = chrono::Utc::now();
    let negative = h
        .db
        .execute(statement(
            backend,
            "INSERT INTO budget_movements (id, organization_id, campaign_id, kind, amount, total_after, spent_after, balance_after, source_subsystem, created_at, updated_at) VALUES ($1, $2, $3, 'spend', 10, 0, 10, -10, 'sales', $4, $4)",
            "INSERT INTO budget_movements (id, organization_id, campaign_id, kind, amount, total_after, spent_after, balance_after, source_subsystem, created_at, updated_at) VALUES (?, ?, ?, 'spend', 10, 0, 10, -10, 'sales', ?, ?)",
            if backend == DatabaseBackend::Postgres {
                vec![uuid::Uuid::now_v7().into(), team.org.id.into(), team.campaign.id.into(), now.into()]
            } else {
                vec![uuid::Uuid::now_v7().into(), team.org.id.into(), team.campaign.id.into(), now.into(), now.into()]
            },
        ))
        .await;
    let message = format!("{:?}", negative.err()).to_lowercase();
    assert!(message.contains("check"), "refused by a CHECK: {message}");
    assert_eq!(
        budget(h, team.campaign.id).await?,
        (Decimal4::from_units(1_000), Decimal4::ZERO)
    );
    Ok(())
}

const ADD_METHOD: &str = r#"mutation($input: PaymentMethodInput!) { addPaymentMethod(input: $input) { id provider brand lastFour expMonth expYear active } }"#;

const PAY: &str = r#"mutation($input: PaymentTransactionInput!) { recordPaymentTransaction(input: $input) { id kind status amount { amount currency } campaignId } }"#;

/// Payment methods keep the provider's token and display details, never a card number;
/// a succeeded campaign-budget payment deposits into the campaign with a movement that
/// points at it; both are audited and admin-only.
pub async fn payment_methods_hold_tokens_and_transactions_fund_campaigns(
    h: &Harness,
) -> anyhow::Result<()> {
    let team = Team::new(h, "Payer").await?;
    let org = team.org.id.to_string();
    let admin = team.approver();
    let method = |token: &str| json!({"input": {"organizationId": org, "provider": "Stripe", "providerToken": token, "brand": "Visa", "lastFour": "4242", "expMonth": 12, "expYear": 2031}});
    let pan = h
        .failure(&admin, ADD_METHOD, method("4242 4242 4242 4242"))
        .await;
    assert_eq!(
        pan,
        vec![(
            "BAD_USER_INPUT".to_string(),
            "input.providerToken".to_string()
        )]
    );
    assert_eq!(
        h.failure(&team.writer(), ADD_METHOD, method("pm_1Nq"))
            .await[0]
            .0,
        "FORBIDDEN"
    );
    let data = h
        .data(&admin, ADD_METHOD, method("pm_1NqA2b3C4d5E6f"))
        .await?;
    let added = &data["addPaymentMethod"];
    assert_eq!(
        (
            added["provider"].as_str(),
            added["lastFour"].as_str(),
            added["active"].as_bool()
        ),
        (Some("stripe"), Some("4242"), Some(true))
    );
    let method_id = added["id"].as_str().unwrap_or_default().to_string();
    let listed = h
        .data(
            &admin,
            r#"query($org: ID!) { paymentMethods(organizationId: $org) { id brand } }"#,
            json!({"org": org}),
        )
        .await?;
    assert_eq!(listed["paymentMethods"].as_array().map(Vec::len), Some(1));

    let pay = |status: &str, currency: &str| json!({"input": {"organizationId": org, "kind": "CAMPAIGN_BUDGET", "campaignId": team.campaign.id.to_string(), "paymentMethodId": method_id, "amount": "500", "currency": currency, "status": status, "providerReference": "ch_1"}});
    assert_eq!(
        h.failure(&admin, PAY, pay("SUCCEEDED", "USD")).await[0].1,
        "input.currency"
    );
    let data = h.data(&admin, PAY, pay("SUCCEEDED", "EUR")).await?;
    let transaction = data["recordPaymentTransaction"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        budget(h, team.campaign.id).await?.0,
        Decimal4::from_units(1_500)
    );
    h.data(&admin, PAY, pay("FAILED", "EUR")).await?;
    assert_eq!(
        budget(h, team.campaign.id).await?.0,
        Decimal4::from_units(1_500),
        "a failed payment deposits nothing"
    );
    let page = h
        .store
        .movements_of_campaign(
            TenantScope::All,
            team.campaign.id,
            PageRequest {
                first: 10,
                after: None,
            },
        )
        .await?;
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        page.items[0].transaction_id.map(|t| t.to_string()),
        Some(transaction)
    );
    let listed = h
        .data(&admin, r#"query($org: ID!) { paymentTransactions(organizationId: $org) { edges { node { status } } } }"#, json!({"org": org}))
        .await?;
    assert_eq!(
        listed["paymentTransactions"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let removed = h
        .data(
            &admin,
            r#"mutation($id: ID!) { removePaymentMethod(id: $id) { active } }"#,
            json!({"id": method_id}),
        )
        .await?;
    assert_eq!(removed["removePaymentMethod"]["active"], false);
    assert_eq!(
        audit_count(h, &method_id).await?,
        2,
        "added and removed, audited"
    );
    Ok(())
}
