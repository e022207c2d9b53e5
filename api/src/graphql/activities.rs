//! Activity logging (one, or an offline batch), editing, deleting, the activity feed, and
//! the audit log.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::activities::{self, ActivityFilter, ActivityInput, ActivityPatch, Logged};
use attain_core::audit::{self, Writer};
use attain_entity::{activity, audit_log};
use uuid::Uuid;

use super::error::{GqlResult, principal, to_graphql};
use super::paging::{Page, TotalCount};
use super::people::{Person, person};
use super::scalars::{DateTime, id};
use super::{Services, reads};
use crate::routes::RequestId;

/// What an activity was.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::ActivityKind")]
pub enum ActivityKind {
    Visit,
    Call,
    Email,
    Message,
    Meeting,
    Demo,
    FollowUp,
    Other,
}

/// A visit, call or other activity of a rep.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Activity {
    pub id: ID,
    /// The app's id for the log entry.
    pub client_ref: ID,
    pub rep_id: ID,
    pub kind: ActivityKind,
    pub occurred_at: DateTime,
    pub customer_id: Option<ID>,
    pub deal_id: Option<ID>,
    /// The visit met the organization's definition of a high-quality visit.
    pub quality: bool,
    pub duration_minutes: i32,
    /// Null for analysts (personal data).
    pub notes: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    /// Set on a deleted activity (its tombstone).
    pub deleted_at: Option<DateTime>,
}

pub(super) fn instant(micros: i64) -> DateTime {
    DateTime(attain_core::time::from_micros(micros))
}

impl Activity {
    fn of(row: activity::Model, redacted: bool) -> Activity {
        Activity {
            id: id(row.id),
            client_ref: id(row.client_ref),
            rep_id: id(row.rep_id),
            kind: row.kind.into(),
            occurred_at: instant(row.occurred_at),
            customer_id: row.customer_id.map(id),
            deal_id: row.deal_id.map(id),
            quality: row.quality,
            duration_minutes: row.duration_minutes,
            notes: (!redacted).then_some(row.notes),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
            deleted_at: row.deleted_at.map(instant),
        }
    }
}

fn uuid(field: &str, value: &ID) -> Result<Uuid, CoreError> {
    Uuid::parse_str(value).map_err(|_| CoreError::bad_input(field, "not an id"))
}

pub(super) fn optional_uuid(field: &str, value: Option<&ID>) -> Result<Option<Uuid>, CoreError> {
    value.map(|value| uuid(field, value)).transpose()
}

/// An activity as the app logs it.
#[derive(InputObject)]
#[graphql(name = "ActivityInput")]
pub struct ActivityInputGql {
    /// A UUID the app made for this entry: replaying it stores nothing new.
    pub client_ref: ID,
    /// Whose activity (a manager logging for a rep of their subtree); the caller's own
    /// when left out.
    pub rep_id: Option<ID>,
    pub kind: ActivityKind,
    /// At most a day in the future.
    pub occurred_at: DateTime,
    pub customer_id: Option<ID>,
    pub deal_id: Option<ID>,
    #[graphql(default)]
    pub quality: bool,
    /// 0 to 1440.
    #[graphql(default)]
    pub duration_minutes: i32,
    /// At most 5,000 characters.
    #[graphql(default)]
    pub notes: String,
}

impl ActivityInputGql {
    fn parse(&self, prefix: &str) -> Result<ActivityInput, CoreError> {
        let field = |name: &str| format!("{prefix}.{name}");
        Ok(ActivityInput {
            client_ref: uuid(&field("clientRef"), &self.client_ref)?,
            rep_id: optional_uuid(&field("repId"), self.rep_id.as_ref())?,
            kind: self.kind.into(),
            occurred_at: self.occurred_at.0,
            customer_id: optional_uuid(&field("customerId"), self.customer_id.as_ref())?,
            deal_id: optional_uuid(&field("dealId"), self.deal_id.as_ref())?,
            quality: self.quality,
            duration_minutes: self.duration_minutes,
            notes: self.notes.clone(),
        })
    }
}

/// Changes to an activity; fields left out stay as they are.
#[derive(InputObject)]
#[graphql(name = "ActivityPatch")]
pub struct ActivityPatchGql {
    pub kind: Option<ActivityKind>,
    pub occurred_at: Option<DateTime>,
    pub customer_id: Option<ID>,
    pub deal_id: Option<ID>,
    pub quality: Option<bool>,
    pub duration_minutes: Option<i32>,
    pub notes: Option<String>,
}

/// Which activities the feed lists.
#[derive(InputObject, Default)]
#[graphql(name = "ActivityFilter")]
pub struct ActivityFilterGql {
    pub rep_id: Option<ID>,
    pub kind: Option<ActivityKind>,
    /// From this instant (inclusive).
    pub from: Option<DateTime>,
    /// Up to this instant (exclusive).
    pub to: Option<DateTime>,
    pub customer_id: Option<ID>,
    pub deal_id: Option<ID>,
}

/// How one logged activity came out.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStatus {
    Created,
    /// Logged before with the same values: nothing new was stored.
    Replayed,
    Rejected,
}

/// Why an item of a batch was rejected.
#[derive(SimpleObject)]
pub struct ItemError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl From<CoreError> for ItemError {
    fn from(error: CoreError) -> Self {
        let field = match &error {
            CoreError::BadUserInput { field, .. } => Some(field.clone()),
            _ => None,
        };
        ItemError {
            code: error.code().to_owned(),
            message: to_graphql(error).message,
            field,
        }
    }
}

/// The result of logging one activity.
#[derive(SimpleObject)]
pub struct LogResult {
    /// The item's position in the batch.
    pub index: i32,
    pub status: LogStatus,
    /// The stored activity (also for a replay); null when rejected.
    pub activity: Option<Activity>,
    pub error: Option<ItemError>,
}

fn log_result(index: usize, result: Result<Logged, CoreError>) -> LogResult {
    let index = i32::try_from(index).unwrap_or(i32::MAX);
    match result {
        Ok(logged) => LogResult {
            index,
            status: match logged {
                Logged::Created(_) => LogStatus::Created,
                Logged::Replayed(_) => LogStatus::Replayed,
            },
            activity: Some(Activity::of(logged.activity().clone(), false)),
            error: None,
        },
        Err(error) => LogResult {
            index,
            status: LogStatus::Rejected,
            activity: None,
            error: Some(ItemError::from(error)),
        },
    }
}

pub(super) fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<Writer<'a>> {
    Ok(Writer {
        principal: principal(ctx)?,
        request_id: ctx.data_opt::<RequestId>().map(|id| id.0.clone()),
    })
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Logs an activity. Replaying the same `clientRef` with the same values returns the
    /// stored activity (also after an edit or a delete) and stores nothing; other values
    /// under a used `clientRef` are a `CONFLICT`.
    async fn log_activity(
        &self,
        ctx: &Context<'_>,
        input: ActivityInputGql,
    ) -> async_graphql::Result<LogResult> {
        let writer = writer(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let input = input.parse("input").gql()?;
        let logged = activities::log(&services.db, &writer, &input).await.gql()?;
        Ok(log_result(0, Ok(logged)))
    }

    /// Logs up to 500 activities (an offline sync), each on its own: every item answers
    /// `CREATED`, `REPLAYED` or `REJECTED` with its error.
    async fn log_activities(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<ActivityInputGql>,
    ) -> async_graphql::Result<Vec<LogResult>> {
        let writer = writer(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        if inputs.is_empty() || inputs.len() > activities::MAX_BATCH {
            return Err(to_graphql(CoreError::bad_input(
                "inputs",
                format!("a batch holds 1 to {} activities", activities::MAX_BATCH),
            )));
        }
        let mut parsed = Vec::with_capacity(inputs.len());
        let mut early: Vec<(usize, CoreError)> = Vec::new();
        for (index, input) in inputs.iter().enumerate() {
            match input.parse(&format!("inputs[{index}]")) {
                Ok(input) => parsed.push((index, input)),
                Err(error) => early.push((index, error)),
            }
        }
        let positions: Vec<usize> = parsed.iter().map(|(index, _)| *index).collect();
        let logged = if parsed.is_empty() {
            Vec::new()
        } else {
            activities::log_batch(&services.db, &writer, parsed)
                .await
                .gql()?
        };
        let mut results: Vec<LogResult> = positions
            .into_iter()
            .zip(logged)
            .map(|(index, result)| log_result(index, result))
            .collect();
        results.extend(
            early
                .into_iter()
                .map(|(index, error)| log_result(index, Err(error))),
        );
        results.sort_by_key(|result| result.index);
        Ok(results)
    }

    /// Edits an activity of one's own (a manager: of their subtree).
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ActivityPatchGql,
    ) -> async_graphql::Result<Activity> {
        let writer = writer(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let id = Uuid::parse_str(&id).map_err(|_| to_graphql(CoreError::NotFound("activity")))?;
        let patch = ActivityPatch {
            kind: input.kind.map(Into::into),
            occurred_at: input.occurred_at.map(|at| at.0),
            customer_id: input
                .customer_id
                .as_ref()
                .map(|value| uuid("input.customerId", value).map(Some))
                .transpose()
                .gql()?,
            deal_id: input
                .deal_id
                .as_ref()
                .map(|value| uuid("input.dealId", value).map(Some))
                .transpose()
                .gql()?,
            quality: input.quality,
            duration_minutes: input.duration_minutes,
            notes: input.notes,
        };
        let updated = activities::update(&services.db, &writer, id, &patch)
            .await
            .gql()?;
        Ok(Activity::of(updated, false))
    }

    /// Deletes an activity of one's own (a manager: of their subtree); its tombstone keeps
    /// a replay of the original log from bringing it back.
    async fn delete_activity(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Activity> {
        let writer = writer(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let id = Uuid::parse_str(&id).map_err(|_| to_graphql(CoreError::NotFound("activity")))?;
        let deleted = activities::delete(&services.db, &writer, id).await.gql()?;
        Ok(Activity::of(deleted, false))
    }
}

/// One change in the audit log.
#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: ID,
    /// `USER`, `PARTNER` or `SYSTEM`.
    pub actor_kind: String,
    pub actor_id: Option<ID>,
    /// `CREATE`, `UPDATE` or `DELETE`.
    pub action: String,
    pub entity: String,
    pub entity_id: Option<ID>,
    /// The fields the change set.
    pub changed_fields: Vec<String>,
    pub request_id: Option<String>,
    pub at: DateTime,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(row: audit_log::Model) -> Self {
        AuditEntry {
            id: id(row.id),
            actor_kind: row.actor_kind.as_str().to_owned(),
            actor_id: row.actor_id.map(id),
            action: row.action.as_str().to_owned(),
            entity: row.entity,
            entity_id: row.entity_id.map(id),
            changed_fields: serde_json::from_str(&row.changes).unwrap_or_default(),
            request_id: row.request_id,
            at: instant(row.at),
        }
    }
}

/// A page of the activity feed under `filter`, as the caller may read it.
pub(super) async fn feed_page(
    ctx: &Context<'_>,
    filter: &ActivityFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, Activity, TotalCount>> {
    let principal = principal(ctx)?;
    let page = Page::parse(first, after.as_deref()).gql()?;
    let (total, rows, redacted) = activities::feed(
        reads(ctx),
        principal,
        filter,
        page.offset as u64,
        page.limit as u64,
    )
    .await
    .gql()?;
    Ok(page.connection(
        rows.into_iter().map(|row| Activity::of(row, redacted)),
        usize::try_from(total).unwrap_or(usize::MAX),
    ))
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// The activities the caller may read, newest first: a rep's own, a manager's
    /// subtree, everything for admins and analysts (without notes).
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilterGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity, TotalCount>> {
        let filter = filter.unwrap_or_default();
        let filter = ActivityFilter {
            rep_id: optional_uuid("filter.repId", filter.rep_id.as_ref()).gql()?,
            kind: filter.kind.map(Into::into),
            from: filter.from.map(|at| at.0),
            to: filter.to.map(|at| at.0),
            customer_id: optional_uuid("filter.customerId", filter.customer_id.as_ref()).gql()?,
            deal_id: optional_uuid("filter.dealId", filter.deal_id.as_ref()).gql()?,
        };
        feed_page(ctx, &filter, first, after).await
    }

    /// The audit log, newest first (admins only), optionally of one entity type
    /// (`activity`, …).
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        entity: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, AuditEntry, TotalCount>> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let (total, rows) = audit::entries(
            reads(ctx),
            principal,
            entity.as_deref(),
            page.offset as u64,
            page.limit as u64,
        )
        .await
        .gql()?;
        Ok(page.connection(
            rows.into_iter().map(AuditEntry::from),
            usize::try_from(total).unwrap_or(usize::MAX),
        ))
    }
}

#[ComplexObject]
impl Activity {
    /// The rep who logged it, as the caller may see them (no email for analysts).
    async fn rep(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Person>> {
        person(ctx, &self.rep_id).await
    }
}
