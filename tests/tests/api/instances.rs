//! Two server instances over one database, as behind a load balancer: a replayed write is
//! stored once whichever instance gets it, and on PostgreSQL a caller's rate limit counts
//! the requests of both (on SQLite, one server per file, each instance counts its own).

use futures_util::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, mint_token, spawn_app_with};

const LOG: &str =
    "mutation($i: ActivityInput!) { logActivity(input: $i) { status activity { id } } }";

async fn post(
    app: &TestApp,
    address: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_replay_sent_to_both_instances_is_stored_once() {
    let settings = [("ATTAIN_RATE_LIMIT_PER_MINUTE", "100000")];
    let app = spawn_app_with(&settings).await;
    let second = app.another_instance(&settings).await;
    let report = app.small_org().await;
    let rep = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );
    let input = json!({ "i": { "clientRef": Uuid::now_v7().to_string(), "kind": "VISIT",
                               "occurredAt": "2026-03-10T09:00:00Z", "notes": "offline" } });
    let addresses = [app.address.clone(), second.clone()];
    let answers =
        join_all((0..10).map(|n| post(&app, &addresses[n % 2], &rep, LOG, input.clone()))).await;
    let mut ids = Vec::new();
    let mut created = 0;
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
        let log = &body["data"]["logActivity"];
        match log["status"].as_str() {
            Some("CREATED") => created += 1,
            Some("REPLAYED") => {}
            _ => panic!("{body}"),
        }
        ids.push(log["activity"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the one stored activity");
    let (_, body) = post(
        &app,
        &second,
        &rep,
        "{ activities(first: 5) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["activities"]["totalCount"], 1);
}

#[tokio::test]
async fn the_rate_limit_is_shared_on_postgresql_and_per_instance_on_sqlite() {
    let settings = [("ATTAIN_RATE_LIMIT_PER_MINUTE", "5")];
    let app = spawn_app_with(&settings).await;
    let second = app.another_instance(&settings).await;
    let report = app.small_org().await;
    let rep = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );
    let mut statuses = Vec::new();
    for address in [
        &app.address,
        &second,
        &app.address,
        &second,
        &app.address,
        &second,
    ] {
        let (status, _) = post(&app, address, &rep, "{ me { role } }", json!({})).await;
        statuses.push(status);
    }
    let postgres = app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    if postgres {
        // Five requests a minute in all: the sixth, whichever instance gets it, is refused.
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    } else {
        // Three requests to each instance, within each one's own limit.
        assert_eq!(statuses, [200; 6]);
    }
}

#[tokio::test]
async fn refused_tokens_count_against_the_shared_rate_too() {
    let settings = [("ATTAIN_RATE_LIMIT_PER_MINUTE", "3")];
    let app = spawn_app_with(&settings).await;
    let second = app.another_instance(&settings).await;
    let report = app.small_org().await;
    // A well-signed token of no user (its lookup and count share one statement), and a
    // token that does not verify (counted on its own).
    let nobody = mint_token(report.organization_id, Uuid::now_v7(), "REP");
    let postgres = app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    for token in [nobody.as_str(), "not-a-token"] {
        let mut statuses = Vec::new();
        for address in [&app.address, &second, &app.address, &second] {
            let (status, _) = post(&app, address, token, "{ me { role } }", json!({})).await;
            statuses.push(status);
        }
        if postgres {
            assert_eq!(statuses, [401, 401, 401, 429], "{token}");
        } else {
            assert_eq!(statuses, [401; 4], "{token}");
        }
    }
}
