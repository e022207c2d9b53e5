//! `attain import`: the conformance data set loads whole; a broken record names its path
//! and leaves nothing behind.

use attain_core::CoreError;
use attain_core::import::{self, Dataset};
use attain_entity::{activity, deal, organization, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture_text, spawn_app};

#[tokio::test]
async fn the_conformance_fixture_imports_completely() {
    let app = spawn_app().await;
    let text = fixture_text();
    let file: Value = serde_json::from_str(&text).unwrap();
    let report = app.import(&Dataset::from_json(&text).unwrap()).await;

    for (array, table) in [
        ("users", "users"),
        ("teams", "teams"),
        ("memberships", "team_memberships"),
        ("customers", "customers"),
        ("leads", "leads"),
        ("deals", "deals"),
        ("activities", "activities"),
        ("invoices", "invoices"),
        ("payments", "payments"),
        ("survey_responses", "survey_responses"),
        ("expenses", "expenses"),
        ("market_sizes", "market_sizes"),
        ("ratings", "ratings"),
        ("schemes", "scorecard_schemes"),
        ("targets", "targets"),
    ] {
        let expected = file[array].as_array().unwrap().len() as i64;
        assert_eq!(app.count(table).await, expected, "{table}");
        if array != "memberships" {
            assert_eq!(
                report.ids[array].len() as i64,
                expected,
                "id map of {array}"
            );
        }
    }

    let deal = deal::Entity::find_by_id((
        report.organization_id,
        report.id("deals", "deal-0001").unwrap(),
    ))
    .one(&app.db)
    .await
    .unwrap()
    .expect("deal-0001 is found again through the id map");
    assert_eq!(deal.amount_minor, 11_423_141);
    assert_eq!(deal.cost_minor, Some(9_504_053));
    assert_eq!(deal.external_id.as_deref(), Some("deal-0001"));
    let rep = user::Entity::find_by_id((
        report.organization_id,
        report.id("users", "rep-01").unwrap(),
    ))
    .one(&app.db)
    .await
    .unwrap()
    .unwrap();
    assert_eq!(rep.email, "rep-01@acme.example");
    assert_eq!(rep.external_id.as_deref(), Some("HR-1001"));
    assert_eq!(
        activity::Entity::find()
            .filter(activity::Column::RepId.eq(rep.id))
            .count(&app.db)
            .await
            .unwrap(),
        file["activities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["rep_id"] == "rep-01")
            .count() as u64
    );
}

/// Applies `change` to the fixture and imports it; answers the failing field.
async fn import_broken(app: &TestApp, change: impl FnOnce(&mut Value)) -> Result<String, String> {
    let mut file: Value = serde_json::from_str(&fixture_text()).unwrap();
    change(&mut file);
    let outcome = match Dataset::from_json(&file.to_string()) {
        Ok(dataset) => import::import(&app.db, &dataset, "broken")
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match outcome {
        Err(CoreError::BadUserInput { field, .. }) => Ok(field),
        other => Err(format!("expected a field error, got {other:?}")),
    }
}

#[tokio::test]
async fn a_won_deal_without_closed_at_fails_with_its_path_and_leaves_nothing() {
    let app = spawn_app().await;
    let field = import_broken(&app, |file| {
        let deal = &mut file["deals"][17];
        deal["status"] = json!("WON");
        deal["stage"] = json!("WON");
        deal["closed_at"] = Value::Null;
    })
    .await;
    assert_eq!(field, Ok("deals[17].closed_at".to_owned()));
    assert_eq!(
        organization::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    for table in [
        "users",
        "teams",
        "customers",
        "deals",
        "activities",
        "sources",
        "import_ids",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} after a failed import");
    }
}

/// A change that breaks one record of the fixture.
type Change = Box<dyn FnOnce(&mut Value)>;

#[tokio::test]
async fn every_kind_of_bad_record_is_named_by_its_path() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Change)> = vec![
        (
            "deals[3].customer_id",
            Box::new(|f| f["deals"][3]["customer_id"] = json!("cust-missing")),
        ),
        (
            "deals[4].status",
            Box::new(|f| f["deals"][4]["stage"] = json!("PROSPECTING")),
        ),
        (
            "deals[5].stage",
            Box::new(|f| f["deals"][5]["stage"] = json!("SIGNED")),
        ),
        (
            "deals[6].amount",
            Box::new(|f| f["deals"][6]["amount"] = json!("10.005")),
        ),
        (
            "deals[7].amount",
            Box::new(|f| f["deals"][7]["amount"] = json!("-1.00")),
        ),
        (
            "deals[8].amount",
            Box::new(|f| f["deals"][8]["amount"] = json!("1000000000000.01")),
        ),
        (
            "survey_responses[2].score",
            Box::new(|f| f["survey_responses"][2]["score"] = json!(6)),
        ),
        (
            "schemes[0].items",
            Box::new(|f| f["schemes"][0]["items"][0]["weight"] = json!(35)),
        ),
        (
            "schemes[1].items[0].kpi",
            Box::new(|f| f["schemes"][1]["items"][0]["kpi"] = json!("happiness")),
        ),
        (
            "customers[1].id",
            Box::new(|f| f["customers"][1]["id"] = f["customers"][0]["id"].clone()),
        ),
        (
            "activities[9].occurred_at",
            Box::new(|f| f["activities"][9]["occurred_at"] = json!("2099-01-01T00:00:00Z")),
        ),
        (
            "users[8].email",
            Box::new(|f| f["users"][8]["email"] = f["users"][7]["email"].clone()),
        ),
        (
            "expenses[0].team_id",
            Box::new(|f| {
                f["expenses"][0]["rep_id"] = json!("rep-01");
                f["expenses"][0]["team_id"] = json!("team-east");
            }),
        ),
        (
            "targets[0].baseline",
            Box::new(|f| {
                f["targets"][0]["target"] = json!("100.00");
                f["targets"][0]["baseline"] = json!("200.00");
            }),
        ),
        (
            "organization.timezone",
            Box::new(|f| f["organization"]["timezone"] = json!("Mars/Olympus")),
        ),
    ];
    for (expected, change) in cases {
        assert_eq!(import_broken(&app, change).await, Ok(expected.to_owned()));
    }
    assert_eq!(
        organization::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn overlapping_memberships_of_one_user_are_refused() {
    let app = spawn_app().await;
    let field = import_broken(&app, |file| {
        let memberships = file["memberships"].as_array_mut().unwrap();
        let first = memberships[0].clone();
        let mut overlapping = first.clone();
        overlapping["team_id"] = json!("team-hangzhou");
        memberships.push(overlapping);
    })
    .await
    .unwrap();
    assert!(field.starts_with("memberships["), "{field}");
    assert!(field.ends_with("].valid_from"), "{field}");
}

impl TestApp {
    /// Rows in a table, across organizations.
    pub async fn count(&self, table: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}
