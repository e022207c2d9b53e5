//! The limits every request passes: depth, complexity, aliases, root fields, batches,
//! body size, content type, time, rate; what production hides; and CORS.

use attain_core::import::Dataset;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, error_code, failure, fixture_text, mint_token, spawn_app, spawn_app_with,
};

async fn post(app: &TestApp, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

fn code_of(text: &str) -> String {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    error_code(&body).to_owned()
}

#[tokio::test]
async fn deep_wide_and_aliased_documents_are_too_complex() {
    let app = spawn_app_with(&[("ATTAIN_MAX_DEPTH", "4")]).await;
    let deep = "{ kpiCatalog { key } me { user { email } organization { name } } __schema { types { fields { type { ofType { name } } } } } }";
    let (_, body) = app.graphql(deep, json!({}), None).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");

    let app = spawn_app().await;
    let aliases: String = (0..31).map(|i| format!("k{i}: key ")).collect();
    let (_, body) = app
        .graphql(
            &format!("{{ kpiCatalog {{ {aliases} }} }}"),
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body["data"].is_null());

    let roots: String = (0..21).map(|_| "__typename ").collect();
    let (_, body) = app
        .graphql(&format!("{{ {roots} }}"), json!({}), None)
        .await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");

    // A page of 200 rows costs 200 times its row.
    let app = spawn_app_with(&[("ATTAIN_MAX_COMPLEXITY", "500")]).await;
    let page = r#"{ leaderboard(scope: { kind: ORG }, period: "2026-03", first: 200) { entries { edges { node { rank value repId displayName } } } } }"#;
    let (_, body) = app.graphql(page, json!({}), None).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
}

#[tokio::test]
async fn only_single_json_requests_are_accepted() {
    let app = spawn_app().await;
    let query = br#"{"query":"{ kpiCatalog { key } }"}"#.to_vec();
    let (status, _) = post(&app, "application/json; charset=utf-8", query.clone()).await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, "application/graphql-response+json", query.clone()).await;
    assert_eq!(status, 200);
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, text) = post(&app, content_type, query.clone()).await;
        assert_eq!(status, 415, "{content_type}");
        assert_eq!(code_of(&text), "BAD_USER_INPUT", "{text}");
    }
    let batch = br#"[{"query":"{ kpiCatalog { key } }"},{"query":"{ kpiCatalog { key } }"}]"#;
    let (status, text) = post(&app, "application/json", batch.to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(code_of(&text), "BAD_USER_INPUT", "{text}");
    let (status, text) = post(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(code_of(&text), "BAD_USER_INPUT", "{text}");
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_before_it_is_read_whole() {
    let app = spawn_app().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body = json!({ "query": "{ kpiCatalog { key } }", "variables": { "padding": padding } });
    let (status, _) = post(&app, "application/json", body.to_string().into_bytes()).await;
    assert_eq!(status, 413);
    // The server is still there.
    let (status, _) = app.graphql("{ kpiCatalog { key } }", json!({}), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_request_longer_than_its_time_limit_is_cut_off() {
    let app = spawn_app_with(&[("ATTAIN_REQUEST_TIMEOUT_MS", "1")]).await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm-01").unwrap(),
        "ADMIN",
    );
    // Every KPI of the organization over a year: dozens of statements, far over 1 ms.
    let (status, body) = app
        .graphql(
            r#"{ kpis(subject: { kind: ORG }, period: "FY2026", asOf: "2026-04-19T16:00:00Z") { values { value } } }"#,
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 ms")
    );
}

#[tokio::test]
async fn each_token_has_its_own_request_rate() {
    let app = spawn_app_with(&[("ATTAIN_RATE_LIMIT_PER_MINUTE", "3")]).await;
    let report = app.small_org().await;
    let token = |user: &str| {
        mint_token(
            report.organization_id,
            report.id("users", user).unwrap(),
            "REP",
        )
    };
    let (first, second) = (token("rep-1"), token("rep-2"));
    for _ in 0..3 {
        let (status, body) = app.graphql("{ me { id } }", json!({}), Some(&first)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = app.graphql("{ me { id } }", json!({}), Some(&first)).await;
    assert_eq!(status, 429);
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let (status, _) = app.graphql("{ me { id } }", json!({}), Some(&second)).await;
    assert_eq!(status, 200, "another token keeps its own rate");
}

#[tokio::test]
async fn production_hides_introspection_suggestions_graphiql_and_the_sdl() {
    let app = spawn_app_with(&[("ATTAIN_ENV", "production")]).await;
    let (_, body) = app
        .graphql("{ __schema { types { name } } }", json!({}), None)
        .await;
    assert!(
        body["data"].is_null() || body["data"]["__schema"].is_null(),
        "{body}"
    );
    let (_, body) = app.graphql("{ kpiCatalg { key } }", json!({}), None).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!message.contains("Did you mean"), "{message}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let sdl = app
        .client
        .get(format!("{}/graphql/schema.graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(sdl.status().as_u16(), 404);
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.to_lowercase().contains("graphiql"), "{page}");

    // Development keeps them.
    let app = spawn_app().await;
    let (_, body) = app.graphql("{ kpiCatalg { key } }", json!({}), None).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Did you mean"), "{message}");
}

async fn preflight(app: &TestApp, origin: &str) -> Option<String> {
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn cross_origin_calls_are_allowed_only_from_configured_origins() {
    let app = spawn_app().await;
    assert_eq!(preflight(&app, "https://crm.example").await, None);
    let app = spawn_app_with(&[(
        "ATTAIN_CORS_ORIGINS",
        "https://crm.example, https://bi.example",
    )])
    .await;
    assert_eq!(
        preflight(&app, "https://crm.example").await.as_deref(),
        Some("https://crm.example")
    );
    assert_eq!(preflight(&app, "https://evil.example").await, None);
}

/// Words that would betray the server's insides.
const LEAKS: [&str; 12] = [
    "select",
    "insert",
    "sqlx",
    "sqlite",
    "postgres",
    "table",
    "constraint",
    "ratings",
    ".rs",
    "panicked",
    "mars",
    "no such",
];

#[tokio::test]
async fn internal_errors_show_nothing_of_the_servers_insides() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app().await;
    let report = app
        .import(&Dataset::from_json(&fixture_text()).unwrap())
        .await;
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm-01").unwrap(),
        "ADMIN",
    );
    let ask = async |query: &str| {
        let (status, body) = app.graphql(query, json!({}), Some(&admin)).await;
        assert_eq!(status, 200);
        assert_eq!(error_code(&body), "INTERNAL", "{body}");
        assert_eq!(body["errors"][0]["message"], "internal error");
        assert!(body["errors"][0]["extensions"]["requestId"].is_string());
        let text = body.to_string().to_lowercase();
        for word in LEAKS {
            assert!(!text.contains(word), "{word:?} in {text}");
        }
    };
    // A statement that fails in the database.
    app.db
        .execute_unprepared("DROP TABLE ratings")
        .await
        .unwrap();
    ask(r#"{ kpis(subject: { kind: ORG }, period: "2026-03", keys: [COLLABORATION_SCORE]) { values { value } } }"#).await;
    // A stored value the code cannot read.
    app.db
        .execute_unprepared("UPDATE organizations SET timezone = 'Mars/Olympus'")
        .await
        .unwrap();
    ask(r#"{ kpis(subject: { kind: ORG }, period: "2026-03", keys: [REVENUE]) { values { value } } }"#).await;
}

/// A query may come over GET, with its variables; a mutation never does, whichever
/// operation of the document it is. The operation the request names is the one that runs.
#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let rep = report.id("users", "rep-1").unwrap();
    let token = mint_token(report.organization_id, rep, "REP");
    let client_ref = uuid::Uuid::now_v7();
    let document = format!(
        "query Read($skip: Boolean!) {{ me {{ user {{ id email @skip(if: $skip) }} }} }} \
         mutation Write {{ logActivity(input: {{ clientRef: \"{client_ref}\", kind: VISIT, \
         occurredAt: \"2026-03-10T09:00:00Z\", quality: true, durationMinutes: 45, notes: \"x\" }}) \
         {{ status }} }}"
    );
    let get = |operation: Option<&str>, variables: Option<&str>| {
        let mut params = vec![("query", document.clone())];
        if let Some(operation) = operation {
            params.push(("operationName", operation.to_owned()));
        }
        if let Some(variables) = variables {
            params.push(("variables", variables.to_owned()));
        }
        let request = app
            .client
            .get(format!("{}/graphql", app.address))
            .query(&params)
            .bearer_auth(&token);
        async move {
            let response = request.send().await.expect("the server answers");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("a JSON body"))
        }
    };
    let stored = || async {
        app.rows(
            "SELECT id FROM activities WHERE client_ref = $1",
            vec![client_ref.into()],
        )
        .await
        .len()
    };

    let (status, body) = get(Some("Read"), Some(r#"{"skip": false}"#)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["user"]["email"], "rep1@small.example");
    let (_, body) = get(Some("Read"), Some(r#"{"skip": true}"#)).await;
    assert_eq!(body["data"]["me"]["user"]["id"], rep.to_string(), "{body}");
    assert!(body["data"]["me"]["user"].get("email").is_none(), "{body}");
    let (status, body) = get(Some("Read"), Some("skip=false")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(failure(&body), ("BAD_USER_INPUT", "variables"), "{body}");
    for operation in [Some("Write"), None] {
        let (status, body) = get(operation, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(failure(&body), ("BAD_USER_INPUT", "query"), "{body}");
    }
    assert_eq!(stored().await, 0);

    // The same document over POST runs the mutation it names.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&json!({ "query": document, "operationName": "Write" }))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["logActivity"]["status"], "CREATED", "{body}");
    assert_eq!(stored().await, 1);
}
