//! The audit log: who (a user or partner client) did what (entity, id, action, changed
//! fields) when, through which request — written atomically with the change (in its
//! transaction, or in its very statement), and readable by admins only.

use attain_entity::audit_log;
use attain_entity::enums::{ActorKind, AuditAction};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::access::{Operation, Principal, Role};
use crate::bulk;
use crate::error::CoreResult;
use crate::kpi::scope::Sql;
use crate::time::now_micros;

/// Who is writing, and through which request.
#[derive(Clone, Debug)]
pub struct Writer<'a> {
    pub principal: &'a Principal,
    pub request_id: Option<String>,
}

/// Records one change, inside the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    writer: &Writer<'_>,
    action: AuditAction,
    entity: &str,
    entity_id: Uuid,
    changed_fields: &[&str],
) -> CoreResult<()> {
    record_many(conn, writer, action, entity, &[entity_id], changed_fields).await
}

/// Records the same change of many records of one entity type, with one statement.
pub async fn record_many<C: ConnectionTrait>(
    conn: &C,
    writer: &Writer<'_>,
    action: AuditAction,
    entity: &str,
    entity_ids: &[Uuid],
    changed_fields: &[&str],
) -> CoreResult<()> {
    if entity_ids.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut sql = Sql::default();
    let audited = audit_rows(&mut sql, backend, entity_ids)?;
    let insert = insert(&mut sql, writer, action, entity, changed_fields, None);
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("WITH {audited} {insert}"),
        sql.values,
    ))
    .await?;
    Ok(())
}

/// The audit rows of a data-modifying CTE of the same statement (PostgreSQL): one row
/// for each of `candidates` that the CTE named `changed` returns in its `id` column. A
/// change and its audit rows are then one statement, atomic without a transaction.
/// Answers CTEs to follow the change's.
pub fn for_returned(
    sql: &mut Sql,
    writer: &Writer<'_>,
    action: AuditAction,
    entity: &str,
    candidates: &[Uuid],
    changed_fields: &[&str],
    changed: &str,
) -> CoreResult<String> {
    let audited = audit_rows(sql, DatabaseBackend::Postgres, candidates)?;
    let insert = insert(sql, writer, action, entity, changed_fields, Some(changed));
    Ok(format!("{audited}, audit_written AS ({insert})"))
}

/// The CTE `audited` of new audit ids (`x_id`) and the ids they audit (`x_entity_id`).
fn audit_rows(sql: &mut Sql, backend: DatabaseBackend, entity_ids: &[Uuid]) -> CoreResult<String> {
    bulk::rows(
        sql,
        backend,
        "audited",
        &["id", "entity_id"],
        entity_ids
            .iter()
            .map(|id| vec![Uuid::now_v7().into(), (*id).into()]),
    )
}

/// The insert of the rows of `audited`, or of those whose record the CTE `changed`
/// returns.
fn insert(
    sql: &mut Sql,
    writer: &Writer<'_>,
    action: AuditAction,
    entity: &str,
    changed_fields: &[&str],
    changed: Option<&str>,
) -> String {
    let principal = writer.principal;
    let organization_id = sql.param(principal.organization_id);
    let actor_kind = sql.param(actor_kind(principal).to_value());
    let actor_id = sql.param(principal.id);
    let action = sql.param(action.to_value());
    let entity = sql.param(entity);
    let changes = sql.param(serde_json::to_string(changed_fields).unwrap_or_default());
    let request_id = sql.param(writer.request_id.clone());
    let at = sql.param(now_micros());
    let join = changed
        .map(|changed| format!(" JOIN {changed} ON {changed}.id = audited.x_entity_id"))
        .unwrap_or_default();
    format!(
        "INSERT INTO audit_log (organization_id, id, actor_kind, actor_id, action, entity, \
         entity_id, changes, request_id, at) \
         SELECT {organization_id}, audited.x_id, {actor_kind}, {actor_id}, {action}, {entity}, \
         audited.x_entity_id, {changes}, {request_id}, {at} FROM audited{join}"
    )
}

fn actor_kind(principal: &Principal) -> ActorKind {
    if principal.role == Role::Partner {
        ActorKind::Partner
    } else {
        ActorKind::User
    }
}

/// A page of the audit log, newest first, optionally of one entity type.
pub async fn entries(
    db: &DatabaseConnection,
    principal: &Principal,
    entity: Option<&str>,
    offset: u64,
    limit: u64,
) -> CoreResult<(u64, Vec<audit_log::Model>)> {
    principal.require(Operation::ReadAuditLog)?;
    let mut query = audit_log::Entity::find()
        .filter(audit_log::Column::OrganizationId.eq(principal.organization_id));
    if let Some(entity) = entity {
        query = query.filter(audit_log::Column::Entity.eq(entity));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit_log::Column::At)
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((total, rows))
}
