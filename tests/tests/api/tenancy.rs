//! Row-level security on PostgreSQL: a statement run for one organization sees, changes
//! and adds nothing of another's, even when it names the other organization outright;
//! outside any organization it sees no tenant rows; and it runs as a role that is neither
//! a superuser nor the tables' owner. SQLite has no such policies: there the scope changes
//! nothing, and the tenant-table list is still checked against the schema.

use std::collections::BTreeSet;

use attain_core::db;
use attain_core::import::Dataset;
use attain_core::tenancy::{self, Rows};
use attain_migration::TENANT_TABLES;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use uuid::Uuid;

use crate::helpers::{TestApp, small_org_json, spawn_app};

/// Two organizations of six users each, and a pool as the server opens it.
async fn two_organizations() -> (TestApp, Uuid, Uuid, DatabaseConnection) {
    let app = spawn_app().await;
    let first = app.small_org().await.organization_id;
    let dataset = Dataset::from_json(&small_org_json()).expect("a valid data set");
    let second = app.import(&dataset).await.organization_id;
    let pool = db::connect(app.database_url(), 2)
        .await
        .expect("the server's kind of pool");
    (app, first, second, pool)
}

async fn number(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> i64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await
        .expect("the query runs")
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

const USERS_OF: &str = "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE organization_id = $1";
const ALL_USERS: &str = "SELECT CAST(COUNT(*) AS BIGINT) FROM users";

#[tokio::test]
async fn a_statement_for_one_organization_reaches_no_other() {
    let (app, first, second, pool) = two_organizations().await;
    let in_first = |sql: &'static str, values: Vec<Value>| {
        tenancy::within(Rows::Organization(first), number(&pool, sql, values))
    };
    if !db::is_postgres(&pool) {
        // No policies: the organization filter in every query is the only wall.
        assert_eq!(in_first(ALL_USERS, vec![]).await, 12);
        return;
    }
    assert_eq!(in_first(ALL_USERS, vec![]).await, 6);
    assert_eq!(in_first(USERS_OF, vec![first.into()]).await, 6);
    assert_eq!(
        in_first(USERS_OF, vec![second.into()]).await,
        0,
        "a query naming the other organization"
    );
    assert_eq!(
        in_first("SELECT CAST(COUNT(*) AS BIGINT) FROM organizations", vec![]).await,
        1
    );
    // Outside any organization: no tenant rows at all.
    assert_eq!(number(&pool, ALL_USERS, vec![]).await, 0);
    assert_eq!(
        tenancy::as_system(number(&pool, ALL_USERS, vec![])).await,
        12
    );

    // Writes: an update naming the other organization changes nothing, and a row for it
    // cannot be added.
    let renamed = tenancy::within(
        Rows::Organization(first),
        pool.execute_raw(Statement::from_sql_and_values(
            pool.get_database_backend(),
            "UPDATE users SET display_name = 'taken' WHERE organization_id = $1",
            [second.into()],
        )),
    )
    .await
    .expect("the update runs");
    assert_eq!(renamed.rows_affected(), 0);
    let taken = app
        .rows("SELECT id FROM users WHERE display_name = 'taken'", vec![])
        .await;
    assert!(taken.is_empty());
    let smuggled = tenancy::within(
        Rows::Organization(first),
        pool.execute_raw(Statement::from_sql_and_values(
            pool.get_database_backend(),
            "INSERT INTO teams (organization_id, id, name, created_at) \
             VALUES ($1, $2, 'smuggled', 0)",
            [second.into(), Uuid::now_v7().into()],
        )),
    )
    .await;
    let error = smuggled.expect_err("a row of another organization is refused");
    assert!(error.to_string().contains("row-level security"), "{error}");

    // The role requests run as: not a superuser, not the owner, no bypass.
    let role = tenancy::within(
        Rows::Organization(first),
        pool.query_one_raw(Statement::from_string(
            pool.get_database_backend(),
            "SELECT CAST(current_user AS TEXT) AS name, r.rolsuper, r.rolbypassrls, \
             CAST(t.tableowner AS TEXT) AS owner \
             FROM pg_roles r, pg_tables t WHERE r.rolname = current_user \
             AND t.tablename = 'activities' AND t.schemaname = current_schema()",
        )),
    )
    .await
    .expect("the query runs")
    .expect("one row");
    let name: String = role.try_get("", "name").unwrap();
    let owner: String = role.try_get("", "owner").unwrap();
    assert_eq!(name, attain_migration::APP_ROLE);
    assert_ne!(owner, name);
    assert!(!role.try_get::<bool>("", "rolsuper").unwrap());
    assert!(!role.try_get::<bool>("", "rolbypassrls").unwrap());
}

/// Every table with an `organization_id` is a tenant table, and on PostgreSQL each has
/// row-level security on and its policy: a new table without one fails here.
#[tokio::test]
async fn every_tenant_table_is_guarded() {
    let app = spawn_app().await;
    let postgres = db::is_postgres(&app.db);
    let sql = if postgres {
        "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'organization_id'"
    } else {
        "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND c.name = 'organization_id'"
    };
    let mut with_column: BTreeSet<String> = app
        .rows(sql, vec![])
        .await
        .iter()
        .map(|row| row.try_get("", "name").unwrap())
        .collect();
    with_column.insert("organizations".to_owned());
    let listed: BTreeSet<String> = TENANT_TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(with_column, listed);
    if !postgres {
        return;
    }
    let guarded: BTreeSet<String> = app
        .rows(
            "SELECT CAST(c.relname AS TEXT) AS name FROM pg_class c \
             JOIN pg_policies p ON p.tablename = c.relname AND p.schemaname = current_schema() \
             WHERE c.relrowsecurity AND c.relnamespace = CAST(current_schema() AS regnamespace) \
             AND p.policyname = 'organization_isolation' AND p.cmd = 'ALL' \
             AND p.roles = ARRAY[CAST($1 AS name)] AND p.with_check IS NULL \
             AND p.qual LIKE '%current_setting(''attain.organization_id''%'",
            vec![attain_migration::APP_ROLE.into()],
        )
        .await
        .iter()
        .map(|row| row.try_get("", "name").unwrap())
        .collect();
    assert_eq!(guarded, listed);
}

/// The server's requests run under the policies: with a policy admitting no row, the
/// resolvers find no team and a valid token finds no user (its check runs in the token's
/// organization), while a login — a lookup across organizations, before one is known —
/// still finds its user.
#[tokio::test]
async fn requests_run_under_the_policies() {
    let app = spawn_app().await;
    app.small_org().await;
    let token = app.login("admin@small.example").await;
    let teams = "{ teams { totalCount } }";
    let count = |body: serde_json::Value| body["data"]["teams"]["totalCount"].clone();
    assert_eq!(
        count(app.call(&token, teams, serde_json::json!({})).await),
        1
    );
    if !db::is_postgres(&app.db) {
        return;
    }
    let admit_none =
        |table: &str| format!("ALTER POLICY organization_isolation ON {table} USING (false)");
    app.db
        .execute_unprepared(&admit_none("teams"))
        .await
        .expect("the owner alters the policy");
    assert_eq!(
        count(app.call(&token, teams, serde_json::json!({})).await),
        0
    );
    app.db
        .execute_unprepared(&admit_none("users"))
        .await
        .expect("the owner alters the policy");
    let me = "{ me { role } }";
    let refused = app.call(&token, me, serde_json::json!({})).await;
    assert_eq!(
        crate::helpers::error_code(&refused),
        "UNAUTHENTICATED",
        "{refused}"
    );
    let again = app.login("admin@small.example").await;
    assert!(!again.is_empty());
}

/// Writes let PostgreSQL reuse generic plans; every other task's statements are planned
/// for their values. The pool sets the mode on each hand-out, so a connection a write
/// used plans afresh again for the next read.
#[tokio::test]
async fn writes_reuse_plans_and_reads_plan_for_their_values() {
    let app = spawn_app().await;
    let organization = app.small_org().await.organization_id;
    if !db::is_postgres(&app.db) {
        return;
    }
    let pool = db::connect(app.database_url(), 1)
        .await
        .expect("the server's kind of pool");
    let mode = || async {
        let row = pool
            .query_one_raw(Statement::from_string(
                pool.get_database_backend(),
                "SELECT current_setting('plan_cache_mode') AS mode",
            ))
            .await
            .expect("the query runs")
            .expect("one row");
        row.try_get::<String>("", "mode").expect("a setting")
    };
    let rows = Rows::Organization(organization);
    assert_eq!(tenancy::within(rows, mode()).await, "force_custom_plan");
    assert_eq!(
        tenancy::within(rows, tenancy::reusing_plans(mode())).await,
        "auto"
    );
    assert_eq!(tenancy::within(rows, mode()).await, "force_custom_plan");
    assert_eq!(tenancy::as_system(mode()).await, "force_custom_plan");
}
