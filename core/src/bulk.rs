//! Many rows in one statement: a batch's rows as a relation a single insert, update or
//! lookup reads.

use sea_orm::{DatabaseBackend, Value};

use crate::error::CoreResult;
use crate::kpi::scope::Sql;

/// The common table expression `{name} (x_{column}, …) AS (…)` holding `rows`, whose
/// values are in the order of `columns`, some of `table`'s own columns. On PostgreSQL
/// many rows are one JSON parameter read as the table's row type, since a parameter for
/// every value costs more to parse and plan than the rows cost to write; one row, and
/// every row on SQLite, is a VALUES list.
pub(crate) fn rows(
    sql: &mut Sql,
    backend: DatabaseBackend,
    name: &str,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> CoreResult<String> {
    let names: Vec<String> = columns.iter().map(|c| format!("x_{c}")).collect();
    let rows: Vec<Vec<Value>> = rows.collect();
    let body = match backend {
        DatabaseBackend::Postgres if rows.len() > 1 => {
            let rows = rows
                .into_iter()
                .map(|values| {
                    columns
                        .iter()
                        .zip(&values)
                        .map(|(column, value)| Ok(((*column).to_owned(), json(value)?)))
                        .collect::<CoreResult<serde_json::Map<_, _>>>()
                        .map(serde_json::Value::Object)
                })
                .collect::<CoreResult<Vec<_>>>()?;
            format!(
                "SELECT {} FROM jsonb_populate_recordset(NULL::{table}, {})",
                columns.join(", "),
                sql.param(serde_json::Value::Array(rows))
            )
        }
        _ => {
            let tuples: Vec<String> = rows
                .into_iter()
                .map(|values| {
                    let values: Vec<String> =
                        values.into_iter().map(|value| sql.param(value)).collect();
                    format!("({})", values.join(", "))
                })
                .collect();
            format!("VALUES {}", tuples.join(", "))
        }
    };
    Ok(format!("{name} ({}) AS ({body})", names.join(", ")))
}

/// A value as the JSON PostgreSQL reads back into its column's type.
fn json(value: &Value) -> CoreResult<serde_json::Value> {
    Ok(match value {
        Value::Bool(v) => serde_json::json!(v),
        Value::Int(v) => serde_json::json!(v),
        Value::BigInt(v) => serde_json::json!(v),
        Value::String(v) => serde_json::json!(v),
        Value::Uuid(v) => serde_json::json!(v.map(|id| id.to_string())),
        Value::ChronoDate(v) => serde_json::json!(v.map(|on| on.to_string())),
        other => return Err(anyhow::anyhow!("no JSON form for {other:?}").into()),
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn many_rows_are_one_json_parameter_on_postgres_and_a_values_list_otherwise() {
        let id = Uuid::nil();
        let on = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let batch = || {
            vec![
                vec![Value::from(id), Value::from(Some(on)), Value::from(7)],
                vec![
                    Value::from(id),
                    Value::from(None::<NaiveDate>),
                    Value::from(8),
                ],
            ]
            .into_iter()
        };
        let columns = ["id", "due_on", "minutes"];

        let mut sql = Sql::default();
        let text = rows(
            &mut sql,
            DatabaseBackend::Postgres,
            "v",
            "t",
            &columns,
            batch(),
        )
        .unwrap();
        assert_eq!(
            text,
            "v (x_id, x_due_on, x_minutes) AS \
             (SELECT id, due_on, minutes FROM jsonb_populate_recordset(NULL::t, $1))"
        );
        assert_eq!(
            sql.values,
            vec![Value::from(serde_json::json!([
                { "id": id.to_string(), "due_on": "2026-03-01", "minutes": 7 },
                { "id": id.to_string(), "due_on": null, "minutes": 8 },
            ]))]
        );

        let mut sql = Sql::default();
        let text = rows(
            &mut sql,
            DatabaseBackend::Sqlite,
            "v",
            "t",
            &columns,
            batch(),
        )
        .unwrap();
        assert_eq!(
            text,
            "v (x_id, x_due_on, x_minutes) AS (VALUES ($1, $2, $3), ($4, $5, $6))"
        );
        assert_eq!(sql.values.len(), 6);

        let mut sql = Sql::default();
        let one = batch().take(1);
        let text = rows(&mut sql, DatabaseBackend::Postgres, "v", "t", &columns, one).unwrap();
        assert_eq!(
            text,
            "v (x_id, x_due_on, x_minutes) AS (VALUES ($1, $2, $3))"
        );
        assert_eq!(sql.values[2], Value::from(7));
    }
}
