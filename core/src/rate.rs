//! Request counts per caller and minute in the database, so that every instance of the
//! server over one PostgreSQL database counts the same requests (PostgreSQL only: one
//! statement inserts and reads).

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};

use crate::error::CoreResult;

/// A caller's requests in the current minute, this one included, and in the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub current: i64,
    pub previous: i64,
}

impl Counts {
    /// The requests of the last sixty seconds, estimated as the current minute's plus the
    /// share of the previous minute's that the sliding window still covers.
    pub fn exceed(&self, per_minute: i64, seconds_into_minute: i64) -> bool {
        self.current * 60 + self.previous * (60 - seconds_into_minute) > per_minute * 60
    }
}

/// Counts one request of `caller` in `minute` (minutes since the Unix epoch) and answers
/// its counts. The first request of a minute also drops the counts of minutes before the
/// previous one.
pub async fn count(db: &DatabaseConnection, caller: &str, minute: i64) -> CoreResult<Counts> {
    let row = db
        .query_one_raw(counting(db, caller, minute, "", Vec::new()))
        .await?;
    counted(db, minute, row.as_ref()).await
}

/// The statement that counts a request of `caller` in `minute` and selects its counts
/// (`hits`, `previous`), then `extra`: more of the select list, whose parameters `values`
/// number from `$3`.
pub(crate) fn counting(
    db: &DatabaseConnection,
    caller: &str,
    minute: i64,
    extra: &str,
    values: Vec<Value>,
) -> Statement {
    let mut parameters = vec![Value::from(caller), Value::from(minute)];
    parameters.extend(values);
    Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "WITH hit AS (INSERT INTO rate_windows (caller, minute, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (caller, minute) DO UPDATE SET hits = rate_windows.hits + 1 \
             RETURNING hits) \
             SELECT hit.hits, (SELECT r.hits FROM rate_windows r WHERE r.caller = $1 \
             AND r.minute = $2 - 1) AS previous{extra} FROM hit"
        ),
        parameters,
    )
}

/// The counts a [`counting`] statement answered in `row`. The first request of a minute
/// also drops the counts of minutes before the previous one.
pub(crate) async fn counted(
    db: &DatabaseConnection,
    minute: i64,
    row: Option<&QueryResult>,
) -> CoreResult<Counts> {
    let (hits, previous): (i64, Option<i64>) = match row {
        Some(row) => (row.try_get("", "hits")?, row.try_get("", "previous")?),
        None => (1, None),
    };
    if hits == 1 {
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM rate_windows WHERE minute < $1",
            [Value::from(minute - 1)],
        ))
        .await?;
    }
    Ok(Counts {
        current: hits,
        previous: previous.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn the_previous_minute_counts_for_the_part_the_window_still_covers() {
        let counts = Counts {
            current: 3,
            previous: 6,
        };
        // At the start of a minute the previous one counts whole: 3 + 6 > 5.
        assert!(counts.exceed(5, 0));
        // Halfway: 3 + 3 = 6 > 5, but not > 6.
        assert!(counts.exceed(5, 30));
        assert!(!counts.exceed(6, 30));
        // At its last second: 3 + 0.1 ≤ 5.
        assert!(!counts.exceed(5, 59));
        let alone = Counts {
            current: 5,
            previous: 0,
        };
        assert!(!alone.exceed(5, 10));
        assert!(
            Counts {
                current: 6,
                ..alone
            }
            .exceed(5, 10)
        );
    }
}
