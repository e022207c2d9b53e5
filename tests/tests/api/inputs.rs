//! Ratings, survey responses, expenses, market sizes and evaluations put through the API:
//! a retry is stored once, an edit updates, the figures read them, and every rule answers
//! on its field.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{error_code, failure, mint_token, spawn_app};

fn put(field: &str, input: &str) -> String {
    format!("mutation($i: {input}!) {{ {field}(input: $i) {{ id status }} }}")
}

#[tokio::test]
async fn a_rating_is_stored_once_edited_in_place_and_read_by_the_figures() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let manager = app.login("mgr@small.example").await;
    let rep_id = report.id("users", "rep-1").unwrap().to_string();
    let rating = |score: i32| {
        json!({ "i": { "id": "0193a5d0-0000-7000-8000-000000000001", "repId": rep_id,
                       "category": "COLLABORATION", "score": score, "ratedOn": "2026-03-10" } })
    };
    let query = put("putRating", "RatingInput");
    let statuses: Vec<Value> = [
        app.call(&manager, &query, rating(4)).await,
        app.call(&manager, &query, rating(4)).await,
        app.call(&manager, &query, rating(2)).await,
    ]
    .iter()
    .map(|body| body["data"]["putRating"]["status"].clone())
    .collect();
    assert_eq!(statuses, ["CREATED", "UNCHANGED", "UPDATED"]);
    let admin = app.login("admin@small.example").await;
    let kpis = r#"query($s: SubjectInput!) { kpis(subject: $s, period: "2026-03", keys: [COLLABORATION_SCORE]) { values { value } } }"#;
    let body = app
        .call(
            &admin,
            kpis,
            json!({ "s": { "kind": "REP", "id": rep_id } }),
        )
        .await;
    let value = body["data"]["kpis"]["values"][0]["value"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        Decimal::from_str(value).ok(),
        Some(Decimal::from(2)),
        "{body}"
    );

    let bad = |changes: Value| {
        let mut input = rating(3)["i"].clone();
        input["id"] = json!(Uuid::now_v7().to_string());
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        json!({ "i": input })
    };
    for (changes, wanted) in [
        (json!({ "score": 6 }), "score"),
        (json!({ "score": 0 }), "score"),
        (json!({ "repId": Uuid::now_v7().to_string() }), "repId"),
        (json!({ "ratedOn": "2099-01-01" }), "ratedOn"),
        (json!({ "id": "not-an-id" }), "id"),
    ] {
        let body = app.call(&manager, &query, bad(changes)).await;
        assert_eq!(failure(&body), ("BAD_USER_INPUT", wanted), "{body}");
    }
    let rep = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );
    assert_eq!(
        error_code(&app.call(&rep, &query, rating(5)).await),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn expenses_market_sizes_surveys_and_evaluations_keep_their_rules() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = app.login("admin@small.example").await;
    let rep_id = report.id("users", "rep-1").unwrap().to_string();
    let team = report.id("teams", "team-a").unwrap().to_string();
    let expense = put("putExpense", "ExpenseInput");
    let base = json!({ "id": Uuid::now_v7().to_string(), "amount": "120.50", "incurredOn": "2026-03-03",
                       "category": "MARKETING", "teamId": team });
    let body = app.call(&admin, &expense, json!({ "i": base })).await;
    assert_eq!(body["data"]["putExpense"]["status"], "CREATED", "{body}");
    for (changes, wanted) in [
        (json!({ "amount": "1.005" }), "amount"),
        (json!({ "amount": "-3" }), "amount"),
        (json!({ "amount": "1000000000001" }), "amount"),
        (json!({ "repId": rep_id }), "teamId"),
    ] {
        let mut input = base.clone();
        input["id"] = json!(Uuid::now_v7().to_string());
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        let body = app.call(&admin, &expense, json!({ "i": input })).await;
        assert_eq!(failure(&body), ("BAD_USER_INPUT", wanted), "{body}");
    }

    let market = put("putMarketSize", "MarketSizeInput");
    let size = json!({ "id": Uuid::now_v7().to_string(), "from": "2026-01-01", "to": "2026-12-31", "amount": "5000000" });
    let body = app.call(&admin, &market, json!({ "i": size })).await;
    assert_eq!(body["data"]["putMarketSize"]["status"], "CREATED", "{body}");
    let mut twin = size.clone();
    twin["id"] = json!(Uuid::now_v7().to_string());
    assert_eq!(
        error_code(&app.call(&admin, &market, json!({ "i": twin })).await),
        "CONFLICT"
    );
    let mut reversed = size.clone();
    reversed["to"] = json!("2025-12-31");
    let body = app.call(&admin, &market, json!({ "i": reversed })).await;
    assert_eq!(failure(&body), ("BAD_USER_INPUT", "to"), "{body}");

    let survey = put("putSurveyResponse", "SurveyResponseInput");
    let answer = json!({ "id": Uuid::now_v7().to_string(), "customerId": Uuid::now_v7().to_string(),
                         "repId": rep_id, "score": 4, "respondedAt": "2026-03-05T10:00:00Z" });
    let body = app.call(&admin, &survey, json!({ "i": answer })).await;
    assert_eq!(failure(&body), ("BAD_USER_INPUT", "customerId"), "{body}");
    let customers = app
        .call(
            &admin,
            "mutation($i: [CustomerUpsert!]!) { upsertCustomers(items: $i) { id status } }",
            json!({ "i": [{ "externalId": "c-1", "name": "Customer One", "segment": "SMB",
                            "ownerEmail": "rep1@small.example", "createdAt": "2026-01-05T08:00:00Z" }] }),
        )
        .await;
    let customer = &customers["data"]["upsertCustomers"][0];
    assert_eq!(customer["status"], "CREATED", "{customers}");
    let mut answer = answer;
    answer["customerId"] = customer["id"].clone();
    for score in [0, 6] {
        let mut out_of_range = answer.clone();
        out_of_range["score"] = json!(score);
        let body = app
            .call(&admin, &survey, json!({ "i": out_of_range }))
            .await;
        assert_eq!(failure(&body), ("BAD_USER_INPUT", "score"), "{body}");
    }
    let body = app.call(&admin, &survey, json!({ "i": answer })).await;
    assert_eq!(
        body["data"]["putSurveyResponse"]["status"], "CREATED",
        "{body}"
    );

    let evaluation = put("putEvaluation", "EvaluationInput");
    let review = json!({ "id": Uuid::now_v7().to_string(), "repId": rep_id, "period": "FY2026-Q1",
                         "strengths": "客户关系", "actions": "每周两次高质量拜访" });
    let manager = app.login("mgr@small.example").await;
    let body = app
        .call(&manager, &evaluation, json!({ "i": review }))
        .await;
    assert_eq!(body["data"]["putEvaluation"]["status"], "CREATED", "{body}");
    let body = app
        .call(&manager, &evaluation, json!({ "i": review }))
        .await;
    assert_eq!(
        body["data"]["putEvaluation"]["status"], "UNCHANGED",
        "{body}"
    );
    let mut long = review.clone();
    long["strengths"] = json!("x".repeat(5001));
    let body = app.call(&manager, &evaluation, json!({ "i": long })).await;
    assert_eq!(failure(&body), ("BAD_USER_INPUT", "strengths"), "{body}");
    let analyst = app.login("bi@small.example").await;
    assert_eq!(
        error_code(
            &app.call(&analyst, &evaluation, json!({ "i": review }))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.call(&manager, &expense, json!({ "i": base })).await),
        "FORBIDDEN"
    );
    let audit = app
        .call(&admin, "{ auditLog { totalCount } }", json!({}))
        .await;
    assert_eq!(
        audit["data"]["auditLog"]["totalCount"], 5,
        "bad input and replays wrote nothing: {audit}"
    );
}
