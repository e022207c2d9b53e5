//! `activity_days`: each rep's activity counts per UTC day, so that a quarter's activity
//! KPIs of every rep read a few hundred thousand daily rows instead of millions of
//! activities. Filled here from existing activities and kept current by triggers on
//! `activities` — every write path (logging, batches, edits, deletes, imports, `COPY`)
//! updates it in its own transaction, by construction.
//!
//! Days are UTC so that the counts never depend on an organization's time zone: a
//! period's whole UTC days come from here, its partial first and last days from the
//! activities themselves.

use crate::columns::{index, uuid};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// The UTC day number (days since 1970-01-01, floored) of the instant `column`.
fn day_of(column: &str) -> String {
    format!(
        "(({column} - ((({column} % {DAY_MICROS}) + {DAY_MICROS}) % {DAY_MICROS})) / {DAY_MICROS})"
    )
}

/// The four daily counts one activity row `r` adds, each times `sign`: activities,
/// visits, quality visits, follow-ups.
pub fn activity_counts(r: &str, sign: &str) -> [String; 4] {
    [
        sign.to_owned(),
        format!("CASE WHEN {r}.kind = 'VISIT' THEN {sign} ELSE 0 END"),
        format!("CASE WHEN {r}.kind = 'VISIT' AND {r}.quality THEN {sign} ELSE 0 END"),
        format!(
            "CASE WHEN {r}.kind IN ('CALL', 'EMAIL', 'MESSAGE', 'FOLLOW_UP') THEN {sign} ELSE 0 END"
        ),
    ]
}

const COLUMNS: &str = "organization_id, rep_id, day, total, visits, quality, follow_ups";

/// Adds the conflicting row's counts to the stored ones.
const ADD: &str = "ON CONFLICT (organization_id, rep_id, day) DO UPDATE SET \
    total = activity_days.total + excluded.total, visits = activity_days.visits + excluded.visits, \
    quality = activity_days.quality + excluded.quality, \
    follow_ups = activity_days.follow_ups + excluded.follow_ups";

/// `rows` (a table of activities) with each row's counts times `sign`.
fn signed(rows: &str, sign: &str) -> String {
    let [total, visits, quality, follow_ups] = activity_counts("r", sign);
    format!(
        "SELECT r.organization_id, r.rep_id, r.occurred_at, r.deleted_at, {total} AS total, \
         {visits} AS visits, {quality} AS quality, {follow_ups} AS follow_ups FROM {rows} r"
    )
}

/// The per-day sums of the live rows of `source` (made by [`signed`]).
fn sums(source: &str) -> String {
    let day = day_of("c.occurred_at");
    format!(
        "SELECT c.organization_id, c.rep_id, {day} AS day, SUM(c.total) AS total, \
         SUM(c.visits) AS visits, SUM(c.quality) AS quality, SUM(c.follow_ups) AS follow_ups \
         FROM ({source}) c WHERE c.deleted_at IS NULL GROUP BY c.organization_id, c.rep_id, {day}"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("activity_days"))
                    .col(uuid("organization_id"))
                    .col(uuid("rep_id"))
                    .col(ColumnDef::new("day").big_integer().not_null())
                    .col(ColumnDef::new("total").big_integer().not_null())
                    .col(ColumnDef::new("visits").big_integer().not_null())
                    .col(ColumnDef::new("quality").big_integer().not_null())
                    .col(ColumnDef::new("follow_ups").big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col("organization_id")
                            .col("rep_id")
                            .col("day"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("activity_days", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Every rep's days of a period, read from the index alone.
        manager
            .create_index(index(
                "activity_days",
                "day_cover",
                &[
                    "organization_id",
                    "day",
                    "rep_id",
                    "total",
                    "visits",
                    "quality",
                    "follow_ups",
                ],
            ))
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO activity_days ({COLUMNS}) {}",
            sums(&signed("activities", "1"))
        ))
        .await?;
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER activity_days_insert ON activities",
                "DROP TRIGGER activity_days_update ON activities",
                "DROP TRIGGER activity_days_delete ON activities",
                "DROP FUNCTION activity_days_count()",
            ],
            _ => &[
                "DROP TRIGGER activity_days_insert",
                "DROP TRIGGER activity_days_update",
                "DROP TRIGGER activity_days_delete",
            ],
        };
        for statement in drops {
            db.execute_unprepared(statement).await?;
        }
        manager
            .drop_table(Table::drop().table(Alias::new("activity_days")).to_owned())
            .await
    }
}

/// Statement-level triggers over the transition tables: one aggregate per statement,
/// its rows upserted in key order, so concurrent batches lock days in the same order.
fn postgres_triggers() -> Vec<String> {
    let inserted = sums(&signed("new_rows", "1"));
    let changed = sums(&format!(
        "{} UNION ALL {}",
        signed("new_rows", "1"),
        signed("old_rows", "-1")
    ));
    let removed = sums(&signed("old_rows", "1"));
    vec![
        format!(
            "CREATE FUNCTION activity_days_count() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
             IF TG_OP = 'INSERT' THEN \
             INSERT INTO activity_days ({COLUMNS}) SELECT * FROM ({inserted}) s ORDER BY 1, 2, 3 {ADD}; \
             ELSIF TG_OP = 'UPDATE' THEN \
             INSERT INTO activity_days ({COLUMNS}) SELECT * FROM ({changed}) s \
             WHERE s.total <> 0 OR s.visits <> 0 OR s.quality <> 0 OR s.follow_ups <> 0 ORDER BY 1, 2, 3 {ADD}; \
             ELSE \
             UPDATE activity_days t SET total = t.total - s.total, visits = t.visits - s.visits, \
             quality = t.quality - s.quality, follow_ups = t.follow_ups - s.follow_ups \
             FROM ({removed}) s WHERE t.organization_id = s.organization_id AND t.rep_id = s.rep_id \
             AND t.day = s.day; \
             END IF; \
             RETURN NULL; \
             END $$"
        ),
        "CREATE TRIGGER activity_days_insert AFTER INSERT ON activities \
         REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_days_count()"
            .to_owned(),
        "CREATE TRIGGER activity_days_update AFTER UPDATE ON activities \
         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
         FOR EACH STATEMENT EXECUTE FUNCTION activity_days_count()"
            .to_owned(),
        "CREATE TRIGGER activity_days_delete AFTER DELETE ON activities \
         REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_days_count()"
            .to_owned(),
    ]
}

/// Row-level triggers (SQLite writes one transaction at a time).
fn sqlite_triggers() -> Vec<String> {
    let add = |row: &str| {
        format!(
            "INSERT INTO activity_days ({COLUMNS}) SELECT {row}.organization_id, {row}.rep_id, {}, {} \
             WHERE {row}.deleted_at IS NULL {ADD};",
            day_of(&format!("{row}.occurred_at")),
            activity_counts(row, "1").join(", ")
        )
    };
    let remove = |row: &str| {
        let [total, visits, quality, follow_ups] = activity_counts(row, "1");
        format!(
            "UPDATE activity_days SET total = total - {total}, visits = visits - ({visits}), \
             quality = quality - ({quality}), follow_ups = follow_ups - ({follow_ups}) \
             WHERE {row}.deleted_at IS NULL AND organization_id = {row}.organization_id \
             AND rep_id = {row}.rep_id AND day = {};",
            day_of(&format!("{row}.occurred_at"))
        )
    };
    vec![
        format!(
            "CREATE TRIGGER activity_days_insert AFTER INSERT ON activities BEGIN {} END",
            add("NEW")
        ),
        format!(
            "CREATE TRIGGER activity_days_update AFTER UPDATE OF rep_id, kind, occurred_at, quality, \
             deleted_at ON activities BEGIN {} {} END",
            remove("OLD"),
            add("NEW")
        ),
        format!(
            "CREATE TRIGGER activity_days_delete AFTER DELETE ON activities BEGIN {} END",
            remove("OLD")
        ),
    ]
}
