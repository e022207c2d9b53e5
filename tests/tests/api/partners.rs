//! Partner clients and their upserts: credentials shown once, rotated and revoked;
//! batches answered per item; replays, concurrent replays and late deliveries that store
//! nothing twice and never overwrite newer data; every field rule; partners apart.

use attain_core::db;
use attain_core::import::ImportReport;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, mint_token, spawn_app};

const CREATE: &str = r#"mutation($name: String!) { createPartnerClient(name: $name) {
  secret client { id name active } } }"#;
const TOKEN: &str = r#"mutation($id: ID!, $secret: String!) { partnerToken(clientId: $id, secret: $secret) {
  token expiresAt } }"#;
const CUSTOMERS: &str = r#"mutation($items: [CustomerUpsert!]!) { upsertCustomers(items: $items) {
  index externalId status id error { code message field } } }"#;
const DEALS: &str = r#"mutation($items: [DealUpsert!]!) { upsertDeals(items: $items) {
  index externalId status id error { code message field } } }"#;
const LEADS: &str = r#"mutation($items: [LeadUpsert!]!) { upsertLeads(items: $items) {
  index externalId status id error { code message field } } }"#;
const INVOICES: &str = r#"mutation($items: [InvoiceUpsert!]!) { upsertInvoices(items: $items) {
  index externalId status id error { code message field } } }"#;
const PAYMENTS: &str = r#"mutation($items: [PaymentUpsert!]!) { upsertPayments(items: $items) {
  index externalId status id error { code message field } } }"#;
const LIST_DEALS: &str = r#"query($filter: RecordFilter) { deals(filter: $filter) { totalCount
  nodes { id name amount status closedAt ownerId provenance { externalId sourceUpdatedAt } } } }"#;

struct Partner {
    id: String,
    secret: String,
    token: String,
}

async fn setup() -> (TestApp, ImportReport, String) {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = user_token(&report, "adm", "ADMIN");
    (app, report, admin)
}

fn user_token(report: &ImportReport, user: &str, role: &str) -> String {
    mint_token(
        report.organization_id,
        report.id("users", user).unwrap(),
        role,
    )
}

async fn exchange(app: &TestApp, id: &str, secret: &str) -> Value {
    app.graphql(TOKEN, json!({ "id": id, "secret": secret }), None)
        .await
        .1
}

async fn partner(app: &TestApp, admin: &str, name: &str) -> Partner {
    let (_, body) = app
        .graphql(CREATE, json!({ "name": name }), Some(admin))
        .await;
    let created = &body["data"]["createPartnerClient"];
    let id = created["client"]["id"]
        .as_str()
        .expect("a client")
        .to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let token = exchange(app, &id, &secret).await["data"]["partnerToken"]["token"]
        .as_str()
        .expect("a partner token")
        .to_owned();
    Partner { id, secret, token }
}

fn customer(external_id: &str) -> Value {
    json!({ "externalId": external_id, "name": format!("Customer {external_id}"), "segment": "SMB",
            "ownerEmail": "rep1@small.example", "createdAt": "2026-01-05T08:00:00Z" })
}

fn deal(external_id: &str, customer: &str, amount: &str) -> Value {
    json!({ "externalId": external_id, "ownerEmail": "rep1@small.example",
            "customerExternalId": customer, "name": format!("Deal {external_id}"), "amount": amount,
            "stage": "WON", "status": "WON", "createdAt": "2026-01-10T08:00:00Z",
            "closedAt": "2026-02-10T08:00:00Z" })
}

fn with(mut item: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        item[key] = value.clone();
    }
    item
}

async fn upsert(app: &TestApp, mutation: &str, items: Value, token: &str) -> Vec<Value> {
    let (_, body) = app
        .graphql(mutation, json!({ "items": items }), Some(token))
        .await;
    let field = body["data"]
        .as_object()
        .and_then(|data| data.values().next())
        .unwrap_or_else(|| panic!("no results: {body}"));
    field.as_array().unwrap().clone()
}

fn statuses(results: &[Value]) -> Vec<&str> {
    results
        .iter()
        .map(|result| result["status"].as_str().unwrap())
        .collect()
}

async fn count(app: &TestApp, table: &str, organization: Uuid) -> i64 {
    app.db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table} WHERE organization_id = $1"),
            [organization.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

#[tokio::test]
async fn a_partner_client_is_created_exchanged_rotated_and_revoked() {
    let (app, report, admin) = setup().await;
    let p = partner(&app, &admin, "ERP").await;

    let (_, me) = app
        .graphql("{ me { id role user { id } } }", json!({}), Some(&p.token))
        .await;
    assert_eq!(me["data"]["me"]["role"], "PARTNER");
    assert_eq!(me["data"]["me"]["id"], p.id);
    assert!(me["data"]["me"]["user"].is_null());

    let wrong = exchange(&app, &p.id, "not the secret").await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    let unknown = exchange(&app, &Uuid::now_v7().to_string(), &p.secret).await;
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");

    // Only admins manage partner clients; the list never shows a secret.
    let rep = user_token(&report, "rep-1", "REP");
    let (_, denied) = app
        .graphql(CREATE, json!({ "name": "x" }), Some(&rep))
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let (_, listed) = app
        .graphql(
            "{ partnerClients { totalCount nodes { id name active } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(listed["data"]["partnerClients"]["totalCount"], 1);
    assert!(!listed.to_string().contains(&p.secret));
    let stored: Option<String> = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT secret_hash FROM sources WHERE kind = 'PARTNER'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "secret_hash")
        .unwrap();
    let stored = stored.unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&p.secret));

    let (_, rotated) = app
        .graphql(
            "mutation($id: ID!) { rotatePartnerClientSecret(id: $id) { secret } }",
            json!({ "id": p.id }),
            Some(&admin),
        )
        .await;
    let new_secret = rotated["data"]["rotatePartnerClientSecret"]["secret"]
        .as_str()
        .unwrap();
    assert_eq!(
        error_code(&exchange(&app, &p.id, &p.secret).await),
        "UNAUTHENTICATED"
    );
    assert!(exchange(&app, &p.id, new_secret).await["data"]["partnerToken"]["token"].is_string());

    let (_, revoked) = app
        .graphql(
            "mutation($id: ID!) { revokePartnerClient(id: $id) { active revokedAt } }",
            json!({ "id": p.id }),
            Some(&admin),
        )
        .await;
    assert_eq!(revoked["data"]["revokePartnerClient"]["active"], false);
    let (_, after) = app
        .graphql("{ me { id } }", json!({}), Some(&p.token))
        .await;
    assert_eq!(error_code(&after), "UNAUTHENTICATED");
    assert_eq!(
        error_code(&exchange(&app, &p.id, new_secret).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn upserts_create_update_and_leave_unchanged() {
    let (app, _report, admin) = setup().await;
    let p = partner(&app, &admin, "Shop").await;
    let created = upsert(&app, CUSTOMERS, json!([customer("c-1")]), &p.token).await;
    assert_eq!(statuses(&created), ["CREATED"]);

    let first = deal("d-1", "c-1", "1000.00");
    assert_eq!(
        statuses(&upsert(&app, DEALS, json!([first.clone()]), &p.token).await),
        ["CREATED"]
    );
    // A replay changes nothing; the id stays.
    let replayed = upsert(&app, DEALS, json!([first.clone()]), &p.token).await;
    assert_eq!(statuses(&replayed), ["UNCHANGED"]);

    // No source time: the new content applies.
    let changed = with(first.clone(), json!({ "amount": "1200.00" }));
    let updated = upsert(&app, DEALS, json!([changed]), &p.token).await;
    assert_eq!(statuses(&updated), ["UPDATED"]);
    assert_eq!(updated[0]["id"], replayed[0]["id"]);

    // Source times: newer applies, older never overwrites, equal applies only when the
    // content differs.
    let at = |time: &str, amount: &str| {
        with(
            first.clone(),
            json!({ "amount": amount, "sourceUpdatedAt": time }),
        )
    };
    let steps = [
        (at("2026-03-01T00:00:00Z", "1300.00"), "UPDATED", "1300.00"),
        (at("2026-02-01T00:00:00Z", "900.00"), "UNCHANGED", "1300.00"),
        (
            at("2026-03-01T00:00:00Z", "1300.00"),
            "UNCHANGED",
            "1300.00",
        ),
        (at("2026-03-01T00:00:00Z", "1350.00"), "UPDATED", "1350.00"),
        // A newer time with the same content is remembered, so a later delivery of an
        // older version cannot apply.
        (
            at("2026-05-01T00:00:00Z", "1350.00"),
            "UNCHANGED",
            "1350.00",
        ),
        (at("2026-04-01T00:00:00Z", "1.00"), "UNCHANGED", "1350.00"),
    ];
    for (item, expected, amount) in steps {
        let results = upsert(&app, DEALS, json!([item.clone()]), &p.token).await;
        assert_eq!(statuses(&results), [expected], "{item}");
        let (_, listed) = app.graphql(LIST_DEALS, json!({}), Some(&p.token)).await;
        assert_eq!(
            listed["data"]["deals"]["nodes"][0]["amount"], amount,
            "{item}"
        );
    }
    let (_, listed) = app.graphql(LIST_DEALS, json!({}), Some(&p.token)).await;
    assert_eq!(listed["data"]["deals"]["totalCount"], 1);
    assert_eq!(
        listed["data"]["deals"]["nodes"][0]["provenance"]["sourceUpdatedAt"],
        "2026-05-01T00:00:00Z"
    );

    // Every kind of record takes the same path.
    let lead = json!({ "externalId": "l-1", "ownerEmail": "rep1@small.example", "leadSource": "REFERRAL",
                       "status": "CONVERTED", "createdAt": "2026-01-02T00:00:00Z",
                       "convertedAt": "2026-01-05T00:00:00Z", "customerExternalId": "c-1" });
    assert_eq!(
        statuses(&upsert(&app, LEADS, json!([lead]), &p.token).await),
        ["CREATED"]
    );
    let invoice = json!({ "externalId": "i-1", "ownerEmail": "rep1@small.example", "customerExternalId": "c-1",
                          "dealExternalId": "d-1", "amount": "1350.00", "dueOn": "2026-03-31" });
    assert_eq!(
        statuses(
            &upsert(
                &app,
                INVOICES,
                json!([invoice.clone(), with(invoice, json!({"externalId": "i-2"}))]),
                &p.token
            )
            .await
        ),
        ["CREATED", "CREATED"]
    );
    let payment = json!({ "externalId": "p-1", "invoiceExternalId": "i-1", "amount": "500.00",
                          "receivedOn": "2026-03-15" });
    assert_eq!(
        statuses(&upsert(&app, PAYMENTS, json!([payment.clone()]), &p.token).await),
        ["CREATED"]
    );
    assert_eq!(
        statuses(
            &upsert(
                &app,
                PAYMENTS,
                json!([with(payment.clone(), json!({"amount": "450.00"}))]),
                &p.token
            )
            .await
        ),
        ["UPDATED"]
    );
    // Money records and customers keep a newer source version against an older one too.
    let newer_then_older = [
        (
            PAYMENTS,
            payment.clone(),
            json!({ "amount": "400.00" }),
            json!({ "amount": "1.00" }),
        ),
        (
            CUSTOMERS,
            customer("c-1"),
            json!({ "name": "Renamed" }),
            json!({ "name": "Old name" }),
        ),
    ];
    for (mutation, item, newer, older) in newer_then_older {
        for (time, changes, expected) in [
            ("2026-03-20T00:00:00Z", newer, "UPDATED"),
            ("2026-03-10T00:00:00Z", older, "UNCHANGED"),
        ] {
            let mut version = with(item.clone(), changes);
            version["sourceUpdatedAt"] = json!(time);
            let results = upsert(&app, mutation, json!([version]), &p.token).await;
            assert_eq!(statuses(&results), [expected], "{version}");
        }
    }
    let (_, customers) = app
        .graphql(
            "{ customers { nodes { name } } }",
            json!({}),
            Some(&p.token),
        )
        .await;
    assert_eq!(
        customers["data"]["customers"]["nodes"][0]["name"], "Renamed",
        "{customers}"
    );
    let (_, paid) = app
        .graphql(
            "{ payments { totalCount nodes { amount receivedOn } } invoices { totalCount } leads { nodes { status customerId } } }",
            json!({}),
            Some(&p.token),
        )
        .await;
    assert_eq!(paid["data"]["payments"]["nodes"][0]["amount"], "400.00");
    assert_eq!(paid["data"]["invoices"]["totalCount"], 2);
    assert_eq!(
        paid["data"]["leads"]["nodes"][0]["customerId"],
        created[0]["id"]
    );

    // The audit log names the partner for each change.
    let (_, audit) = app
        .graphql(
            "{ auditLog(entity: \"deal\") { totalCount nodes { actorKind actorId action } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let entries = audit["data"]["auditLog"]["nodes"].as_array().unwrap();
    assert_eq!(audit["data"]["auditLog"]["totalCount"], 4, "{audit}");
    assert!(
        entries
            .iter()
            .all(|e| e["actorKind"] == "PARTNER" && e["actorId"] == p.id.as_str())
    );
}

#[tokio::test]
async fn a_batch_stores_its_good_items_and_names_each_bad_ones_field() {
    let (app, report, admin) = setup().await;
    let p = partner(&app, &admin, "CRM").await;
    upsert(
        &app,
        CUSTOMERS,
        json!([customer("c-1"), customer("c-2")]),
        &p.token,
    )
    .await;
    let good = deal("ok-1", "c-1", "10.00");
    let cases = [
        (json!({ "amount": "-1.00" }), "amount"),
        (json!({ "amount": "1000000000000.01" }), "amount"),
        (json!({ "amount": "1.005" }), "amount"),
        (json!({ "cost": "-5" }), "cost"),
        (json!({ "closedAt": null }), "closedAt"),
        (
            json!({ "stage": "LOST", "status": "LOST", "closedAt": null }),
            "closedAt",
        ),
        (json!({ "stage": "NEGOTIATION" }), "status"),
        (json!({ "stage": "PROPOSAL", "status": "OPEN" }), "closedAt"),
        (json!({ "closedAt": "2026-01-01T00:00:00Z" }), "closedAt"),
        (
            json!({ "createdAt": "2099-01-01T00:00:00Z", "closedAt": null, "stage": "PROSPECTING", "status": "OPEN" }),
            "createdAt",
        ),
        (json!({ "name": "x".repeat(201) }), "name"),
        (json!({ "name": "  " }), "name"),
        (json!({ "externalId": "" }), "externalId"),
        (
            json!({ "ownerEmail": "nobody@small.example" }),
            "ownerEmail",
        ),
        (json!({ "ownerEmail": null }), "ownerEmail"),
        (json!({ "ownerExternalId": "emp-1" }), "ownerEmail"),
        (
            json!({ "customerExternalId": "c-unknown" }),
            "customerExternalId",
        ),
        (json!({ "leadExternalId": "l-unknown" }), "leadExternalId"),
        (json!({ "externalId": "ok-1" }), "externalId"),
    ];
    let mut items = vec![good.clone()];
    for (index, (changes, _)) in cases.iter().enumerate() {
        let item = with(
            deal(&format!("bad-{index}"), "c-1", "10.00"),
            changes.clone(),
        );
        items.push(item);
    }
    items.push(deal("ok-2", "c-2", "20.00"));
    let results = upsert(&app, DEALS, json!(items), &p.token).await;
    assert_eq!(results.len(), cases.len() + 2);
    assert_eq!(results[0]["status"], "CREATED");
    assert_eq!(results[cases.len() + 1]["status"], "CREATED");
    for (index, (changes, field)) in cases.iter().enumerate() {
        let result = &results[index + 1];
        assert_eq!(result["status"], "REJECTED", "{changes}: {result}");
        assert_eq!(result["error"]["code"], "BAD_USER_INPUT", "{changes}");
        assert_eq!(
            result["error"]["field"],
            format!("items[{}].{field}", index + 1),
            "{changes}: {result}"
        );
        assert!(result["id"].is_null());
    }
    assert_eq!(count(&app, "deals", report.organization_id).await, 2);

    // Leads, invoices and payments keep their own rules.
    let lead = json!({ "externalId": "l-1", "ownerEmail": "rep1@small.example", "leadSource": "EVENT",
                       "status": "CONVERTED", "createdAt": "2026-01-02T00:00:00Z" });
    let results = upsert(&app, LEADS, json!([lead.clone(),
        with(lead.clone(), json!({ "externalId": "l-2", "status": "OPEN", "convertedAt": "2026-01-03T00:00:00Z" })),
        with(lead, json!({ "externalId": "l-3", "convertedAt": "2026-01-01T00:00:00Z" }))]), &p.token).await;
    let fields: Vec<&Value> = results.iter().map(|r| &r["error"]["field"]).collect();
    assert_eq!(
        fields,
        [
            "items[0].convertedAt",
            "items[1].convertedAt",
            "items[2].convertedAt"
        ]
    );
    let payment = json!({ "externalId": "p-1", "invoiceExternalId": "i-unknown", "amount": "1.00",
                          "receivedOn": "2099-01-01" });
    let results = upsert(&app, PAYMENTS, json!([payment]), &p.token).await;
    assert_eq!(results[0]["error"]["field"], "items[0].invoiceExternalId");

    // An unknown enum value, an empty batch and an oversized one are refused whole.
    let (_, unknown) = app
        .graphql(
            DEALS,
            json!({ "items": [with(good.clone(), json!({ "stage": "MAYBE" }))] }),
            Some(&p.token),
        )
        .await;
    assert!(unknown["data"].is_null(), "{unknown}");
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");
    assert_eq!(
        unknown["errors"][0]["extensions"]["field"],
        "items[0].stage"
    );
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"MAYBE\""),
        "{unknown}"
    );
    // So is a date beyond what the databases store as one, here in a batch of two.
    let (_, far) = app
        .graphql(
            DEALS,
            json!({ "items": [with(good.clone(), json!({ "externalId": "far-1" })),
                              with(good.clone(), json!({ "externalId": "far-2",
                                                         "expectedCloseOn": "+10000-01-01" }))] }),
            Some(&p.token),
        )
        .await;
    assert!(far["data"].is_null(), "{far}");
    assert!(
        far["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("years 1 to 9999"),
        "{far}"
    );
    let (_, empty) = app
        .graphql(DEALS, json!({ "items": [] }), Some(&p.token))
        .await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
    assert_eq!(empty["errors"][0]["extensions"]["field"], "items");
    let many: Vec<Value> = (0..1001)
        .map(|i| deal(&format!("m-{i}"), "c-1", "1"))
        .collect();
    let (_, oversized) = app
        .graphql(DEALS, json!({ "items": many }), Some(&p.token))
        .await;
    assert_eq!(error_code(&oversized), "BAD_USER_INPUT");
    assert_eq!(oversized["errors"][0]["extensions"]["field"], "items");
    assert_eq!(count(&app, "deals", report.organization_id).await, 2);
}

#[tokio::test]
async fn ten_concurrent_replays_of_a_batch_store_each_record_once() {
    let (app, report, admin) = setup().await;
    let p = partner(&app, &admin, "ERP").await;
    let customers: Vec<Value> = (0..40).map(|i| customer(&format!("c-{i}"))).collect();
    let deals: Vec<Value> = (0..40)
        .map(|i| deal(&format!("d-{i}"), &format!("c-{i}"), "99.50"))
        .collect();
    let customers = json!(customers);
    let deals = json!(deals);
    let replays = (0..10).map(|_| async {
        let first = upsert(&app, CUSTOMERS, customers.clone(), &p.token).await;
        let second = upsert(&app, DEALS, deals.clone(), &p.token).await;
        (first, second)
    });
    let answers = join_all(replays).await;
    for table in ["customers", "deals"] {
        assert_eq!(
            count(&app, table, report.organization_id).await,
            40,
            "{table}"
        );
    }
    for index in 0..40 {
        for pick in [0usize, 1] {
            let outcomes: Vec<&str> = answers
                .iter()
                .map(|answer| {
                    let results = if pick == 0 { &answer.0 } else { &answer.1 };
                    results[index]["status"].as_str().unwrap()
                })
                .collect();
            assert_eq!(
                outcomes.iter().filter(|s| **s == "CREATED").count(),
                1,
                "{outcomes:?}"
            );
            assert!(
                outcomes
                    .iter()
                    .all(|s| *s == "CREATED" || *s == "UNCHANGED")
            );
        }
    }
}

#[tokio::test]
async fn a_partner_sees_and_references_only_what_it_pushed() {
    let (app, report, admin) = setup().await;
    let erp = partner(&app, &admin, "ERP").await;
    let shop = partner(&app, &admin, "Shop").await;
    upsert(&app, CUSTOMERS, json!([customer("c-1")]), &erp.token).await;
    upsert(
        &app,
        DEALS,
        json!([deal("d-1", "c-1", "10.00")]),
        &erp.token,
    )
    .await;

    let (_, theirs) = app.graphql(LIST_DEALS, json!({}), Some(&shop.token)).await;
    assert_eq!(theirs["data"]["deals"]["totalCount"], 0);
    // The shop cannot reach the ERP's customer by its external id…
    let results = upsert(
        &app,
        DEALS,
        json!([deal("d-1", "c-1", "10.00")]),
        &shop.token,
    )
    .await;
    assert_eq!(results[0]["error"]["field"], "items[0].customerExternalId");
    // …and its own "c-1" is a record of its own.
    let created = upsert(&app, CUSTOMERS, json!([customer("c-1")]), &shop.token).await;
    assert_eq!(statuses(&created), ["CREATED"]);
    assert_eq!(count(&app, "customers", report.organization_id).await, 2);

    // Users see pushed records by their scope: the owner and the admin do, the other rep
    // does not, the analyst without names; partners read no scorecards.
    let (_, owner) = app
        .graphql(
            LIST_DEALS,
            json!({}),
            Some(&user_token(&report, "rep-1", "REP")),
        )
        .await;
    assert_eq!(owner["data"]["deals"]["totalCount"], 1);
    let (_, peer) = app
        .graphql(
            LIST_DEALS,
            json!({}),
            Some(&user_token(&report, "rep-2", "REP")),
        )
        .await;
    assert_eq!(peer["data"]["deals"]["totalCount"], 0);
    let (_, analyst) = app
        .graphql(
            LIST_DEALS,
            json!({}),
            Some(&user_token(&report, "ana", "ANALYST")),
        )
        .await;
    assert!(analyst["data"]["deals"]["nodes"][0]["name"].is_null());
    assert_eq!(analyst["data"]["deals"]["nodes"][0]["amount"], "10.00");
    let (_, figures) = app
        .graphql(
            "{ kpis(subject: { kind: ORG }, period: \"FY2026\", keys: [REVENUE]) { values { value } } }",
            json!({}),
            Some(&erp.token),
        )
        .await;
    assert_eq!(error_code(&figures), "NOT_FOUND");

    // People write under the app's keys, never a partner's: its customer is unknown there.
    let results = upsert(&app, DEALS, json!([deal("d-2", "c-1", "1")]), &admin).await;
    assert_eq!(results[0]["status"], "REJECTED");
    assert_eq!(results[0]["error"]["field"], "items[0].customerExternalId");
}

#[tokio::test]
async fn people_write_app_records_for_the_owners_in_their_scope() {
    let (app, report, admin) = setup().await;
    let org = report.organization_id;
    let rep = user_token(&report, "rep-1", "REP");
    let peer = user_token(&report, "rep-2", "REP");
    let manager = user_token(&report, "mgr", "MANAGER");
    let mine = |item: Value| {
        let mut item = item;
        let object = item.as_object_mut().unwrap();
        object.remove("ownerEmail");
        item
    };
    let revenue = async || {
        let body = app
            .call(
                &rep,
                r#"query($s: SubjectInput!) { kpis(subject: $s, period: "2026-02", keys: [REVENUE]) { values { value } } }"#,
                json!({ "s": { "kind": "REP", "id": report.id("users", "rep-1").unwrap() } }),
            )
            .await;
        let value = &body["data"]["kpis"]["values"][0]["value"];
        value
            .as_str()
            .map_or(Ok(rust_decimal::Decimal::ZERO), str::parse)
            .unwrap_or_else(|_| panic!("{body}"))
    };
    let before = revenue().await;

    // A rep's own customer, lead and won deal, owned by the rep when no owner is named;
    // a replay stores nothing new.
    let customer_id = Uuid::now_v7().to_string();
    let deal_id = Uuid::now_v7().to_string();
    for _ in 0..2 {
        let customers = upsert(&app, CUSTOMERS, json!([mine(customer(&customer_id))]), &rep).await;
        let leads = upsert(
            &app,
            LEADS,
            json!([{ "externalId": "lead-1", "leadSource": "REFERRAL", "status": "OPEN",
                     "createdAt": "2026-01-02T08:00:00Z" }]),
            &rep,
        )
        .await;
        let deals = upsert(
            &app,
            DEALS,
            json!([mine(deal(&deal_id, &customer_id, "1200.00"))]),
            &rep,
        )
        .await;
        for results in [&customers, &leads, &deals] {
            assert!(
                ["CREATED", "UNCHANGED"].contains(&results[0]["status"].as_str().unwrap()),
                "{results:?}"
            );
        }
    }
    assert_eq!(count(&app, "deals", org).await, 1);
    let listed = app.call(&rep, LIST_DEALS, json!({})).await;
    assert_eq!(listed["data"]["deals"]["totalCount"], 1, "{listed}");
    assert_eq!(
        listed["data"]["deals"]["nodes"][0]["ownerId"],
        report.id("users", "rep-1").unwrap().to_string()
    );
    assert_eq!(
        revenue().await - before,
        rust_decimal::Decimal::new(1200, 0)
    );

    // A rep names no one else; a peer cannot edit the rep's deal (it looks missing).
    let results = upsert(
        &app,
        DEALS,
        json!([with(
            deal("d-peer", &customer_id, "5"),
            json!({ "ownerEmail": "rep2@small.example" })
        )]),
        &rep,
    )
    .await;
    assert_eq!(
        results[0]["error"]["field"], "items[0].ownerEmail",
        "{results:?}"
    );
    let results = upsert(
        &app,
        DEALS,
        json!([mine(deal(&deal_id, &customer_id, "1.00"))]),
        &peer,
    )
    .await;
    assert_eq!(results[0]["error"]["code"], "NOT_FOUND", "{results:?}");

    // The manager of both gives the deal to the peer and makes one for the peer.
    let results = upsert(
        &app,
        DEALS,
        json!([
            with(
                deal(&deal_id, &customer_id, "1200.00"),
                json!({ "ownerEmail": "rep2@small.example" })
            ),
            with(
                deal("d-2", &customer_id, "8.00"),
                json!({ "ownerEmail": "rep2@small.example" })
            ),
        ]),
        &manager,
    )
    .await;
    assert_eq!(statuses(&results), ["UPDATED", "CREATED"], "{results:?}");
    // Now the rep's deal is out of the rep's reach.
    let results = upsert(
        &app,
        DEALS,
        json!([mine(deal(&deal_id, &customer_id, "1.00"))]),
        &rep,
    )
    .await;
    assert_eq!(results[0]["error"]["code"], "NOT_FOUND", "{results:?}");

    // Money records come from finance systems; analysts write nothing.
    let invoice = json!([{ "externalId": "i-1", "customerExternalId": customer_id,
        "amount": "10.00", "dueOn": "2026-03-01" }]);
    let (_, denied) = app
        .graphql(INVOICES, json!({ "items": invoice }), Some(&admin))
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let analyst = user_token(&report, "ana", "ANALYST");
    let (_, denied) = app
        .graphql(
            CUSTOMERS,
            json!({ "items": [customer("c-ana")] }),
            Some(&analyst),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    // A partner never sees the app's records.
    let erp = partner(&app, &admin, "ERP").await;
    let listed = app.call(&erp.token, LIST_DEALS, json!({})).await;
    assert_eq!(listed["data"]["deals"]["totalCount"], 0, "{listed}");
}

/// A partner pushes its customers again while another transaction writes a deal that
/// references one of them: the push neither waits for it nor deadlocks with it
/// (PostgreSQL; SQLite runs one writing transaction at a time).
#[tokio::test]
async fn pushing_customers_again_waits_for_no_write_that_references_them() {
    let (app, report, admin) = setup().await;
    let p = partner(&app, &admin, "ERP").await;
    upsert(&app, CUSTOMERS, json!([customer("c-1")]), &p.token).await;
    if !db::is_postgres(&app.db) {
        return;
    }
    let writing = app.db.begin().await.unwrap();
    // The lock that inserting a deal for the customer holds until its transaction ends.
    let locked = writing
        .query_all_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT id FROM customers WHERE organization_id = $1 AND external_id = 'c-1' \
             FOR KEY SHARE",
            [report.organization_id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(locked.len(), 1);
    // A statement waiting for that lock would end at the statement timeout, in an error.
    let replayed = upsert(&app, CUSTOMERS, json!([customer("c-1")]), &p.token).await;
    assert_eq!(statuses(&replayed), ["UNCHANGED"]);
    let renamed = with(customer("c-1"), json!({ "name": "Renamed" }));
    let updated = upsert(&app, CUSTOMERS, json!([renamed]), &p.token).await;
    assert_eq!(statuses(&updated), ["UPDATED"]);
    writing.rollback().await.unwrap();
}

#[tokio::test]
async fn concurrent_batches_of_different_deals_for_the_same_customers_all_land() {
    let (app, report, admin) = setup().await;
    let p = partner(&app, &admin, "ERP").await;
    let customers: Vec<Value> = (0..200).map(|i| customer(&format!("c-{i}"))).collect();
    upsert(&app, CUSTOMERS, json!(customers), &p.token).await;
    // Each batch's won deals spread over every customer, so every batch relinks all of
    // them while the others do too.
    let batches = (0..8).map(|batch| {
        let items: Vec<Value> = (0..400)
            .map(|i| {
                let number = batch * 400 + i;
                with(
                    deal(
                        &format!("d-{number}"),
                        &format!("c-{}", number % 200),
                        "5.00",
                    ),
                    json!({ "closedAt": format!("2026-02-{:02}T08:00:00Z", 1 + number % 28) }),
                )
            })
            .collect();
        let app = &app;
        let token = &p.token;
        async move { upsert(app, DEALS, json!(items), token).await }
    });
    for results in join_all(batches).await {
        assert!(statuses(&results).iter().all(|s| *s == "CREATED"));
    }
    assert_eq!(count(&app, "deals", report.organization_id).await, 3200);
}

#[tokio::test]
async fn a_records_owner_shows_as_the_caller_may_see_people() {
    let (app, report, admin) = setup().await;
    let partner = partner(&app, &admin, "ERP").await;
    upsert(&app, CUSTOMERS, json!([customer("C-1")]), &partner.token).await;
    upsert(
        &app,
        DEALS,
        json!([deal("D-1", "C-1", "100.00")]),
        &partner.token,
    )
    .await;
    let query = "{ deals { nodes { owner { displayName email } } } }";
    let owner = |body: Value| body["data"]["deals"]["nodes"][0]["owner"].clone();
    for (user, role) in [("adm", "ADMIN"), ("mgr", "MANAGER"), ("rep-1", "REP")] {
        let (_, body) = app
            .graphql(query, json!({}), Some(&user_token(&report, user, role)))
            .await;
        assert_eq!(
            owner(body.clone()),
            json!({ "displayName": "Rep One", "email": "rep1@small.example" }),
            "{role}: {body}"
        );
    }
    let (_, body) = app
        .graphql(
            query,
            json!({}),
            Some(&user_token(&report, "ana", "ANALYST")),
        )
        .await;
    assert_eq!(
        owner(body.clone()),
        json!({ "displayName": "Rep One", "email": null }),
        "{body}"
    );
    // The partner sees the deal it pushed, not the people of the organization.
    let (_, body) = app.graphql(query, json!({}), Some(&partner.token)).await;
    assert_eq!(body["data"]["deals"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(owner(body.clone()), Value::Null, "{body}");
    // An activity's rep follows the same rule.
    let rep = user_token(&report, "rep-1", "REP");
    let log = "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }";
    let input = json!({ "i": { "clientRef": Uuid::now_v7().to_string(), "kind": "CALL",
                               "occurredAt": "2026-03-10T09:00:00Z" } });
    app.graphql(log, input, Some(&rep)).await;
    let feed = "{ activities { nodes { rep { displayName email } } } }";
    let (_, body) = app.graphql(feed, json!({}), Some(&admin)).await;
    assert_eq!(
        body["data"]["activities"]["nodes"][0]["rep"]["email"], "rep1@small.example",
        "{body}"
    );
    let (_, body) = app
        .graphql(
            feed,
            json!({}),
            Some(&user_token(&report, "ana", "ANALYST")),
        )
        .await;
    let rep = &body["data"]["activities"]["nodes"][0]["rep"];
    assert_eq!(rep["displayName"], "Rep One", "{body}");
    assert_eq!(rep["email"], Value::Null);
}
