//! Whose rows the statements of a task may touch, enforced by PostgreSQL's row-level
//! security behind the organization filter of every query.
//!
//! Every connection the pool hands out is first set to the scope of the task that asks
//! for it: a request's organization (the connection runs as the unprivileged role
//! `attain_app`, which the policies bind to that organization), the system (the
//! connecting role itself, which they do not bind), or — outside any scope — no
//! organization, which sees no tenant rows. The system scope is taken only by the paths
//! that must look across organizations or make one: migrations, imports, the demo
//! generator, and logins and token exchanges before their organization is known.
//! SQLite has no row-level security; there the scope changes nothing.
//!
//! The same statement sets how PostgreSQL plans the task's prepared statements: afresh for
//! each execution's values by default, or reusing a generic plan in the tasks that write
//! ([`reusing_plans`]).

use std::future::Future;

use attain_migration::{APP_ROLE, ORGANIZATION_SETTING};
use sea_orm::sqlx::pool::PoolOptions;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{self, Postgres};
use uuid::Uuid;

/// The rows a task's statements may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// One organization's rows only.
    Organization(Uuid),
    /// Every row, as the tables' owner: the system scope.
    All,
}

tokio::task_local! {
    static ROWS: Rows;
    static REUSING_PLANS: ();
}

/// Runs `future` with `rows` as the scope of every connection it acquires.
pub async fn within<F: Future>(rows: Rows, future: F) -> F::Output {
    ROWS.scope(rows, future).await
}

/// Runs `future` in the system scope: a path that looks across organizations.
pub async fn as_system<F: Future>(future: F) -> F::Output {
    within(Rows::All, future).await
}

/// Runs `future` letting PostgreSQL reuse a generic plan for its prepared statements (the
/// planner's `auto` mode). For writes: their statements are small, repeat with the same
/// shape, and planning one afresh costs about as much as running it (a 500-row insert
/// measured 150 µs of machine CPU per row with plans made afresh, about 100 reusing them).
/// Reads keep plans made for their values: a generic plan of a KPI statement can scan a
/// year-long index range for ten reps (measured 29 ms instead of 0.8 ms).
pub async fn reusing_plans<F: Future>(future: F) -> F::Output {
    REUSING_PLANS.scope((), future).await
}

/// The scope of the current task, if it runs in one.
pub fn current() -> Option<Rows> {
    ROWS.try_with(|rows| *rows).ok()
}

/// Sets the current task's scope on a PostgreSQL connection (its role and organization)
/// and its planning mode.
async fn apply(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    let (role, organization) = match current() {
        Some(Rows::All) => ("none", String::new()),
        Some(Rows::Organization(id)) => (APP_ROLE, id.to_string()),
        None => (APP_ROLE, String::new()),
    };
    let planning = if REUSING_PLANS.try_with(|_| ()).is_ok() {
        "auto"
    } else {
        "force_custom_plan"
    };
    sqlx::query(
        "SELECT set_config('role', $1, false), set_config($2, $3, false), \
         set_config('plan_cache_mode', $4, false)",
    )
    .bind(role)
    .bind(ORGANIZATION_SETTING)
    .bind(organization)
    .bind(planning)
    .execute(connection)
    .await?;
    Ok(())
}

/// A PostgreSQL pool that sets the scope on every connection it opens or hands out. The
/// statement doing so also proves the connection alive, in place of the pool's own ping.
pub fn scoped_pool(options: PoolOptions<Postgres>) -> PoolOptions<Postgres> {
    options
        .test_before_acquire(false)
        .after_connect(|connection, _| Box::pin(apply(connection)))
        .before_acquire(|connection, _| {
            Box::pin(async move { apply(connection).await.map(|()| true) })
        })
}
