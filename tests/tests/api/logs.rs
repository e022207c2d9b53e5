//! The logs: JSON lines that carry each request's id and operation name, and never a
//! password, a token or the signing secret.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{PASSWORD, TEST_SECRET, spawn_app};

/// Everything the test binary logged, as JSON lines.
#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

fn captured() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured(Arc::new(Mutex::new(Vec::new())));
        attain_api::telemetry::init_with(true, logs.clone());
        logs
    })
    .clone()
}

#[tokio::test]
async fn logs_name_the_request_and_hold_no_secret() {
    let logs = captured();
    let app = spawn_app().await;
    app.small_org().await;
    let token = app.login("admin@small.example").await;
    let answer = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "log-check-0001")
        .bearer_auth(&token)
        .json(&json!({ "query": "query WhoAmI { me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    // An internal error is logged with its request id.
    app.db
        .execute_unprepared("DROP TABLE ratings")
        .await
        .unwrap();
    let failing = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "log-check-0002")
        .bearer_auth(&token)
        .json(&json!({ "query": r#"query Ratings { kpis(subject: { kind: ORG }, period: "2026-03", keys: [CAPABILITY_SCORE]) { values { value } } }"# }))
        .send()
        .await
        .unwrap();
    assert_eq!(failing.status().as_u16(), 200);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line_of = |id: &str, needle: &str| {
        text.lines().any(|line| {
            line.contains(id)
                && line.contains(needle)
                && serde_json::from_str::<serde_json::Value>(line).is_ok()
        })
    };
    assert!(
        line_of("log-check-0001", r#""operation":"WhoAmI""#),
        "{text}"
    );
    assert!(line_of("log-check-0002", "internal error"), "{text}");
    for secret in [PASSWORD, token.as_str(), TEST_SECRET] {
        assert!(!text.contains(secret), "a secret in the logs");
    }
}
