//! The schema on both backends: migrations, exact money, tenant-safe foreign keys.

use attain_core::db;
use attain_core::error::CoreError;
use attain_core::import::Dataset;
use attain_core::money::Currency;
use attain_entity::enums::{DealStage, DealStatus, Segment};
use attain_entity::{customer, deal};
use attain_migration::TENANT_TABLES;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Statement,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::spawn_app;

#[tokio::test]
async fn migrations_create_every_table_and_running_them_again_changes_nothing() {
    let app = spawn_app().await;
    db::migrate(&app.db).await.expect("a second run is a no-op");
    for table in TENANT_TABLES.into_iter().chain(["rate_windows"]) {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    let postgres_asked = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty());
    assert_eq!(
        db::is_postgres(&app.db),
        postgres_asked,
        "the suite runs on the backend it was given"
    );
}

/// Ten thousand deals of 0.10 and a few awkward amounts: a sum over floating-point storage
/// drifts, ours must not.
#[tokio::test]
async fn money_sums_in_sql_are_exact() {
    let app = spawn_app().await;
    let amounts: Vec<String> = (0..10_000)
        .map(|_| "0.10".to_owned())
        .chain(["999999999999.99", "0.01", "1234567.89"].map(String::from))
        .collect();
    let deals: Vec<_> = amounts
        .iter()
        .enumerate()
        .map(|(index, amount)| {
            json!({
                "id": format!("d{index}"), "owner_id": "rep", "customer_id": "c", "lead_id": null,
                "name": "deal", "amount": amount, "cost": null, "stage": "WON", "status": "WON",
                "created_at": "2026-01-01T00:00:00Z", "expected_close_on": null,
                "proposal_sent_at": null, "proposal_co_created": false,
                "closed_at": "2026-01-02T00:00:00Z"
            })
        })
        .collect();
    let dataset = json!({
        "format": "attain-dataset/2",
        "organization": { "id": "o", "name": "Sums", "currency": "CNY" },
        "users": [{ "id": "rep", "email": "rep@sums.example", "name": "Rep", "role": "REP", "active": true }],
        "customers": [{ "id": "c", "name": "C", "segment": "SMB", "owner_id": "rep", "created_at": "2025-01-01T00:00:00Z" }],
        "deals": deals
    });
    app.import(&Dataset::from_json(&dataset.to_string()).unwrap())
        .await;

    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(SUM(amount_minor) AS TEXT) AS total FROM deals",
        ))
        .await
        .unwrap()
        .unwrap();
    let total: String = row.try_get("", "total").unwrap();
    let exact = Currency::parse("CNY")
        .unwrap()
        .from_minor_sum(total.parse().unwrap());
    assert_eq!(exact, "1000001235567.89".parse::<Decimal>().unwrap());
}

fn customer_of(organization_id: Uuid, owner_id: Uuid) -> customer::Model {
    customer::Model {
        organization_id,
        id: Uuid::now_v7(),
        name: "Customer".into(),
        segment: Segment::Smb,
        owner_id,
        created_at: 0,
        updated_at: 0,
        source_id: None,
        external_id: None,
        source_updated_at: None,
    }
}

fn open_deal(organization_id: Uuid, owner_id: Uuid, customer_id: Uuid) -> deal::Model {
    deal::Model {
        organization_id,
        id: Uuid::now_v7(),
        owner_id,
        customer_id,
        lead_id: None,
        name: "deal".into(),
        amount_minor: 100,
        cost_minor: None,
        stage: DealStage::Prospecting,
        status: DealStatus::Open,
        created_at: 0,
        expected_close_on: None,
        proposal_sent_at: None,
        proposal_co_created: false,
        closed_at: None,
        next_won_at: None,
        updated_at: 0,
        source_id: None,
        external_id: None,
        source_updated_at: None,
    }
}

#[tokio::test]
async fn a_record_cannot_point_into_another_organization() {
    let app = spawn_app().await;
    let first = app.small_org().await;
    let second = app.small_org().await;
    let theirs = customer_of(second.organization_id, second.id("users", "rep-1").unwrap());
    theirs
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&app.db)
        .await
        .unwrap();

    let ours = open_deal(
        first.organization_id,
        first.id("users", "rep-1").unwrap(),
        theirs.id,
    );
    let refused = ours.into_active_model().reset_all().insert(&app.db).await;
    assert!(
        refused.is_err(),
        "the foreign key includes the organization"
    );
    assert_eq!(deal::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_database_refuses_open_deals_with_a_close_instant_and_negative_amounts() {
    let app = spawn_app().await;
    let org = app.small_org().await;
    let rep = org.id("users", "rep-1").unwrap();
    let customer = customer_of(org.organization_id, rep);
    customer
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&app.db)
        .await
        .unwrap();
    let deal = || open_deal(org.organization_id, rep, customer.id);

    let closed_but_open = deal::Model {
        closed_at: Some(5),
        ..deal()
    };
    assert!(
        closed_but_open
            .into_active_model()
            .reset_all()
            .insert(&app.db)
            .await
            .is_err()
    );
    let won_but_not_closed = deal::Model {
        status: DealStatus::Won,
        stage: DealStage::Won,
        ..deal()
    };
    assert!(
        won_but_not_closed
            .into_active_model()
            .reset_all()
            .insert(&app.db)
            .await
            .is_err()
    );
    let negative = deal::Model {
        amount_minor: -1,
        ..deal()
    };
    assert!(
        negative
            .into_active_model()
            .reset_all()
            .insert(&app.db)
            .await
            .is_err()
    );
    deal()
        .into_active_model()
        .reset_all()
        .insert(&app.db)
        .await
        .expect("a valid deal is stored");
    assert_eq!(deal::Entity::find().count(&app.db).await.unwrap(), 1);
}

/// When PostgreSQL breaks a deadlock it aborts one of the transactions: that one's error
/// is `UNAVAILABLE` (it changed nothing and may be retried), also when it carries context.
#[tokio::test]
async fn a_transaction_aborted_to_break_a_deadlock_may_be_retried() {
    let app = spawn_app().await;
    if !db::is_postgres(&app.db) {
        return;
    }
    let run = |sql: &'static str| app.db.execute_unprepared(sql);
    run("CREATE TABLE deadlock_probe (id integer PRIMARY KEY)")
        .await
        .unwrap();
    run("INSERT INTO deadlock_probe VALUES (1), (2)")
        .await
        .unwrap();
    let first = app.db.begin().await.unwrap();
    let second = app.db.begin().await.unwrap();
    let update = |id: i32| format!("UPDATE deadlock_probe SET id = id WHERE id = {id}");
    first.execute_unprepared(&update(1)).await.unwrap();
    second.execute_unprepared(&update(2)).await.unwrap();
    // Each now waits for the row the other holds, until PostgreSQL aborts one of them.
    let (to_second, to_first) = (update(2), update(1));
    let (one, two) = tokio::join!(
        first.execute_unprepared(&to_second),
        second.execute_unprepared(&to_first)
    );
    let error = match (one, two) {
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => error,
        other => panic!("one transaction is aborted, not {other:?}"),
    };
    let with_context = anyhow::Error::new(error).context("updating the probe");
    let answered = CoreError::from(with_context);
    assert_eq!(answered.code(), "UNAVAILABLE", "{answered:?}");
}
