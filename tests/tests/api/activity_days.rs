//! `activity_days`, the daily counts the activity KPIs of reps and organizations read:
//! after an import and after every kind of write they equal the counts computed from the
//! activities, and a period's partial first and last UTC days still count in full.

use attain_core::import::{Dataset, ImportReport};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, fixture_text, mint_token, spawn_app};

const LOG_MANY: &str = r#"mutation($inputs: [ActivityInput!]!) { logActivities(inputs: $inputs) {
  status activity { id } } }"#;

type Day = (Uuid, i64, i64, i64, i64, i64);

async fn days(app: &TestApp, sql: &str, organization: Uuid) -> Vec<Day> {
    app.rows(sql, vec![organization.into()])
        .await
        .iter()
        .map(|row| {
            let count = |name: &str| row.try_get::<i64>("", name).unwrap();
            (
                row.try_get("", "rep_id").unwrap(),
                count("day"),
                count("total"),
                count("visits"),
                count("quality"),
                count("follow_ups"),
            )
        })
        .collect()
}

/// The stored daily counts (days left at zero by deletes aside) against the counts of
/// the live activities, grouped from scratch.
async fn assert_days_match(app: &TestApp, organization: Uuid) -> usize {
    let stored = days(
        app,
        "SELECT rep_id, day, total, visits, quality, follow_ups FROM activity_days \
         WHERE organization_id = $1 AND total <> 0 ORDER BY rep_id, day",
        organization,
    )
    .await;
    let computed = days(
        app,
        "SELECT rep_id, day, CAST(COUNT(*) AS BIGINT) AS total, \
         CAST(SUM(CASE WHEN kind = 'VISIT' THEN 1 ELSE 0 END) AS BIGINT) AS visits, \
         CAST(SUM(CASE WHEN kind = 'VISIT' AND quality THEN 1 ELSE 0 END) AS BIGINT) AS quality, \
         CAST(SUM(CASE WHEN kind IN ('CALL', 'EMAIL', 'MESSAGE', 'FOLLOW_UP') THEN 1 ELSE 0 END) AS BIGINT) \
         AS follow_ups FROM (SELECT a.*, (occurred_at - (occurred_at % 86400000000)) / 86400000000 AS day \
         FROM activities a WHERE organization_id = $1 AND deleted_at IS NULL AND occurred_at >= 0) x \
         GROUP BY rep_id, day ORDER BY rep_id, day",
        organization,
    )
    .await;
    assert_eq!(stored, computed);
    stored.len()
}

fn activity(kind: &str, at: &str, quality: bool) -> Value {
    json!({ "clientRef": Uuid::now_v7().to_string(), "kind": kind, "occurredAt": at,
            "quality": quality, "durationMinutes": 30, "notes": "" })
}

async fn figures(app: &TestApp, token: &str, subject: Value) -> Vec<Value> {
    let body = app
        .call(
            token,
            r#"query($s: SubjectInput!) { kpis(subject: $s, period: "2026-03",
              keys: [ACTIVITIES, VISITS, QUALITY_VISITS, FOLLOW_UPS]) { values { value } } }"#,
            json!({ "s": subject }),
        )
        .await;
    body["data"]["kpis"]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|value| value["value"].clone())
        .collect()
}

fn plus(before: &[Value], added: [i64; 4]) -> Vec<Value> {
    before
        .iter()
        .zip(added)
        .map(|(value, added)| {
            let value: i64 = value.as_str().unwrap().parse().unwrap();
            json!((value + added).to_string())
        })
        .collect()
}

#[tokio::test]
async fn daily_counts_follow_imports_logs_edits_and_deletes() {
    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let org = report.organization_id;
    assert!(assert_days_match(&app, org).await > 50);

    let small: ImportReport = app.small_org().await;
    let rep_id = small.id("users", "rep-1").unwrap();
    let rep = mint_token(small.organization_id, rep_id, "REP");
    let admin = mint_token(
        small.organization_id,
        small.id("users", "adm").unwrap(),
        "ADMIN",
    );
    let of_rep = json!({ "kind": "REP", "id": rep_id });
    let of_org = json!({ "kind": "ORG" });
    let of_team = json!({ "kind": "TEAM", "id": small.id("teams", "team-a").unwrap() });
    let (rep_before, org_before, team_before) = (
        figures(&app, &rep, of_rep.clone()).await,
        figures(&app, &admin, of_org.clone()).await,
        figures(&app, &admin, of_team.clone()).await,
    );

    // March in Shanghai runs from 2026-02-28T16:00Z to 2026-03-31T16:00Z: the first and
    // last entries fall on its partial UTC days, the two outside it on their other halves.
    let inputs = [
        activity("VISIT", "2026-02-28T16:30:00Z", true),
        activity("CALL", "2026-03-10T09:00:00Z", false),
        activity("VISIT", "2026-03-10T10:00:00Z", false),
        activity("EMAIL", "2026-03-31T15:59:59Z", false),
        activity("VISIT", "2026-02-28T15:59:59Z", true),
        activity("VISIT", "2026-03-31T16:00:00Z", true),
    ];
    let body = app.call(&rep, LOG_MANY, json!({ "inputs": inputs })).await;
    let logged: Vec<String> = body["data"]["logActivities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|item| {
            assert_eq!(item["status"], "CREATED", "{body}");
            item["activity"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    // A replay of the batch counts nothing twice.
    let again = app.call(&rep, LOG_MANY, json!({ "inputs": inputs })).await;
    assert_eq!(again["data"]["logActivities"][0]["status"], "REPLAYED");
    assert_days_match(&app, small.organization_id).await;
    let added = [4, 2, 1, 2];
    assert_eq!(
        figures(&app, &rep, of_rep.clone()).await,
        plus(&rep_before, added)
    );
    assert_eq!(
        figures(&app, &admin, of_org.clone()).await,
        plus(&org_before, added)
    );
    assert_eq!(
        figures(&app, &admin, of_team.clone()).await,
        plus(&team_before, added)
    );

    // An edit moves the call out of March and makes it a quality visit; an edit of the
    // notes alone changes no count.
    let edit = r#"mutation($id: ID!, $input: ActivityPatch!) { updateActivity(id: $id, input: $input) { id } }"#;
    for input in [
        json!({ "kind": "VISIT", "quality": true, "occurredAt": "2026-04-02T09:00:00Z" }),
        json!({ "notes": "no count changes" }),
    ] {
        let body = app
            .call(&rep, edit, json!({ "id": logged[1], "input": input }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_days_match(&app, small.organization_id).await;
    // The edge visit deleted.
    let body = app
        .call(
            &rep,
            "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
            json!({ "id": logged[0] }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_days_match(&app, small.organization_id).await;
    assert_eq!(
        figures(&app, &rep, of_rep).await,
        plus(&rep_before, [2, 1, 0, 1])
    );

    // Rows removed outright (as when an organization is deleted) leave nothing behind.
    app.rows(
        "DELETE FROM activities WHERE organization_id = $1",
        vec![small.organization_id.into()],
    )
    .await;
    assert_eq!(assert_days_match(&app, small.organization_id).await, 0);
    assert!(assert_days_match(&app, org).await > 50);
}
