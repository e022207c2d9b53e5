//! `deals.next_won_at`: for a won deal, when its customer's next won deal closed (by
//! `closed_at`, then id), so that "a customer's latest won deal before t" is an indexed
//! filter instead of a window over a year of deals. Filled here for existing rows; kept
//! current by every write to deals.

use crate::columns::{index, instant_null};
use sea_orm_migration::prelude::*;

/// The value of `next_won_at` for the row `deals` of an UPDATE: the `closed_at` of the
/// customer's next won deal for a won deal, null for other deals. The row comparison
/// lets the `customer_won` index (migration 4) find it with one probe.
const NEXT_WON_AT: &str = "CASE WHEN deals.status = 'WON' THEN (SELECT n.closed_at FROM deals n \
    WHERE n.organization_id = deals.organization_id AND n.customer_id = deals.customer_id \
    AND n.status = 'WON' AND (n.closed_at, n.id) > (deals.closed_at, deals.id) \
    ORDER BY n.closed_at, n.id LIMIT 1) END";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("deals"))
                    .add_column(instant_null("next_won_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!("UPDATE deals SET next_won_at = {NEXT_WON_AT}"))
            .await?;
        manager
            .create_index(index(
                "deals",
                "won_chain",
                &[
                    "organization_id",
                    "status",
                    "closed_at",
                    "next_won_at",
                    "customer_id",
                    "owner_id",
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_deals_won_chain")
                    .table(Alias::new("deals"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("deals"))
                    .drop_column(Alias::new("next_won_at"))
                    .to_owned(),
            )
            .await
    }
}
