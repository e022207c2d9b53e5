//! Open deals stay out of the indexes only closed, won or proposed deals need. Most of
//! a pipeline's deals are open, and each index a row enters is a write on every insert:
//! the indexes of closed deals hold rows with a `closed_at`, those of won deals the won
//! ones (and any that still carry a link to a next won deal, so that a relink finds
//! them), the proposals' index rows with a `proposal_sent_at`.
//!
//! Every query these indexes serve names what their predicate requires: a bound on the
//! column (which implies it is not null) or `status = 'WON'`, as both PostgreSQL's and
//! SQLite's planners need to use a partial index.

use crate::columns::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows of closed deals: won and lost ones always have a `closed_at`.
fn closed() -> Condition {
    Condition::all().add(Expr::col("closed_at").is_not_null())
}

/// Rows of won deals, and of deals whose link to a next won deal a relink must clear.
fn won_or_linked() -> Condition {
    Condition::any()
        .add(Expr::col("status").eq("WON"))
        .add(Expr::col("next_won_at").is_not_null())
}

/// Rows of deals whose proposal was sent.
fn proposed() -> Condition {
    Condition::all().add(Expr::col("proposal_sent_at").is_not_null())
}

/// (name, columns, which rows) of every index made partial.
fn partial() -> [(&'static str, &'static [&'static str], Condition); 6] {
    [
        (
            "owner_closed",
            &["organization_id", "owner_id", "closed_at"],
            closed(),
        ),
        (
            "owner_proposal",
            &["organization_id", "owner_id", "proposal_sent_at"],
            proposed(),
        ),
        (
            "customer_closed",
            &["organization_id", "customer_id", "closed_at"],
            closed(),
        ),
        (
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
            closed(),
        ),
        (
            "won_chain",
            &[
                "organization_id",
                "status",
                "closed_at",
                "next_won_at",
                "customer_id",
                "owner_id",
            ],
            closed(),
        ),
        (
            "customer_won",
            &[
                "organization_id",
                "customer_id",
                "status",
                "closed_at",
                "id",
            ],
            won_or_linked(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns, rows) in partial() {
            let mut statement = index("deals", name, columns);
            statement.cond_where(rows);
            replace(manager, name, statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns, _) in partial() {
            replace(manager, name, index("deals", name, columns)).await?;
        }
        Ok(())
    }
}

/// Drops the index `ix_deals_{name}` and creates `index` in its place, on one connection:
/// a SQLite connection of the pool that did not drop it could still see it.
async fn replace(
    manager: &SchemaManager<'_>,
    name: &str,
    index: IndexCreateStatement,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let drop = Index::drop()
        .name(format!("ix_deals_{name}"))
        .table(Alias::new("deals"))
        .to_owned();
    let sql = format!("{}; {}", backend.build(&drop), backend.build(&index));
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}
