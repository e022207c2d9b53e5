//! Row-level security on PostgreSQL, as a second wall behind the organization filter every
//! query carries: each tenant table admits only the rows of the organization a connection
//! has set in `attain.organization_id`, to the role [`APP_ROLE`] the server's requests run
//! as — neither a superuser nor the tables' owner, so the policies bind it. Connections
//! with no organization set see no tenant rows at all. The owner (migrations, imports,
//! logins before the organization is known) is not bound. SQLite has no such thing; this
//! migration does nothing there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The role requests run as on PostgreSQL.
pub const APP_ROLE: &str = "attain_app";

/// The setting that names the organization whose rows a connection may touch.
pub const ORGANIZATION_SETTING: &str = "attain.organization_id";

/// Every table whose rows belong to one organization, by its `organization_id`.
pub const TENANT_TABLES: [&str; 23] = [
    "users",
    "sources",
    "teams",
    "team_managers",
    "team_memberships",
    "customers",
    "leads",
    "deals",
    "activities",
    "activity_days",
    "invoices",
    "payments",
    "survey_responses",
    "expenses",
    "market_sizes",
    "ratings",
    "scorecard_schemes",
    "scheme_items",
    "targets",
    "evaluations",
    "audit_log",
    "import_ids",
    "organizations",
];

/// The policy's name on every tenant table.
const POLICY: &str = "organization_isolation";

/// The column holding a table's organization: its own id for `organizations`.
fn organization_column(table: &str) -> &'static str {
    if table == "organizations" {
        "id"
    } else {
        "organization_id"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // The role, then the rights it needs. Roles belong to the whole server: another
        // database may make it at this very moment. One made beforehand by someone else
        // must still be bound by the policies. The connecting role switches to it for
        // every request; from PostgreSQL 16 on, a membership may deny switching (`SET
        // FALSE`, as a creator's own grant has).
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
               BEGIN \
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN \
                   CREATE ROLE {APP_ROLE} NOLOGIN; \
                 END IF; \
               EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
               END; \
               IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}' \
                 AND (rolsuper OR rolbypassrls)) THEN \
                 RAISE EXCEPTION 'the role {APP_ROLE} must be neither a superuser nor BYPASSRLS'; \
               END IF; \
               BEGIN \
                 IF current_setting('server_version_num')::int >= 160000 THEN \
                   IF NOT pg_has_role(current_user, '{APP_ROLE}', 'SET') THEN \
                     EXECUTE format('GRANT {APP_ROLE} TO %I WITH SET TRUE', current_user); \
                   END IF; \
                 ELSIF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN \
                   EXECUTE format('GRANT {APP_ROLE} TO %I', current_user); \
                 END IF; \
               EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
               END; \
               EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema()); \
               EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I \
                 TO {APP_ROLE}', current_schema()); \
               EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, \
                 UPDATE, DELETE ON TABLES TO {APP_ROLE}', current_schema()); \
               REVOKE ALL ON seaql_migrations FROM {APP_ROLE}; \
             END $$"
        ))
        .await?;
        // Every query already filters on the organization, and is planned for its values:
        // the planner folds the policy into one check per statement, not per row.
        for table in TENANT_TABLES {
            let column = organization_column(table);
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
                 CREATE POLICY {POLICY} ON {table} TO {APP_ROLE} \
                 USING ({column} = NULLIF(current_setting('{ORGANIZATION_SETTING}', true), '')::uuid)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS {POLICY} ON {table}; \
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
            ))
            .await?;
        }
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
               EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT, INSERT, \
                 UPDATE, DELETE ON TABLES FROM {APP_ROLE}', current_schema()); \
               EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {APP_ROLE}', \
                 current_schema()); \
               EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {APP_ROLE}', current_schema()); \
             END $$"
        ))
        .await?;
        Ok(())
    }
}
