//! Activity logging as a mobile app does it: replays, conflicts, offline batches, edits,
//! deletes with tombstones, the feed, field errors, and the audit trail.

use attain_core::import::{Dataset, ImportReport};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, failure, mint_token, small_org_json, spawn_app};

const LOG: &str = r#"mutation($input: ActivityInput!) { logActivity(input: $input) {
  status activity { id clientRef repId kind notes deletedAt } error { code field } } }"#;
const LOG_MANY: &str = r#"mutation($inputs: [ActivityInput!]!) { logActivities(inputs: $inputs) {
  index status activity { id clientRef } error { code message field } } }"#;

fn visit(client_ref: Uuid, notes: &str) -> Value {
    json!({ "clientRef": client_ref.to_string(), "kind": "VISIT", "occurredAt": "2026-03-10T09:00:00Z",
            "quality": true, "durationMinutes": 45, "notes": notes })
}

async fn setup() -> (TestApp, ImportReport) {
    let app = spawn_app().await;
    let report = app.small_org().await;
    (app, report)
}

fn token(report: &ImportReport, user: &str, role: &str) -> String {
    mint_token(
        report.organization_id,
        report.id("users", user).unwrap(),
        role,
    )
}

async fn stored(app: &TestApp, organization: Uuid) -> i64 {
    app.db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM activities WHERE organization_id = $1",
            [organization.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

/// Logs a batch and checks that every item answered `status`.
async fn log_all(app: &TestApp, token: &str, inputs: &[Value], status: &str) {
    let (_, body) = app
        .graphql(LOG_MANY, json!({ "inputs": inputs }), Some(token))
        .await;
    let results = body["data"]["logActivities"].as_array().unwrap();
    assert_eq!(results.len(), inputs.len(), "{body}");
    assert!(results.iter().all(|r| r["status"] == status), "{body}");
}

#[tokio::test]
async fn a_replay_returns_the_stored_activity_and_other_values_conflict() {
    let (app, report) = setup().await;
    let rep = token(&report, "rep-1", "REP");
    let client_ref = Uuid::now_v7();
    let (_, first) = app
        .graphql(
            LOG,
            json!({ "input": visit(client_ref, "met the buyer") }),
            Some(&rep),
        )
        .await;
    assert_eq!(first["data"]["logActivity"]["status"], "CREATED", "{first}");
    let id = first["data"]["logActivity"]["activity"]["id"].clone();
    let (_, again) = app
        .graphql(
            LOG,
            json!({ "input": visit(client_ref, "met the buyer") }),
            Some(&rep),
        )
        .await;
    assert_eq!(again["data"]["logActivity"]["status"], "REPLAYED");
    assert_eq!(again["data"]["logActivity"]["activity"]["id"], id);
    let (_, other) = app
        .graphql(
            LOG,
            json!({ "input": visit(client_ref, "something else") }),
            Some(&rep),
        )
        .await;
    assert_eq!(error_code(&other), "CONFLICT", "{other}");
    // In an offline batch, the same conflict is that item's answer; the rest is stored.
    let (_, batch) = app
        .graphql(
            LOG_MANY,
            json!({ "inputs": [visit(client_ref, "something else"),
                               visit(Uuid::now_v7(), "next stop")] }),
            Some(&rep),
        )
        .await;
    let results = &batch["data"]["logActivities"];
    assert_eq!(results[0]["status"], "REJECTED", "{batch}");
    assert_eq!(results[0]["error"]["code"], "CONFLICT", "{batch}");
    assert_eq!(results[1]["status"], "CREATED", "{batch}");
    assert_eq!(stored(&app, report.organization_id).await, 2);

    // Edited: a replay of the original still answers, with the edited activity.
    let (_, edited) = app
        .graphql(
            r#"mutation($id: ID!) { updateActivity(id: $id, input: { notes: "signed" }) { notes } }"#,
            json!({ "id": id }),
            Some(&rep),
        )
        .await;
    assert_eq!(
        edited["data"]["updateActivity"]["notes"], "signed",
        "{edited}"
    );
    let (_, replay) = app
        .graphql(
            LOG,
            json!({ "input": visit(client_ref, "met the buyer") }),
            Some(&rep),
        )
        .await;
    assert_eq!(replay["data"]["logActivity"]["status"], "REPLAYED");
    assert_eq!(replay["data"]["logActivity"]["activity"]["notes"], "signed");

    // Deleted: it stays deleted.
    let (_, deleted) = app
        .graphql(
            "mutation($id: ID!) { deleteActivity(id: $id) { deletedAt } }",
            json!({ "id": id }),
            Some(&rep),
        )
        .await;
    assert!(
        deleted["data"]["deleteActivity"]["deletedAt"].is_string(),
        "{deleted}"
    );
    let (_, replay) = app
        .graphql(
            LOG,
            json!({ "input": visit(client_ref, "met the buyer") }),
            Some(&rep),
        )
        .await;
    assert_eq!(replay["data"]["logActivity"]["status"], "REPLAYED");
    assert!(replay["data"]["logActivity"]["activity"]["deletedAt"].is_string());
    let (_, feed) = app
        .graphql("{ activities { totalCount } }", json!({}), Some(&rep))
        .await;
    // The batch's other activity is what is left in the feed.
    assert_eq!(feed["data"]["activities"]["totalCount"], 1);
    let (_, twice) = app
        .graphql(
            "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
            json!({ "id": id }),
            Some(&rep),
        )
        .await;
    assert_eq!(error_code(&twice), "NOT_FOUND");
}

#[tokio::test]
async fn replayed_and_shuffled_offline_batches_store_each_activity_once() {
    let (app, report) = setup().await;
    let rep = token(&report, "rep-1", "REP");
    let mut batch: Vec<Value> = (0..40)
        .map(|i| visit(Uuid::now_v7(), &format!("visit {i}")))
        .collect();
    log_all(&app, &rep, &batch, "CREATED").await;
    batch.reverse();
    batch.rotate_left(7);
    log_all(&app, &rep, &batch, "REPLAYED").await;
    assert_eq!(stored(&app, report.organization_id).await, 40);

    // Ten concurrent replays of one entry store it once.
    let one = visit(Uuid::now_v7(), "raced");
    let runs = (0..10).map(|_| app.graphql(LOG, json!({ "input": one }), Some(&rep)));
    let answers = futures_util::future::join_all(runs).await;
    let created = answers
        .iter()
        .filter(|(_, body)| body["data"]["logActivity"]["status"] == "CREATED")
        .count();
    assert_eq!(created, 1, "{answers:?}");
    assert_eq!(stored(&app, report.organization_id).await, 41);
}

#[tokio::test]
async fn bad_items_are_rejected_with_their_field_and_the_good_ones_stored() {
    let (app, report) = setup().await;
    let rep = token(&report, "rep-1", "REP");
    let good = visit(Uuid::now_v7(), "fine");
    let mut future = visit(Uuid::now_v7(), "later");
    future["occurredAt"] = json!("2999-01-01T00:00:00Z");
    let mut long = visit(Uuid::now_v7(), &"x".repeat(5001));
    long["kind"] = json!("CALL");
    let mut negative = visit(Uuid::now_v7(), "minus");
    negative["durationMinutes"] = json!(-5);
    let mut foreign = visit(Uuid::now_v7(), "elsewhere");
    foreign["customerId"] = json!(Uuid::now_v7().to_string());
    let mut not_mine = visit(Uuid::now_v7(), "peer");
    not_mine["repId"] = json!(report.id("users", "rep-2").unwrap().to_string());
    let mut bad_ref = visit(Uuid::now_v7(), "ref");
    bad_ref["clientRef"] = json!("not-a-uuid");
    // A day ahead is the limit: a clock a few hours fast still logs.
    let ahead = |hours: i64| (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339();
    let mut soon = visit(Uuid::now_v7(), "fast clock");
    soon["occurredAt"] = json!(ahead(23));
    let mut too_soon = visit(Uuid::now_v7(), "too fast");
    too_soon["occurredAt"] = json!(ahead(25));
    // A real user of another organization reads as no user at all.
    let elsewhere = app
        .import(&Dataset::from_json(&small_org_json()).expect("a valid data set"))
        .await;
    let mut other_org = visit(Uuid::now_v7(), "other org");
    other_org["repId"] = json!(elsewhere.id("users", "rep-1").unwrap().to_string());
    let inputs = json!([
        good, future, long, negative, foreign, not_mine, bad_ref, soon, too_soon, other_org
    ]);
    let (_, body) = app
        .graphql(LOG_MANY, json!({ "inputs": inputs }), Some(&rep))
        .await;
    let results = body["data"]["logActivities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let fields: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["error"]["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("CREATED", ""),
            ("REJECTED", "inputs[1].occurredAt"),
            ("REJECTED", "inputs[2].notes"),
            ("REJECTED", "inputs[3].durationMinutes"),
            ("REJECTED", "inputs[4].customerId"),
            ("REJECTED", "inputs[5].repId"),
            ("REJECTED", "inputs[6].clientRef"),
            ("CREATED", ""),
            ("REJECTED", "inputs[8].occurredAt"),
            ("REJECTED", "inputs[9].repId"),
        ]
    );
    assert!(
        results
            .iter()
            .filter(|r| r["status"] == "REJECTED")
            .all(|r| r["error"]["code"] == "BAD_USER_INPUT")
    );
    assert_eq!(stored(&app, report.organization_id).await, 2);
    assert_eq!(stored(&app, elsewhere.organization_id).await, 0);

    // An unknown kind refuses the request, naming the field.
    let mut walk = visit(Uuid::now_v7(), "walk");
    walk["kind"] = json!("WALK");
    let (_, body) = app.graphql(LOG, json!({ "input": walk }), Some(&rep)).await;
    assert_eq!(failure(&body), ("BAD_USER_INPUT", "kind"), "{body}");

    for size in [0, 501] {
        let inputs: Vec<Value> = (0..size).map(|_| visit(Uuid::now_v7(), "")).collect();
        let (_, body) = app
            .graphql(LOG_MANY, json!({ "inputs": inputs }), Some(&rep))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{size}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "inputs");
    }
    assert_eq!(stored(&app, report.organization_id).await, 2);
    // 500 is the limit, not over it.
    let inputs: Vec<Value> = (0..500).map(|_| visit(Uuid::now_v7(), "")).collect();
    log_all(&app, &rep, &inputs, "CREATED").await;
    assert_eq!(stored(&app, report.organization_id).await, 502);
}

#[tokio::test]
async fn the_feed_shows_what_the_caller_may_read_and_the_audit_log_what_happened() {
    let (app, report) = setup().await;
    let rep = token(&report, "rep-1", "REP");
    let manager = token(&report, "mgr", "MANAGER");
    let analyst = token(&report, "ana", "ANALYST");
    let admin = token(&report, "adm", "ADMIN");
    let rep_two = report.id("users", "rep-2").unwrap().to_string();
    // The manager logs a call for rep 2; rep 1 logs a visit.
    let mut call = visit(Uuid::now_v7(), "called");
    call["kind"] = json!("CALL");
    call["repId"] = json!(rep_two);
    let (_, logged) = app
        .graphql(LOG, json!({ "input": call }), Some(&manager))
        .await;
    assert_eq!(
        logged["data"]["logActivity"]["status"], "CREATED",
        "{logged}"
    );
    app.graphql(
        LOG,
        json!({ "input": visit(Uuid::now_v7(), "visited") }),
        Some(&rep),
    )
    .await;
    let call_id = logged["data"]["logActivity"]["activity"]["id"].clone();
    // Rep 1 also visits a customer of theirs about a deal, two days later.
    let (_, customers) = app
        .graphql(
            "mutation($i: [CustomerUpsert!]!) { upsertCustomers(items: $i) { id } }",
            json!({ "i": [{ "externalId": "c-1", "name": "Customer One", "segment": "SMB",
                            "createdAt": "2026-01-05T08:00:00Z" }] }),
            Some(&rep),
        )
        .await;
    let customer_id = customers["data"]["upsertCustomers"][0]["id"].clone();
    let (_, deals) = app
        .graphql(
            "mutation($i: [DealUpsert!]!) { upsertDeals(items: $i) { id } }",
            json!({ "i": [{ "externalId": "d-1", "customerExternalId": "c-1", "name": "First order",
                            "amount": "100.00", "stage": "PROPOSAL", "status": "OPEN",
                            "createdAt": "2026-01-10T08:00:00Z" }] }),
            Some(&rep),
        )
        .await;
    let deal_id = deals["data"]["upsertDeals"][0]["id"].clone();
    assert!(
        customer_id.is_string() && deal_id.is_string(),
        "{customers} {deals}"
    );
    let mut about_deal = visit(Uuid::now_v7(), "about the order");
    about_deal["occurredAt"] = json!("2026-03-12T09:00:00Z");
    about_deal["customerId"] = customer_id.clone();
    about_deal["dealId"] = deal_id.clone();
    let (_, logged) = app
        .graphql(LOG, json!({ "input": about_deal }), Some(&rep))
        .await;
    assert_eq!(
        logged["data"]["logActivity"]["status"], "CREATED",
        "{logged}"
    );

    let feed = async |token: &str, filter: Value| {
        let (_, body) = app
            .graphql(
                "query($f: ActivityFilter) { activities(filter: $f) { totalCount edges { node { repId kind notes } } } }",
                json!({ "f": filter }),
                Some(token),
            )
            .await;
        body["data"]["activities"].clone()
    };
    assert_eq!(feed(&rep, json!(null)).await["totalCount"], 2);
    assert_eq!(feed(&manager, json!(null)).await["totalCount"], 3);
    for (filter, count) in [
        (json!({ "kind": "CALL" }), 1),
        (json!({ "from": "2026-03-11T00:00:00Z" }), 1),
        (json!({ "to": "2026-03-11T00:00:00Z" }), 2),
        (
            json!({ "from": "2026-03-10T00:00:00Z", "to": "2026-03-12T09:00:00Z" }),
            2,
        ),
        (json!({ "repId": rep_two }), 1),
        (json!({ "customerId": customer_id }), 1),
        (json!({ "dealId": deal_id }), 1),
        (json!({ "dealId": deal_id, "kind": "CALL" }), 0),
    ] {
        assert_eq!(
            feed(&manager, filter.clone()).await["totalCount"],
            count,
            "{filter}"
        );
    }
    let redacted = feed(&analyst, json!(null)).await;
    assert_eq!(redacted["totalCount"], 3);
    assert!(
        redacted["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["notes"].is_null())
    );

    // An analyst reads but never writes; a rep cannot touch a peer's activity.
    let (_, denied) = app
        .graphql(
            LOG,
            json!({ "input": visit(Uuid::now_v7(), "no") }),
            Some(&analyst),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN", "{denied}");
    for mutation in [
        r#"mutation($id: ID!) { updateActivity(id: $id, input: { notes: "mine now" }) { id } }"#,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
    ] {
        let (_, body) = app
            .graphql(mutation, json!({ "id": call_id }), Some(&rep))
            .await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    }
    let peer = feed(&manager, json!({ "kind": "CALL" })).await;
    assert_eq!(peer["edges"][0]["node"]["notes"], "called", "{peer}");

    let (_, audit) = app
        .graphql(
            r#"{ auditLog(entity: "activity") { totalCount edges { node { actorId action entity requestId changedFields } } } }"#,
            json!({}),
            Some(&admin),
        )
        .await;
    let entries = &audit["data"]["auditLog"];
    assert_eq!(entries["totalCount"], 3, "{audit}");
    let newest = &entries["edges"][0]["node"];
    assert_eq!(newest["action"], "CREATE");
    assert_eq!(
        newest["actorId"],
        report.id("users", "rep-1").unwrap().to_string()
    );
    assert!(newest["requestId"].is_string());
    let (_, refused) = app
        .graphql("{ auditLog { totalCount } }", json!({}), Some(&manager))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}
