//! The HTTP surface around the schema: health, readiness, request ids, GraphiQL, the SDL.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_ok_while_the_database_is_up() {
    let app = spawn_app().await;
    for path in ["healthz", "readyz"] {
        let response = app
            .client
            .get(format!("{}/{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_request_id_is_echoed_or_made() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("X-Request-Id", "mobile-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "mobile-42");
    let made = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("X-Request-Id", "no spaces allowed")
        .send()
        .await
        .unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[tokio::test]
async fn the_served_schema_is_the_committed_one() {
    let app = spawn_app().await;
    let served = app
        .client
        .get(format!("{}/graphql/schema.graphql", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/schema.graphql");
    let committed = std::fs::read_to_string(committed_path).unwrap();
    assert!(
        served == committed,
        "api/schema.graphql is stale: regenerate it with `cargo run -q -p attain-api -- schema > api/schema.graphql`"
    );
}

#[tokio::test]
async fn browsers_get_graphiql_and_scripts_can_query_over_get() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );

    let answer: Value = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn mutations_are_refused_over_get() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { login(email: \"a@b.c\", password: \"x\") { token } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// The value of one series in Prometheus's text format, 0 when absent.
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(name))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_errors_by_code() {
    let app = spawn_app().await;
    let scrape = async || {
        app.client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = scrape().await;
    let requests = r#"attain_graphql_requests_total{operation="Catalog"}"#;
    let unauthenticated = r#"attain_graphql_errors_total{code="UNAUTHENTICATED"}"#;
    for _ in 0..3 {
        let (status, _) = app
            .graphql("query Catalog { kpiCatalog { key } }", json!({}), None)
            .await;
        assert_eq!(status, 200);
    }
    app.graphql("{ me { id } }", json!({}), None).await;
    let after = scrape().await;
    assert_eq!(
        series(&after, requests) - series(&before, requests),
        3.0,
        "{after}"
    );
    assert_eq!(
        series(&after, unauthenticated) - series(&before, unauthenticated),
        1.0
    );
    assert!(after.contains("attain_graphql_request_duration_seconds_bucket"));
    assert!(after.contains(r#"attain_db_pool_connections{state="open"}"#));
}
