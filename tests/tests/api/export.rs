//! The CSV exports: the same figures as the fixture's, UTF-8 with a byte order mark,
//! Chinese KPI names on request, and the same access rules as GraphQL.

use std::collections::BTreeMap;
use std::str::FromStr;

use attain_core::import::{Dataset, ImportReport};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::helpers::{TestApp, fixture_text, mint_token, spawn_app};

const AS_OF: &str = "2026-04-19T16:00:00Z";

async fn fixture() -> (TestApp, ImportReport, Value) {
    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let path = crate::helpers::fixture_path().with_file_name("expected.json");
    let expected = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    (app, report, expected)
}

fn token(report: &ImportReport, user: &str, role: &str) -> String {
    mint_token(
        report.organization_id,
        report.id("users", user).unwrap(),
        role,
    )
}

/// Status, content type and body of an export.
async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The records of a CSV body after its byte order mark, header first.
fn records(body: &str) -> Vec<Vec<String>> {
    let text = body.strip_prefix('\u{feff}').expect("a byte order mark");
    csv::Reader::from_reader(text.as_bytes())
        .into_records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn header(body: &str) -> Vec<String> {
    let text = body.strip_prefix('\u{feff}').unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Decimal::from_str(text).unwrap()),
        other => Some(Decimal::from_str(&other.to_string()).unwrap()),
    }
}

fn cell(text: &str) -> Option<Decimal> {
    (!text.is_empty()).then(|| Decimal::from_str(text).unwrap())
}

/// The fixture's cases of one kind for one period, by stored id.
fn cases<'a>(
    report: &ImportReport,
    expected: &'a Value,
    kind: &str,
    period: &str,
) -> BTreeMap<String, &'a Value> {
    let array = if kind == "REP" { "users" } else { "teams" };
    expected["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["subject"]["kind"] == kind && case["period"]["label"] == period)
        .map(|case| {
            let id = report
                .id(array, case["subject"]["id"].as_str().unwrap())
                .unwrap();
            (id.to_string(), case)
        })
        .collect()
}

#[tokio::test]
async fn the_kpi_export_holds_the_fixtures_figures_for_every_rep_and_team() {
    let (app, report, expected) = fixture().await;
    let admin = token(&report, "adm-01", "ADMIN");
    for kind in ["REP", "TEAM"] {
        let path = format!("/export/kpis.csv?period=FY2026-Q1&subjects={kind}&asOf={AS_OF}");
        let (status, content_type, body) = get(&app, &path, Some(&admin)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(content_type, "text/csv; charset=utf-8");
        let columns = header(&body);
        assert_eq!(columns[..4], ["period", "subject_id", "subject", "team_id"]);
        assert_eq!(columns.last().unwrap(), "composite");
        let cases = cases(&report, &expected, kind, "FY2026-Q1");
        let rows = records(&body);
        assert_eq!(rows.len(), cases.len(), "{body}");
        let mut compared = 0;
        for row in rows {
            assert_eq!(row[0], "FY2026-Q1");
            let case = cases[&row[1]];
            for (column, text) in columns.iter().zip(&row).skip(4) {
                let wanted = match column.as_str() {
                    "composite" => &case["scorecard"]["composite"],
                    kpi => &case["kpis"][kpi],
                };
                assert_eq!(cell(text), number(wanted), "{kind} {} {column}", row[2]);
                compared += 1;
            }
        }
        assert!(compared > 100, "{compared}");
    }
}

#[tokio::test]
async fn kpi_columns_can_be_named_in_chinese_and_chosen() {
    let (app, report, _) = fixture().await;
    let admin = token(&report, "adm-01", "ADMIN");
    let path =
        format!("/export/kpis.csv?period=2026-03&keys=REVENUE,WIN_RATE&names=zh&asOf={AS_OF}");
    let (status, _, body) = get(&app, &path, Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        header(&body),
        [
            "period",
            "subject_id",
            "subject",
            "team_id",
            "销售额",
            "赢单率",
            "composite"
        ]
    );
    // Decimals are plain numbers: no exponent, no thousands separator, no quotes.
    for row in records(&body) {
        for text in &row[4..] {
            assert!(
                text.is_empty()
                    || text
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '-'),
                "{text}"
            );
        }
    }
    let (status, _, body) = get(
        &app,
        "/export/kpis.csv?period=2026-03&keys=REVENUE,NOPE",
        Some(&admin),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(error["errors"][0]["extensions"]["field"], "keys");
}

#[tokio::test]
async fn the_scorecard_export_has_every_item_and_the_composite() {
    let (app, report, expected) = fixture().await;
    let admin = token(&report, "adm-01", "ADMIN");
    let path = format!("/export/scorecards.csv?period=2026-03&asOf={AS_OF}");
    let (status, _, body) = get(&app, &path, Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    let cases = cases(&report, &expected, "REP", "2026-03");
    let mut items: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for row in records(&body) {
        items.entry(row[1].clone()).or_default().push(row);
    }
    assert_eq!(items.len(), cases.len());
    for (rep, rows) in items {
        let card = &cases[&rep]["scorecard"];
        let wanted = card["items"].as_array().unwrap();
        assert_eq!(rows.len(), wanted.len());
        for (row, item) in rows.iter().zip(wanted) {
            assert_eq!(row[6], item["kpi"].as_str().unwrap());
            assert_eq!(row[8], item["weight"].to_string());
            assert_eq!(cell(&row[10]), number(&item["actual"]), "{rep} {}", row[6]);
            assert_eq!(cell(&row[11]), number(&item["attainment"]));
            assert_eq!(row[12], item["status"].as_str().unwrap());
            assert_eq!(cell(&row[13]), number(&item["score"]));
            assert_eq!(cell(&row[14]), number(&card["composite"]));
        }
    }
}

#[tokio::test]
async fn exports_follow_the_access_rules() {
    let (app, report, _) = fixture().await;
    let path = "/export/kpis.csv?period=2026-03&subjects=REP";
    let rep = report.id("users", "rep-01").unwrap().to_string();
    let (status, _, body) = get(&app, path, Some(&token(&report, "rep-01", "REP"))).await;
    assert_eq!(status, 200, "{body}");
    let rows = records(&body);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], rep);
    // An analyst sees every rep, and no personal data: no emails, no customer names.
    let (status, _, body) = get(&app, path, Some(&token(&report, "ana-01", "ANALYST"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(records(&body).len(), 8);
    assert!(!body.contains('@'));
    let dataset: Value = serde_json::from_str(&fixture_text()).unwrap();
    for customer in dataset["customers"].as_array().unwrap() {
        assert!(!body.contains(customer["name"].as_str().unwrap()));
    }
    let (status, _, body) = get(&app, path, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("UNAUTHENTICATED"));
    let (status, _, body) = get(&app, path, Some("Bearer-less garbage")).await;
    assert_eq!(status, 401, "{body}");
    let other = mint_token(uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), "ADMIN");
    let (status, _, _) = get(&app, path, Some(&other)).await;
    assert_eq!(status, 401);
}
