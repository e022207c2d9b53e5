//! Targets and scorecard schemes written through the API: they score the scorecards at
//! once, replays change nothing, and every rule answers on its field.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{error_code, failure, mint_token, spawn_app};

const SCHEME: &str =
    r#"mutation($i: SchemeInput!) { createScorecardScheme(input: $i) { id name cap } }"#;
const TARGET: &str =
    r#"mutation($i: TargetInput!) { setTarget(input: $i) { id target baseline floor changed } }"#;

fn number(value: &Value) -> Decimal {
    Decimal::from_str(value.as_str().unwrap_or_default()).unwrap_or_default()
}

#[tokio::test]
async fn a_scheme_and_a_target_set_through_the_api_score_the_scorecard() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = app.login("admin@small.example").await;
    let rep_id = report.id("users", "rep-1").unwrap().to_string();
    let scheme = json!({ "name": "Activity drive", "appliesTo": "REP", "effectiveFrom": "2026-01-01",
                         "items": [{ "kpi": "ACTIVITIES", "weight": 100 }] });
    let body = app.call(&admin, SCHEME, json!({ "i": scheme })).await;
    assert_eq!(
        body["data"]["createScorecardScheme"]["cap"], "1.2",
        "{body}"
    );
    let again = app.call(&admin, SCHEME, json!({ "i": scheme })).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");

    let target = json!({ "subject": { "kind": "REP", "id": rep_id }, "kpi": "ACTIVITIES",
                         "period": "2026-03", "target": "4", "baseline": "2", "floor": "1" });
    let set = app.call(&admin, TARGET, json!({ "i": target })).await;
    assert_eq!(set["data"]["setTarget"]["changed"], true, "{set}");
    let replay = app.call(&admin, TARGET, json!({ "i": target })).await;
    assert_eq!(replay["data"]["setTarget"]["changed"], false, "{replay}");
    assert_eq!(
        replay["data"]["setTarget"]["id"],
        set["data"]["setTarget"]["id"]
    );

    let rep = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );
    for day in ["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z"] {
        let input = json!({ "i": { "clientRef": Uuid::now_v7().to_string(), "kind": "CALL", "occurredAt": day } });
        app.call(
            &rep,
            "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }",
            input,
        )
        .await;
    }
    let card = r#"query($s: SubjectInput!) { scorecard(subject: $s, period: "2026-03") {
        composite items { kpi { key } target actual attainment } } }"#;
    let subject = json!({ "s": { "kind": "REP", "id": rep_id } });
    let body = app.call(&rep, card, subject.clone()).await;
    let scorecard = &body["data"]["scorecard"];
    assert_eq!(scorecard["items"][0]["target"], "4", "{body}");
    assert_eq!(scorecard["items"][0]["actual"], "2");
    assert_eq!(
        number(&scorecard["items"][0]["attainment"]),
        Decimal::new(5, 1)
    );
    assert_eq!(number(&scorecard["composite"]), Decimal::from(50));
    // A new target replaces the old one for the same KPI and period.
    let raised = json!({ "subject": { "kind": "REP", "id": rep_id }, "kpi": "ACTIVITIES",
                         "period": "2026-03", "target": "8" });
    let body = app.call(&admin, TARGET, json!({ "i": raised })).await;
    assert_eq!(body["data"]["setTarget"]["changed"], true, "{body}");
    assert_eq!(body["data"]["setTarget"]["baseline"], Value::Null);
    let body = app.call(&rep, card, subject).await;
    assert_eq!(
        number(&body["data"]["scorecard"]["composite"]),
        Decimal::from(25),
        "{body}"
    );
    // The rep may read the target but not set it; the manager of the team may.
    let own = app.call(&rep, TARGET, json!({ "i": raised })).await;
    assert_eq!(error_code(&own), "FORBIDDEN");
    let manager = app.login("mgr@small.example").await;
    let body = app.call(&manager, TARGET, json!({ "i": target })).await;
    assert_eq!(body["data"]["setTarget"]["changed"], true, "{body}");
}

#[tokio::test]
async fn scheme_and_target_rules_answer_on_their_fields() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = app.login("admin@small.example").await;
    let item = |kpi: &str, weight: i32| json!({ "kpi": kpi, "weight": weight });
    for (changes, wanted) in [
        (
            json!({ "items": [item("REVENUE", 60), item("WIN_RATE", 30)] }),
            "items",
        ),
        (
            json!({ "items": [item("REVENUE", 60), item("WIN_RATE", 41)] }),
            "items",
        ),
        (
            json!({ "items": [item("REVENUE", 0), item("WIN_RATE", 100)] }),
            "items[0].weight",
        ),
        (
            json!({ "items": [item("REVENUE", 50), item("REVENUE", 50)] }),
            "items[1].kpi",
        ),
        (json!({ "cap": "0" }), "cap"),
        (
            json!({ "bonusTiers": [{ "minScore": "90", "multiplier": "-1" }] }),
            "bonusTiers[0].multiplier",
        ),
        (json!({ "name": " " }), "name"),
    ] {
        let mut scheme = json!({ "name": "Q3", "appliesTo": "TEAM", "effectiveFrom": "2026-07-01",
                                 "items": [item("REVENUE", 100)] });
        for (key, value) in changes.as_object().unwrap() {
            scheme[key] = value.clone();
        }
        let body = app.call(&admin, SCHEME, json!({ "i": scheme })).await;
        assert_eq!(failure(&body), ("BAD_USER_INPUT", wanted), "{body}");
    }
    let team = report.id("teams", "team-a").unwrap().to_string();
    for (changes, wanted) in [
        (json!({ "baseline": "120" }), "baseline"),
        (json!({ "baseline": "80", "floor": "90" }), "floor"),
        (json!({ "target": "-1" }), "target"),
        (json!({ "target": "1000000000001" }), "target"),
        (json!({ "period": "sometime" }), "period"),
    ] {
        let mut target = json!({ "subject": { "kind": "TEAM", "id": team }, "kpi": "REVENUE",
                                 "period": "FY2026-Q3", "target": "100" });
        for (key, value) in changes.as_object().unwrap() {
            target[key] = value.clone();
        }
        let body = app.call(&admin, TARGET, json!({ "i": target })).await;
        assert_eq!(failure(&body), ("BAD_USER_INPUT", wanted), "{body}");
    }
    // Down is better for the sales cycle: the baseline sits above the target.
    let cycle = json!({ "subject": { "kind": "ORG" }, "kpi": "AVG_SALES_CYCLE_DAYS",
                        "period": "FY2026-Q3", "target": "30", "baseline": "45", "floor": "60" });
    let body = app.call(&admin, TARGET, json!({ "i": cycle })).await;
    assert_eq!(body["data"]["setTarget"]["floor"], "60", "{body}");
    let audit = app
        .call(
            &admin,
            r#"{ auditLog(entity: "target") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        audit["data"]["auditLog"]["totalCount"], 1,
        "bad input changed nothing: {audit}"
    );
}
