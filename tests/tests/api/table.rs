//! KPI tables for BI agree with the conformance fixture's values for every rep and team
//! case, and hold only the rows the caller may see.

use std::collections::BTreeMap;
use std::str::FromStr;

use attain_core::import::Dataset;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture_text, mint_token, spawn_app};

const TABLE: &str = r#"query($kind: TableSubject!, $period: String!) {
  kpiTable(subjectKind: $kind, period: $period, first: 200, asOf: "2026-04-19T16:00:00Z") {
    kpis { key } rows { totalCount edges { node { subjectId name values { key value } composite } } }
  }
}"#;

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Decimal::from_str(text).unwrap()),
        other => Some(Decimal::from_str(&other.to_string()).unwrap()),
    }
}

async fn table(app: &TestApp, token: &str, kind: &str, period: &str) -> BTreeMap<String, Value> {
    let (_, body) = app
        .graphql(
            TABLE,
            json!({ "kind": kind, "period": period }),
            Some(token),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["kpiTable"]["rows"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["subjectId"].as_str().unwrap().to_owned(),
                edge["node"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_rep_and_team_row_equals_the_fixtures_figures() {
    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm-01").unwrap(),
        "ADMIN",
    );
    let path = crate::helpers::fixture_path().with_file_name("expected.json");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut tables: BTreeMap<(String, String), BTreeMap<String, Value>> = BTreeMap::new();
    let mut compared = 0;
    for case in expected["cases"].as_array().unwrap() {
        let kind = case["subject"]["kind"].as_str().unwrap();
        let array = match kind {
            "REP" => "users",
            "TEAM" => "teams",
            _ => continue,
        };
        let period = case["period"]["label"].as_str().unwrap().to_owned();
        let key = (kind.to_owned(), period.clone());
        if !tables.contains_key(&key) {
            tables.insert(key.clone(), table(&app, &admin, kind, &period).await);
        }
        let id = report
            .id(array, case["subject"]["id"].as_str().unwrap())
            .unwrap()
            .to_string();
        let row = &tables[&key][&id];
        let values: BTreeMap<String, Option<Decimal>> = row["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| {
                (
                    value["key"].as_str().unwrap().to_lowercase(),
                    number(&value["value"]),
                )
            })
            .collect();
        for (kpi, value) in case["kpis"].as_object().unwrap() {
            assert_eq!(values[kpi], number(value), "{kind} {id} {period} {kpi}");
            compared += 1;
        }
        assert_eq!(
            number(&row["composite"]),
            number(&case["scorecard"]["composite"]),
            "{kind} {id} {period} composite"
        );
    }
    assert!(compared > 1000, "compared {compared}");
}

#[tokio::test]
async fn each_caller_gets_the_rows_they_may_see() {
    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let token = |user: &str, role: &str| {
        mint_token(
            report.organization_id,
            report.id("users", user).unwrap(),
            role,
        )
    };
    let rep = table(&app, &token("rep-01", "REP"), "REP", "2026-03").await;
    assert_eq!(
        rep.keys().cloned().collect::<Vec<_>>(),
        [report.id("users", "rep-01").unwrap().to_string()]
    );
    let own_team = table(&app, &token("rep-01", "REP"), "TEAM", "2026-03").await;
    assert_eq!(
        own_team.keys().cloned().collect::<Vec<_>>(),
        [report.id("teams", "team-shanghai").unwrap().to_string()]
    );
    // Hangzhou's manager: the reps ever in Hangzhou (rep-03 moved in, rep-06 out).
    let manager = table(&app, &token("mgr-03", "MANAGER"), "REP", "2026-03").await;
    let mut expected: Vec<String> = ["rep-03", "rep-05", "rep-06"]
        .iter()
        .map(|rep| report.id("users", rep).unwrap().to_string())
        .collect();
    expected.sort();
    assert_eq!(manager.keys().cloned().collect::<Vec<_>>(), expected);
    let analyst = table(&app, &token("ana-01", "ANALYST"), "TEAM", "2026-03").await;
    assert_eq!(analyst.len(), 5);
}
