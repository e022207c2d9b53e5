//! Opening the database (SQLite by default, PostgreSQL by URL) and migrating it.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use attain_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::error::CoreResult;
use crate::tenancy;

/// How long a request may wait for a pooled connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Memory per sort or hash of a PostgreSQL statement.
const WORK_MEM: &str = "32MB";
/// How long one SQL statement may run on PostgreSQL.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so that concurrent writers wait their turn instead of failing
/// when a transaction that has read tries to write after another one committed.
pub async fn begin_write(db: &DatabaseConnection) -> CoreResult<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`), creating the folder
/// of a SQLite file when needed. SQLite runs in WAL mode with foreign keys enforced; a
/// PostgreSQL connection takes the [`tenancy`] scope of the task that acquires it.
pub async fn connect(url: &str, max_connections: u32) -> CoreResult<DatabaseConnection> {
    let folder = sqlite_path(url).and_then(|path| Path::new(path).parent());
    if let Some(folder) = folder.filter(|folder| !folder.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating the database folder {}", folder.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(ACQUIRE_TIMEOUT)
        .statement_timeout(STATEMENT_TIMEOUT)
        .sqlx_logging(false)
        // Organization-wide aggregates sort and hash a few hundred thousand rows: enough
        // memory per operation keeps them off temporary files. How statements are planned
        // is set per task, with its scope.
        .map_sqlx_postgres_opts(|postgres| postgres.options([("work_mem", WORK_MEM)]))
        .map_sqlx_postgres_pool_opts(tenancy::scoped_pool)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    // The first connections are opened here, before the migrations have made the role
    // that requests run as.
    let db = tenancy::as_system(Database::connect(options))
        .await
        .context("connecting to the database")?;
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> CoreResult<()> {
    tenancy::as_system(Migrator::up(db, None))
        .await
        .context("running migrations")?;
    Ok(())
}

/// Refreshes the planner's statistics. Run after a bulk load: with stale statistics
/// PostgreSQL plans the KPI queries as if the tables were empty (measured: 1.6 s instead of
/// 21 ms for retention over 100 reps).
pub async fn analyze(db: &DatabaseConnection) -> CoreResult<()> {
    // On PostgreSQL, VACUUM also marks the loaded pages all-visible, which lets the
    // covering indexes answer without reading the tables.
    let statement = if is_postgres(db) {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    tenancy::as_system(db.execute_unprepared(statement))
        .await
        .context("refreshing statistics")?;
    Ok(())
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// The file path of a SQLite URL, if it is one and not in memory.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Whether the connection is to PostgreSQL.
pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite://data/attain.db?mode=rwc"),
            Some("data/attain.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/attain"), None);
    }
}
