//! Indexes that answer the KPI aggregates of a whole organization from the index alone:
//! each leads with the event column the period bounds and carries every column the
//! aggregate reads, so PostgreSQL scans the period's slice without touching the table.
//! They replace the narrower event indexes they start with.

use crate::columns::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, replaced index, new index name, columns).
const COVERING: [(&str, &str, &str, &[&str]); 3] = [
    (
        "deals",
        "closed",
        "closed_cover",
        &[
            "organization_id",
            "closed_at",
            "status",
            "owner_id",
            "customer_id",
            "amount_minor",
            "cost_minor",
            "created_at",
            "id",
        ],
    ),
    (
        "leads",
        "created",
        "created_cover",
        &["organization_id", "created_at", "owner_id", "converted_at"],
    ),
    (
        "activities",
        "occurred",
        "occurred_cover",
        &[
            "organization_id",
            "occurred_at",
            "rep_id",
            "kind",
            "quality",
            "deleted_at",
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, replaced, name, columns) in COVERING {
            manager.create_index(index(table, name, columns)).await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_{replaced}"))
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
        }
        // Targets of every subject of a period, for organization-wide leaderboards.
        manager
            .create_index(index(
                "targets",
                "period",
                &[
                    "organization_id",
                    "period_kind",
                    "period_start",
                    "period_end",
                    "subject_kind",
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_targets_period")
                    .table(Alias::new("targets"))
                    .to_owned(),
            )
            .await?;
        for (table, replaced, name, columns) in COVERING {
            // The replaced index is (organization_id, event column).
            manager
                .create_index(index(table, replaced, &columns[..2]))
                .await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_{name}"))
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
