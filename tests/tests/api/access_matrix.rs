//! The access matrix of `tests/access-matrix.txt`, cell by cell, against a real server;
//! and the check that the table covers every root field of the schema, so that a new
//! field without rows fails the suite.

use std::collections::{BTreeMap, BTreeSet};

use attain_core::import::{Dataset, ImportReport};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, fixture_text, mint_token, spawn_app};

const ACTORS: [&str; 8] = [
    "admin",
    "manager_in",
    "manager_out",
    "rep",
    "analyst",
    "other_admin",
    "partner",
    "anonymous",
];

/// Fields whose answer is a list the caller's scope filters: an empty one is `EMPTY`.
const LISTS: [&str; 8] = [
    "users",
    "teams",
    "customers",
    "leads",
    "deals",
    "invoices",
    "payments",
    "partnerClients",
];

struct Row {
    field: String,
    target: String,
    outcomes: Vec<String>,
}

fn table() -> Vec<Row> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("access-matrix.txt");
    std::fs::read_to_string(path)
        .expect("the access matrix")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cells.len(), 2 + ACTORS.len(), "a full row: {line}");
            Row {
                field: cells[0].to_owned(),
                target: cells[1].to_owned(),
                outcomes: cells[2..].iter().map(|cell| cell.to_string()).collect(),
            }
        })
        .collect()
}

/// The root fields of the served schema, from its SDL: the lines of `type Query` and
/// `type Mutation` outside description blocks.
fn root_fields() -> BTreeSet<String> {
    let sdl = attain_api::graphql::sdl();
    let mut fields = BTreeSet::new();
    for root in ["type Query {", "type Mutation {"] {
        let start = sdl.find(root).expect("the root type") + root.len();
        let body = &sdl[start..start + sdl[start..].find("\n}").unwrap()];
        let mut in_description = false;
        for line in body.lines() {
            if line.trim() == "\"\"\"" {
                in_description = !in_description;
            } else if !in_description {
                let name: String = line
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    fields.insert(name);
                }
            }
        }
    }
    fields
}

#[test]
fn the_matrix_covers_every_root_field_of_the_schema() {
    let covered: BTreeSet<String> = table().into_iter().map(|row| row.field).collect();
    let fields = root_fields();
    let missing: Vec<&String> = fields.difference(&covered).collect();
    let unknown: Vec<&String> = covered.difference(&fields).collect();
    assert!(
        missing.is_empty(),
        "root fields without rows in access-matrix.txt: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows for fields the schema lacks: {unknown:?}"
    );
}

/// The GraphQL document and variables that exercise a field on a target.
fn request(field: &str, subject: &Value) -> (String, Value) {
    let with_subject = |selection: &str| {
        (
            format!("query($s: SubjectInput!) {{ {selection} }}"),
            json!({ "s": subject }),
        )
    };
    match field {
        "login" => (
            r#"mutation { login(email: "adm@nowhere.example", password: "wrong") { token } }"#.to_owned(),
            json!({}),
        ),
        "me" => ("{ me { id } }".to_owned(), json!({})),
        "kpiCatalog" => ("{ kpiCatalog { key } }".to_owned(), json!({})),
        "kpis" => with_subject(r#"kpis(subject: $s, period: "2026-03", keys: [REVENUE]) { values { value } }"#),
        "scorecard" => with_subject(r#"scorecard(subject: $s, period: "2026-03") { composite }"#),
        "kpiTrend" => with_subject("kpiTrend(subject: $s, kpi: REVENUE, periodKind: MONTH, count: 2) { points { value } }"),
        "revenueForecast" => with_subject("revenueForecast(subject: $s, history: 2) { closed }"),
        "breakdown" => with_subject(r#"breakdown(subject: $s, kpi: NEW_LEADS, period: "2026-03", by: LEAD_SOURCE) { groups { key } }"#),
        "contributors" => with_subject(r#"contributors(subject: $s, kpi: REVENUE, period: "2026-03", first: 1) { totalCount }"#),
        "leaderboard" => with_subject(r#"leaderboard(scope: $s, period: "2026-03", first: 1) { n }"#),
        "coaching" => (
            r#"query($rep: ID!) { coaching(rep: $rep, period: "2026-03") { topic } }"#.to_owned(),
            json!({ "rep": subject["id"] }),
        ),
        "activities" => ("{ activities(first: 1) { totalCount } }".to_owned(), json!({})),
        "kpiTable" => (
            r#"{ kpiTable(subjectKind: REP, period: "2026-03", keys: [REVENUE], first: 1) { rows { totalCount } } }"#.to_owned(),
            json!({}),
        ),
        "auditLog" => ("{ auditLog(first: 1) { totalCount } }".to_owned(), json!({})),
        "logActivity" | "logActivities" => {
            let input = json!({ "clientRef": Uuid::now_v7().to_string(), "repId": subject["id"],
                                "kind": "CALL", "occurredAt": "2026-03-10T09:00:00Z" });
            if field == "logActivity" {
                (
                    "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }".to_owned(),
                    json!({ "i": input }),
                )
            } else {
                (
                    "mutation($i: [ActivityInput!]!) { logActivities(inputs: $i) { status error { code } } }".to_owned(),
                    json!({ "i": [input] }),
                )
            }
        }
        "updateActivity" => (
            r#"mutation($id: ID!) { updateActivity(id: $id, input: { notes: "checked" }) { id } }"#.to_owned(),
            json!({ "id": subject["activity"] }),
        ),
        "deleteActivity" => (
            "mutation($id: ID!) { deleteActivity(id: $id) { id } }".to_owned(),
            json!({ "id": subject["activity"] }),
        ),
        "customers" | "leads" | "deals" | "invoices" | "payments" => (
            format!("query($f: RecordFilter) {{ {field}(filter: $f, first: 1) {{ totalCount }} }}"),
            json!({ "f": { "ownerId": subject["id"] } }),
        ),
        "partnerClients" => ("{ partnerClients(first: 1) { totalCount } }".to_owned(), json!({})),
        "createPartnerClient" => (
            r#"mutation { createPartnerClient(name: "Matrix ERP") { secret } }"#.to_owned(),
            json!({}),
        ),
        "rotatePartnerClientSecret" | "revokePartnerClient" => (
            format!("mutation($id: ID!) {{ {field}(id: $id) {{ __typename }} }}"),
            json!({ "id": subject["id"] }),
        ),
        "partnerToken" => (
            r#"mutation($id: ID!) { partnerToken(clientId: $id, secret: "wrong") { token } }"#.to_owned(),
            json!({ "id": subject["partner"] }),
        ),
        "upsertCustomers" | "upsertLeads" | "upsertDeals" | "upsertInvoices" | "upsertPayments" => {
            let (input, item) = pushed_item(field);
            (
                format!("mutation($i: [{input}!]!) {{ {field}(items: $i) {{ status error {{ code }} }} }}"),
                json!({ "i": [item] }),
            )
        }
        "users" => ("{ users(first: 1) { totalCount } }".to_owned(), json!({})),
        "teams" => ("{ teams(first: 1) { totalCount } }".to_owned(), json!({})),
        "inviteUser" => (
            "mutation($e: String!) { inviteUser(input: { email: $e, displayName: \"Matrix\", role: REP }) { id } }".to_owned(),
            json!({ "e": format!("matrix-{}@acme.example", Uuid::now_v7().simple()) }),
        ),
        "changeUserRole" => (
            "mutation($id: ID!) { changeUserRole(userId: $id, role: REP) { id } }".to_owned(),
            json!({ "id": subject["id"] }),
        ),
        "setUserActive" => (
            "mutation($id: ID!) { setUserActive(userId: $id, active: true) { id } }".to_owned(),
            json!({ "id": subject["id"] }),
        ),
        "createTeam" => (
            r#"mutation { createTeam(name: "Matrix team") { id } }"#.to_owned(),
            json!({}),
        ),
        "moveTeamMember" => (
            r#"mutation($id: ID!) { moveTeamMember(userId: $id, teamId: null, at: "2000-01-01T00:00:00Z") { id } }"#.to_owned(),
            json!({ "id": subject["id"] }),
        ),
        "setTarget" => (
            r#"mutation($s: SubjectInput!) { setTarget(input: { subject: $s, kpi: VISITS, period: "2030-01", target: "10" }) { id } }"#.to_owned(),
            json!({ "s": subject }),
        ),
        "createScorecardScheme" => (
            r#"mutation { createScorecardScheme(input: { name: "Matrix", appliesTo: REP, effectiveFrom: "2031-01-01", items: [{ kpi: REVENUE, weight: 100 }] }) { id } }"#.to_owned(),
            json!({}),
        ),
        "putRating" => (
            "mutation($i: RatingInput!) { putRating(input: $i) { status } }".to_owned(),
            json!({ "i": { "id": Uuid::now_v7().to_string(), "repId": subject["id"],
                           "category": "COLLABORATION", "score": 3, "ratedOn": "2026-03-10" } }),
        ),
        "putEvaluation" => (
            "mutation($i: EvaluationInput!) { putEvaluation(input: $i) { status } }".to_owned(),
            json!({ "i": { "id": Uuid::now_v7().to_string(), "repId": subject["id"],
                           "period": "2026-03", "strengths": "steady" } }),
        ),
        "putSurveyResponse" => (
            "mutation($i: SurveyResponseInput!) { putSurveyResponse(input: $i) { status } }".to_owned(),
            json!({ "i": { "id": Uuid::now_v7().to_string(), "customerId": Uuid::now_v7().to_string(),
                           "repId": Uuid::now_v7().to_string(), "score": 4,
                           "respondedAt": "2026-03-10T09:00:00Z" } }),
        ),
        "putExpense" => (
            "mutation($i: ExpenseInput!) { putExpense(input: $i) { status } }".to_owned(),
            json!({ "i": { "id": Uuid::now_v7().to_string(), "amount": "1.00",
                           "incurredOn": "2026-03-10", "category": "OTHER" } }),
        ),
        "putMarketSize" => (
            "mutation($i: MarketSizeInput!) { putMarketSize(input: $i) { status } }".to_owned(),
            json!({ "i": { "id": Uuid::now_v7().to_string(), "from": "2031-01-01",
                           "to": "2031-12-31", "amount": "1000.00" } }),
        ),
        "topPerformers" => (
            r#"{ topPerformers(kpi: REVENUE, percentTop: "50", consecutivePeriods: 1, periodKind: MONTH) { repId } }"#.to_owned(),
            json!({}),
        ),
        other => panic!("no request for {other}: add one with its rows"),
    }
}

/// The records the partner pushes before the table runs (owned by rep-01), and the item
/// each upsert row sends again.
fn pushed_item(field: &str) -> (&'static str, Value) {
    let owner = "HR-1001";
    match field {
        "upsertCustomers" => (
            "CustomerUpsert",
            json!({ "externalId": "c-matrix", "name": "Matrix Co", "segment": "SMB",
            "ownerExternalId": owner, "createdAt": "2025-06-01T00:00:00Z" }),
        ),
        "upsertLeads" => (
            "LeadUpsert",
            json!({ "externalId": "l-matrix", "ownerExternalId": owner, "leadSource": "PARTNER",
            "status": "OPEN", "createdAt": "2025-06-01T00:00:00Z" }),
        ),
        "upsertDeals" => (
            "DealUpsert",
            json!({ "externalId": "d-matrix", "ownerExternalId": owner, "customerExternalId": "c-matrix",
            "name": "Matrix deal", "amount": "10.00", "stage": "PROSPECTING", "status": "OPEN",
            "createdAt": "2025-06-01T00:00:00Z" }),
        ),
        "upsertInvoices" => (
            "InvoiceUpsert",
            json!({ "externalId": "i-matrix", "ownerExternalId": owner,
            "customerExternalId": "c-matrix", "amount": "10.00", "dueOn": "2025-07-01" }),
        ),
        "upsertPayments" => (
            "PaymentUpsert",
            json!({ "externalId": "p-matrix", "invoiceExternalId": "i-matrix",
            "amount": "10.00", "receivedOn": "2025-06-15" }),
        ),
        other => panic!("no item for {other}"),
    }
}

/// The partner clients of the table: ours (the `partner` actor's), and one of each
/// organization for the rows that rotate and revoke.
struct Clients {
    actor: String,
    own: String,
    other_org: String,
}

fn subject(target: &str, ours: &ImportReport, theirs: &ImportReport, clients: &Clients) -> Value {
    let rep = |report: &ImportReport, id: &str| json!({ "kind": "REP", "id": report.id("users", id).unwrap().to_string() });
    let team = |report: &ImportReport, id: &str| json!({ "kind": "TEAM", "id": report.id("teams", id).unwrap().to_string() });
    match target {
        "-" => Value::Null,
        "rep:self" => rep(ours, "rep-01"),
        "rep:peer" => rep(ours, "rep-02"),
        "rep:subteam" => rep(ours, "rep-04"),
        "rep:outside" => rep(ours, "rep-05"),
        "rep:other_org" => rep(theirs, "rep-01"),
        "rep:missing" => json!({ "kind": "REP", "id": Uuid::now_v7().to_string() }),
        "team:own" => team(ours, "team-shanghai"),
        "team:outside" => team(ours, "team-hangzhou"),
        "team:other_org" => team(theirs, "team-shanghai"),
        "team:missing" => json!({ "kind": "TEAM", "id": Uuid::now_v7().to_string() }),
        "org" => json!({ "kind": "ORG" }),
        "client:own" => json!({ "id": clients.own }),
        "client:other_org" => json!({ "id": clients.other_org }),
        "client:missing" => json!({ "id": Uuid::now_v7().to_string() }),
        other => panic!("unknown target {other}"),
    }
}

/// One live activity of the target's rep, for the fields that edit one.
async fn with_activity(app: &TestApp, mut subject: Value) -> Value {
    let rep = Uuid::parse_str(subject["id"].as_str().unwrap_or_default()).unwrap_or_default();
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT id FROM activities WHERE rep_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1",
            [rep.into()],
        ))
        .await
        .unwrap();
    let activity: Uuid = row.map_or_else(Uuid::now_v7, |row| row.try_get("", "id").unwrap());
    subject["activity"] = json!(activity.to_string());
    subject
}

async fn outcome(app: &TestApp, token: Option<&str>, field: &str, subject: &Value) -> String {
    let subject = if matches!(field, "updateActivity" | "deleteActivity") {
        with_activity(app, subject.clone()).await
    } else {
        subject.clone()
    };
    let (query, variables) = request(field, &subject);
    let (_, body) = app.graphql(&query, variables, token).await;
    if !body["errors"].as_array().is_none_or(Vec::is_empty) {
        return error_code(&body).to_owned();
    }
    if LISTS.contains(&field) && body["data"][field]["totalCount"] == 0 {
        return "EMPTY".to_owned();
    }
    // A batch answers per item.
    match body["data"][field][0]["error"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None => "OK".to_owned(),
    }
}

#[tokio::test]
async fn every_cell_of_the_access_matrix_holds() {
    let app = spawn_app().await;
    let dataset = Dataset::from_json(&fixture_text()).unwrap();
    let ours = app.import(&dataset).await;
    let theirs = app.import(&dataset).await;
    let token = |report: &ImportReport, user: &str, role: &str| {
        Some(mint_token(
            report.organization_id,
            report.id("users", user).unwrap(),
            role,
        ))
    };
    let mut tokens: BTreeMap<&str, Option<String>> = BTreeMap::from([
        ("admin", token(&ours, "adm-01", "ADMIN")),
        ("manager_in", token(&ours, "mgr-02", "MANAGER")),
        ("manager_out", token(&ours, "mgr-03", "MANAGER")),
        ("rep", token(&ours, "rep-01", "REP")),
        ("analyst", token(&ours, "ana-01", "ANALYST")),
        ("other_admin", token(&theirs, "adm-01", "ADMIN")),
        ("anonymous", None),
    ]);
    let create = |admin: Option<String>| {
        let app = &app;
        async move {
            let (_, body) = app
                .graphql(
                    r#"mutation { createPartnerClient(name: "ERP") { secret client { id } } }"#,
                    json!({}),
                    admin.as_deref(),
                )
                .await;
            let created = &body["data"]["createPartnerClient"];
            (
                created["client"]["id"].as_str().unwrap().to_owned(),
                created["secret"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (actor, secret) = create(tokens["admin"].clone()).await;
    let clients = Clients {
        actor,
        own: create(tokens["admin"].clone()).await.0,
        other_org: create(tokens["other_admin"].clone()).await.0,
    };
    let (_, exchanged) = app
        .graphql(
            "mutation($id: ID!, $s: String!) { partnerToken(clientId: $id, secret: $s) { token } }",
            json!({ "id": clients.actor, "s": secret }),
            None,
        )
        .await;
    let partner = exchanged["data"]["partnerToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for field in [
        "upsertCustomers",
        "upsertLeads",
        "upsertDeals",
        "upsertInvoices",
        "upsertPayments",
    ] {
        assert_eq!(
            outcome(&app, Some(&partner), field, &Value::Null).await,
            "OK",
            "{field}"
        );
    }
    tokens.insert("partner", Some(partner));
    let mut failures = Vec::new();
    let mut cells = 0;
    for row in table() {
        let mut subject = subject(&row.target, &ours, &theirs, &clients);
        if row.field == "partnerToken" {
            subject = json!({ "partner": clients.actor });
        }
        for (actor, expected) in ACTORS.iter().zip(&row.outcomes) {
            let got = outcome(&app, tokens[actor].as_deref(), &row.field, &subject).await;
            cells += 1;
            if &got != expected {
                failures.push(format!(
                    "{} on {} as {actor}: expected {expected}, got {got}",
                    row.field, row.target
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, 196 * ACTORS.len());
}
