//! Reads from a streaming replica: with `DATABASE_READ_URL` pointing at a real hot
//! standby (made with `pg_basebackup` from a primary of the test's own), writes go to the
//! primary and queries — activity feeds and scorecards — read the replica, so a paused
//! replica shows the state before a write until it replays it; `X-Read-From: primary`
//! reads one's own write at once. Needs the PostgreSQL server binaries: ignored by
//! default, run by `.ci/run`.

use attain_core::import::{self, Dataset};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cluster::Cluster;
use crate::helpers::{mint_token, small_org_json, start_server};

const ORG_ACTIVITIES: &str = r#"{ kpis(subject: { kind: ORG }, period: "2026-03", keys: [ACTIVITIES]) { values { value } } }"#;

async fn post(address: &str, token: &str, query: &str, variables: Value, primary: bool) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }));
    if primary {
        request = request.header("X-Read-From", "primary");
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// The activities in the rep's feed as the API reads them.
async fn feed(address: &str, rep: &str, primary: bool) -> i64 {
    let query = "{ activities(first: 1) { totalCount } }";
    let data = post(address, rep, query, json!({}), primary).await;
    data["activities"]["totalCount"].as_i64().unwrap()
}

/// The organization's ACTIVITIES KPI for March 2026 as the API reads it.
async fn org_activities(address: &str, admin: &str, primary: bool) -> i64 {
    let data = post(address, admin, ORG_ACTIVITIES, json!({}), primary).await;
    let value = &data["kpis"]["values"][0]["value"];
    value.as_str().unwrap().parse().unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<Option<String>>(0)
        .unwrap()
        .unwrap_or_default()
}

/// Returns once the replica has replayed everything the primary has committed: the
/// primary's standby is synchronous, and a commit made with `synchronous_commit =
/// remote_apply` returns only once the standby has applied it, and all before it.
async fn caught_up(primary: &DatabaseConnection) {
    let transaction = primary.begin().await.unwrap();
    transaction
        .execute_unprepared("SET LOCAL synchronous_commit = remote_apply")
        .await
        .unwrap();
    // A commit waits only when its transaction wrote WAL: a table's catalog rows do.
    transaction
        .execute_unprepared("CREATE TEMPORARY TABLE caught_up () ON COMMIT DROP")
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the PostgreSQL server binaries; run by .ci/run"]
async fn queries_read_the_replica_and_writes_go_to_the_primary() {
    let primary_cluster = Cluster::new();
    primary_cluster.start_synchronous();
    let replica_cluster = Cluster::replica_of(&primary_cluster);
    replica_cluster.start();
    let folder = tempfile::tempdir().unwrap();
    let replica_url = replica_cluster.url();
    let (address, primary) = start_server(
        &primary_cluster.url(),
        folder.path(),
        &[("DATABASE_READ_URL", replica_url.as_str())],
    )
    .await;
    let replica = Database::connect(replica_url.as_str()).await.unwrap();
    let report = import::import(
        &primary,
        &Dataset::from_json(&small_org_json()).unwrap(),
        "replica",
    )
    .await
    .unwrap();
    let rep = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm").unwrap(),
        "ADMIN",
    );
    caught_up(&primary).await;
    assert_eq!(feed(&address, &rep, false).await, 0);

    // The replica stops replaying: what the primary stores next is not there yet.
    scalar(&replica, "SELECT CAST(pg_wal_replay_pause() AS TEXT)").await;
    let logged = post(
        &address,
        &rep,
        "mutation($i: ActivityInput!) { logActivity(input: $i) { status activity { id } } }",
        json!({ "i": { "clientRef": Uuid::now_v7().to_string(), "kind": "VISIT",
                       "occurredAt": "2026-03-10T09:00:00Z" } }),
        false,
    )
    .await;
    assert_eq!(logged["logActivity"]["status"], "CREATED");
    assert_eq!(
        scalar(&primary, "SELECT CAST(COUNT(*) AS TEXT) FROM activities").await,
        "1"
    );
    assert_eq!(
        scalar(&replica, "SELECT CAST(COUNT(*) AS TEXT) FROM activities").await,
        "0"
    );
    // Queries read the replica: the feed and the scorecard figures are as before.
    assert_eq!(feed(&address, &rep, false).await, 0);
    assert_eq!(org_activities(&address, &admin, false).await, 0);
    // Reading from the primary shows one's own write at once.
    assert_eq!(feed(&address, &rep, true).await, 1);
    assert_eq!(org_activities(&address, &admin, true).await, 1);

    // Once the replica replays again, the default reads catch up.
    scalar(&replica, "SELECT CAST(pg_wal_replay_resume() AS TEXT)").await;
    caught_up(&primary).await;
    assert_eq!(feed(&address, &rep, false).await, 1);
    assert_eq!(org_activities(&address, &admin, false).await, 1);
}
