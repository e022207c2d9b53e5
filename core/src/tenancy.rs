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
}

/// Runs `future` with `rows` as the scope of every connection it acquires.
pub async fn within<F: Future>(rows: Rows, future: F) -> F::Output {
    ROWS.scope(rows, future).await
}

/// Runs `future` in the system scope: a path that looks across organizations.
pub async fn as_system<F: Future>(future: F) -> F::Output {
    within(Rows::All, future).await
}

/// The scope of the current task, if it runs in one.
pub fn current() -> Option<Rows> {
    ROWS.try_with(|rows| *rows).ok()
}

/// Sets the current task's scope on a PostgreSQL connection: its role and organization.
async fn apply(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    let (role, organization) = match current() {
        Some(Rows::All) => ("none", String::new()),
        Some(Rows::Organization(id)) => (APP_ROLE, id.to_string()),
        None => (APP_ROLE, String::new()),
    };
    sqlx::query("SELECT set_config('role', $1, false), set_config($2, $3, false)")
        .bind(role)
        .bind(ORGANIZATION_SETTING)
        .bind(organization)
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
