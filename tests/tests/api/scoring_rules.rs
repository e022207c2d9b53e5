//! The catalog's rules on a data set small enough to check by hand: a move between teams
//! in the middle of a month, scheme versions, a ↓ KPI's attainment, bonus tiers, and a
//! zero denominator.

use std::str::FromStr;

use attain_core::import::{Dataset, ImportReport};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, mint_token, spawn_app};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// A decimal answer as a number: `"1.25"` and `"1.250000"` are the same value.
fn num(value: &Value) -> Decimal {
    dec(value
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal: {value}")))
}

/// Two teams in UTC; `mover` is in team A until 2026-03-15T00:00Z, then in team B. Deals
/// close on the 10th (A), exactly at the move (B) and on the 20th (B).
fn dataset() -> Value {
    let deal = |id: &str, amount: &str, created: &str, closed: &str| {
        json!({ "id": id, "owner_id": "mover", "customer_id": "c-1", "lead_id": null, "name": id,
                "amount": amount, "cost": null, "stage": "WON", "status": "WON",
                "created_at": created, "expected_close_on": null, "proposal_sent_at": null,
                "proposal_co_created": false, "closed_at": closed })
    };
    let scheme = |id: &str, from: &str, kpi: &str| {
        json!({ "id": id, "name": id, "applies_to": "REP", "effective_from": from, "cap": "1.2",
                "bonus_tiers": [{ "min_score": "90", "multiplier": "1.2" }, { "min_score": "70", "multiplier": "1.0" },
                                { "min_score": "0", "multiplier": "0.8" }],
                "items": [{ "kpi": kpi, "weight": 100 }] })
    };
    let target = |id: &str, kpi: &str, label: &str, start: &str, end: &str, value: &str| {
        json!({ "id": id, "subject_kind": "REP", "subject_id": "mover", "kpi": kpi,
                "period": { "kind": "MONTH", "label": label, "start": start, "end": end },
                "target": value, "baseline": null, "floor": null })
    };
    json!({
        "format": "attain-dataset/2",
        "organization": { "id": "org-rules", "name": "Rules Co", "timezone": "UTC", "currency": "CNY" },
        "teams": [
            { "id": "team-a", "name": "A", "parent_id": null, "manager_ids": [] },
            { "id": "team-b", "name": "B", "parent_id": null, "manager_ids": [] }
        ],
        "users": [
            { "id": "adm", "email": "adm@rules.example", "name": "Admin", "role": "ADMIN", "active": true },
            { "id": "mover", "email": "mover@rules.example", "name": "Mover", "role": "REP", "active": true }
        ],
        "memberships": [
            { "user_id": "mover", "team_id": "team-a", "valid_from": "2025-01-01T00:00:00Z", "valid_to": "2026-03-15T00:00:00Z" },
            { "user_id": "mover", "team_id": "team-b", "valid_from": "2026-03-15T00:00:00Z", "valid_to": null }
        ],
        "customers": [{ "id": "c-1", "name": "Customer", "segment": "SMB", "owner_id": "mover", "created_at": "2025-01-01T00:00:00Z" }],
        "deals": [
            deal("d-a", "100.00", "2026-02-28T00:00:00Z", "2026-03-10T00:00:00Z"),
            deal("d-at-move", "200.00", "2026-03-05T00:00:00Z", "2026-03-15T00:00:00Z"),
            deal("d-b", "400.00", "2026-03-10T00:00:00Z", "2026-03-20T00:00:00Z"),
            deal("d-feb", "50.00", "2026-02-01T00:00:00Z", "2026-02-11T00:00:00Z")
        ],
        "schemes": [
            scheme("rev-v1", "2026-01-01", "revenue"),
            scheme("cycle-v2", "2026-03-01", "avg_sales_cycle_days")
        ],
        "targets": [
            target("t-feb", "revenue", "2026-02", "2026-02-01", "2026-03-01", "40.00"),
            target("t-mar", "avg_sales_cycle_days", "2026-03", "2026-03-01", "2026-04-01", "5")
        ]
    })
}

async fn setup() -> (TestApp, ImportReport, String) {
    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&dataset().to_string()).unwrap())
        .await;
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm").unwrap(),
        "ADMIN",
    );
    (app, report, admin)
}

async fn revenue(app: &TestApp, token: &str, subject: Value, period: &str) -> Value {
    let (_, body) = app
        .graphql(
            r#"query($s: SubjectInput!, $p: String!) { kpis(subject: $s, period: $p, keys: [REVENUE, REVENUE_PER_CUSTOMER, WIN_RATE], asOf: "2026-04-19T00:00:00Z") { values { value } } }"#,
            json!({ "s": subject, "p": period }),
            Some(token),
        )
        .await;
    body["data"]["kpis"]["values"].clone()
}

#[tokio::test]
async fn a_move_mid_month_splits_the_teams_figures_at_the_instant_of_the_move() {
    let (app, report, admin) = setup().await;
    let team =
        |id: &str| json!({ "kind": "TEAM", "id": report.id("teams", id).unwrap().to_string() });
    let rep = json!({ "kind": "REP", "id": report.id("users", "mover").unwrap().to_string() });
    // A deal exactly at the move belongs to the new team.
    assert_eq!(
        num(&revenue(&app, &admin, team("team-a"), "2026-03").await[0]["value"]),
        dec("100.00")
    );
    assert_eq!(
        num(&revenue(&app, &admin, team("team-b"), "2026-03").await[0]["value"]),
        dec("600.00")
    );
    assert_eq!(
        num(&revenue(&app, &admin, rep.clone(), "2026-03").await[0]["value"]),
        dec("700.00")
    );
    // February stays with team A after the move.
    assert_eq!(
        num(&revenue(&app, &admin, team("team-a"), "2026-02").await[0]["value"]),
        dec("50.00")
    );
    assert_eq!(
        num(&revenue(&app, &admin, team("team-b"), "2026-02").await[0]["value"]),
        dec("0.00")
    );
    // Nothing closed in January: a sum is 0, ratios over nothing are null.
    let january = revenue(&app, &admin, rep, "2026-01").await;
    assert_eq!(num(&january[0]["value"]), dec("0.00"));
    assert_eq!(january[1]["value"], Value::Null);
    assert_eq!(january[2]["value"], Value::Null);
}

const SCORECARD: &str = r#"query($s: SubjectInput!, $p: String!) {
  scorecard(subject: $s, period: $p, asOf: "2026-04-19T00:00:00Z") {
    scheme { name } composite bonusMultiplier items { kpi { key } actual target attainment status score }
  }
}"#;

#[tokio::test]
async fn the_scheme_in_force_at_the_period_start_scores_it() {
    let (app, report, admin) = setup().await;
    let rep = json!({ "kind": "REP", "id": report.id("users", "mover").unwrap().to_string() });
    let score = async |period: &str| {
        let (_, body) = app
            .graphql(SCORECARD, json!({ "s": rep, "p": period }), Some(&admin))
            .await;
        body["data"]["scorecard"].clone()
    };

    // February: v1 (revenue). 50 against 40 is 1.25, capped at 1.2 in the score.
    let february = score("2026-02").await;
    assert_eq!(february["scheme"]["name"], "rev-v1");
    assert_eq!(num(&february["items"][0]["attainment"]), dec("1.250000"));
    assert_eq!(february["items"][0]["status"], "MET");
    assert_eq!(num(&february["composite"]), dec("120.000000"));
    assert_eq!(num(&february["bonusMultiplier"]), dec("1.2"));

    // March: v2 (the sales cycle, a ↓ KPI). Cycles of 10, 10 and 10 days against a
    // target of 5: attainment is target ÷ actual.
    let march = score("2026-03").await;
    assert_eq!(march["scheme"]["name"], "cycle-v2");
    assert_eq!(num(&march["items"][0]["actual"]), dec("10.000000"));
    assert_eq!(num(&march["items"][0]["attainment"]), dec("0.500000"));
    assert_eq!(march["items"][0]["status"], "AT_RISK");
    assert_eq!(num(&march["composite"]), dec("50.000000"));
    assert_eq!(num(&march["bonusMultiplier"]), dec("0.8"));

    // The first quarter starts before v2: v1 scores it, and no quarterly target means
    // no attainment, no composite, no bonus.
    let quarter = score("FY2026-Q1").await;
    assert_eq!(quarter["scheme"]["name"], "rev-v1");
    assert_eq!(quarter["items"][0]["status"], "NO_TARGET");
    assert_eq!(quarter["composite"], Value::Null);
    assert_eq!(quarter["bonusMultiplier"], Value::Null);

    // Before any scheme: no scorecard.
    assert_eq!(score("2025-12").await, Value::Null);
}
