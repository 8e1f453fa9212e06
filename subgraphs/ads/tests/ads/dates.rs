//! Issue 13: an ad never reads RUNNING before its start date or after its end date, and reads
//! the same on every read path: its `status`, the organization's list and a campaign's list
//! filtered by status (the store's filter follows the same rule), and the status a write
//! starts from (an ad past its end date cannot be made to run again).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use promptsales_ads::domain::{AdChannel, AdStatus};
use promptsales_ads::store::NewAd;
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;
use serde_json::{Value, json};

use crate::harness::{Env, day_n, iso_n, new_ad, tenant};

on_each_backend!(an_ad_reads_running_only_within_its_dates_on_every_read_path);

const STATUSES: [&str; 5] = ["DRAFT", "SCHEDULED", "RUNNING", "PAUSED", "ENDED"];

fn names(connection: &Value) -> BTreeSet<String> {
    connection["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn an_ad_reads_running_only_within_its_dates_on_every_read_path(env: &Env) -> Result<()> {
    let org = new_id();
    let campaign = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    // Day 28 of the tests' month is today. (name, stored status, first day, last day, reads)
    let cases = [
        ("ended yesterday", AdStatus::Running, 1, 27, "ENDED"),
        ("last day today", AdStatus::Running, 1, 28, "RUNNING"),
        ("first day today", AdStatus::Running, 28, 31, "RUNNING"),
        ("starts tomorrow", AdStatus::Running, 29, 31, "SCHEDULED"),
        ("paused, over", AdStatus::Paused, 1, 20, "ENDED"),
        ("paused", AdStatus::Paused, 1, 31, "PAUSED"),
        ("scheduled, over", AdStatus::Scheduled, 1, 20, "ENDED"),
        ("scheduled", AdStatus::Scheduled, 29, 31, "SCHEDULED"),
        ("draft, over", AdStatus::Draft, 1, 20, "DRAFT"),
        ("ended", AdStatus::Ended, 1, 31, "ENDED"),
    ];
    let mut ids = BTreeMap::new();
    for (name, status, first, last, _) in cases {
        let ad = env
            .store
            .insert_ad(NewAd {
                status,
                start_date: day_n(first),
                end_date: day_n(last),
                ..new_ad(&market, campaign, AdChannel::Facebook, name)
            })
            .await?;
        ids.insert(name, ad.id);
    }
    let me = tenant(org);
    let expected = |status: &str| -> BTreeSet<String> {
        cases
            .iter()
            .filter(|c| c.4 == status)
            .map(|c| c.0.to_string())
            .collect()
    };

    // The ad's own status, read by id.
    for (name, _, _, _, reads) in cases {
        let data = env
            .gql_ok(
                &me,
                "query($id: ID!) { ad(id: $id) { status } }",
                json!({"id": ids[name].to_string()}),
            )
            .await;
        assert_eq!(data["ad"]["status"], reads, "{name}");
    }
    // Lists filtered by status, the organization's and the campaign's, show the same.
    for status in STATUSES {
        let data = env
            .gql_ok(
                &me,
                r#"query($status: AdStatus!, $reps: [_Any!]!) {
                  ads(first: 50, filter: {status: $status}) { edges { node { name status } } }
                  _entities(representations: $reps) { ... on Campaign {
                    ads(first: 50, filter: {status: $status}) { edges { node { name status } } } } } }"#,
                json!({"status": status,
                       "reps": [{"__typename": "Campaign", "id": campaign.to_string()}]}),
            )
            .await;
        assert_eq!(names(&data["ads"]), expected(status), "ads in {status}");
        assert_eq!(
            names(&data["_entities"][0]["ads"]),
            expected(status),
            "the campaign's ads in {status}"
        );
        for edge in data["ads"]["edges"].as_array().into_iter().flatten() {
            assert_eq!(edge["node"]["status"], status, "{edge}");
        }
    }
    // The store returns the same to every other path (budgets, the state machine, the webhook).
    let stored = env
        .store
        .ads_by_id(TenantScope::All, &ids.values().copied().collect::<Vec<_>>())
        .await?;
    for ad in &stored {
        assert!(
            ad.status != AdStatus::Running
                || (ad.start_date <= day_n(28) && day_n(28) <= ad.end_date),
            "{ad:?}"
        );
    }

    // A write starts from the status the ad reads: past its end date it cannot run again,
    // and a change of settings records the ENDED it reads.
    let update = r#"mutation($id: ID!, $input: UpdateAdInput!) { updateAd(id: $id, input: $input) { name status } }"#;
    let over = ids["ended yesterday"].to_string();
    let refused = env
        .gql(
            &me,
            update,
            json!({"id": over, "input": {"status": "RUNNING"}}),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused:#}"
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["field"], "input.status",
        "{refused:#}"
    );
    let renamed = env
        .gql_ok(
            &me,
            update,
            json!({"id": over, "input": {"name": "ended yesterday, renamed"}}),
        )
        .await;
    assert_eq!(
        renamed["updateAd"],
        json!({"name": "ended yesterday, renamed", "status": "ENDED"})
    );

    // A started ad's start cannot move (it would read SCHEDULED while the platform serves it,
    // out of reach of its campaign's pause); a scheduled ad's can.
    for name in ["first day today", "paused"] {
        let moved = env
            .gql(
                &me,
                update,
                json!({"id": ids[name].to_string(), "input": {"startDate": iso_n(29)}}),
            )
            .await;
        assert_eq!(
            moved["errors"][0]["extensions"]["field"], "input.startDate",
            "{name}: {moved:#}"
        );
    }
    let read = env
        .gql_ok(
            &me,
            "query($id: ID!) { ad(id: $id) { status startDate } }",
            json!({"id": ids["first day today"].to_string()}),
        )
        .await;
    assert_eq!(
        read["ad"],
        json!({"status": "RUNNING", "startDate": iso_n(28)})
    );
    let rescheduled = env
        .gql_ok(
            &me,
            update,
            json!({"id": ids["scheduled"].to_string(), "input": {"startDate": iso_n(30)}}),
        )
        .await;
    assert_eq!(rescheduled["updateAd"]["status"], "SCHEDULED");
    Ok(())
}
