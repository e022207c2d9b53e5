//! `TestApp`: a running server over a fresh database, and the calls tests make to it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use attain_api::config::Config;
use attain_api::startup::Application;
use attain_core::identity::hash_password;
use attain_core::import::{self, Dataset, ImportReport};
use attain_entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// The HS256 secret every test server signs with.
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";
/// The password of the users of [`TestApp::small_org`].
pub const PASSWORD: &str = "correct horse battery staple";

/// A database of one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database made for the test and dropped after it.
pub struct TestDatabase {
    pub url: String,
    folder: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new() -> TestDatabase {
        let folder = tempfile::tempdir().expect("a temporary folder");
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
        {
            Some(admin_url) => {
                let name = format!("attain_test_{}", Uuid::now_v7().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL at TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("creating a test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                let url = format!("{base}/{name}");
                TestDatabase {
                    url,
                    folder,
                    postgres: Some((admin_url, name)),
                }
            }
            None => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    folder.path().join("attain.db").display()
                );
                TestDatabase {
                    url,
                    folder,
                    postgres: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Dropping needs async; a short-lived runtime on its own thread does it.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    /// Kept for its lifetime: dropping it drops a PostgreSQL test database.
    _database: TestDatabase,
}

/// Starts a server over a fresh, migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a server with some configuration variables of the test's own.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let database = TestDatabase::new().await;
    let (address, db) = start(&database, settings).await;
    TestApp {
        address,
        db,
        client: reqwest::Client::new(),
        _database: database,
    }
}

/// Starts a server over `database`; answers its address and its database connection.
async fn start(database: &TestDatabase, settings: &[(&str, &str)]) -> (String, DatabaseConnection) {
    start_server(&database.url, database.folder.path(), settings).await
}

/// Starts a server over the database at `url`, keeping its files in `folder`, with some
/// configuration of the test's own; answers its address and its database connection.
pub async fn start_server(
    url: &str,
    folder: &std::path::Path,
    settings: &[(&str, &str)],
) -> (String, DatabaseConnection) {
    let folder = folder.display().to_string();
    let vars: BTreeMap<String, String> = [
        ("DATABASE_URL", url),
        ("ATTAIN_PORT", "0"),
        ("ATTAIN_JWT_SECRET", TEST_SECRET),
        ("ATTAIN_DEMO", "false"),
        ("ATTAIN_DATA_DIR", folder.as_str()),
    ]
    .iter()
    .chain(settings)
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let config = Config::from_vars(vars).expect("test configuration");
    let application = Application::build(&config)
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    let db = owner_connection(url, &application.services().db).await;
    tokio::spawn(application.run_until_stopped());
    (address, db)
}

/// What a test reads and writes the database with: on PostgreSQL a connection of its own
/// as the tables' owner (the server's runs each request as the role the row-level
/// policies bind, which sees nothing outside a request), on SQLite the server's.
async fn owner_connection(url: &str, server: &DatabaseConnection) -> DatabaseConnection {
    if !url.starts_with("postgres") {
        return server.clone();
    }
    let mut options = sea_orm::ConnectOptions::new(url);
    options.max_connections(4).sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("the test's own connection")
}

impl TestApp {
    /// POSTs a GraphQL request with a bearer token; answers the body.
    pub async fn call(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql(query, variables, Some(token)).await.1
    }

    /// Another server instance over the same database, as behind a load balancer.
    pub async fn another_instance(&self, settings: &[(&str, &str)]) -> String {
        start(&self._database, settings).await.0
    }
}

/// The conformance data set beside the project.
pub fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/conformance/dataset.json")
}

/// The conformance data set as JSON text.
pub fn fixture_text() -> String {
    std::fs::read_to_string(fixture_path()).expect("the conformance fixture")
}

impl TestApp {
    /// POSTs a GraphQL request, with a bearer token when given; answers status and body.
    pub async fn graphql(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// The URL of the server's database.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// The rows of a raw SQL query on the server's database.
    pub async fn rows(&self, sql: &str, values: Vec<sea_orm::Value>) -> Vec<sea_orm::QueryResult> {
        self.db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                values,
            ))
            .await
            .expect("the query runs")
    }

    /// Imports a data set in-process, as `attain import` does.
    pub async fn import(&self, dataset: &Dataset) -> ImportReport {
        import::import(&self.db, dataset, "test import")
            .await
            .expect("the data set imports")
    }

    /// A small organization (an admin, a manager of one team, two reps, an analyst and an
    /// inactive rep), every user with [`PASSWORD`].
    pub async fn small_org(&self) -> ImportReport {
        let dataset = Dataset::from_json(&small_org_json()).expect("a valid data set");
        let report = self.import(&dataset).await;
        user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                Expr::value(hash_password(PASSWORD).unwrap()),
            )
            .filter(user::Column::OrganizationId.eq(report.organization_id))
            .exec(&self.db)
            .await
            .expect("setting passwords");
        report
    }

    /// Logs in and answers the token.
    pub async fn login(&self, email: &str) -> String {
        let (_, body) = self
            .graphql(
                "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
                json!({ "email": email, "password": PASSWORD }),
                None,
            )
            .await;
        body["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {body}"))
            .to_owned()
    }
}

/// The code and field of the first error of a GraphQL answer.
pub fn failure(body: &Value) -> (&str, &str) {
    (
        error_code(body),
        body["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or(""),
    )
}

/// The error code of the first error of a GraphQL answer.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// The small organization of [`TestApp::small_org`] as a data set.
pub fn small_org_json() -> String {
    json!({
        "format": "attain-dataset/2",
        "organization": { "id": "org-small", "name": "Small Co", "timezone": "Asia/Shanghai", "currency": "CNY" },
        "teams": [{ "id": "team-a", "name": "Team A", "parent_id": null, "manager_ids": ["mgr"] }],
        "users": [
            { "id": "adm", "email": "admin@small.example", "name": "Admin", "role": "ADMIN", "active": true },
            { "id": "mgr", "email": "mgr@small.example", "name": "Manager", "role": "MANAGER", "active": true },
            { "id": "rep-1", "email": "rep1@small.example", "name": "Rep One", "role": "REP", "active": true },
            { "id": "rep-2", "email": "rep2@small.example", "name": "Rep Two", "role": "REP", "active": true },
            { "id": "ana", "email": "bi@small.example", "name": "Analyst", "role": "ANALYST", "active": true },
            { "id": "gone", "email": "gone@small.example", "name": "Gone", "role": "REP", "active": false }
        ],
        "memberships": [
            { "user_id": "rep-1", "team_id": "team-a", "valid_from": "2025-01-01T00:00:00Z", "valid_to": null },
            { "user_id": "rep-2", "team_id": "team-a", "valid_from": "2025-01-01T00:00:00Z", "valid_to": null }
        ]
    })
    .to_string()
}

/// A token for any user, signed as the test server expects (for imported users, who have
/// no password).
pub fn mint_token(organization_id: Uuid, user_id: Uuid, role: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = attain_api::auth::Claims {
        sub: user_id.to_string(),
        org: organization_id.to_string(),
        role: role.to_owned(),
        iat: now,
        nbf: now,
        exp: now + 3600,
        iss: "attain".into(),
        aud: "attain-api".into(),
        jti: Uuid::now_v7().to_string(),
    };
    let key = jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).expect("a signed token")
}
