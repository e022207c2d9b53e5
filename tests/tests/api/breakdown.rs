//! Breakdowns agree with the conformance fixture's figures: groups of an additive KPI add
//! up to the subject's value, and the organization broken down by rep gives each rep's own
//! value for every KPI; groupings that make no sense are refused.

use std::collections::BTreeMap;
use std::str::FromStr;

use attain_core::import::{Dataset, ImportReport};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, fixture_text, mint_token, spawn_app_with};

const BREAKDOWN: &str = r#"query($s: SubjectInput!, $kpi: KpiKey!, $period: String!, $by: BreakdownBy!) {
  breakdown(subject: $s, kpi: $kpi, period: $period, by: $by, asOf: "2026-04-19T16:00:00Z") {
    period { label } groups { key label value }
  }
}"#;

const BYS: [&str; 8] = [
    "LEAD_SOURCE",
    "CUSTOMER_SEGMENT",
    "ACTIVITY_KIND",
    "STAGE",
    "TEAM",
    "REP",
    "WEEK",
    "MONTH",
];

/// KPIs whose value is a sum over records, so that groups add up to the whole.
const ADDITIVE: [&str; 12] = [
    "revenue",
    "won_deals",
    "gross_profit",
    "new_customers",
    "pipeline_value",
    "proposals",
    "co_created_proposals",
    "new_leads",
    "activities",
    "visits",
    "quality_visits",
    "follow_ups",
];

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Decimal::from_str(text).unwrap()),
        other => Some(Decimal::from_str(&other.to_string()).unwrap()),
    }
}

struct Fixture {
    app: TestApp,
    report: ImportReport,
    admin: String,
    expected: Value,
}

async fn fixture() -> Fixture {
    let app = spawn_app_with(&[("ATTAIN_RATE_LIMIT_PER_MINUTE", "1000000")]).await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm-01").unwrap(),
        "ADMIN",
    );
    let path = crate::helpers::fixture_path().with_file_name("expected.json");
    let expected = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Fixture {
        app,
        report,
        admin,
        expected,
    }
}

impl Fixture {
    fn subject(&self, case: &Value) -> Value {
        let kind = case["subject"]["kind"].as_str().unwrap();
        let id = match kind {
            "REP" => self
                .report
                .id("users", case["subject"]["id"].as_str().unwrap()),
            "TEAM" => self
                .report
                .id("teams", case["subject"]["id"].as_str().unwrap()),
            _ => None,
        };
        json!({ "kind": kind, "id": id.map(|id| id.to_string()) })
    }

    async fn breakdown(
        &self,
        token: &str,
        subject: &Value,
        kpi: &str,
        period: &str,
        by: &str,
    ) -> Value {
        let variables =
            json!({ "s": subject, "kpi": kpi.to_uppercase(), "period": period, "by": by });
        self.app.graphql(BREAKDOWN, variables, Some(token)).await.1
    }
}

#[tokio::test]
async fn groups_of_additive_kpis_add_up_to_the_subjects_value() {
    let fixture = fixture().await;
    let mut compared = 0;
    for case in fixture.expected["cases"].as_array().unwrap() {
        let period = case["period"]["label"].as_str().unwrap();
        let kind = case["subject"]["kind"].as_str().unwrap();
        if kind == "REP" || (kind == "TEAM" && !matches!(period, "2026-03" | "FY2026-Q1")) {
            continue;
        }
        let subject = fixture.subject(case);
        for kpi in ADDITIVE {
            let whole = number(&case["kpis"][kpi]).unwrap();
            for by in BYS {
                let body = fixture
                    .breakdown(&fixture.admin, &subject, kpi, period, by)
                    .await;
                if error_code(&body) == "BAD_USER_INPUT" {
                    continue;
                }
                assert!(body["errors"].is_null(), "{body}");
                let groups = body["data"]["breakdown"]["groups"].as_array().unwrap();
                let sum: Decimal = groups.iter().filter_map(|g| number(&g["value"])).sum();
                assert_eq!(sum, whole, "{kind} {period} {kpi} by {by}: {groups:?}");
                compared += 1;
            }
        }
    }
    assert!(compared > 800, "compared {compared}");
}

#[tokio::test]
async fn the_organization_by_rep_gives_each_reps_own_figures() {
    let fixture = fixture().await;
    let mut reps: BTreeMap<(String, String), &Value> = BTreeMap::new();
    let mut periods = Vec::new();
    for case in fixture.expected["cases"].as_array().unwrap() {
        let period = case["period"]["label"].as_str().unwrap().to_owned();
        if case["subject"]["kind"] == "REP" {
            let id = fixture
                .report
                .id("users", case["subject"]["id"].as_str().unwrap())
                .unwrap();
            reps.insert((period.clone(), id.to_string()), &case["kpis"]);
        }
        if !periods.contains(&period) {
            periods.push(period);
        }
    }
    let org = json!({ "kind": "ORG" });
    let kpis: Vec<String> = fixture.expected["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kpi| kpi["key"].as_str().unwrap().to_owned())
        .collect();
    let (mut compared, mut refused) = (0, Vec::new());
    for period in &periods {
        for kpi in &kpis {
            let body = fixture
                .breakdown(&fixture.admin, &org, kpi, period, "REP")
                .await;
            if error_code(&body) == "BAD_USER_INPUT" {
                refused.push(kpi.clone());
                continue;
            }
            assert!(body["errors"].is_null(), "{body}");
            let groups: BTreeMap<String, Option<Decimal>> = body["data"]["breakdown"]["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| (g["key"].as_str().unwrap().to_owned(), number(&g["value"])))
                .collect();
            for ((case_period, rep), values) in &reps {
                if case_period != period {
                    continue;
                }
                let expected = number(&values[kpi.as_str()]);
                match groups.get(rep) {
                    Some(value) => assert_eq!(*value, expected, "{period} {kpi} {rep}"),
                    // A rep without records has no group: the value is zero or null.
                    None => assert!(
                        expected.is_none_or(|value| value.is_zero()),
                        "{period} {kpi} {rep}: missing group, expected {expected:?}"
                    ),
                }
                compared += 1;
            }
        }
    }
    refused.sort();
    refused.dedup();
    // Expenses are not attributed by record owner alone, and a market size is not per rep.
    assert_eq!(refused, ["cac", "clv_cac_ratio", "market_share"]);
    assert!(compared > 1000, "compared {compared}");
}

#[tokio::test]
async fn weeks_and_months_cover_the_period_in_order() {
    let fixture = fixture().await;
    let org = json!({ "kind": "ORG" });
    let body = fixture
        .breakdown(&fixture.admin, &org, "revenue", "FY2026-Q1", "MONTH")
        .await;
    let groups = &body["data"]["breakdown"]["groups"];
    let labels: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2026-01", "2026-02", "2026-03"], "{body}");
    assert_eq!(groups[0]["key"], "2026-01-01");
    // The custom period starts on a Wednesday: its first week is cut there.
    let body = fixture
        .breakdown(
            &fixture.admin,
            &org,
            "activities",
            "2025-10-15..2025-11-20",
            "WEEK",
        )
        .await;
    let groups = body["data"]["breakdown"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 6, "{body}");
    assert_eq!(groups[0]["key"], "2025-10-15");
    assert_eq!(groups[0]["label"], "2025-W42");
    assert_eq!(groups[1]["key"], "2025-10-20");
    assert_eq!(groups[5]["key"], "2025-11-17");
}

#[tokio::test]
async fn records_without_the_attribute_fall_in_the_unknown_group() {
    let fixture = fixture().await;
    let org = json!({ "kind": "ORG" });
    let body = fixture
        .breakdown(&fixture.admin, &org, "won_deals", "FY2026", "LEAD_SOURCE")
        .await;
    let groups = body["data"]["breakdown"]["groups"].as_array().unwrap();
    let last = groups.last().unwrap();
    assert_eq!(last["key"], "UNKNOWN", "{body}");
    assert!(number(&last["value"]).unwrap() > Decimal::ZERO, "{body}");
    assert!(
        groups[..groups.len() - 1]
            .iter()
            .all(|g| g["key"] != "UNKNOWN")
    );
}

#[tokio::test]
async fn groupings_that_make_no_sense_are_refused_and_reps_see_only_themselves_by_rep() {
    let fixture = fixture().await;
    let org = json!({ "kind": "ORG" });
    for (kpi, by) in [
        ("activities", "STAGE"),
        ("new_leads", "ACTIVITY_KIND"),
        ("revenue_growth", "MONTH"),
        ("pipeline_value", "WEEK"),
        ("cac", "TEAM"),
        ("collaboration_score", "CUSTOMER_SEGMENT"),
    ] {
        let body = fixture
            .breakdown(&fixture.admin, &org, kpi, "FY2026", by)
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{kpi} by {by}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "by");
    }
    let rep = fixture.report.id("users", "rep-01").unwrap();
    let token = mint_token(fixture.report.organization_id, rep, "REP");
    let own = json!({ "kind": "REP", "id": rep.to_string() });
    let body = fixture
        .breakdown(&token, &own, "revenue", "FY2026", "REP")
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let groups = body["data"]["breakdown"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["key"], rep.to_string());
    let team = fixture.report.id("teams", "team-shanghai").unwrap();
    let own_team = json!({ "kind": "TEAM", "id": team.to_string() });
    let body = fixture
        .breakdown(&token, &own_team, "revenue", "FY2026", "REP")
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = fixture
        .breakdown(&token, &own_team, "revenue", "FY2026", "TEAM")
        .await;
    assert!(body["errors"].is_null(), "{body}");
}
