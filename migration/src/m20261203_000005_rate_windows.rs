//! Request counts per caller and minute, shared by every instance of the server on one
//! PostgreSQL database so that a caller's rate limit holds across them. Not tenant data:
//! the caller is a token's digest or a client address.

use crate::columns::{index, text};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("rate_windows"))
                    .col(text("caller", 80))
                    .col(ColumnDef::new("minute").big_integer().not_null())
                    .col(ColumnDef::new("hits").big_integer().not_null())
                    .primary_key(Index::create().col("caller").col("minute"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("rate_windows", "minute", &["minute"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("rate_windows")).to_owned())
            .await
    }
}
