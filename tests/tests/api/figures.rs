//! Who may read which figures, and how bad input to them is answered.

use attain_core::import::{Dataset, ImportReport};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, fixture_text, mint_token, spawn_app};

const SCORECARD: &str = r#"
query($subject: SubjectInput!, $period: String!) {
  scorecard(subject: $subject, period: $period, asOf: "2026-04-19T16:00:00Z") {
    composite
    peers { composite { team { n rank median } org { n rank } } }
  }
}"#;

async fn fixture(app: &TestApp) -> ImportReport {
    app.import(&Dataset::from_json(&fixture_text()).unwrap())
        .await
}

fn token(report: &ImportReport, user: &str, role: &str) -> String {
    mint_token(
        report.organization_id,
        report.id("users", user).unwrap(),
        role,
    )
}

async fn scorecard(
    app: &TestApp,
    token: &str,
    kind: &str,
    id: Option<Uuid>,
    period: &str,
) -> Value {
    let variables =
        json!({ "subject": { "kind": kind, "id": id.map(|id| id.to_string()) }, "period": period });
    app.graphql(SCORECARD, variables, Some(token)).await.1
}

#[tokio::test]
async fn a_rep_reads_their_own_scorecard_and_another_reps_looks_missing() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let rep = token(&report, "rep-01", "REP");
    let own = scorecard(&app, &rep, "REP", report.id("users", "rep-01"), "2026-03").await;
    assert_eq!(own["data"]["scorecard"]["composite"], "78.953127", "{own}");
    // RANK_ONLY: the rep sees rank and n, not the team median.
    assert_eq!(
        own["data"]["scorecard"]["peers"]["composite"]["team"]["rank"],
        1
    );
    assert_eq!(
        own["data"]["scorecard"]["peers"]["composite"]["team"]["median"],
        Value::Null
    );

    let peer = scorecard(&app, &rep, "REP", report.id("users", "rep-02"), "2026-03").await;
    let missing = scorecard(&app, &rep, "REP", Some(Uuid::now_v7()), "2026-03").await;
    assert_eq!(error_code(&peer), "NOT_FOUND");
    assert_eq!(
        peer["errors"][0]["message"],
        missing["errors"][0]["message"]
    );
    assert_eq!(
        error_code(&scorecard(&app, &rep, "ORG", None, "2026-03").await),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn a_manager_reads_their_subtree_only() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let hangzhou = token(&report, "mgr-03", "MANAGER");
    let moved_away = scorecard(
        &app,
        &hangzhou,
        "REP",
        report.id("users", "rep-06"),
        "2026-03",
    )
    .await;
    assert!(
        moved_away["errors"].is_null(),
        "rep-06 was in Hangzhou in March: {moved_away}"
    );
    let own_team = scorecard(
        &app,
        &hangzhou,
        "TEAM",
        report.id("teams", "team-hangzhou"),
        "2026-03",
    )
    .await;
    assert!(own_team["errors"].is_null(), "{own_team}");
    let other = scorecard(
        &app,
        &hangzhou,
        "REP",
        report.id("users", "rep-01"),
        "2026-03",
    )
    .await;
    assert_eq!(error_code(&other), "NOT_FOUND");
    let other_team = scorecard(
        &app,
        &hangzhou,
        "TEAM",
        report.id("teams", "team-shanghai"),
        "2026-03",
    )
    .await;
    assert_eq!(error_code(&other_team), "NOT_FOUND");
}

#[tokio::test]
async fn an_analyst_reads_the_organization_and_anonymous_callers_nothing() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let analyst = token(&report, "ana-01", "ANALYST");
    let org = scorecard(&app, &analyst, "ORG", None, "FY2026-Q1").await;
    assert!(org["errors"].is_null(), "{org}");
    let (_, anonymous) = app
        .graphql(
            SCORECARD,
            json!({ "subject": { "kind": "ORG" }, "period": "FY2026-Q1" }),
            None,
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_bad_period_label_is_a_field_error() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let body = scorecard(&app, &admin, "ORG", None, "2026-Q5").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "period");
    let (_, catalog) = app
        .graphql(
            "{ kpiCatalog { key nameZh unit } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(catalog["data"]["kpiCatalog"].as_array().unwrap().len(), 33);
    assert_eq!(
        catalog["data"]["kpiCatalog"][0],
        json!({ "key": "REVENUE", "nameZh": "销售额", "unit": "MONEY" })
    );
}
