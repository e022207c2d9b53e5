//! Request counts need no durability: after a crash a caller's minute simply starts
//! again. On PostgreSQL the table is unlogged, so counting a request writes no WAL and its
//! commit waits for no disk flush. SQLite keeps it as it is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        persistence(manager, "UNLOGGED").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        persistence(manager, "LOGGED").await
    }
}

/// Makes `rate_windows` `LOGGED` or `UNLOGGED` on PostgreSQL; nothing on SQLite.
async fn persistence(manager: &SchemaManager<'_>, mode: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(&format!("ALTER TABLE rate_windows SET {mode}"))
            .await?;
    }
    Ok(())
}
