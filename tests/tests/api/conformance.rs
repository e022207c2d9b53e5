//! The conformance fixture: every KPI, scorecard and peer figure of `expected.json`,
//! asked of the API as the fixture's admin, as of the data set's `as_of`.

use std::collections::HashMap;
use std::str::FromStr;

use attain_core::import::Dataset;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{fixture_text, mint_token, spawn_app};

const QUERY: &str = r#"
query Case($subject: SubjectInput!, $period: String!, $asOf: DateTime!) {
  kpis(subject: $subject, period: $period, asOf: $asOf) {
    period { label start end startUtc endUtc effectiveEndUtc inProgress days }
    values { kpi { key } value }
  }
  scorecard(subject: $subject, period: $period, asOf: $asOf) {
    scheme { id effectiveFrom cap }
    items { kpi { key dimension direction } weight target baseline floor actual attainment status score }
    composite coverage bonusMultiplier
    dimensions { dimension weight coveredWeight composite coverage }
    peers {
      teamId
      composite { team { n rank percentile median deltaToMedian } org { n rank percentile } }
      revenue { team { n rank percentile median deltaToMedian } org { n rank percentile } }
    }
  }
}"#;

fn expected_file() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/conformance/expected.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("expected.json")).unwrap()
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(text) => Decimal::from_str(text).ok(),
        Value::Number(number) => Decimal::from_str(&number.to_string()).ok(),
        _ => None,
    }
}

/// Compares by the fixture's rules: money to the cent, counts exactly, other numbers
/// within 1e-6; null only equals null.
fn same(expected: &Value, actual: &Value, unit: &str) -> bool {
    match (expected, actual) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::String(b)) if decimal(expected).is_none() => a == b,
        _ => match (decimal(expected), decimal(actual)) {
            (Some(e), Some(a)) => match unit {
                "MONEY" | "COUNT" | "EXACT" => e == a,
                _ => (e - a).abs() <= Decimal::new(1, 6),
            },
            _ => false,
        },
    }
}

struct Checker {
    mismatches: Vec<String>,
}

impl Checker {
    fn check(&mut self, case: &str, what: &str, expected: &Value, actual: &Value, unit: &str) {
        if !same(expected, actual, unit) {
            self.mismatches
                .push(format!("{case} {what}: expected {expected}, got {actual}"));
        }
    }
}

#[tokio::test]
async fn every_value_of_the_conformance_fixture_is_reproduced() {
    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let admin = report.id("users", "adm-01").unwrap();
    let token = mint_token(report.organization_id, admin, "ADMIN");
    let file_id: HashMap<Uuid, String> = report
        .ids
        .values()
        .flat_map(|ids| ids.iter().map(|(file, stored)| (*stored, file.clone())))
        .collect();
    let expected = expected_file();
    let units: HashMap<String, String> = expected["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kpi| {
            (
                kpi["key"].as_str().unwrap().to_owned(),
                kpi["unit"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let as_of = expected["as_of"].clone();
    let mut checker = Checker {
        mismatches: Vec::new(),
    };
    let cases = expected["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 70);

    for case in cases {
        let kind = case["subject"]["kind"].as_str().unwrap();
        let subject_id = case["subject"]["id"].as_str().map(|id| {
            let array = if kind == "REP" { "users" } else { "teams" };
            report.id(array, id).unwrap().to_string()
        });
        let period = &case["period"];
        let name = format!(
            "{kind} {} {}",
            case["subject"]["id"].as_str().unwrap_or("org"),
            period["label"]
        );
        let variables = json!({
            "subject": { "kind": kind, "id": subject_id },
            "period": period["label"],
            "asOf": as_of,
        });
        let (status, body) = app.graphql(QUERY, variables, Some(&token)).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert!(body["errors"].is_null(), "{name}: {body}");
        let data = &body["data"];

        let window = &data["kpis"]["period"];
        for (ours, theirs) in [
            ("label", "label"),
            ("start", "start"),
            ("end", "end"),
            ("startUtc", "start_utc"),
            ("endUtc", "end_utc"),
            ("effectiveEndUtc", "effective_end_utc"),
            ("inProgress", "in_progress"),
            ("days", "days"),
        ] {
            checker.check(
                &name,
                &format!("period.{theirs}"),
                &period[theirs],
                &window[ours],
                "EXACT",
            );
        }

        let values: HashMap<String, Value> = data["kpis"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["kpi"]["key"].as_str().unwrap().to_lowercase(),
                    v["value"].clone(),
                )
            })
            .collect();
        for (key, value) in case["kpis"].as_object().unwrap() {
            checker.check(&name, key, value, &values[key], &units[key]);
        }

        let scorecard = &data["scorecard"];
        let expected_card = &case["scorecard"];
        if expected_card.is_null() || scorecard.is_null() {
            checker.check(
                &name,
                "scorecard",
                &json!(expected_card.is_null()),
                &json!(scorecard.is_null()),
                "EXACT",
            );
        } else {
            let scheme_file_id =
                file_id.get(&Uuid::parse_str(scorecard["scheme"]["id"].as_str().unwrap()).unwrap());
            checker.check(
                &name,
                "scheme_id",
                &expected_card["scheme_id"],
                &json!(scheme_file_id),
                "EXACT",
            );
            checker.check(
                &name,
                "effective_from",
                &expected_card["effective_from"],
                &scorecard["scheme"]["effectiveFrom"],
                "EXACT",
            );
            checker.check(
                &name,
                "cap",
                &expected_card["cap"],
                &scorecard["scheme"]["cap"],
                "EXACT",
            );
            let items = scorecard["items"].as_array().unwrap();
            let expected_items = expected_card["items"].as_array().unwrap();
            checker.check(
                &name,
                "items",
                &json!(expected_items.len()),
                &json!(items.len()),
                "COUNT",
            );
            for (index, (theirs, ours)) in expected_items.iter().zip(items).enumerate() {
                let kpi = theirs["kpi"].as_str().unwrap();
                let at = |field: &str| format!("items[{index}]({kpi}).{field}");
                checker.check(
                    &name,
                    &at("kpi"),
                    &json!(kpi.to_uppercase()),
                    &ours["kpi"]["key"],
                    "EXACT",
                );
                checker.check(
                    &name,
                    &at("dimension"),
                    &theirs["dimension"],
                    &ours["kpi"]["dimension"],
                    "EXACT",
                );
                checker.check(
                    &name,
                    &at("direction"),
                    &theirs["direction"],
                    &ours["kpi"]["direction"],
                    "EXACT",
                );
                checker.check(
                    &name,
                    &at("weight"),
                    &theirs["weight"],
                    &ours["weight"],
                    "COUNT",
                );
                for field in ["target", "baseline", "floor"] {
                    checker.check(&name, &at(field), &theirs[field], &ours[field], "EXACT");
                }
                checker.check(
                    &name,
                    &at("actual"),
                    &theirs["actual"],
                    &ours["actual"],
                    &units[kpi],
                );
                checker.check(
                    &name,
                    &at("attainment"),
                    &theirs["attainment"],
                    &ours["attainment"],
                    "RATIO",
                );
                checker.check(
                    &name,
                    &at("status"),
                    &theirs["status"],
                    &ours["status"],
                    "EXACT",
                );
                checker.check(
                    &name,
                    &at("score"),
                    &theirs["score"],
                    &ours["score"],
                    "RATIO",
                );
            }
            for field in [
                ("composite", "composite"),
                ("coverage", "coverage"),
                ("bonus_multiplier", "bonusMultiplier"),
            ] {
                checker.check(
                    &name,
                    field.0,
                    &expected_card[field.0],
                    &scorecard[field.1],
                    "RATIO",
                );
            }
            let dimensions: HashMap<String, &Value> = scorecard["dimensions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| (d["dimension"].as_str().unwrap().to_owned(), d))
                .collect();
            let expected_dimensions = expected_card["dimensions"].as_object().unwrap();
            checker.check(
                &name,
                "dimensions",
                &json!(expected_dimensions.len()),
                &json!(dimensions.len()),
                "COUNT",
            );
            for (dimension, theirs) in expected_dimensions {
                let Some(ours) = dimensions.get(dimension) else {
                    continue;
                };
                let at = |field: &str| format!("dimensions.{dimension}.{field}");
                checker.check(
                    &name,
                    &at("weight"),
                    &theirs["weight"],
                    &ours["weight"],
                    "COUNT",
                );
                checker.check(
                    &name,
                    &at("covered_weight"),
                    &theirs["covered_weight"],
                    &ours["coveredWeight"],
                    "COUNT",
                );
                checker.check(
                    &name,
                    &at("composite"),
                    &theirs["composite"],
                    &ours["composite"],
                    "RATIO",
                );
                checker.check(
                    &name,
                    &at("coverage"),
                    &theirs["coverage"],
                    &ours["coverage"],
                    "RATIO",
                );
            }
        }

        let peers = &data["scorecard"]["peers"];
        let expected_peers = &case["peers"];
        if expected_peers.is_null() {
            checker.check(&name, "peers", &Value::Null, peers, "EXACT");
            continue;
        }
        let team = peers["teamId"]
            .as_str()
            .and_then(|id| file_id.get(&Uuid::parse_str(id).unwrap()));
        checker.check(
            &name,
            "peers.team_id",
            &expected_peers["team_id"],
            &json!(team),
            "EXACT",
        );
        for (measure, unit) in [("composite", "RATIO"), ("revenue", "MONEY")] {
            for (level, fields) in [
                (
                    "team",
                    &[
                        ("n", "n"),
                        ("rank", "rank"),
                        ("percentile", "percentile"),
                        ("median", "median"),
                        ("delta_to_median", "deltaToMedian"),
                    ][..],
                ),
                (
                    "org",
                    &[("n", "n"), ("rank", "rank"), ("percentile", "percentile")][..],
                ),
            ] {
                let theirs = &expected_peers[measure][level];
                let ours = &peers[measure][level];
                if theirs.is_null() || ours.is_null() {
                    checker.check(
                        &name,
                        &format!("peers.{measure}.{level}"),
                        theirs,
                        ours,
                        "EXACT",
                    );
                    continue;
                }
                for (field, our_field) in fields {
                    let unit = match *field {
                        "n" | "rank" => "COUNT",
                        "percentile" => "RATIO",
                        _ => unit,
                    };
                    checker.check(
                        &name,
                        &format!("peers.{measure}.{level}.{field}"),
                        &theirs[*field],
                        &ours[*our_field],
                        unit,
                    );
                }
            }
        }
    }
    assert!(
        checker.mismatches.is_empty(),
        "{} mismatches:\n{}",
        checker.mismatches.len(),
        checker.mismatches.join("\n")
    );
}
