//! KPI read benchmark on a large tenant: the GraphQL requests a mobile app and a manager
//! make, timed over HTTP, against the same SQL statements run directly.
//!
//! ```text
//! attain seed-demo --reps 5000 --activities-per-week 38 --deals-per-week 2   # once
//! DATABASE_URL=postgres://… cargo bench -p attain-api --bench kpi
//! ```
//!
//! The server runs in-process over `DATABASE_URL` (migrated, never written). For each
//! case, the statements one request issues are recorded through the connection's metric
//! callback and replayed one after the other on a connection of its own: the ratio of the
//! two medians is what the GraphQL, HTTP, access and formula layers add to the SQL (the
//! server runs up to three of a request's statements at once, so it can come out
//! below 1). `BENCH_ITERATIONS` scales the
//! number of timed requests (default 1.0).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attain_api::config::Config;
use attain_api::startup::Application;
use attain_core::access::Role;
use attain_core::insights::current_period;
use attain_core::organization::Settings;
use attain_core::tenancy::{self, Rows};
use attain_entity::enums::PeriodKind;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// Statements recorded while `on` is set.
#[derive(Clone, Default)]
struct Recorder {
    on: Arc<AtomicBool>,
    statements: Arc<Mutex<Vec<Statement>>>,
}

struct Case {
    name: &'static str,
    query: &'static str,
    variables: Value,
    iterations: usize,
}

struct Measured {
    p50: Duration,
    p99: Duration,
    throughput: f64,
}

fn measure(mut samples: Vec<Duration>) -> Measured {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Measured {
        p50: at(0.5),
        p99: at(0.99),
        throughput: samples.len() as f64 / total.as_secs_f64(),
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

async fn one_value(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Uuid {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
    .expect("the query runs")
    .expect("the demo tenant has it")
    .try_get_by_index(0)
    .expect("an id")
}

#[tokio::main]
async fn main() {
    // Setting up and reading sizes is the operator's; the server's requests run in their
    // callers' organizations.
    tenancy::as_system(run()).await;
}

async fn run() {
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must name a database filled by `attain seed-demo`");
    let scale: f64 = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|scale| scale.parse().ok())
        .unwrap_or(1.0);
    let iterations = |n: usize| ((n as f64 * scale).ceil() as usize).max(3);

    let recorder = Recorder::default();
    let mut db = attain_core::db::connect(&url, 10)
        .await
        .expect("connecting");
    attain_core::db::migrate(&db).await.expect("migrating");
    {
        let recorder = recorder.clone();
        db.set_metric_callback(move |info| {
            if recorder.on.load(Ordering::SeqCst) {
                recorder
                    .statements
                    .lock()
                    .expect("the recorder")
                    .push(info.statement.clone());
            }
        });
    }
    // The same session settings as the server's, without the recorder.
    let plain = attain_core::db::connect(&url, 2)
        .await
        .expect("a second connection");

    let data_dir = tempfile::tempdir().expect("a temporary folder");
    let vars: BTreeMap<String, String> = [
        ("DATABASE_URL", url.as_str()),
        ("ATTAIN_PORT", "0"),
        (
            "ATTAIN_JWT_SECRET",
            "benchmark-secret-benchmark-secret-0123",
        ),
        ("ATTAIN_DEMO", "false"),
        // Counted as in production (on PostgreSQL, one statement a request), never hit.
        ("ATTAIN_RATE_LIMIT_PER_MINUTE", "1000000000"),
        ("ATTAIN_DATA_DIR", &data_dir.path().display().to_string()),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let config = Config::from_vars(vars).expect("configuration");
    let application = Application::build_with(&config, db.clone()).expect("the server");
    let address = format!("http://127.0.0.1:{}/graphql", application.port());
    let tokens = application.services().tokens.clone();
    tokio::spawn(application.run_until_stopped());

    let organization = one_value(
        &plain,
        "SELECT organization_id FROM users GROUP BY organization_id ORDER BY COUNT(*) DESC LIMIT 1",
        vec![],
    )
    .await;
    let org = sea_orm::Value::from(organization);
    let admin = one_value(
        &plain,
        "SELECT id FROM users WHERE organization_id = $1 AND role = 'ADMIN' ORDER BY email LIMIT 1",
        vec![org.clone()],
    )
    .await;
    let team = one_value(
        &plain,
        "SELECT team_id FROM team_memberships WHERE organization_id = $1 AND valid_to IS NULL \
         GROUP BY team_id HAVING COUNT(*) = 10 ORDER BY team_id LIMIT 1",
        vec![org.clone()],
    )
    .await;
    let rep = one_value(
        &plain,
        "SELECT user_id FROM team_memberships WHERE organization_id = $1 AND team_id = $2 \
         AND valid_to IS NULL ORDER BY user_id LIMIT 1",
        vec![org.clone(), team.into()],
    )
    .await;
    let settings = Settings::load(&plain, organization)
        .await
        .expect("settings");
    let now = chrono::Utc::now();
    let quarter = current_period(&settings, PeriodKind::Quarter, now)
        .previous()
        .label();
    let token = tokens
        .issue(organization, admin, Role::Admin)
        .expect("a token")
        .token;
    let count = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE organization_id = $1");
    let mut sizes = Vec::new();
    for table in ["users", "teams", "activities", "deals"] {
        let row = plain
            .query_one_raw(Statement::from_sql_and_values(
                plain.get_database_backend(),
                count(table),
                [org.clone()],
            ))
            .await
            .expect("counting")
            .expect("a count");
        sizes.push(format!(
            "{} {table}",
            row.try_get_by_index::<i64>(0).unwrap()
        ));
    }
    println!("tenant: {}; quarter {quarter}", sizes.join(", "));

    let cases = [
        Case {
            name: "rep quarterly scorecard",
            query: "query($rep: ID!, $period: String!) { scorecard(subject: { kind: REP, id: $rep }, period: $period) { composite coverage bonusMultiplier items { kpi { key } target actual attainment status score } } }",
            variables: json!({ "rep": rep.to_string(), "period": quarter }),
            iterations: iterations(300),
        },
        Case {
            name: "10-rep team scorecard with per-rep breakdown",
            query: "query($team: ID!, $period: String!) { scorecard(subject: { kind: TEAM, id: $team }, period: $period) { composite items { kpi { key } actual status } breakdown { repId displayName scorecard { composite items { actual attainment status } } } } }",
            variables: json!({ "team": team.to_string(), "period": quarter }),
            iterations: iterations(200),
        },
        Case {
            name: "organization leaderboard by composite (all reps)",
            query: "query($period: String!) { leaderboard(scope: { kind: ORG }, period: $period, first: 200) { n entries { totalCount edges { node { rank value displayName } } } } }",
            variables: json!({ "period": quarter }),
            iterations: iterations(30),
        },
        Case {
            name: "kpiTable of every rep, 10 KPIs (BI)",
            query: "query($period: String!) { kpiTable(subjectKind: REP, period: $period, keys: [REVENUE, WON_DEALS, AVG_DEAL_SIZE, GROSS_MARGIN, WIN_RATE, ACTIVITIES, VISITS, NEW_LEADS, LEAD_CONVERSION_RATE, PIPELINE_VALUE], first: 200) { rows { totalCount edges { node { subjectId values { value } composite } } } } }",
            variables: json!({ "period": quarter }),
            iterations: iterations(20),
        },
        Case {
            name: "organization's lead conversion by lead source (breakdown)",
            query: "query($period: String!) { breakdown(subject: { kind: ORG }, kpi: LEAD_CONVERSION_RATE, period: $period, by: LEAD_SOURCE) { groups { key value } } }",
            variables: json!({ "period": quarter }),
            iterations: iterations(30),
        },
        Case {
            name: "organization's activities by team (breakdown)",
            query: "query($period: String!) { breakdown(subject: { kind: ORG }, kpi: ACTIVITIES, period: $period, by: TEAM) { groups { key value } } }",
            variables: json!({ "period": quarter }),
            iterations: iterations(30),
        },
        Case {
            name: "12-month revenue trend of a rep",
            query: "query($rep: ID!) { kpiTrend(subject: { kind: REP, id: $rep }, kpi: REVENUE, periodKind: MONTH, count: 12) { points { period { label } value } } }",
            variables: json!({ "rep": rep.to_string() }),
            iterations: iterations(200),
        },
    ];

    let client = reqwest::Client::new();
    let request = |case: &Case| {
        client
            .post(&address)
            .bearer_auth(&token)
            .json(&json!({ "query": case.query, "variables": case.variables }))
            .send()
    };
    println!();
    println!(
        "| case | GraphQL p50 ms | p99 ms | req/s (1 client) | SQL statements | raw SQL p50 ms | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for case in &cases {
        // Warm-up: opens the pool's connections and prepares the statements.
        for _ in 0..20 {
            let body: Value = request(case).await.unwrap().json().await.unwrap();
            assert!(body["errors"].is_null(), "{}: {body}", case.name);
        }
        recorder.statements.lock().unwrap().clear();
        recorder.on.store(true, Ordering::SeqCst);
        request(case).await.unwrap().bytes().await.unwrap();
        recorder.on.store(false, Ordering::SeqCst);
        let statements: Vec<Statement> = recorder.statements.lock().unwrap().drain(..).collect();

        let mut samples = Vec::with_capacity(case.iterations);
        for _ in 0..case.iterations {
            let started = Instant::now();
            let response = request(case).await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap();
            samples.push(started.elapsed());
        }
        let graphql = measure(samples);

        let mut raw = Vec::with_capacity(case.iterations);
        for _ in 0..case.iterations {
            let started = Instant::now();
            for statement in &statements {
                // As the server runs them: in the organization, under its policies.
                let replay = plain.query_all_raw(statement.clone());
                tenancy::within(Rows::Organization(organization), replay)
                    .await
                    .expect("replaying a statement");
            }
            raw.push(started.elapsed());
        }
        let raw = measure(raw);
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {:.2} |",
            case.name,
            millis(graphql.p50),
            millis(graphql.p99),
            graphql.throughput,
            statements.len(),
            millis(raw.p50),
            graphql.p50.as_secs_f64() / raw.p50.as_secs_f64(),
        );
    }

    // The CSV export of the kpiTable above, read in chunks as it streams; the server runs
    // in this process, so the process's peak resident memory bounds the export's.
    let export = format!(
        "{}/export/kpis.csv?period={quarter}&subjects=REP&keys=REVENUE,WON_DEALS,AVG_DEAL_SIZE,\
         GROSS_MARGIN,WIN_RATE,ACTIVITIES,VISITS,NEW_LEADS,LEAD_CONVERSION_RATE,PIPELINE_VALUE",
        address.trim_end_matches("/graphql")
    );
    let peak_before = peak_memory_kib();
    let mut samples = Vec::new();
    let mut size = 0;
    for _ in 0..iterations(20) {
        let started = Instant::now();
        let mut response = client
            .get(&export)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        size = 0;
        while let Some(chunk) = response.chunk().await.unwrap() {
            size += chunk.len();
        }
        samples.push(started.elapsed());
    }
    let measured = measure(samples);
    println!();
    println!(
        "CSV export of every rep, 10 KPIs: p50 {} ms, p99 {} ms, {size} bytes; peak resident \
         memory {peak_before} KiB before the exports, {} KiB after",
        millis(measured.p50),
        millis(measured.p99),
        peak_memory_kib()
    );
}

/// The process's peak resident memory (`VmHWM`), in KiB.
fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
