//! Leaderboards, trends, forecasts, coaching, top performers, contributors and team
//! breakdowns on the conformance fixture: each agrees with the scorecards and KPI values
//! it is made of, and follows the access rules.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use attain_core::figures::{self, Extras};
use attain_core::identity;
use attain_core::import::{Dataset, ImportReport};
use attain_core::kpi::Subject;
use attain_entity::enums::LeaderboardVisibility;
use attain_entity::organization;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, fixture_text, mint_token, spawn_app};

const AS_OF: &str = "2026-04-19T16:00:00Z";

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

fn id(report: &ImportReport, array: &str, file_id: &str) -> String {
    report.id(array, file_id).unwrap().to_string()
}

async fn ask(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let (_, body) = app.graphql(query, variables, Some(token)).await;
    body
}

async fn data(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = ask(app, token, query, variables).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

fn dec(value: &Value) -> Decimal {
    match value {
        Value::String(text) => Decimal::from_str(text).unwrap(),
        Value::Number(number) => Decimal::from_str(&number.to_string()).unwrap(),
        other => panic!("not a number: {other}"),
    }
}

fn expected_cases() -> Vec<Value> {
    let path = crate::helpers::fixture_path().with_file_name("expected.json");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    expected["cases"].as_array().unwrap().clone()
}

const LEADERBOARD: &str = r#"
query($scope: SubjectInput!, $period: String!, $kpi: KpiKey, $first: Int, $after: String) {
  leaderboard(scope: $scope, period: $period, kpi: $kpi, first: $first, after: $after, asOf: "2026-04-19T16:00:00Z") {
    n valuesHidden
    entries { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { rank percentile value repId displayName teamId } } }
  }
}"#;

fn entries(board: &Value) -> Vec<Value> {
    board["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn leaderboard(
    app: &TestApp,
    token: &str,
    scope: Value,
    period: &str,
    kpi: Option<&str>,
) -> Value {
    ask(
        app,
        token,
        LEADERBOARD,
        json!({ "scope": scope, "period": period, "kpi": kpi, "first": 200 }),
    )
    .await
}

#[tokio::test]
async fn leaderboards_rank_reps_as_peer_comparison_does() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let leaf_teams = ["team-hangzhou", "team-key-accounts", "team-shanghai-smb"];
    let mut checked = 0;
    for case in expected_cases() {
        let peers = &case["peers"];
        if case["subject"]["kind"] != "REP" || peers.is_null() || peers["team_id"].is_null() {
            continue;
        }
        let rep = id(&report, "users", case["subject"]["id"].as_str().unwrap());
        let period = case["period"]["label"].as_str().unwrap();
        for (measure, kpi) in [("composite", None), ("revenue", Some("REVENUE"))] {
            let org = leaderboard(&app, &admin, json!({ "kind": "ORG" }), period, kpi).await;
            let board = &org["data"]["leaderboard"];
            let mine = entries(board)
                .into_iter()
                .find(|entry| entry["repId"] == rep)
                .unwrap_or_else(|| panic!("{rep} on the board: {org}"));
            assert_eq!(mine["rank"], peers[measure]["org"]["rank"], "{case}");
            assert_eq!(board["n"], peers[measure]["org"]["n"], "{case}");
            let team = peers["team_id"].as_str().unwrap();
            if leaf_teams.contains(&team) {
                let scope = json!({ "kind": "TEAM", "id": id(&report, "teams", team) });
                let answer = leaderboard(&app, &admin, scope, period, kpi).await;
                let board = &answer["data"]["leaderboard"];
                let mine = entries(board)
                    .into_iter()
                    .find(|entry| entry["repId"] == rep)
                    .unwrap();
                assert_eq!(mine["rank"], peers[measure]["team"]["rank"], "{case}");
                assert_eq!(board["n"], peers[measure]["team"]["n"], "{case}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} comparisons");
}

#[tokio::test]
async fn leaderboard_entries_are_ordered_by_direction_with_nulls_last() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    for kpi in ["REVENUE", "AVG_SALES_CYCLE_DAYS", "MARKET_SHARE"] {
        let answer = leaderboard(
            &app,
            &admin,
            json!({ "kind": "ORG" }),
            "FY2026-Q1",
            Some(kpi),
        )
        .await;
        let list = entries(&answer["data"]["leaderboard"]);
        assert_eq!(list.len(), 8, "{answer}");
        let values: Vec<Option<Decimal>> = list
            .iter()
            .map(|entry| (!entry["value"].is_null()).then(|| dec(&entry["value"])))
            .collect();
        let present: Vec<Decimal> = values.iter().flatten().copied().collect();
        assert!(
            values[present.len()..].iter().all(Option::is_none),
            "nulls last: {answer}"
        );
        let mut sorted = present.clone();
        sorted.sort();
        if kpi != "AVG_SALES_CYCLE_DAYS" {
            sorted.reverse();
        }
        assert_eq!(present, sorted, "{kpi} best first");
        for entry in &list[present.len()..] {
            assert!(entry["rank"].is_null() && entry["percentile"].is_null());
        }
    }
}

#[tokio::test]
async fn leaderboards_follow_visibility_and_scope() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let rep = token(&report, "rep-01", "REP");
    let shanghai = json!({ "kind": "TEAM", "id": id(&report, "teams", "team-shanghai") });
    let hangzhou = json!({ "kind": "TEAM", "id": id(&report, "teams", "team-hangzhou") });
    let own_id = id(&report, "users", "rep-01");

    // RANK_ONLY: ranks and names of the whole team, values only of one's own row.
    let answer = leaderboard(&app, &rep, shanghai.clone(), "FY2026-Q1", Some("REVENUE")).await;
    let board = &answer["data"]["leaderboard"];
    assert_eq!(board["valuesHidden"], true, "{answer}");
    for entry in entries(board) {
        assert!(!entry["rank"].is_null() && !entry["displayName"].is_null());
        assert_eq!(
            entry["value"].is_null(),
            entry["repId"] != own_id,
            "{entry}"
        );
    }
    let org = leaderboard(&app, &rep, json!({ "kind": "ORG" }), "FY2026-Q1", None).await;
    assert_eq!(error_code(&org), "FORBIDDEN");
    let other = leaderboard(&app, &rep, hangzhou.clone(), "FY2026-Q1", None).await;
    assert_eq!(error_code(&other), "NOT_FOUND");

    for (visibility, expected) in [
        (LeaderboardVisibility::None, Some("FORBIDDEN")),
        (LeaderboardVisibility::Full, None),
    ] {
        let mut settings: organization::ActiveModel =
            organization::Entity::find_by_id(report.organization_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .into();
        settings.leaderboard_visibility = Set(visibility);
        settings.update(&app.db).await.unwrap();
        let answer = leaderboard(&app, &rep, shanghai.clone(), "FY2026-Q1", Some("REVENUE")).await;
        match expected {
            Some(code) => assert_eq!(error_code(&answer), code),
            None => {
                let list = entries(&answer["data"]["leaderboard"]);
                assert!(
                    list.iter().all(|entry| !entry["value"].is_null()),
                    "{answer}"
                );
            }
        }
    }

    let manager = token(&report, "mgr-03", "MANAGER");
    let own = leaderboard(&app, &manager, hangzhou, "FY2026-Q1", None).await;
    assert!(own["errors"].is_null(), "{own}");
    let outside = leaderboard(&app, &manager, shanghai, "FY2026-Q1", None).await;
    assert_eq!(error_code(&outside), "NOT_FOUND");
    let org = leaderboard(&app, &manager, json!({ "kind": "ORG" }), "FY2026-Q1", None).await;
    assert_eq!(error_code(&org), "FORBIDDEN");
    let analyst = token(&report, "ana-01", "ANALYST");
    let org = leaderboard(&app, &analyst, json!({ "kind": "ORG" }), "FY2026-Q1", None).await;
    assert!(org["errors"].is_null(), "{org}");
}

#[tokio::test]
async fn leaderboard_pages_cover_every_rep_once() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let answer = ask(
            &app,
            &admin,
            LEADERBOARD,
            json!({ "scope": { "kind": "ORG" }, "period": "2026-03", "first": 3, "after": after }),
        )
        .await;
        let board = &answer["data"]["leaderboard"];
        assert_eq!(board["entries"]["totalCount"], 8, "{answer}");
        seen.extend(
            entries(board)
                .into_iter()
                .map(|entry| entry["repId"].clone()),
        );
        if board["entries"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = board["entries"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    let distinct: BTreeSet<String> = seen.iter().map(|id| id.to_string()).collect();
    assert_eq!((seen.len(), distinct.len()), (8, 8));
    let too_big = ask(
        &app,
        &admin,
        LEADERBOARD,
        json!({ "scope": { "kind": "ORG" }, "period": "2026-03", "first": 201 }),
    )
    .await;
    assert_eq!(error_code(&too_big), "BAD_USER_INPUT");
    assert_eq!(too_big["errors"][0]["extensions"]["field"], "first");
}

const KPI: &str = r#"
query($subject: SubjectInput!, $period: String!, $keys: [KpiKey!]) {
  kpis(subject: $subject, period: $period, keys: $keys, asOf: "2026-04-19T16:00:00Z") {
    values { kpi { key } value }
  }
}"#;

async fn kpi_value(app: &TestApp, token: &str, subject: &Value, period: &str, key: &str) -> Value {
    let answer = data(
        app,
        token,
        KPI,
        json!({ "subject": subject, "period": period, "keys": [key] }),
    )
    .await;
    answer["kpis"]["values"][0]["value"].clone()
}

#[tokio::test]
async fn a_trend_is_the_kpi_of_each_period_ending_with_the_current_one() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let rep = token(&report, "rep-01", "REP");
    let subject = json!({ "kind": "REP", "id": id(&report, "users", "rep-01") });
    let answer = data(
        &app,
        &rep,
        r#"query($subject: SubjectInput!) {
          kpiTrend(subject: $subject, kpi: REVENUE, periodKind: MONTH, count: 6, asOf: "2026-04-19T16:00:00Z") {
            kpi { key } points { period { label inProgress } value } } }"#,
        json!({ "subject": subject }),
    )
    .await;
    let points = answer["kpiTrend"]["points"].as_array().unwrap();
    let labels: Vec<&str> = points
        .iter()
        .map(|point| point["period"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"
        ]
    );
    for (index, point) in points.iter().enumerate() {
        assert_eq!(point["period"]["inProgress"], index == 5);
        let label = labels[index];
        assert_eq!(
            point["value"],
            kpi_value(&app, &rep, &subject, label, "REVENUE").await,
            "{label}"
        );
    }
    let other = json!({ "kind": "REP", "id": id(&report, "users", "rep-02") });
    let hidden = ask(
        &app,
        &rep,
        "query($s: SubjectInput!) { kpiTrend(subject: $s, kpi: REVENUE, periodKind: MONTH) { kpi { key } } }",
        json!({ "s": other }),
    )
    .await;
    assert_eq!(error_code(&hidden), "NOT_FOUND");
    let too_many = ask(
        &app,
        &rep,
        "query($s: SubjectInput!) { kpiTrend(subject: $s, kpi: REVENUE, periodKind: MONTH, count: 61) { kpi { key } } }",
        json!({ "s": subject }),
    )
    .await;
    assert_eq!(too_many["errors"][0]["extensions"]["field"], "count");
}

#[tokio::test]
async fn the_forecast_extends_the_line_through_complete_periods() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let subject = json!({ "kind": "TEAM", "id": id(&report, "teams", "team-east") });
    let answer = data(
        &app,
        &admin,
        r#"query($subject: SubjectInput!) {
          revenueForecast(subject: $subject, periodKind: QUARTER, history: 4, asOf: "2026-04-19T16:00:00Z") {
            period { label inProgress } closed pipeline trend
            history { period { label } revenue } } }"#,
        json!({ "subject": subject }),
    )
    .await;
    let forecast = &answer["revenueForecast"];
    assert_eq!(forecast["period"]["label"], "FY2026-Q2");
    assert_eq!(
        forecast["closed"],
        kpi_value(&app, &admin, &subject, "FY2026-Q2", "REVENUE").await
    );
    assert!(
        dec(&forecast["pipeline"]) > dec(&forecast["closed"]),
        "{forecast}"
    );
    let history = forecast["history"].as_array().unwrap();
    let labels: Vec<&str> = history
        .iter()
        .map(|point| point["period"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["FY2025-Q2", "FY2025-Q3", "FY2025-Q4", "FY2026-Q1"]);
    let mut ys = Vec::new();
    for point in history {
        let label = point["period"]["label"].as_str().unwrap();
        assert_eq!(
            point["revenue"],
            kpi_value(&app, &admin, &subject, label, "REVENUE").await
        );
        ys.push(dec(&point["revenue"]));
    }
    // y = a + b·x through x = 0…3, at x = 4.
    let n = Decimal::from(4);
    let mean_x = Decimal::new(15, 1);
    let mean_y = ys.iter().sum::<Decimal>() / n;
    let sxy: Decimal = ys
        .iter()
        .enumerate()
        .map(|(x, y)| (Decimal::from(x) - mean_x) * (*y - mean_y))
        .sum();
    let slope = sxy / Decimal::from(5);
    let expected = (mean_y + slope * (n - mean_x)).round_dp(2);
    assert_eq!(dec(&forecast["trend"]), expected);

    let bad = ask(
        &app,
        &admin,
        "query($s: SubjectInput!) { revenueForecast(subject: $s, history: 0) { closed } }",
        json!({ "s": subject }),
    )
    .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "history");
}

#[tokio::test]
async fn coaching_names_critical_and_bottom_quartile_kpis_with_their_topics() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let mut critical_seen = 0;
    for case in expected_cases() {
        if case["subject"]["kind"] != "REP" || case["period"]["label"] != "2026-03" {
            continue;
        }
        let rep = id(&report, "users", case["subject"]["id"].as_str().unwrap());
        let answer = data(
            &app,
            &admin,
            r#"query($rep: ID!) { coaching(rep: $rep, period: "2026-03", asOf: "2026-04-19T16:00:00Z") {
                kpi { key } value status reasons topic team { n rank percentile } } }"#,
            json!({ "rep": rep }),
        )
        .await;
        let items = answer["coaching"].as_array().unwrap();
        let by_key: BTreeMap<String, &Value> = items
            .iter()
            .map(|item| (item["kpi"]["key"].as_str().unwrap().to_lowercase(), item))
            .collect();
        for item in case["scorecard"]["items"].as_array().into_iter().flatten() {
            let key = item["kpi"].as_str().unwrap();
            let picked = by_key.get(key);
            if item["status"] == "CRITICAL" {
                critical_seen += 1;
                let picked = picked.unwrap_or_else(|| panic!("{key} is critical: {answer}"));
                assert!(
                    picked["reasons"]
                        .as_array()
                        .unwrap()
                        .contains(&json!("CRITICAL"))
                );
            }
        }
        for item in items {
            let reasons = item["reasons"].as_array().unwrap();
            assert!(!reasons.is_empty());
            if reasons.contains(&json!("BOTTOM_QUARTILE")) {
                assert!(
                    dec(&item["team"]["percentile"]) <= Decimal::from(25),
                    "{item}"
                );
            }
            assert!(!item["topic"].as_str().unwrap().is_empty());
        }
    }
    assert!(critical_seen > 0, "the fixture has critical items");
    let rep = token(&report, "rep-01", "REP");
    let peer = ask(
        &app,
        &rep,
        r#"query($rep: ID!) { coaching(rep: $rep, period: "2026-03") { topic } }"#,
        json!({ "rep": id(&report, "users", "rep-02") }),
    )
    .await;
    assert_eq!(error_code(&peer), "NOT_FOUND");
}

#[tokio::test]
async fn top_performers_are_in_the_top_of_every_period_of_the_streak() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let answer = data(
        &app,
        &admin,
        r#"{ topPerformers(kpi: REVENUE, percentTop: "50", consecutivePeriods: 2, periodKind: MONTH,
             asOf: "2026-04-19T16:00:00Z") { repId periods { period { label } value rank percentile } } }"#,
        json!({}),
    )
    .await;
    let mut expected: Option<BTreeSet<String>> = None;
    for period in ["2026-02", "2026-03"] {
        let board = leaderboard(
            &app,
            &admin,
            json!({ "kind": "ORG" }),
            period,
            Some("REVENUE"),
        )
        .await;
        let top: BTreeSet<String> = entries(&board["data"]["leaderboard"])
            .into_iter()
            .filter(|entry| {
                !entry["percentile"].is_null() && dec(&entry["percentile"]) >= Decimal::from(50)
            })
            .map(|entry| entry["repId"].as_str().unwrap().to_owned())
            .collect();
        expected = Some(match expected {
            None => top,
            Some(before) => before.intersection(&top).cloned().collect(),
        });
    }
    let found: BTreeSet<String> = answer["topPerformers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|performer| performer["repId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(Some(found.clone()), expected);
    assert!(!found.is_empty());
    let rep = token(&report, "rep-01", "REP");
    let denied = ask(
        &app,
        &rep,
        r#"{ topPerformers(kpi: REVENUE, percentTop: "10") { repId } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
}

const CONTRIBUTORS: &str = r#"
query($subject: SubjectInput!, $kpi: KpiKey!, $period: String!, $after: String) {
  contributors(subject: $subject, kpi: $kpi, period: $period, first: 200, after: $after, asOf: "2026-04-19T16:00:00Z") {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { kind id part at on amount score customerId dealId } }
  }
}"#;

async fn all_contributors(
    app: &TestApp,
    token: &str,
    subject: &Value,
    kpi: &str,
    period: &str,
) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let answer = data(
            app,
            token,
            CONTRIBUTORS,
            json!({ "subject": subject, "kpi": kpi, "period": period, "after": after }),
        )
        .await;
        let page = &answer["contributors"];
        nodes.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            assert_eq!(page["totalCount"], nodes.len(), "{kpi}");
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// Recomputes a KPI from its contributors, as the catalog defines it.
fn recompute(kpi: &str, nodes: &[Value]) -> Option<Decimal> {
    let part = |node: &Value, parts: &[&str]| parts.contains(&node["part"].as_str().unwrap());
    let count = |parts: &[&str]| Decimal::from(nodes.iter().filter(|n| part(n, parts)).count());
    let sum = |parts: &[&str], field: &str| -> Decimal {
        nodes
            .iter()
            .filter(|n| part(n, parts))
            .map(|n| dec(&n[field]))
            .sum()
    };
    let ratio = |a: Decimal, b: Decimal| (!b.is_zero()).then(|| a / b);
    let numerator = ["NUMERATOR", "BOTH"];
    let denominator = ["DENOMINATOR", "BOTH"];
    match kpi {
        "REVENUE" | "PIPELINE_VALUE" => Some(sum(&["BOTH"], "amount")),
        "WON_DEALS"
        | "ACTIVITIES"
        | "VISITS"
        | "FOLLOW_UPS"
        | "NEW_LEADS"
        | "PROPOSALS"
        | "CO_CREATED_PROPOSALS"
        | "NEW_CUSTOMERS" => Some(count(&["BOTH"])),
        "WIN_RATE"
        | "LEAD_CONVERSION_RATE"
        | "PROPOSAL_CLOSE_RATE"
        | "SATISFACTION_PASS_RATE"
        | "RETENTION_RATE"
        | "REPEAT_PURCHASE_RATE" => ratio(count(&numerator), count(&denominator)),
        "COLLECTION_RATE" => ratio(sum(&numerator, "amount"), sum(&denominator, "amount")),
        "SATISFACTION_AVG" | "COLLABORATION_SCORE" | "CAPABILITY_SCORE" => {
            ratio(sum(&["BOTH"], "score"), count(&["BOTH"]))
        }
        "CLV" => ratio(sum(&["BOTH"], "amount"), count(&["BOTH"])),
        "CAC" => ratio(sum(&numerator, "amount"), count(&denominator)),
        other => panic!("no recomputation for {other}"),
    }
}

#[tokio::test]
async fn contributors_add_up_to_the_kpi_value() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let subjects = [
        json!({ "kind": "REP", "id": id(&report, "users", "rep-03") }),
        json!({ "kind": "TEAM", "id": id(&report, "teams", "team-shanghai") }),
        json!({ "kind": "ORG" }),
    ];
    let kpis = [
        "REVENUE",
        "WON_DEALS",
        "WIN_RATE",
        "COLLECTION_RATE",
        "NEW_CUSTOMERS",
        "RETENTION_RATE",
        "REPEAT_PURCHASE_RATE",
        "SATISFACTION_AVG",
        "SATISFACTION_PASS_RATE",
        "CAC",
        "CLV",
        "ACTIVITIES",
        "VISITS",
        "FOLLOW_UPS",
        "NEW_LEADS",
        "LEAD_CONVERSION_RATE",
        "PROPOSALS",
        "CO_CREATED_PROPOSALS",
        "PROPOSAL_CLOSE_RATE",
        "PIPELINE_VALUE",
        "COLLABORATION_SCORE",
        "CAPABILITY_SCORE",
    ];
    for subject in &subjects {
        for period in ["2026-03", "FY2026"] {
            for kpi in kpis {
                let nodes = all_contributors(&app, &admin, subject, kpi, period).await;
                let value = kpi_value(&app, &admin, subject, period, kpi).await;
                let expected = (!value.is_null()).then(|| dec(&value));
                let places = if matches!(kpi, "REVENUE" | "PIPELINE_VALUE" | "CAC" | "CLV") {
                    2
                } else {
                    6
                };
                let recomputed = recompute(kpi, &nodes).map(|v| v.round_dp(places));
                assert_eq!(recomputed, expected, "{kpi} of {subject} in {period}");
                let instants: Vec<&str> = nodes.iter().map(|n| n["at"].as_str().unwrap()).collect();
                assert!(
                    instants.windows(2).all(|w| w[0] >= w[1]),
                    "newest first: {kpi}"
                );
            }
        }
    }
}

#[tokio::test]
async fn contributors_of_customer_kpis_name_the_deciding_deal() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let org = json!({ "kind": "ORG" });
    let nodes = all_contributors(&app, &admin, &org, "NEW_CUSTOMERS", "FY2026").await;
    assert!(!nodes.is_empty());
    for node in &nodes {
        assert_eq!(node["kind"], "CUSTOMER");
        assert_eq!(node["id"], node["customerId"]);
        assert!(!node["dealId"].is_null());
    }
    let rep = token(&report, "rep-01", "REP");
    let hidden = ask(
        &app,
        &rep,
        CONTRIBUTORS,
        json!({ "subject": { "kind": "REP", "id": id(&report, "users", "rep-02") },
                "kpi": "REVENUE", "period": "2026-03" }),
    )
    .await;
    assert_eq!(error_code(&hidden), "NOT_FOUND");
}

const TEAM_BREAKDOWN: &str = r#"
query($subject: SubjectInput!, $period: String!) {
  scorecard(subject: $subject, period: $period, asOf: "2026-04-19T16:00:00Z") {
    composite
    breakdown { repId displayName teamId scorecard { composite items { kpi { key } actual status } } }
  }
}"#;

#[tokio::test]
async fn a_team_scorecard_breaks_down_into_its_reps_scorecards() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let admin = token(&report, "adm-01", "ADMIN");
    let expected: BTreeMap<(String, String), Value> = expected_cases()
        .into_iter()
        .filter(|case| case["subject"]["kind"] == "REP")
        .map(|case| {
            let rep = id(&report, "users", case["subject"]["id"].as_str().unwrap());
            let label = case["period"]["label"].as_str().unwrap().to_owned();
            ((rep, label), case["scorecard"]["composite"].clone())
        })
        .collect();
    let east = json!({ "kind": "TEAM", "id": id(&report, "teams", "team-east") });
    let mut compared = 0;
    for period in ["2026-03", "FY2026-Q1", "FY2026"] {
        let answer = data(
            &app,
            &admin,
            TEAM_BREAKDOWN,
            json!({ "subject": east, "period": period }),
        )
        .await;
        let rows = answer["scorecard"]["breakdown"].as_array().unwrap();
        assert_eq!(rows.len(), 8, "every rep of the region: {answer}");
        for row in rows {
            let key = (row["repId"].as_str().unwrap().to_owned(), period.to_owned());
            if let Some(composite) = expected.get(&key) {
                let ours = &row["scorecard"]["composite"];
                assert_eq!(
                    ours.as_str().map(|v| dec(&json!(v))),
                    composite.as_str().map(|v| dec(&json!(v))),
                    "{key:?}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 8, "compared {compared}");

    let rep = token(&report, "rep-01", "REP");
    let shanghai = json!({ "kind": "TEAM", "id": id(&report, "teams", "team-shanghai") });
    let answer = data(
        &app,
        &rep,
        TEAM_BREAKDOWN,
        json!({ "subject": shanghai, "period": "2026-03" }),
    )
    .await;
    let rows = answer["scorecard"]["breakdown"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "a rep sees only their own row: {answer}");
    assert_eq!(rows[0]["repId"], id(&report, "users", "rep-01"));
}

/// Runs a team scorecard with its breakdown straight against the core, counting SQL
/// statements.
async fn statements_for(app: &TestApp, report: &ImportReport, team: &str) -> (usize, usize) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut db = app.db.clone();
    let seen = counter.clone();
    db.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let admin = identity::principal(
        &db,
        report.organization_id,
        report.id("users", "adm-01").unwrap(),
        identity::SubjectKind::User,
    )
    .await
    .unwrap();
    let before = counter.load(Ordering::SeqCst);
    let card = figures::scorecard(
        &db,
        &admin,
        Subject::Team(report.id("teams", team).unwrap()),
        "FY2026-Q1",
        chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap().into(),
        Extras {
            peers: false,
            breakdown: true,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let rows = card.breakdown.unwrap().len();
    (rows, counter.load(Ordering::SeqCst) - before)
}

#[tokio::test]
async fn a_team_breakdown_costs_the_same_statements_whatever_the_team_size() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let (small_rows, small) = statements_for(&app, &report, "team-shanghai-smb").await;
    let (large_rows, large) = statements_for(&app, &report, "team-east").await;
    assert!(small_rows < large_rows, "{small_rows} < {large_rows}");
    assert_eq!(
        small, large,
        "statements for {small_rows} and {large_rows} reps"
    );
}
