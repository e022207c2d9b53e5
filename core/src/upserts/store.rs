//! Storing a batch's valid rows set-wise, and telling created, updated and unchanged
//! rows apart from what the statements report.

use std::collections::{BTreeSet, HashMap, HashSet};

use attain_entity::enums::AuditAction;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement, Value};
use uuid::Uuid;

use super::{Outcome, Upserted};
use crate::audit::{self, Writer};
use crate::bulk;
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
    /// An id expression over a stored row, read before an update changes the row:
    /// what else the update affects (for deals, the customer whose won deals they are).
    pub watched: Option<&'static str>,
    /// A column the insert computes from the batch and the stored rows rather than
    /// taking it from the item.
    pub derived: Option<Derived>,
}

/// A column an insert computes. Its value reads the incoming rows as `v`, each with the
/// extra column `x_window`, a window over the batch's rows.
pub(crate) struct Derived {
    pub column: &'static str,
    pub window: &'static str,
    /// The value, given the placeholder of the organization's id.
    pub value: fn(organization: &str) -> String,
}

/// A checked item: its key, its source timestamp and its data columns' values, in the
/// order of [`Table::columns`].
pub(crate) struct Row {
    pub external_id: String,
    pub source_updated_at: Option<i64>,
    pub values: Vec<Value>,
}

/// What storing a batch did: every item's answer, and the non-null values the table's
/// [`Table::watched`] expression had on the rows the batch updated, before the update.
pub(crate) struct Written {
    pub answers: Vec<CoreResult<Upserted>>,
    pub watched: BTreeSet<Uuid>,
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
) -> CoreResult<Written> {
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
    let mut ids: HashMap<String, Uuid> = HashMap::new();
    let mut created = HashSet::new();
    let mut updated = HashSet::new();
    let mut watched = BTreeSet::new();
    let per_statement = PARAMETERS / (table.columns.len() + 6);
    for chunk in rows.chunks(per_statement.max(1)) {
        let inserted = key.insert(transaction, chunk, now).await?;
        let rest: Vec<&(usize, Row)> = chunk
            .iter()
            .filter(|(_, row)| !inserted.contains_key(&row.external_id))
            .collect();
        let stored = key.lock(transaction, &rest).await?;
        let changed = key.update(transaction, &rest, now).await?;
        let unchanged: Vec<&(usize, Row)> = rest
            .into_iter()
            .filter(|(_, row)| !changed.contains(&row.external_id))
            .filter(|(_, row)| row.source_updated_at.is_some())
            .collect();
        key.advance_source_time(transaction, &unchanged).await?;
        watched.extend(
            changed
                .iter()
                .filter_map(|external_id| stored.get(external_id)?.watched),
        );
        created.extend(inserted.keys().cloned());
        updated.extend(changed);
        ids.extend(inserted);
        ids.extend(
            stored
                .into_iter()
                .map(|(external_id, row)| (external_id, row.id)),
        );
    }

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
    Ok(Written {
        answers: answers.into_iter().flatten().collect(),
        watched,
    })
}

/// A stored row as a batch found it, before changing it.
struct Stored {
    id: Uuid,
    watched: Option<Uuid>,
}

/// The rows of one partner in one table.
struct Key<'a> {
    table: &'a Table,
    organization_id: Uuid,
    source_id: Uuid,
}

impl Key<'_> {
    /// Inserts the rows whose key is not stored; answers their external ids and ids.
    async fn insert(
        &self,
        conn: &DatabaseTransaction,
        rows: &[(usize, Row)],
        now: i64,
    ) -> CoreResult<HashMap<String, Uuid>> {
        if rows.is_empty() {
            return Ok(HashMap::new());
        }
        let t = self.table.name;
        let mut sql = Sql::default();
        let mut columns = vec!["id", "external_id", "source_updated_at"];
        columns.extend(self.table.columns);
        let incoming = self.incoming(
            &mut sql,
            conn.get_database_backend(),
            &columns,
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
        let organization_id = sql.param(self.organization_id);
        let source_id = sql.param(self.source_id);
        let now = sql.param(now);
        let mut selected: Vec<String> = columns.iter().map(|c| format!("v.x_{c}")).collect();
        let mut source = "v".to_owned();
        if let Some(derived) = &self.table.derived {
            columns.push(derived.column);
            selected.push((derived.value)(&organization_id));
            source = format!("(SELECT v.*, {} AS x_window FROM v) AS v", derived.window);
        }
        // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.
        let text = format!(
            "{incoming} INSERT INTO {t} (organization_id, source_id, updated_at, {}) \
             SELECT {organization_id}, {source_id}, {now}, {} FROM {source} WHERE true \
             ON CONFLICT (organization_id, source_id, external_id) DO NOTHING \
             RETURNING id, external_id",
            columns.join(", "),
            selected.join(", ")
        );
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                text,
                sql.values,
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String>("", "external_id")?,
                    row.try_get::<Uuid>("", "id")?,
                ))
            })
            .collect()
    }

    /// Reads the stored rows of `rows` and, on PostgreSQL, locks them (in key order)
    /// until the transaction ends, so that what is read is what an update changes. The
    /// lock is the one an update that keeps the row's keys takes: it holds off other
    /// updates of the rows, not the foreign-key checks of writes that reference them.
    async fn lock(
        &self,
        conn: &DatabaseTransaction,
        rows: &[&(usize, Row)],
    ) -> CoreResult<HashMap<String, Stored>> {
        if rows.is_empty() {
            return Ok(HashMap::new());
        }
        let backend = conn.get_database_backend();
        let mut sql = Sql::default();
        let incoming = self.incoming(
            &mut sql,
            backend,
            &["external_id"],
            rows.iter()
                .map(|(_, row)| vec![row.external_id.clone().into()]),
        )?;
        let organization_id = sql.param(self.organization_id);
        let source_id = sql.param(self.source_id);
        let watched = self
            .table
            .watched
            .map(|expression| format!(", {expression} AS watched"))
            .unwrap_or_default();
        let lock = match backend {
            DatabaseBackend::Postgres => " ORDER BY external_id FOR NO KEY UPDATE",
            _ => "",
        };
        let text = format!(
            "{incoming} SELECT id, external_id{watched} FROM {} \
             WHERE organization_id = {organization_id} AND source_id = {source_id} \
             AND external_id IN (SELECT x_external_id FROM v){lock}",
            self.table.name,
        );
        let found = conn
            .query_all_raw(Statement::from_sql_and_values(backend, text, sql.values))
            .await?;
        found
            .iter()
            .map(|row| {
                let watched = match self.table.watched {
                    Some(_) => row.try_get::<Option<Uuid>>("", "watched")?,
                    None => None,
                };
                Ok((
                    row.try_get::<String>("", "external_id")?,
                    Stored {
                        id: row.try_get::<Uuid>("", "id")?,
                        watched,
                    },
                ))
            })
            .collect()
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
        let mut columns = vec!["external_id", "source_updated_at"];
        columns.extend(self.table.columns);
        let incoming = self.incoming(
            &mut sql,
            conn.get_database_backend(),
            &columns,
            rows.iter().map(|(_, row)| {
                let mut values = vec![row.external_id.clone().into(), row.source_updated_at.into()];
                values.extend(row.values.iter().cloned());
                values
            }),
        )?;
        let data = self.table.columns;
        let assignments: Vec<String> = data.iter().map(|c| format!("{c} = v.x_{c}")).collect();
        let differs: Vec<String> = data
            .iter()
            .map(|c| format!("{t}.{c} IS DISTINCT FROM v.x_{c}"))
            .collect();
        let now = sql.param(now);
        let keys = self.condition(&mut sql);
        let text = format!(
            "{incoming} UPDATE {t} SET {}, \
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
        let incoming = self.incoming(
            &mut sql,
            conn.get_database_backend(),
            &["external_id", "source_updated_at"],
            rows.iter()
                .map(|(_, row)| vec![row.external_id.clone().into(), row.source_updated_at.into()]),
        )?;
        let keys = self.condition(&mut sql);
        let text = format!(
            "{incoming} UPDATE {t} SET source_updated_at = v.x_source_updated_at FROM v \
             WHERE {keys} AND ({t}.source_updated_at IS NULL \
             OR v.x_source_updated_at > {t}.source_updated_at)"
        );
        conn.execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            text,
            sql.values,
        ))
        .await?;
        Ok(())
    }

    /// The batch's rows as the relation `v`, in a `WITH` clause.
    fn incoming(
        &self,
        sql: &mut Sql,
        backend: DatabaseBackend,
        columns: &[&str],
        rows: impl Iterator<Item = Vec<Value>>,
    ) -> CoreResult<String> {
        let rows = bulk::rows(sql, backend, "v", columns, rows)?;
        Ok(format!("WITH {rows}"))
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
