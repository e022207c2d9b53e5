//! Many rows in one statement: a batch's rows as a relation a single insert, update or
//! lookup reads.

use std::fmt::{Display, Write as _};

use sea_orm::{DatabaseBackend, Value};

use crate::error::CoreResult;
use crate::kpi::scope::Sql;

/// The common table expression `{name} (x_{column}, …) AS (…)` holding `rows`, whose
/// values are in the order of `columns`. On PostgreSQL many rows are one parameter for
/// each column, an array in PostgreSQL's text form that `unnest` reads (in a CTE before
/// it, `{name}_arrays`): a parameter for every value costs more to parse and plan than
/// the rows cost to write, and arrays parse in about half the time of the same rows as
/// JSON. One row, and every row on SQLite, is a VALUES list.
pub(crate) fn rows(
    sql: &mut Sql,
    backend: DatabaseBackend,
    name: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> CoreResult<String> {
    let names: Vec<String> = columns.iter().map(|c| format!("x_{c}")).collect();
    let rows: Vec<Vec<Value>> = rows.collect();
    let body = match backend {
        DatabaseBackend::Postgres if rows.len() > 1 => {
            let mut arrays: Vec<Array> = columns.iter().map(|_| Array::default()).collect();
            for values in &rows {
                for (array, value) in arrays.iter_mut().zip(values) {
                    array.push(value)?;
                }
            }
            let arrays: Vec<String> = arrays
                .into_iter()
                .zip(&names)
                .map(|(array, column)| {
                    let element = array.element;
                    format!("{}::{element}[] AS {column}", sql.param(array.finish()))
                })
                .collect();
            // The arrays are read once, in a CTE of their own: given them directly,
            // the planner would parse each array a second time to count its elements.
            return Ok(format!(
                "{name}_arrays AS MATERIALIZED (SELECT {}), \
                 {name} ({}) AS (SELECT u.* FROM {name}_arrays, unnest({}) AS u)",
                arrays.join(", "),
                names.join(", "),
                names
                    .iter()
                    .map(|column| format!("{name}_arrays.{column}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
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

/// One column's values as a PostgreSQL array literal, `{1,NULL,3}`, and the type of its
/// elements, taken from the values' kind.
#[derive(Default)]
struct Array {
    element: &'static str,
    text: String,
}

impl Array {
    fn push(&mut self, value: &Value) -> CoreResult<()> {
        self.text.push(if self.text.is_empty() { '{' } else { ',' });
        let element = match value {
            Value::Bool(v) => self.write("boolean", v.map(|v| if v { 't' } else { 'f' })),
            Value::Int(v) => self.write("integer", *v),
            Value::BigInt(v) => self.write("bigint", *v),
            Value::Uuid(v) => self.write("uuid", *v),
            Value::ChronoDate(v) => self.write("date", *v),
            Value::String(v) => {
                if let Some(v) = v {
                    self.text.push('"');
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            self.text.push('\\');
                        }
                        self.text.push(c);
                    }
                    self.text.push('"');
                } else {
                    self.text.push_str("NULL");
                }
                "text"
            }
            other => return Err(anyhow::anyhow!("no array form for {other:?}").into()),
        };
        if !self.element.is_empty() && self.element != element {
            return Err(
                anyhow::anyhow!("a column holds both {} and {element}", self.element).into(),
            );
        }
        self.element = element;
        Ok(())
    }

    /// Writes a value whose text form needs no quoting, and answers its type.
    fn write(&mut self, element: &'static str, value: Option<impl Display>) -> &'static str {
        match value {
            Some(value) => write!(self.text, "{value}").expect("writing to a String"),
            None => self.text.push_str("NULL"),
        }
        element
    }

    fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn many_rows_are_an_array_a_column_on_postgres_and_a_values_list_otherwise() {
        let id = Uuid::nil();
        let on = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let batch = || {
            vec![
                vec![
                    Value::from(id),
                    Value::from(Some(on)),
                    Value::from(7),
                    Value::from(r#"a "quoted", \ NULL"#),
                    Value::from(true),
                ],
                vec![
                    Value::from(id),
                    Value::from(None::<NaiveDate>),
                    Value::from(8),
                    Value::from(None::<String>),
                    Value::from(false),
                ],
            ]
            .into_iter()
        };
        let columns = ["id", "due_on", "minutes", "notes", "quality"];

        let mut sql = Sql::default();
        let text = rows(&mut sql, DatabaseBackend::Postgres, "v", &columns, batch()).unwrap();
        assert_eq!(
            text,
            "v_arrays AS MATERIALIZED (SELECT $1::uuid[] AS x_id, $2::date[] AS x_due_on, \
             $3::integer[] AS x_minutes, $4::text[] AS x_notes, $5::boolean[] AS x_quality), \
             v (x_id, x_due_on, x_minutes, x_notes, x_quality) AS (SELECT u.* FROM v_arrays, \
             unnest(v_arrays.x_id, v_arrays.x_due_on, v_arrays.x_minutes, v_arrays.x_notes, \
             v_arrays.x_quality) AS u)"
        );
        assert_eq!(
            sql.values,
            vec![
                Value::from(format!("{{{id},{id}}}")),
                Value::from("{2026-03-01,NULL}"),
                Value::from("{7,8}"),
                Value::from(r#"{"a \"quoted\", \\ NULL",NULL}"#),
                Value::from("{t,f}"),
            ]
        );

        let mut sql = Sql::default();
        let text = rows(&mut sql, DatabaseBackend::Sqlite, "v", &columns, batch()).unwrap();
        assert_eq!(
            text,
            "v (x_id, x_due_on, x_minutes, x_notes, x_quality) AS \
             (VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10))"
        );
        assert_eq!(sql.values.len(), 10);

        let mut sql = Sql::default();
        let one = batch().take(1);
        let text = rows(&mut sql, DatabaseBackend::Postgres, "v", &columns, one).unwrap();
        assert_eq!(
            text,
            "v (x_id, x_due_on, x_minutes, x_notes, x_quality) AS (VALUES ($1, $2, $3, $4, $5))"
        );
        assert_eq!(sql.values[2], Value::from(7));
    }

    #[test]
    fn a_column_of_mixed_kinds_is_refused() {
        let batch = vec![vec![Value::from(1)], vec![Value::from("one")]].into_iter();
        let mut sql = Sql::default();
        assert!(rows(&mut sql, DatabaseBackend::Postgres, "v", &["n"], batch).is_err());
    }
}
