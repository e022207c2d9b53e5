//! A database outage in the middle of mobile syncing: a client logs activities with
//! retries while its PostgreSQL server is stopped and started again. Every acknowledged
//! activity ends up stored exactly once, every answer during the outage comes within the
//! time limits, and the server recovers by itself.
//!
//! The test runs its own throw-away PostgreSQL cluster (`initdb` and `pg_ctl` in a
//! temporary folder, on a free port, as the `postgres` user), never the machine's shared
//! server. It needs the PostgreSQL server binaries, so it is ignored by default and run
//! by `.ci/run` (`cargo test -p attain-tests -- --ignored`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use attain_core::import::{self, Dataset};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

use crate::cluster::Cluster;
use crate::helpers::{mint_token, small_org_json, start_server};

/// What the syncing client has seen so far.
#[derive(Clone, Debug, Default)]
struct Progress {
    acknowledged: usize,
    failures: usize,
    done: bool,
}

const ACTIVITIES: usize = 60;
/// The slowest answer allowed during the outage: the pool's acquire timeout (5 s) and
/// some slack.
const ANSWER_WITHIN: Duration = Duration::from_secs(8);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the PostgreSQL server binaries; run by .ci/run"]
async fn acknowledged_activities_survive_a_database_restart_exactly_once() {
    let cluster = Cluster::new();
    cluster.start();
    let folder = tempfile::tempdir().unwrap();
    let (address, db) = start_server(
        &cluster.url(),
        folder.path(),
        &[("ATTAIN_RATE_LIMIT_PER_MINUTE", "1000000")],
    )
    .await;
    let address = format!("{address}/graphql");
    let report = import::import(
        &db,
        &Dataset::from_json(&small_org_json()).unwrap(),
        "faults",
    )
    .await
    .unwrap();
    let token = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );

    let (progress_tx, mut progress) = watch::channel(Progress::default());
    let client = tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut acknowledged = BTreeSet::new();
        let mut slowest_failure = Duration::ZERO;
        for number in 0..ACTIVITIES {
            let client_ref = Uuid::now_v7();
            let input = json!({ "clientRef": client_ref.to_string(), "kind": "VISIT",
                                "occurredAt": "2026-03-10T09:00:00Z", "notes": format!("visit {number}") });
            loop {
                let started = Instant::now();
                let answer = http
                    .post(&address)
                    .bearer_auth(&token)
                    .json(&json!({ "query": "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }",
                                   "variables": { "i": input } }))
                    .send()
                    .await;
                let body: Option<serde_json::Value> = match answer {
                    Ok(response) => response.json().await.ok(),
                    Err(_) => None,
                };
                let status = body
                    .as_ref()
                    .and_then(|body| body["data"]["logActivity"]["status"].as_str())
                    .map(str::to_owned);
                match status.as_deref() {
                    Some("CREATED" | "REPLAYED") => {
                        acknowledged.insert(client_ref);
                        progress_tx.send_modify(|p| p.acknowledged += 1);
                        break;
                    }
                    _ => {
                        let code = body
                            .as_ref()
                            .and_then(|body| body["errors"][0]["extensions"]["code"].as_str())
                            .unwrap_or("no answer")
                            .to_owned();
                        assert_eq!(
                            code, "UNAVAILABLE",
                            "an outage answers UNAVAILABLE: {body:?}"
                        );
                        slowest_failure = slowest_failure.max(started.elapsed());
                        progress_tx.send_modify(|p| p.failures += 1);
                    }
                }
            }
        }
        progress_tx.send_modify(|p| p.done = true);
        (acknowledged, slowest_failure)
    });

    // Stop the server once a third is acknowledged, start it again after a few failures.
    progress
        .wait_for(|p| p.acknowledged >= ACTIVITIES / 3)
        .await
        .unwrap();
    tokio::task::block_in_place(|| cluster.stop());
    let failures_before = progress.borrow().failures;
    progress
        .wait_for(|p| p.failures >= failures_before + 5)
        .await
        .unwrap();
    tokio::task::block_in_place(|| cluster.start());
    let (acknowledged, slowest_failure) = client.await.unwrap();

    let failures = progress.borrow().failures;
    println!("{failures} answers during the outage, the slowest in {slowest_failure:?}");
    assert_eq!(acknowledged.len(), ACTIVITIES);
    assert!(
        slowest_failure <= ANSWER_WITHIN,
        "an answer during the outage took {slowest_failure:?}"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT client_ref, COUNT(*) AS n FROM activities WHERE organization_id = $1 GROUP BY client_ref",
            [report.organization_id.into()],
        ))
        .await
        .expect("the server is back");
    let stored: BTreeMap<Uuid, i64> = rows
        .iter()
        .map(|row| {
            (
                row.try_get("", "client_ref").unwrap(),
                row.try_get("", "n").unwrap(),
            )
        })
        .collect();
    assert!(stored.values().all(|n| *n == 1), "stored twice: {stored:?}");
    let stored: BTreeSet<Uuid> = stored.into_keys().collect();
    assert_eq!(
        stored, acknowledged,
        "every acknowledged activity, and nothing else"
    );
}
