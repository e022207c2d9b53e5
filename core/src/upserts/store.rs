//! Storing a batch's valid rows set-wise, and telling created, updated and unchanged
//! rows apart from what the statements report.

use std::collections::{BTreeSet, HashSet};

use attain_entity::enums::AuditAction;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use super::{Outcome, Upserted, pushed_column};
use crate::audit::{self, Writer};
use crate::error::{CoreError, CoreResult};
use crate::kpi::scope::Sql;
use crate::time::now_micros;

/// A table partners upsert into: its data columns (beside the key, the source columns
/// and `updated_at`) and their names in the API, for the audit log.
pub(crate) struct Table {
    pub name: &'static str,
    /// The entity's name in the audit log.
    pub entity: &'static str,
    pub columns: &'static [&'static str],
    pub fields: &'static [&'static str],
}

/// A checked item: its key, its source timestamp and its data columns' values, in the
/// order of [`Table::columns`].
pub(crate) struct Row {
    pub external_id: String,
    pub source_updated_at: Option<i64>,
    pub values: Vec<Value>,
}

/// Bound parameters per statement, under both backends' limits.
const PARAMETERS: usize = 30_000;

/// Stores the valid rows of a batch and answers every item: the rows' outcomes, the
/// others' errors. Runs in the caller's transaction and audits what it changed.
pub(crate) async fn write(
    transaction: &DatabaseTransaction,
    writer: &Writer<'_>,
    source_id: Uuid,
    table: &Table,
    items: Vec<CoreResult<Row>>,
    prefix: impl Fn(usize) -> String,
) -> CoreResult<Vec<CoreResult<Upserted>>> {
    let organization_id = writer.principal.organization_id;
    let mut answers: Vec<Option<CoreResult<Upserted>>> = Vec::with_capacity(items.len());
    let mut rows: Vec<(usize, Row)> = Vec::new();
    let mut seen = HashSet::new();
    for (index, item) in items.into_iter().enumerate() {
        match item {
            Ok(row) if !seen.insert(row.external_id.clone()) => {
                answers.push(Some(Err(CoreError::bad_input(
                    format!("{}.externalId", prefix(index)),
                    "appears twice in the batch",
                ))))
            }
            Ok(row) => {
                answers.push(None);
                rows.push((index, row));
            }
            Err(error) => answers.push(Some(Err(error))),
        }
    }
    // The same order in every batch, so that concurrent batches lock keys in one order.
    rows.sort_by(|(_, a), (_, b)| a.external_id.cmp(&b.external_id));

    let key = Key {
        table,
        organization_id,
        source_id,
    };
    let now = now_micros();
    let mut created = HashSet::new();
    let mut updated = HashSet::new();
    let per_statement = PARAMETERS / (table.columns.len() + 6);
    for chunk in rows.chunks(per_statement.max(1)) {
        created.extend(key.insert(transaction, chunk, now).await?);
        let rest: Vec<&(usize, Row)> = chunk
            .iter()
            .filter(|(_, row)| !created.contains(&row.external_id))
            .collect();
        updated.extend(key.update(transaction, &rest, now).await?);
        let unchanged: Vec<&(usize, Row)> = rest
            .into_iter()
            .filter(|(_, row)| !updated.contains(&row.external_id))
            .filter(|(_, row)| row.source_updated_at.is_some())
            .collect();
        key.advance_source_time(transaction, &unchanged).await?;
    }

    let external_ids: BTreeSet<String> = rows
        .iter()
        .map(|(_, row)| row.external_id.clone())
        .collect();
    let ids = pushed_column(
        transaction,
        table.name,
        "id",
        organization_id,
        source_id,
        &external_ids,
    )
    .await?;
    let ids_of = |set: &HashSet<String>| -> Vec<Uuid> {
        set.iter()
            .filter_map(|external_id| ids.get(external_id).copied())
            .collect()
    };
    audit::record_many(
        transaction,
        writer,
        AuditAction::Create,
        table.entity,
        &ids_of(&created),
        table.fields,
    )
    .await?;
    audit::record_many(
        transaction,
        writer,
        AuditAction::Update,
        table.entity,
        &ids_of(&updated),
        table.fields,
    )
    .await?;

    for (index, row) in rows {
        let id = ids
            .get(&row.external_id)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("an upserted {} is not stored", table.entity))?;
        let outcome = if created.contains(&row.external_id) {
            Outcome::Created
        } else if updated.contains(&row.external_id) {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        };
        answers[index] = Some(Ok(Upserted { id, outcome }));
    }
    Ok(answers.into_iter().flatten().collect())
}

/// The rows of one partner in one table.
struct Key<'a> {
    table: &'a Table,
    organization_id: Uuid,
    source_id: Uuid,
}

impl Key<'_> {
    /// Inserts the rows whose key is not stored; answers their external ids.
    async fn insert(
        &self,
        conn: &DatabaseTransaction,
        rows: &[(usize, Row)],
        now: i64,
    ) -> CoreResult<HashSet<String>> {
        if rows.is_empty() {
            return Ok(HashSet::new());
        }
        let mut sql = Sql::default();
        let mut names = vec!["id", "external_id", "source_updated_at"];
        names.extend(self.table.columns);
        let incoming = incoming(
            &mut sql,
            conn.get_database_backend(),
            self.table.name,
            &names,
            rows.iter().map(|(_, row)| {
                let mut values = vec![
                    Uuid::now_v7().into(),
                    row.external_id.clone().into(),
                    row.source_updated_at.into(),
                ];
                values.extend(row.values.iter().cloned());
                values
            }),
        )?;
        let organization = sql.param(self.organization_id);
        let source = sql.param(self.source_id);
        let now = sql.param(now);
        let columns = self.table.columns.join(", ");
        let selected: Vec<String> = self
            .table
            .columns
            .iter()
            .map(|c| format!("x_{c}"))
            .collect();
        let text = format!(
            "WITH {incoming} \
             INSERT INTO {} (organization_id, id, source_id, external_id, source_updated_at, \
             updated_at, {columns}) \
             SELECT {organization}, x_id, {source}, x_external_id, x_source_updated_at, {now}, {} \
             FROM v WHERE true \
             ON CONFLICT (organization_id, source_id, external_id) DO NOTHING \
             RETURNING external_id",
            self.table.name,
            selected.join(", ")
        );
        self.returning(conn, text, sql.values).await
    }

    /// Updates the stored rows whose content differs, unless the stored source time is
    /// newer; answers their external ids.
    async fn update(
        &self,
        conn: &DatabaseTransaction,
        rows: &[&(usize, Row)],
        now: i64,
    ) -> CoreResult<HashSet<String>> {
        if rows.is_empty() {
            return Ok(HashSet::new());
        }
        let t = self.table.name;
        let mut sql = Sql::default();
        let mut names = vec!["external_id", "source_updated_at"];
        names.extend(self.table.columns);
        let incoming = incoming(
            &mut sql,
            conn.get_database_backend(),
            t,
            &names,
            rows.iter().map(|(_, row)| {
                let mut values = vec![row.external_id.clone().into(), row.source_updated_at.into()];
                values.extend(row.values.iter().cloned());
                values
            }),
        )?;
        let columns = self.table.columns;
        let assignments: Vec<String> = columns.iter().map(|c| format!("{c} = v.x_{c}")).collect();
        let differs: Vec<String> = columns
            .iter()
            .map(|c| format!("{t}.{c} IS DISTINCT FROM v.x_{c}"))
            .collect();
        let now = sql.param(now);
        let keys = self.condition(&mut sql);
        let text = format!(
            "WITH {incoming} \
             UPDATE {t} SET {}, \
             source_updated_at = COALESCE(v.x_source_updated_at, {t}.source_updated_at), \
             updated_at = {now} \
             FROM v WHERE {keys} \
             AND (v.x_source_updated_at IS NULL OR {t}.source_updated_at IS NULL \
                  OR v.x_source_updated_at >= {t}.source_updated_at) \
             AND ({}) \
             RETURNING external_id",
            assignments.join(", "),
            differs.join(" OR ")
        );
        self.returning(conn, text, sql.values).await
    }

    /// Records a newer source time on rows whose content it did not change, so that a
    /// later delivery of an older version cannot overwrite them.
    async fn advance_source_time(
        &self,
        conn: &DatabaseTransaction,
        rows: &[&(usize, Row)],
    ) -> CoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let t = self.table.name;
        let mut sql = Sql::default();
        let incoming = incoming(
            &mut sql,
            conn.get_database_backend(),
            t,
            &["external_id", "source_updated_at"],
            rows.iter()
                .map(|(_, row)| vec![row.external_id.clone().into(), row.source_updated_at.into()]),
        )?;
        let keys = self.condition(&mut sql);
        let text = format!(
            "WITH {incoming} \
             UPDATE {t} SET source_updated_at = v.x_source_updated_at FROM v WHERE {keys} \
             AND ({t}.source_updated_at IS NULL OR v.x_source_updated_at > {t}.source_updated_at)"
        );
        conn.execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            text,
            sql.values,
        ))
        .await?;
        Ok(())
    }

    /// The stored row of each `v` row.
    fn condition(&self, sql: &mut Sql) -> String {
        let t = self.table.name;
        format!(
            "{t}.organization_id = {} AND {t}.source_id = {} AND {t}.external_id = v.x_external_id",
            sql.param(self.organization_id),
            sql.param(self.source_id)
        )
    }

    async fn returning(
        &self,
        conn: &DatabaseTransaction,
        text: String,
        values: Vec<Value>,
    ) -> CoreResult<HashSet<String>> {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                text,
                values,
            ))
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String>("", "external_id")?))
            .collect()
    }
}

/// A statement's incoming rows as the CTE `v`, with a column `x_{name}` for each of
/// `names`, columns of `table`. On PostgreSQL the rows travel as one JSON parameter read
/// with the table's row type, so that the statement's text, and the plan kept for it, are
/// the same whatever their number; on SQLite they are a list of values.
fn incoming(
    sql: &mut Sql,
    backend: DbBackend,
    table: &str,
    names: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> CoreResult<String> {
    if backend == DbBackend::Postgres {
        let mut records = Vec::new();
        for row in rows {
            let mut record = serde_json::Map::new();
            for (name, value) in names.iter().zip(&row) {
                record.insert((*name).to_owned(), json_of(value)?);
            }
            records.push(serde_json::Value::Object(record));
        }
        let records = sql.param(serde_json::Value::from(records).to_string());
        let columns: Vec<String> = names
            .iter()
            .map(|name| format!("{name} AS x_{name}"))
            .collect();
        return Ok(format!(
            "v AS (SELECT {} FROM json_populate_recordset(NULL::{table}, {records}::json))",
            columns.join(", ")
        ));
    }
    let tuples: Vec<String> = rows
        .map(|row| {
            let values: Vec<String> = row.into_iter().map(|value| sql.param(value)).collect();
            format!("({})", values.join(", "))
        })
        .collect();
    let columns: Vec<String> = names.iter().map(|name| format!("x_{name}")).collect();
    Ok(format!(
        "v ({}) AS (VALUES {})",
        columns.join(", "),
        tuples.join(", ")
    ))
}

/// A value of a pushed row as JSON, in the form PostgreSQL reads for its column's type.
fn json_of(value: &Value) -> CoreResult<serde_json::Value> {
    Ok(match value {
        Value::Bool(value) => json!(value),
        Value::Int(value) => json!(value),
        Value::BigInt(value) => json!(value),
        Value::String(value) => json!(value),
        Value::Uuid(value) => json!(value),
        Value::ChronoDate(value) => json!(value),
        other => {
            return Err(anyhow::anyhow!("a pushed value of an unexpected type: {other:?}").into());
        }
    })
}
