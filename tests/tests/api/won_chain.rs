//! `deals.next_won_at`, the link retention reads instead of a window over a year of deals:
//! after an import and after writes that relink customers it equals the link computed from
//! scratch, and retention read through it equals retention computed the raw way.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use attain_core::import::{Dataset, ImportReport};
use attain_core::won_chain;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value as SqlValue};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, fixture_text, mint_token, spawn_app};

/// Every deal's stored link against the one a window function computes from scratch.
async fn assert_links_match(app: &TestApp, organization: Uuid) {
    let stored = app.rows(
        "SELECT d.id, d.next_won_at, w.next FROM deals d LEFT JOIN \
         (SELECT id, LEAD(closed_at) OVER (PARTITION BY customer_id ORDER BY closed_at, id) AS next \
          FROM deals WHERE organization_id = $1 AND status = 'WON') w ON w.id = d.id \
         WHERE d.organization_id = $1",
        vec![organization.into()],
    )
    .await;
    assert!(stored.len() > 100);
    for row in stored {
        let id: Uuid = row.try_get("", "id").unwrap();
        let link: Option<i64> = row.try_get("", "next_won_at").unwrap();
        let expected: Option<i64> = row.try_get("", "next").unwrap();
        assert_eq!(link, expected, "deal {id}");
    }
}

async fn fixture(app: &TestApp) -> ImportReport {
    app.import(&Dataset::from_json(&fixture_text()).unwrap())
        .await
}

#[tokio::test]
async fn links_match_a_computation_from_scratch_after_import_and_after_writes() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let org = report.organization_id;
    assert_links_match(&app, org).await;

    // Writes: a won deal lost, a lost deal won late, a won deal moved to tie another.
    let customers: Vec<Uuid> = app
        .rows(
            "SELECT customer_id FROM deals WHERE organization_id = $1 AND status = 'WON' \
         GROUP BY customer_id HAVING COUNT(*) >= 3 ORDER BY customer_id LIMIT 3",
            vec![org.into()],
        )
        .await
        .iter()
        .map(|row| row.try_get("", "customer_id").unwrap())
        .collect();
    assert_eq!(customers.len(), 3);
    let won_of = async |customer: Uuid| -> Vec<(Uuid, i64)> {
        app.rows(
            "SELECT id, closed_at FROM deals WHERE organization_id = $1 AND customer_id = $2 \
             AND status = 'WON' ORDER BY closed_at, id",
            vec![org.into(), customer.into()],
        )
        .await
        .iter()
        .map(|row| {
            (
                row.try_get("", "id").unwrap(),
                row.try_get("", "closed_at").unwrap(),
            )
        })
        .collect()
    };
    let first = won_of(customers[0]).await;
    let second = won_of(customers[1]).await;
    let update = async |sql: &str, values: Vec<SqlValue>| {
        app.db
            .execute_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                sql,
                values,
            ))
            .await
            .unwrap();
    };
    update(
        "UPDATE deals SET status = 'LOST', stage = 'LOST' WHERE organization_id = $1 AND id = $2",
        vec![org.into(), first[1].0.into()],
    )
    .await;
    update(
        "UPDATE deals SET closed_at = $3 WHERE organization_id = $1 AND id = $2",
        vec![org.into(), second[0].0.into(), second[1].1.into()],
    )
    .await;
    update(
        "UPDATE deals SET customer_id = $3 WHERE organization_id = $1 AND id = $2",
        vec![org.into(), second[2].0.into(), customers[2].into()],
    )
    .await;
    won_chain::relink_customers(&app.db, org, &customers)
        .await
        .unwrap();
    assert_links_match(&app, org).await;
}

/// Retention of every rep the raw way: each customer's latest won deal before t by a
/// window over the deals, as the catalog words it.
async fn raw_retention(
    app: &TestApp,
    organization: Uuid,
    start: i64,
    end: i64,
    days: i64,
) -> BTreeMap<Uuid, (i64, i64)> {
    let day = 86_400_000_000;
    app.rows(
        "SELECT r.owner, COUNT(*) AS base, SUM(CASE WHEN EXISTS (SELECT 1 FROM deals k \
         WHERE k.organization_id = $1 AND k.customer_id = r.customer_id AND k.status = 'WON' \
         AND k.closed_at >= $4 AND k.closed_at < $3) THEN 1 ELSE 0 END) AS kept FROM \
         (SELECT d.owner_id AS owner, d.customer_id, ROW_NUMBER() OVER (PARTITION BY d.customer_id \
          ORDER BY d.closed_at DESC, d.id DESC) AS latest FROM deals d WHERE d.organization_id = $1 \
          AND d.status = 'WON' AND d.closed_at >= $5 AND d.closed_at < $2) r \
         WHERE r.latest = 1 GROUP BY r.owner",
        vec![
            organization.into(),
            start.into(),
            end.into(),
            (end - days * day).into(),
            (start - days * day).into(),
        ],
    )
    .await
    .iter()
    .map(|row| {
        (
            row.try_get("", "owner").unwrap(),
            (
                row.try_get("", "base").unwrap(),
                row.try_get::<i64>("", "kept").unwrap(),
            ),
        )
    })
    .collect()
}

#[tokio::test]
async fn retention_through_the_links_equals_the_raw_computation() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let org = report.organization_id;
    let admin = mint_token(org, report.id("users", "adm-01").unwrap(), "ADMIN");
    // Calendar months in Asia/Shanghai (UTC+8, no DST), the fixture's 180-day window.
    let months = [
        ("2025-10", "2025-09-30T16:00:00Z", "2025-10-31T16:00:00Z"),
        ("2026-01", "2025-12-31T16:00:00Z", "2026-01-31T16:00:00Z"),
        ("2026-03", "2026-02-28T16:00:00Z", "2026-03-31T16:00:00Z"),
    ];
    let micros = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_micros()
    };
    let mut compared = 0;
    for (label, start, end) in months {
        let raw = raw_retention(&app, org, micros(start), micros(end), 180).await;
        for rep in 1..=8 {
            let id = report.id("users", &format!("rep-0{rep}")).unwrap();
            let (_, body) = app
                .graphql(
                    r#"query($id: ID!, $period: String!) { kpis(subject: { kind: REP, id: $id }, period: $period,
                       keys: [RETENTION_RATE], asOf: "2026-04-19T16:00:00Z") { values { value } } }"#,
                    json!({ "id": id.to_string(), "period": label }),
                    Some(&admin),
                )
                .await;
            let value = &body["data"]["kpis"]["values"][0]["value"];
            let expected = raw
                .get(&id)
                .filter(|(base, _)| *base > 0)
                .map(|(base, kept)| (Decimal::from(*kept) / Decimal::from(*base)).round_dp(6));
            let ours = value.as_str().map(|text| Decimal::from_str(text).unwrap());
            assert_eq!(ours, expected, "rep-0{rep} in {label}: {body}");
            compared += 1;
        }
    }
    assert_eq!(compared, 24);
}

/// A partner client of the fixture's organization, and the token it pushes with.
async fn partner(app: &TestApp, report: &ImportReport) -> String {
    let admin = mint_token(
        report.organization_id,
        report.id("users", "adm-01").unwrap(),
        "ADMIN",
    );
    let (_, created) = app
        .graphql(
            r#"mutation { createPartnerClient(name: "ERP") { secret client { id } } }"#,
            json!({}),
            Some(&admin),
        )
        .await;
    let created = &created["data"]["createPartnerClient"];
    let (_, exchanged) = app
        .graphql(
            "mutation($id: ID!, $s: String!) { partnerToken(clientId: $id, secret: $s) { token } }",
            json!({ "id": created["client"]["id"], "s": created["secret"] }),
            None,
        )
        .await;
    exchanged["data"]["partnerToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

const CUSTOMERS: &str =
    "mutation($items: [CustomerUpsert!]!) { upsertCustomers(items: $items) { error { field } } }";
const DEALS: &str =
    "mutation($items: [DealUpsert!]!) { upsertDeals(items: $items) { error { field } } }";

/// Pushes a batch and asserts every item was stored.
async fn push(app: &TestApp, partner: &str, mutation: &str, items: serde_json::Value) {
    let (_, body) = app
        .graphql(mutation, json!({ "items": items }), Some(partner))
        .await;
    let results = body["data"].as_object().unwrap().values().next().unwrap();
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["error"].is_null()),
        "{body}"
    );
}

/// Pushes the customers `a` and `b`.
async fn push_customers(app: &TestApp, partner: &str) {
    let customer = |id: &str| {
        json!({ "externalId": id, "name": id, "segment": "SMB", "ownerEmail": "rep-01@acme.example",
                "createdAt": "2025-01-01T00:00:00Z" })
    };
    push(
        app,
        partner,
        CUSTOMERS,
        json!([customer("a"), customer("b")]),
    )
    .await;
}

fn deal(id: &str, customer: &str, status: &str, closed: Option<&str>) -> serde_json::Value {
    json!({ "externalId": id, "ownerEmail": "rep-01@acme.example", "customerExternalId": customer,
            "name": id, "amount": "100.00", "stage": status,
            "status": if status == "NEGOTIATION" { "OPEN" } else { status },
            "createdAt": "2025-01-02T00:00:00Z", "closedAt": closed })
}

#[tokio::test]
async fn partner_deal_upserts_keep_the_links() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let org = report.organization_id;
    let partner = partner(&app, &report).await;
    push_customers(&app, &partner).await;
    let push = async |items| push(&app, &partner, DEALS, items).await;
    push(json!([
        deal("d1", "a", "WON", Some("2025-03-01T00:00:00Z")),
        deal("d2", "a", "WON", Some("2025-06-01T00:00:00Z")),
        deal("d3", "a", "WON", Some("2025-09-01T00:00:00Z")),
        deal("d4", "b", "WON", Some("2025-04-01T00:00:00Z")),
    ]))
    .await;
    assert_links_match(&app, org).await;
    // A won deal lost, another moved to the other customer, a third reopened.
    push(json!([
        deal("d2", "a", "LOST", Some("2025-06-01T00:00:00Z")),
        deal("d3", "b", "WON", Some("2025-09-01T00:00:00Z")),
        deal("d4", "b", "NEGOTIATION", None),
    ]))
    .await;
    assert_links_match(&app, org).await;
    // A won deal reopened under the other customer: only the stored row names the
    // customer it left. An open deal created, then won between two others; a replay.
    push(json!([
        deal("d1", "b", "NEGOTIATION", None),
        deal("d5", "a", "NEGOTIATION", None),
    ]))
    .await;
    assert_links_match(&app, org).await;
    let late = json!([
        deal("d5", "a", "WON", Some("2025-08-01T00:00:00Z")),
        deal("d3", "b", "WON", Some("2025-05-01T00:00:00Z")),
    ]);
    push(late.clone()).await;
    assert_links_match(&app, org).await;
    push(late).await;
    assert_links_match(&app, org).await;
    // New won deals beside updates of stored won deals of the same customer (one moved
    // in from the other customer), and two new deals closed at the same instant.
    push(json!([
        deal("d5", "a", "WON", Some("2025-11-01T00:00:00Z")),
        deal("d6", "a", "WON", Some("2025-10-01T00:00:00Z")),
        deal("d7", "a", "WON", Some("2025-10-01T00:00:00Z")),
        deal("d8", "a", "WON", Some("2025-08-01T00:00:00Z")),
        deal("d3", "a", "WON", Some("2025-09-01T00:00:00Z")),
    ]))
    .await;
    assert_links_match(&app, org).await;
}

/// The external ids of the deals whose link a write rewrote since the last call: a
/// trigger notes every update of `next_won_at` that changes it.
struct LinkWrites<'a> {
    app: &'a TestApp,
    organization: Uuid,
}

impl<'a> LinkWrites<'a> {
    async fn watch(app: &'a TestApp, organization: Uuid) -> LinkWrites<'a> {
        let statements: Vec<String> = match app.db.get_database_backend() {
            DatabaseBackend::Postgres => vec![
                "CREATE TABLE link_writes (id uuid NOT NULL)".into(),
                "CREATE FUNCTION note_link_write() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN INSERT INTO link_writes VALUES (NEW.id); RETURN NULL; END $$"
                    .into(),
                "CREATE TRIGGER link_writes AFTER UPDATE OF next_won_at ON deals FOR EACH ROW \
                 WHEN (OLD.next_won_at IS DISTINCT FROM NEW.next_won_at) \
                 EXECUTE FUNCTION note_link_write()"
                    .into(),
            ],
            _ => vec![
                "CREATE TABLE link_writes (id BLOB NOT NULL)".into(),
                "CREATE TRIGGER link_writes AFTER UPDATE OF next_won_at ON deals FOR EACH ROW \
                 WHEN OLD.next_won_at IS NOT NEW.next_won_at \
                 BEGIN INSERT INTO link_writes VALUES (NEW.id); END"
                    .into(),
            ],
        };
        for statement in statements {
            app.db.execute_unprepared(&statement).await.unwrap();
        }
        LinkWrites { app, organization }
    }

    async fn take(&self) -> BTreeSet<String> {
        let rows = self
            .app
            .rows(
                "SELECT d.external_id FROM link_writes w JOIN deals d ON d.id = w.id \
                 WHERE d.organization_id = $1",
                vec![self.organization.into()],
            )
            .await;
        self.app
            .db
            .execute_unprepared("DELETE FROM link_writes")
            .await
            .unwrap();
        rows.iter()
            .map(|row| row.try_get::<String>("", "external_id").unwrap())
            .collect()
    }
}

#[tokio::test]
async fn won_deals_a_batch_inserts_come_linked_so_only_stored_deals_are_relinked() {
    let app = spawn_app().await;
    let report = fixture(&app).await;
    let org = report.organization_id;
    let partner = partner(&app, &report).await;
    let push = async |items| push(&app, &partner, DEALS, items).await;
    push_customers(&app, &partner).await;
    let writes = LinkWrites::watch(&app, org).await;

    // New customers' chains, made by one batch: each deal is linked as it is inserted.
    push(json!([
        deal("d1", "a", "WON", Some("2025-03-01T00:00:00Z")),
        deal("d2", "a", "WON", Some("2025-09-01T00:00:00Z")),
        deal("d3", "b", "WON", Some("2025-04-01T00:00:00Z")),
    ]))
    .await;
    assert_links_match(&app, org).await;
    assert_eq!(writes.take().await, BTreeSet::new());

    // Won deals between stored ones, after them, tied with one, and an open deal: only
    // the stored deals before the new ones get a new link.
    let second = json!([
        deal("d4", "a", "WON", Some("2025-06-01T00:00:00Z")),
        deal("d5", "a", "WON", Some("2025-12-01T00:00:00Z")),
        deal("d6", "a", "WON", Some("2025-07-01T00:00:00Z")),
        deal("d7", "b", "NEGOTIATION", None),
        deal("d8", "b", "WON", Some("2025-04-01T00:00:00Z")),
    ]);
    push(second.clone()).await;
    assert_links_match(&app, org).await;
    let stored: BTreeSet<String> = ["d1", "d2", "d3"].map(String::from).into();
    assert_eq!(writes.take().await, stored);

    push(second).await;
    assert_eq!(writes.take().await, BTreeSet::new());
}
