//! Activity logging as mobile apps do it: offline, replayed, possibly twice. The app's
//! `client_ref` makes a replay return the stored activity (also after an edit; a deleted
//! one stays deleted) and a different payload under the same `client_ref` a `CONFLICT`.
//! Every write is checked field by field, authorized, and audited in its transaction.

use std::collections::{BTreeSet, HashMap, HashSet};

use attain_entity::activity;
use attain_entity::enums::{ActivityKind, AuditAction};
use attain_entity::team_membership;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::{Decision, Operation, Principal, Relation, Scope, decide};
use crate::audit::{self, Writer};
use crate::bulk;
use crate::error::{CoreError, CoreResult};
use crate::figures::current_team;
use crate::kpi::scope::Sql;
use crate::records::subtree_members;
use crate::rules::{self, NOTES_LIMIT};
use crate::time::{now_micros, to_micros};

/// The most activities one batch may carry.
pub const MAX_BATCH: usize = 500;
/// The longest activity, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 24 * 60;

/// An activity as an app sends it.
#[derive(Clone, Debug)]
pub struct ActivityInput {
    /// The app's id for this log entry (a UUID it made).
    pub client_ref: Uuid,
    /// Whose activity; the caller's own when absent.
    pub rep_id: Option<Uuid>,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub customer_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub quality: bool,
    pub duration_minutes: i32,
    pub notes: String,
}

/// Changes to an activity; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ActivityPatch {
    pub kind: Option<ActivityKind>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub customer_id: Option<Option<Uuid>>,
    pub deal_id: Option<Option<Uuid>>,
    pub quality: Option<bool>,
    pub duration_minutes: Option<i32>,
    pub notes: Option<String>,
}

/// What logging did.
#[derive(Clone, Debug)]
pub enum Logged {
    Created(activity::Model),
    /// The same `client_ref` and payload were stored before: nothing new.
    Replayed(activity::Model),
}

impl Logged {
    pub fn activity(&self) -> &activity::Model {
        match self {
            Logged::Created(model) | Logged::Replayed(model) => model,
        }
    }
}

/// `prefix.name`, or `name` alone without a prefix.
fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Checks the values of an activity (not its references), each failure naming its field.
fn check_values(
    prefix: &str,
    occurred_at: DateTime<Utc>,
    duration_minutes: i32,
    notes: &str,
) -> CoreResult<()> {
    rules::event_instant(occurred_at, Utc::now(), &field(prefix, "occurredAt"))?;
    if !(0..=MAX_DURATION_MINUTES).contains(&duration_minutes) {
        return Err(CoreError::bad_input(
            field(prefix, "durationMinutes"),
            format!("must be 0 to {MAX_DURATION_MINUTES}"),
        ));
    }
    rules::long_text(notes, NOTES_LIMIT, &field(prefix, "notes"))
}

/// The customers and deals of the caller's organization among those referenced.
struct Known {
    customers: HashSet<Uuid>,
    deals: HashSet<Uuid>,
}

impl Known {
    /// Looks up every referenced customer and deal with one query each.
    async fn load<C: ConnectionTrait>(
        conn: &C,
        organization_id: Uuid,
        customers: impl IntoIterator<Item = Uuid>,
        deals: impl IntoIterator<Item = Uuid>,
    ) -> CoreResult<Known> {
        let customers: BTreeSet<Uuid> = customers.into_iter().collect();
        let deals: BTreeSet<Uuid> = deals.into_iter().collect();
        Ok(Known {
            customers: existing(conn, organization_id, "customers", &customers).await?,
            deals: existing(conn, organization_id, "deals", &deals).await?,
        })
    }

    /// Another organization's id answers like a missing one.
    fn check(&self, customer_id: Option<Uuid>, deal_id: Option<Uuid>) -> CoreResult<()> {
        if customer_id.is_some_and(|id| !self.customers.contains(&id)) {
            return Err(CoreError::bad_input(
                "customerId",
                "no such customer in this organization",
            ));
        }
        if deal_id.is_some_and(|id| !self.deals.contains(&id)) {
            return Err(CoreError::bad_input(
                "dealId",
                "no such deal in this organization",
            ));
        }
        Ok(())
    }
}

/// A field error placed under `prefix` (`inputs[3]`, `input`).
fn prefixed(error: CoreError, prefix: &str) -> CoreError {
    match error {
        CoreError::BadUserInput {
            field: name,
            message,
        } => CoreError::BadUserInput {
            field: field(prefix, &name),
            message,
        },
        other => other,
    }
}

/// How the activities of `rep` relate to the caller.
async fn relation<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    rep: Uuid,
) -> CoreResult<Relation> {
    if rep == principal.id {
        return Ok(Relation::Own);
    }
    if !principal.subtree.is_empty() {
        let db_team = current_team(conn, principal.organization_id, rep).await?;
        if db_team.is_some_and(|team| principal.subtree.contains(&team)) {
            return Ok(Relation::Subtree);
        }
    }
    Ok(Relation::Other)
}

/// The digest of what an app sent, to tell a replay from a different payload.
fn digest(rep: Uuid, input: &ActivityInput) -> String {
    let canonical = format!(
        "{rep}|{}|{}|{:?}|{:?}|{}|{}|{}",
        input.kind.as_str(),
        to_micros(input.occurred_at),
        input.customer_id,
        input.deal_id,
        input.quality,
        input.duration_minutes,
        input.notes
    );
    format!("{:x}", Sha256::digest(canonical.as_bytes()))
}

/// Logs one activity, atomically.
pub async fn log(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: &ActivityInput,
) -> CoreResult<Logged> {
    let mut results = store(db, writer, std::slice::from_ref(input), |_| {
        "input".to_owned()
    })
    .await?;
    results
        .pop()
        .unwrap_or_else(|| Err(anyhow::anyhow!("no result for one activity").into()))
}

/// Logs up to [`MAX_BATCH`] activities, each given with its position in the request, which
/// its field errors name (`inputs[7].occurredAt`). Each item is checked on its own and
/// answers on its own, in the order given; the valid ones are stored together, in one
/// transaction, so one's failure stores the rest. An empty or oversized batch is refused
/// whole.
pub async fn log_batch(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    items: Vec<(usize, ActivityInput)>,
) -> CoreResult<Vec<CoreResult<Logged>>> {
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(CoreError::bad_input(
            "inputs",
            format!("a batch holds 1 to {MAX_BATCH} activities"),
        ));
    }
    let (positions, inputs): (Vec<usize>, Vec<ActivityInput>) = items.into_iter().unzip();
    store(db, writer, &inputs, |index| {
        format!("inputs[{}]", positions[index])
    })
    .await
}

/// The reps a batch names: whether each exists and may be written for. The caller alone
/// asks nothing: the request's authentication has just found them active.
async fn writable_reps<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    reps: &[Uuid],
) -> CoreResult<HashMap<Uuid, CoreResult<()>>> {
    let active: HashSet<Uuid> = if reps == [principal.id] {
        HashSet::from([principal.id])
    } else {
        attain_entity::user::Entity::find()
            .select_only()
            .column(attain_entity::user::Column::Id)
            .filter(attain_entity::user::Column::OrganizationId.eq(principal.organization_id))
            .filter(attain_entity::user::Column::Id.is_in(reps.iter().copied()))
            .filter(attain_entity::user::Column::Active.eq(true))
            .into_tuple::<Uuid>()
            .all(conn)
            .await?
            .into_iter()
            .collect()
    };
    let relations = relations_now(conn, principal, reps).await?;
    let mut answers = HashMap::new();
    for rep in reps {
        let relation = relations[rep];
        let answer = if !active.contains(rep)
            || decide(principal.role, Operation::ReadRecords, relation) == Decision::Deny
        {
            Err(CoreError::bad_input(
                "repId",
                "no such rep in this organization",
            ))
        } else {
            principal
                .authorize(Operation::WriteActivities, relation, "activity")
                .map(|_| ())
        };
        answers.insert(*rep, answer);
    }
    Ok(answers)
}

/// How each of `users` relates to the caller now: themselves, a member now of a team in a
/// manager's subtree (one query), or anyone else. Whom one may write for.
pub(crate) async fn relations_now<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    users: &[Uuid],
) -> CoreResult<HashMap<Uuid, Relation>> {
    let others = users.iter().any(|user| *user != principal.id);
    let in_subtree: HashSet<Uuid> = if principal.subtree.is_empty() || !others {
        HashSet::new()
    } else {
        let now = now_micros();
        team_membership::Entity::find()
            .select_only()
            .column(team_membership::Column::UserId)
            .filter(team_membership::Column::OrganizationId.eq(principal.organization_id))
            .filter(team_membership::Column::UserId.is_in(users.iter().copied()))
            .filter(team_membership::Column::TeamId.is_in(principal.subtree.iter().copied()))
            .filter(team_membership::Column::ValidFrom.lte(now))
            .filter(
                Condition::any()
                    .add(team_membership::Column::ValidTo.is_null())
                    .add(team_membership::Column::ValidTo.gt(now)),
            )
            .into_tuple::<Uuid>()
            .all(conn)
            .await?
            .into_iter()
            .collect()
    };
    Ok(users
        .iter()
        .map(|user| {
            let relation = if *user == principal.id {
                Relation::Own
            } else if in_subtree.contains(user) {
                Relation::Subtree
            } else {
                Relation::Other
            };
            (*user, relation)
        })
        .collect())
}

/// The ids among `ids` that exist in the organization's `table`.
async fn existing<C: ConnectionTrait>(
    conn: &C,
    organization_id: Uuid,
    table: &str,
    ids: &BTreeSet<Uuid>,
) -> CoreResult<HashSet<Uuid>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sql = Sql::default();
    let org = sql.param(organization_id);
    let list: Vec<String> = ids.iter().map(|id| sql.param(*id)).collect();
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            format!(
                "SELECT id FROM {table} WHERE organization_id = {org} AND id IN ({})",
                list.join(", ")
            ),
            sql.values,
        ))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<Uuid>("", "id")?))
        .collect()
}

/// Columns of an activity row, in the order [`insert`] binds them.
const ACTIVITY_COLUMNS: [&str; 14] = [
    "organization_id",
    "id",
    "rep_id",
    "kind",
    "occurred_at",
    "customer_id",
    "deal_id",
    "quality",
    "duration_minutes",
    "notes",
    "client_ref",
    "original_digest",
    "created_at",
    "updated_at",
];

/// The fields an activity's creation sets, as the audit log names them.
const CREATED_FIELDS: [&str; 7] = [
    "kind",
    "occurredAt",
    "customerId",
    "dealId",
    "quality",
    "durationMinutes",
    "notes",
];

/// Checks every item, then stores the valid ones with a few statements whatever their
/// number: one insert that skips `client_ref`s already stored, with its audit rows, and
/// one read of the skipped ones.
async fn store(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    inputs: &[ActivityInput],
    prefix: impl Fn(usize) -> String,
) -> CoreResult<Vec<CoreResult<Logged>>> {
    let principal = writer.principal;
    // Roles that log no activities at all (analysts, partners) are refused whole.
    principal.require(Operation::WriteActivities)?;
    let organization_id = principal.organization_id;
    let mut results: Vec<Option<CoreResult<Logged>>> = inputs.iter().map(|_| None).collect();
    let reject = |results: &mut Vec<Option<CoreResult<Logged>>>, index: usize, error: CoreError| {
        results[index] = Some(Err(prefixed(error, &prefix(index))));
    };
    let reps: BTreeSet<Uuid> = inputs
        .iter()
        .map(|input| input.rep_id.unwrap_or(principal.id))
        .collect();
    let reps: Vec<Uuid> = reps.into_iter().collect();
    let writable = writable_reps(db, principal, &reps).await?;
    let known = Known::load(
        db,
        organization_id,
        inputs.iter().filter_map(|input| input.customer_id),
        inputs.iter().filter_map(|input| input.deal_id),
    )
    .await?;

    let now = now_micros();
    let mut rows: Vec<(usize, activity::Model)> = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let rep = input.rep_id.unwrap_or(principal.id);
        let checked = check_values("", input.occurred_at, input.duration_minutes, &input.notes)
            .and_then(|()| match &writable[&rep] {
                Ok(()) => Ok(()),
                Err(CoreError::BadUserInput { field, message }) => {
                    Err(CoreError::bad_input(field, message))
                }
                Err(_) => Err(CoreError::Forbidden),
            })
            .and_then(|()| known.check(input.customer_id, input.deal_id));
        if let Err(error) = checked {
            reject(&mut results, index, error);
            continue;
        }
        rows.push((
            index,
            activity::Model {
                organization_id,
                id: Uuid::now_v7(),
                rep_id: rep,
                kind: input.kind,
                occurred_at: to_micros(input.occurred_at),
                customer_id: input.customer_id,
                deal_id: input.deal_id,
                quality: input.quality,
                duration_minutes: input.duration_minutes,
                notes: input.notes.clone(),
                client_ref: input.client_ref,
                original_digest: Some(digest(rep, input)),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            },
        ));
    }
    if rows.is_empty() {
        return Ok(results.into_iter().flatten().collect());
    }
    let candidates: Vec<&activity::Model> = rows.iter().map(|(_, row)| row).collect();
    let inserted = insert(db, writer, &candidates).await?;

    // Those not inserted were stored before (or earlier in this batch): a replay when the
    // values match what was first logged, a conflict otherwise.
    let skipped: BTreeSet<Uuid> = candidates
        .iter()
        .filter(|row| !inserted.contains(&row.id))
        .map(|row| row.client_ref)
        .collect();
    let mut stored: HashMap<(Uuid, Uuid), activity::Model> = HashMap::new();
    if !skipped.is_empty() {
        stored = activity::Entity::find()
            .filter(activity::Column::OrganizationId.eq(organization_id))
            .filter(activity::Column::ClientRef.is_in(skipped))
            .all(db)
            .await?
            .into_iter()
            .map(|row| ((row.rep_id, row.client_ref), row))
            .collect();
    }
    for (index, row) in rows {
        let answer = if inserted.contains(&row.id) {
            Ok(Logged::Created(row))
        } else {
            match stored.get(&(row.rep_id, row.client_ref)) {
                Some(first) if first.original_digest == row.original_digest => {
                    Ok(Logged::Replayed(first.clone()))
                }
                Some(_) => Err(CoreError::Conflict(format!(
                    "{}.clientRef: {} was logged before with other values",
                    prefix(index),
                    row.client_ref
                ))),
                None => Err(anyhow::anyhow!("a skipped activity is not stored").into()),
            }
        };
        results[index] = Some(answer);
    }
    Ok(results.into_iter().flatten().collect())
}

/// Inserts the rows whose `client_ref` is not stored yet, with their audit rows, and
/// answers the ids it inserted. On PostgreSQL that is one statement; SQLite, which has no
/// data-modifying CTEs, writes the audit rows with a second one in the same transaction.
async fn insert(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    rows: &[&activity::Model],
) -> CoreResult<HashSet<Uuid>> {
    let backend = db.get_database_backend();
    let mut sql = Sql::default();
    let incoming = bulk::rows(
        &mut sql,
        backend,
        "v",
        &ACTIVITY_COLUMNS,
        rows.iter().map(|row| {
            vec![
                row.organization_id.into(),
                row.id.into(),
                row.rep_id.into(),
                row.kind.as_str().into(),
                row.occurred_at.into(),
                row.customer_id.into(),
                row.deal_id.into(),
                row.quality.into(),
                row.duration_minutes.into(),
                row.notes.clone().into(),
                row.client_ref.into(),
                row.original_digest.clone().into(),
                row.created_at.into(),
                row.updated_at.into(),
            ]
        }),
    )?;
    let selected: Vec<String> = ACTIVITY_COLUMNS
        .iter()
        .map(|c| format!("v.x_{c}"))
        .collect();
    // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    let insert = format!(
        "INSERT INTO activities ({}) SELECT {} FROM v WHERE true \
         ON CONFLICT (organization_id, rep_id, client_ref) DO NOTHING RETURNING id",
        ACTIVITY_COLUMNS.join(", "),
        selected.join(", ")
    );
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let inserted_ids = |rows: Vec<sea_orm::QueryResult>| -> CoreResult<HashSet<Uuid>> {
        rows.iter()
            .map(|row| Ok(row.try_get::<Uuid>("", "id")?))
            .collect()
    };
    if crate::db::is_postgres(db) {
        let audit = audit::for_returned(
            &mut sql,
            writer,
            AuditAction::Create,
            "activity",
            &ids,
            &CREATED_FIELDS,
            "inserted",
        )?;
        let statement =
            format!("WITH {incoming}, inserted AS ({insert}), {audit} SELECT id FROM inserted");
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend, statement, sql.values,
            ))
            .await?;
        return inserted_ids(rows);
    }
    let transaction = crate::db::begin_write(db).await?;
    let inserted = inserted_ids(
        transaction
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("WITH {incoming} {insert}"),
                sql.values,
            ))
            .await?,
    )?;
    let created: Vec<Uuid> = ids.into_iter().filter(|id| inserted.contains(id)).collect();
    audit::record_many(
        &transaction,
        writer,
        AuditAction::Create,
        "activity",
        &created,
        &CREATED_FIELDS,
    )
    .await?;
    transaction.commit().await?;
    Ok(inserted)
}

/// An activity the caller may read, not deleted; `NOT_FOUND` otherwise.
async fn readable<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    id: Uuid,
) -> CoreResult<(activity::Model, Relation)> {
    let row = activity::Entity::find_by_id((principal.organization_id, id))
        .one(conn)
        .await?
        .filter(|row| row.deleted_at.is_none())
        .ok_or(CoreError::NotFound("activity"))?;
    let relation = relation(conn, principal, row.rep_id).await?;
    principal.authorize(Operation::ReadRecords, relation, "activity")?;
    Ok((row, relation))
}

/// Edits an activity of the caller's own (or, for a manager, of their subtree).
pub async fn update(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    id: Uuid,
    patch: &ActivityPatch,
) -> CoreResult<activity::Model> {
    let principal = writer.principal;
    let transaction = crate::db::begin_write(db).await?;
    let (row, relation) = readable(&transaction, principal, id).await?;
    principal.authorize(Operation::WriteActivities, relation, "activity")?;
    let occurred_at = patch
        .occurred_at
        .unwrap_or_else(|| crate::time::from_micros(row.occurred_at));
    check_values(
        "input",
        occurred_at,
        patch.duration_minutes.unwrap_or(row.duration_minutes),
        patch.notes.as_deref().unwrap_or(&row.notes),
    )?;
    Known::load(
        &transaction,
        principal.organization_id,
        patch.customer_id.flatten(),
        patch.deal_id.flatten(),
    )
    .await?
    .check(patch.customer_id.flatten(), patch.deal_id.flatten())
    .map_err(|error| prefixed(error, "input"))?;
    let mut changed = Vec::new();
    let mut model = row.clone().into_active_model();
    if let Some(kind) = patch.kind.filter(|kind| *kind != row.kind) {
        model.kind = Set(kind);
        changed.push("kind");
    }
    if patch.occurred_at.is_some() && to_micros(occurred_at) != row.occurred_at {
        model.occurred_at = Set(to_micros(occurred_at));
        changed.push("occurredAt");
    }
    if let Some(customer) = patch.customer_id.filter(|c| *c != row.customer_id) {
        model.customer_id = Set(customer);
        changed.push("customerId");
    }
    if let Some(deal) = patch.deal_id.filter(|d| *d != row.deal_id) {
        model.deal_id = Set(deal);
        changed.push("dealId");
    }
    if let Some(quality) = patch.quality.filter(|q| *q != row.quality) {
        model.quality = Set(quality);
        changed.push("quality");
    }
    if let Some(minutes) = patch
        .duration_minutes
        .filter(|m| *m != row.duration_minutes)
    {
        model.duration_minutes = Set(minutes);
        changed.push("durationMinutes");
    }
    if let Some(notes) = patch.notes.as_ref().filter(|n| **n != row.notes) {
        model.notes = Set(notes.clone());
        changed.push("notes");
    }
    if changed.is_empty() {
        transaction.commit().await?;
        return Ok(row);
    }
    model.updated_at = Set(now_micros());
    let updated = model.update(&transaction).await?;
    audit::record(
        &transaction,
        writer,
        AuditAction::Update,
        "activity",
        id,
        &changed,
    )
    .await?;
    transaction.commit().await?;
    Ok(updated)
}

/// Deletes an activity, keeping a tombstone so that a replay of its log cannot bring it
/// back.
pub async fn delete(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    id: Uuid,
) -> CoreResult<activity::Model> {
    let principal = writer.principal;
    let transaction = crate::db::begin_write(db).await?;
    let (row, relation) = readable(&transaction, principal, id).await?;
    principal.authorize(Operation::WriteActivities, relation, "activity")?;
    let mut model = row.into_active_model();
    let now = now_micros();
    model.deleted_at = Set(Some(now));
    model.updated_at = Set(now);
    let deleted = model.update(&transaction).await?;
    audit::record(
        &transaction,
        writer,
        AuditAction::Delete,
        "activity",
        id,
        &[],
    )
    .await?;
    transaction.commit().await?;
    Ok(deleted)
}

/// Which activities a feed lists.
#[derive(Clone, Debug, Default)]
pub struct ActivityFilter {
    pub rep_id: Option<Uuid>,
    pub kind: Option<ActivityKind>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub customer_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
}

/// The activities the caller may read, newest first, filtered in SQL; deleted ones are
/// left out. Answers the total and a page, and whether personal data must be hidden.
pub async fn feed(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &ActivityFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<(u64, Vec<activity::Model>, bool)> {
    let mut query = activity::Entity::find()
        .filter(activity::Column::OrganizationId.eq(principal.organization_id))
        .filter(activity::Column::DeletedAt.is_null());
    let mut redacted = false;
    match principal.scope(Operation::ReadRecords) {
        Scope::All { redacted: hidden } => redacted = hidden,
        Scope::Subtree { user_id, teams } => {
            let members = subtree_members(principal.organization_id, teams);
            query = query.filter(
                Condition::any()
                    .add(activity::Column::RepId.eq(user_id))
                    .add(activity::Column::RepId.in_subquery(members)),
            );
        }
        Scope::Own { user_id } => query = query.filter(activity::Column::RepId.eq(user_id)),
        Scope::Pushed { .. } => return Ok((0, Vec::new(), false)),
        Scope::OwnTeam { .. } | Scope::Nothing => return Err(CoreError::Forbidden),
    }
    if let Some(rep) = filter.rep_id {
        query = query.filter(activity::Column::RepId.eq(rep));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(activity::Column::Kind.eq(kind));
    }
    if let Some(from) = filter.from {
        query = query.filter(activity::Column::OccurredAt.gte(to_micros(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(activity::Column::OccurredAt.lt(to_micros(to)));
    }
    if let Some(customer) = filter.customer_id {
        query = query.filter(activity::Column::CustomerId.eq(customer));
    }
    if let Some(deal) = filter.deal_id {
        query = query.filter(activity::Column::DealId.eq(deal));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(activity::Column::OccurredAt)
        .order_by_desc(activity::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((total, rows, redacted))
}
