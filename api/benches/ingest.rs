//! Ingestion benchmark on PostgreSQL: `logActivity` throughput with many clients, its
//! latency at a fixed rate of half that throughput, offline batches of 500
//! (`logActivities`), and a partner's deal batches of 1,000 (`upsertDeals`), each in rows
//! per second against `COPY` of the same rows into the same table.
//!
//! ```text
//! createdb attain_ingest
//! DATABASE_URL='postgres://postgres@localhost/attain_ingest?host=/var/run/postgresql' \
//!   cargo bench -p attain-api --bench ingest
//! ```
//!
//! It creates an organization of its own in that database (50 reps) and adds activities,
//! customers and deals.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use attain_api::config::Config;
use attain_api::startup::Application;
use attain_core::access::Role;
use attain_core::import::{self, Dataset};
use attain_core::tenancy;
use futures_util::StreamExt;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

const REPS: usize = 50;
const CLIENTS: usize = 16;
const PHASE: Duration = Duration::from_secs(10);
const BATCH: usize = 500;
const BATCHES: usize = 40;
const DEAL_BATCH: usize = 1000;
const DEAL_BATCHES: usize = 20;
const CUSTOMERS: usize = 500;

fn dataset() -> String {
    let users: Vec<Value> = (0..REPS)
        .map(|i| json!({ "id": format!("rep-{i}"), "email": format!("rep{i}@ingest.example"),
                         "name": format!("Rep {i}"), "role": "REP", "active": true }))
        .chain(std::iter::once(json!({ "id": "adm", "email": "adm@ingest.example", "name": "Admin", "role": "ADMIN", "active": true })))
        .collect();
    let memberships: Vec<Value> = (0..REPS)
        .map(|i| {
            json!({ "user_id": format!("rep-{i}"), "team_id": format!("team-{}", i % 5),
                         "valid_from": "2025-01-01T00:00:00Z", "valid_to": null })
        })
        .collect();
    let teams: Vec<Value> = (0..5)
        .map(|i| json!({ "id": format!("team-{i}"), "name": format!("Team {i}"), "parent_id": null, "manager_ids": [] }))
        .collect();
    json!({ "format": "attain-dataset/2",
            "organization": { "id": "ingest", "name": "Ingest Co", "timezone": "Asia/Shanghai", "currency": "CNY" },
            "teams": teams, "users": users, "memberships": memberships })
    .to_string()
}

fn activity(number: usize) -> Value {
    json!({ "clientRef": Uuid::now_v7().to_string(), "kind": "VISIT", "occurredAt": "2026-03-10T09:00:00Z",
            "quality": number.is_multiple_of(3), "durationMinutes": 30, "notes": format!("visit {number}") })
}

/// A partner's deal: one in four won, the rest open, spread over the customers.
fn deal(number: usize) -> Value {
    let won = number.is_multiple_of(4);
    json!({ "externalId": format!("SO-{number}"), "ownerEmail": format!("rep{}@ingest.example", number % REPS),
            "customerExternalId": format!("C-{}", number % CUSTOMERS), "name": format!("Order {number}"),
            "amount": format!("{}.50", 1000 + number % 9000),
            "stage": if won { "WON" } else { "PROPOSAL" }, "status": if won { "WON" } else { "OPEN" },
            "createdAt": "2026-01-10T08:00:00Z",
            "closedAt": won.then_some(format!("2026-02-{:02}T08:00:00Z", 1 + number % 28)) })
}

const UPSERT_CUSTOMERS: &str =
    "mutation($i: [CustomerUpsert!]!) { upsertCustomers(items: $i) { status } }";
const UPSERT_DEALS: &str = "mutation($i: [DealUpsert!]!) { upsertDeals(items: $i) { status } }";

const LOG: &str = "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }";
const LOG_MANY: &str = "mutation($i: [ActivityInput!]!) { logActivities(inputs: $i) { status } }";

/// The machine's CPU time from `/proc/stat`, in ticks of 10 ms (Linux's `USER_HZ`): time
/// spent working, by every process (the server, PostgreSQL, this load), the part of it
/// this process spent (the server and its clients, from `/proc/self/stat`), and time the
/// host took from this machine (steal). Work per request holds steadier than rates when
/// the host is busy.
#[derive(Clone, Copy, Default)]
struct Cpu {
    busy: u64,
    process: u64,
    steal: u64,
}

/// CPU spent per unit of work since a [`Cpu`] reading.
struct Work {
    /// Milliseconds of the whole machine per unit.
    machine: f64,
    /// Milliseconds of this process (server and clients) per unit.
    process: f64,
    /// Seconds the host took.
    steal: f64,
}

impl Cpu {
    fn now() -> Cpu {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal
        let at = |index: usize| ticks.get(index).copied().unwrap_or(0);
        // After the command's closing parenthesis: state is the first field, utime the
        // twelfth and stime the thirteenth.
        let own = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let own: Vec<u64> = own
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
            .split_whitespace()
            .map(|field| field.parse().unwrap_or(0))
            .collect();
        let field = |index: usize| own.get(index).copied().unwrap_or(0);
        Cpu {
            busy: at(0) + at(1) + at(2) + at(5) + at(6),
            process: field(11) + field(12),
            steal: at(7),
        }
    }

    /// The work done per unit since `self`.
    fn per(self, units: usize) -> Work {
        let now = Cpu::now();
        let units = units.max(1) as f64;
        Work {
            machine: (now.busy - self.busy) as f64 * 10.0 / units,
            process: (now.process - self.process) as f64 * 10.0 / units,
            steal: (now.steal - self.steal) as f64 / 100.0,
        }
    }
}

fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main]
async fn main() {
    // Setting up and reading sizes is the operator's; the server's requests run in their
    // callers' organizations.
    tenancy::as_system(run()).await;
}

async fn run() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL must name a PostgreSQL database");
    let data_dir = tempfile::tempdir().unwrap();
    let vars: BTreeMap<String, String> = [
        ("DATABASE_URL", url.as_str()),
        ("ATTAIN_PORT", "0"),
        (
            "ATTAIN_JWT_SECRET",
            "benchmark-secret-benchmark-secret-0123",
        ),
        ("ATTAIN_DEMO", "false"),
        ("ATTAIN_DATA_DIR", &data_dir.path().display().to_string()),
        ("ATTAIN_RATE_LIMIT_PER_MINUTE", "100000000"),
        ("ATTAIN_DB_MAX_CONNECTIONS", "20"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let config = Config::from_vars(vars).unwrap();
    let application = Application::build(&config).await.expect("the server");
    let address = format!("http://127.0.0.1:{}/graphql", application.port());
    let db = application.services().db.clone();
    let tokens = application.services().tokens.clone();
    tokio::spawn(application.run_until_stopped());
    let report = import::import(
        &db,
        &Dataset::from_json(&dataset()).unwrap(),
        "ingest bench",
    )
    .await
    .unwrap();
    let rep_tokens: Arc<Vec<String>> = Arc::new(
        (0..REPS)
            .map(|i| {
                let id = report.id("users", &format!("rep-{i}")).unwrap();
                tokens
                    .issue(report.organization_id, id, Role::Rep)
                    .unwrap()
                    .token
            })
            .collect(),
    );
    let client = reqwest::Client::new();
    let post = {
        let client = client.clone();
        let address = address.clone();
        move |token: String, query: &'static str, variables: Value| {
            let mut request = client
                .post(&address)
                .json(&json!({ "query": query, "variables": variables }));
            if !token.is_empty() {
                request = request.bearer_auth(token);
            }
            async move {
                let body: Value = request.send().await.unwrap().json().await.unwrap();
                assert!(body["errors"].is_null(), "{body}");
                body
            }
        }
    };

    // 1. Throughput: CLIENTS clients log one activity after another for PHASE.
    let counter = Arc::new(Mutex::new(0usize));
    let cpu = Cpu::now();
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|worker| {
            let post = post.clone();
            let tokens = rep_tokens.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut number = worker;
                while started.elapsed() < PHASE {
                    post(
                        tokens[number % REPS].clone(),
                        LOG,
                        json!({ "i": activity(number) }),
                    )
                    .await;
                    number += CLIENTS;
                    *counter.lock().await += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let logged = *counter.lock().await;
    let throughput = logged as f64 / started.elapsed().as_secs_f64();
    let log_cpu = cpu.per(logged);

    // 2. Latency at a fixed rate of half that throughput (open loop).
    let rate = (throughput / 2.0).max(1.0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut handles = Vec::new();
    let mut number = 0;
    while started.elapsed() < PHASE {
        ticker.tick().await;
        let post = post.clone();
        let token = rep_tokens[number % REPS].clone();
        let latencies = latencies.clone();
        let input = activity(number);
        handles.push(tokio::spawn(async move {
            let sent = Instant::now();
            post(token, LOG, json!({ "i": input })).await;
            latencies.lock().await.push(sent.elapsed());
        }));
        number += 1;
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let mut samples = latencies.lock().await.clone();
    let (p50, p99) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    );

    // 3. Offline batches of 500, four clients at a time.
    let cpu = Cpu::now();
    let started = Instant::now();
    let batches: Vec<_> = (0..BATCHES)
        .map(|batch| {
            let post = post.clone();
            let token = rep_tokens[batch % REPS].clone();
            async move {
                let inputs: Vec<Value> = (0..BATCH).map(|i| activity(batch * BATCH + i)).collect();
                post(token, LOG_MANY, json!({ "i": inputs })).await;
            }
        })
        .collect();
    let mut stream = futures_util::stream::iter(batches).buffer_unordered(4);
    while stream.next().await.is_some() {}
    let batch_rows = (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64();
    let batch_cpu = cpu.per(BATCHES * BATCH);

    // 4. COPY of as many rows into the same table.
    let rep = report.id("users", "rep-0").unwrap();
    let now = attain_core::time::now_micros();
    let mut csv = String::new();
    for i in 0..BATCHES * BATCH {
        csv.push_str(&format!(
            "{},{},{rep},VISIT,1773133200000000,,,f,30,copied {i},{},,{now},{now},\n",
            report.organization_id,
            Uuid::now_v7(),
            Uuid::now_v7()
        ));
    }
    // As the owner (row-level security), and with PostgreSQL's default planning: the
    // checks of the foreign keys reuse their plans as in any client's COPY.
    let pool = db.get_postgres_connection_pool();
    let mut connection = tenancy::reusing_plans(pool.acquire()).await.unwrap();
    let cpu = Cpu::now();
    let started = Instant::now();
    let mut copy = connection
        .copy_in_raw(
            "COPY activities (organization_id, id, rep_id, kind, occurred_at, customer_id, deal_id, quality, \
             duration_minutes, notes, client_ref, original_digest, created_at, updated_at, deleted_at) \
             FROM STDIN WITH (FORMAT csv)",
        )
        .await
        .unwrap();
    copy.send(csv.as_bytes()).await.unwrap();
    copy.finish().await.unwrap();
    let copy_rows = (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64();
    let copy_cpu = cpu.per(BATCHES * BATCH).machine;
    let _ = db.execute_unprepared("ANALYZE activities").await;

    // 5. A partner's deal batches of 1,000, four at a time, after its customers.
    let admin = report.id("users", "adm").unwrap();
    let admin_token = tokens
        .issue(report.organization_id, admin, Role::Admin)
        .unwrap()
        .token;
    let created = post(
        admin_token,
        "mutation { createPartnerClient(name: \"Bench ERP\") { secret client { id } } }",
        json!({}),
    )
    .await;
    let created = &created["data"]["createPartnerClient"];
    let exchanged = post(
        String::new(),
        "mutation($id: ID!, $s: String!) { partnerToken(clientId: $id, secret: $s) { token } }",
        json!({ "id": created["client"]["id"], "s": created["secret"] }),
    )
    .await;
    let partner = exchanged["data"]["partnerToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let customers: Vec<Value> = (0..CUSTOMERS)
        .map(|i| json!({ "externalId": format!("C-{i}"), "name": format!("Customer {i}"), "segment": "SMB",
                         "ownerEmail": format!("rep{}@ingest.example", i % REPS),
                         "createdAt": "2026-01-01T00:00:00Z" }))
        .collect();
    post(partner.clone(), UPSERT_CUSTOMERS, json!({ "i": customers })).await;
    // Statistics as autovacuum gathers them within a minute of the customers' arrival;
    // before that, the deals' foreign-key checks scan all customers (see the README).
    let _ = db.execute_unprepared("ANALYZE customers").await;
    let cpu = Cpu::now();
    let started = Instant::now();
    let batches: Vec<_> = (0..DEAL_BATCHES)
        .map(|batch| {
            let post = post.clone();
            let token = partner.clone();
            async move {
                let items: Vec<Value> = (0..DEAL_BATCH)
                    .map(|i| deal(batch * DEAL_BATCH + i))
                    .collect();
                post(token, UPSERT_DEALS, json!({ "i": items })).await;
            }
        })
        .collect();
    let mut stream = futures_util::stream::iter(batches).buffer_unordered(4);
    while stream.next().await.is_some() {}
    let deal_rows = (DEAL_BATCHES * DEAL_BATCH) as f64 / started.elapsed().as_secs_f64();
    let deal_cpu = cpu.per(DEAL_BATCHES * DEAL_BATCH);

    // 6. COPY of as many deals into the same table.
    let customer: Uuid = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT id FROM customers WHERE organization_id = $1 LIMIT 1",
            [report.organization_id.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    let mut csv = String::new();
    for i in 0..DEAL_BATCHES * DEAL_BATCH {
        csv.push_str(&format!(
            "{},{},{rep},{customer},,Copied {i},100050,,PROPOSAL,OPEN,1768032000000000,,,f,,,{now},,,\n",
            report.organization_id,
            Uuid::now_v7(),
        ));
    }
    let started = Instant::now();
    let mut copy = connection
        .copy_in_raw(
            "COPY deals (organization_id, id, owner_id, customer_id, lead_id, name, amount_minor, cost_minor, \
             stage, status, created_at, expected_close_on, proposal_sent_at, proposal_co_created, closed_at, \
             next_won_at, updated_at, source_id, external_id, source_updated_at) FROM STDIN WITH (FORMAT csv)",
        )
        .await
        .unwrap();
    copy.send(csv.as_bytes()).await.unwrap();
    copy.finish().await.unwrap();
    let copy_deals = (DEAL_BATCHES * DEAL_BATCH) as f64 / started.elapsed().as_secs_f64();
    let _ = db.execute_unprepared("ANALYZE deals").await;

    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| logActivity, {CLIENTS} clients, {}s | {throughput:.0} per s ({logged} logged) |",
        PHASE.as_secs()
    );
    println!(
        "| machine CPU per logActivity | {:.2} ms, {:.2} ms of it in the API process (host took {:.1} s of CPU) |",
        log_cpu.machine, log_cpu.process, log_cpu.steal
    );
    println!(
        "| logActivity at {rate:.0} per s | p50 {:.1} ms, p99 {:.1} ms |",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    println!("| logActivities, batches of {BATCH}, 4 at a time | {batch_rows:.0} rows per s |");
    println!(
        "| machine CPU per batched row | {:.0} µs, {:.0} µs of it in the API process (host took {:.1} s of CPU) |",
        batch_cpu.machine * 1e3,
        batch_cpu.process * 1e3,
        batch_cpu.steal
    );
    println!(
        "| COPY of as many rows | {copy_rows:.0} rows per s (batches reach {:.0} % of it), {:.0} µs of CPU per row |",
        batch_rows / copy_rows * 100.0,
        copy_cpu * 1e3
    );
    println!("| upsertDeals, batches of {DEAL_BATCH}, 4 at a time | {deal_rows:.0} rows per s |");
    println!(
        "| machine CPU per deal | {:.0} µs, {:.0} µs of it in the API process (host took {:.1} s of CPU) |",
        deal_cpu.machine * 1e3,
        deal_cpu.process * 1e3,
        deal_cpu.steal
    );
    println!(
        "| COPY of as many deals | {copy_deals:.0} rows per s (batches reach {:.0} % of it) |",
        deal_rows / copy_deals * 100.0
    );
}
