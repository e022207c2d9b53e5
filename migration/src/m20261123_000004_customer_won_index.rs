//! An index on a customer's won deals in `(closed_at, id)` order, so that finding the
//! next won deal of a deal's customer (migration 3's `NEXT_WON_AT`) is one index probe
//! rather than a sort of all the customer's deals, and a relink reads the won deals of
//! the customers it names from the index alone: relinking a customer with thousands of
//! won deals was quadratic without it.

use crate::columns::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "deals",
                "customer_won",
                &[
                    "organization_id",
                    "customer_id",
                    "status",
                    "closed_at",
                    "id",
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_deals_customer_won")
                    .table(Alias::new("deals"))
                    .to_owned(),
            )
            .await
    }
}
