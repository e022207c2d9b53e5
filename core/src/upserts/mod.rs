//! Upserts: customers, leads, deals, invoices and payments pushed in batches by a
//! partner under its own ids and retried on every failure; and customers, leads and deals
//! the organization's people create and edit in an app, under the app's ids.
//!
//! A record is keyed by (partner client, `external_id`). Each item of a batch is checked
//! on its own and answers `CREATED`, `UPDATED`, `UNCHANGED` or its error; the valid ones
//! are stored with a few statements whatever their number (one insert that skips stored
//! keys, one read that locks the stored ones, one update of those whose content
//! changed), in one transaction, so one item's failure stores the rest and a replay
//! stores nothing twice.
//! A `source_updated_at` older than the stored one never overwrites newer data.

mod records;
mod store;

pub use records::{CustomerItem, DealItem, InvoiceItem, Items, LeadItem, PaymentItem, upsert};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use attain_entity::enums::SourceKind;
use attain_entity::user;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

use crate::access::{Decision, Operation, Principal, Scope, decide};
use crate::activities::relations_now;
use crate::error::{CoreError, CoreResult};
use crate::kpi::scope::Sql;
use crate::money::Currency;
use crate::rules::{self, NAME_LIMIT};

/// The most items one batch may carry.
pub const MAX_BATCH: usize = 1000;

/// What an upsert did to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    /// Stored already with this content, or the item was older than what is stored.
    Unchanged,
}

/// A stored record and what the upsert did to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upserted {
    pub id: Uuid,
    pub outcome: Outcome,
}

/// The rep responsible for a record, by email or by the user's external id (exactly one).
#[derive(Clone, Debug, Default)]
pub struct OwnerRef {
    pub email: Option<String>,
    pub external_id: Option<String>,
}

/// The source a batch writes under: a partner client's own (`Some`), or for the
/// organization's people the organization's app source (`None`), for customers, leads
/// and deals only — money records come from finance systems.
fn partner_source(principal: &Principal, items: &Items) -> CoreResult<Option<Uuid>> {
    match principal.scope(Operation::WriteRecords) {
        Scope::Pushed { source_id } => Ok(Some(source_id)),
        Scope::All { .. } | Scope::Subtree { .. } | Scope::Own { .. }
            if !matches!(items, Items::Invoices(_) | Items::Payments(_)) =>
        {
            Ok(None)
        }
        _ => Err(CoreError::Forbidden),
    }
}

/// The organization's app source, made on first use; its id is derived from the
/// organization's, so concurrent first writes make one.
async fn app_source(conn: &DatabaseTransaction, organization_id: Uuid) -> CoreResult<Uuid> {
    let id = Uuid::new_v5(&organization_id, b"app");
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO sources (organization_id, id, kind, name, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id, id) DO NOTHING",
        [
            organization_id.into(),
            id.into(),
            SourceKind::App.as_str().into(),
            "App".into(),
            true.into(),
            crate::time::now_micros().into(),
        ],
    ))
    .await?;
    Ok(id)
}

/// Limits a person's batch to their scope: owners they may not name are forgotten (items
/// naming them read as naming no one), an item naming no owner is theirs, and the
/// external ids of stored records whose owner is out of reach are answered, to be
/// refused as missing.
async fn keep_to_scope(
    conn: &DatabaseTransaction,
    principal: &Principal,
    refs: &mut Refs,
    table: &str,
    source_id: Uuid,
    external_ids: &BTreeSet<String>,
) -> CoreResult<HashSet<String>> {
    let stored = pushed_column(
        conn,
        table,
        "owner_id",
        principal.organization_id,
        source_id,
        external_ids,
    )
    .await?;
    let candidates: BTreeSet<Uuid> = refs
        .owners()
        .chain(stored.values().copied())
        .chain([principal.id])
        .collect();
    let candidates: Vec<Uuid> = candidates.into_iter().collect();
    let allowed: HashSet<Uuid> = relations_now(conn, principal, &candidates)
        .await?
        .into_iter()
        .filter(|(_, relation)| {
            decide(principal.role, Operation::WriteRecords, *relation) != Decision::Deny
        })
        .map(|(owner, _)| owner)
        .collect();
    refs.keep_owners(&allowed);
    refs.default_owner = Some(principal.id);
    Ok(stored
        .into_iter()
        .filter(|(_, owner)| !allowed.contains(owner))
        .map(|(external_id, _)| external_id)
        .collect())
}

/// An item's checks, each failure naming its field under the item's path.
pub(crate) struct Check<'a> {
    prefix: String,
    now: DateTime<Utc>,
    currency: Currency,
    refs: &'a Refs,
}

impl Check<'_> {
    fn field(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    fn fail<T>(&self, name: &str, message: impl std::fmt::Display) -> CoreResult<T> {
        Err(CoreError::bad_input(self.field(name), message))
    }

    /// A name: non-empty, at most [`NAME_LIMIT`] characters, trimmed.
    fn name(&self, name: &str, value: &str) -> CoreResult<String> {
        rules::text(value, NAME_LIMIT, &self.field(name))
    }

    fn external_id(&self, value: &str) -> CoreResult<String> {
        self.name("externalId", value)
    }

    /// An event instant, at most a day in the future.
    fn instant(&self, name: &str, at: DateTime<Utc>) -> CoreResult<i64> {
        rules::event_instant(at, self.now, &self.field(name))
    }

    /// An event date, at most a day after today (UTC).
    fn event_date(&self, name: &str, on: NaiveDate) -> CoreResult<NaiveDate> {
        if on > (self.now + Duration::days(1)).date_naive() {
            return self.fail(name, "must not be more than a day in the future");
        }
        Ok(on)
    }

    fn money(&self, name: &str, amount: Decimal) -> CoreResult<i64> {
        self.currency.to_minor(amount, &self.field(name))
    }

    /// The owner a reference names; a user of another organization reads as missing.
    fn owner(&self, owner: &OwnerRef) -> CoreResult<Uuid> {
        if let (None, None, Some(me)) = (&owner.email, &owner.external_id, self.refs.default_owner)
        {
            return Ok(me);
        }
        let (field, found) = match (&owner.email, &owner.external_id) {
            (Some(email), None) => (
                "ownerEmail",
                self.refs
                    .owners_by_email
                    .get(&crate::identity::normalize_email(email)),
            ),
            (None, Some(external_id)) => (
                "ownerExternalId",
                self.refs.owners_by_external_id.get(external_id.trim()),
            ),
            _ => {
                return self.fail(
                    "ownerEmail",
                    "give exactly one of ownerEmail and ownerExternalId",
                );
            }
        };
        match found {
            Some(id) => Ok(*id),
            None => self.fail(field, "no such user in this organization"),
        }
    }

    /// A record this partner pushed, by its external id.
    fn pushed(&self, name: &str, table: &'static str, external_id: &str) -> CoreResult<Uuid> {
        match self.refs.pushed(table, external_id) {
            Some(id) => Ok(id),
            None => self.fail(name, format!("no {} with this externalId", singular(table))),
        }
    }

    fn optional_pushed(
        &self,
        name: &str,
        table: &'static str,
        external_id: Option<&str>,
    ) -> CoreResult<Option<Uuid>> {
        external_id
            .map(|id| self.pushed(name, table, id))
            .transpose()
    }
}

fn singular(table: &str) -> &str {
    table.strip_suffix('s').unwrap_or(table)
}

/// The users and pushed records a batch refers to, looked up with one query per kind.
#[derive(Default)]
pub(crate) struct Refs {
    owners_by_email: HashMap<String, Uuid>,
    owners_by_external_id: HashMap<String, Uuid>,
    /// (table, external id) → id, among what this partner pushed.
    pushed: HashMap<(&'static str, String), Uuid>,
    /// The owner of an item that names none (a person writing in the app: themselves).
    default_owner: Option<Uuid>,
}

impl Refs {
    /// Looks up the owners with one query and the pushed records with one per table.
    async fn load(
        conn: &DatabaseTransaction,
        organization_id: Uuid,
        source_id: Uuid,
        owners: Vec<&OwnerRef>,
        pushed: Vec<(&'static str, &str)>,
    ) -> CoreResult<Refs> {
        let mut refs = Refs::default();
        let emails: BTreeSet<String> = owners
            .iter()
            .filter_map(|owner| owner.email.as_deref())
            .map(crate::identity::normalize_email)
            .collect();
        let external_ids: BTreeSet<String> = owners
            .iter()
            .filter_map(|owner| owner.external_id.as_deref())
            .map(|id| id.trim().to_owned())
            .collect();
        if !emails.is_empty() || !external_ids.is_empty() {
            let users: Vec<(Uuid, String, Option<String>)> = user::Entity::find()
                .select_only()
                .columns([
                    user::Column::Id,
                    user::Column::Email,
                    user::Column::ExternalId,
                ])
                .filter(user::Column::OrganizationId.eq(organization_id))
                .filter(
                    Condition::any()
                        .add(user::Column::Email.is_in(emails))
                        .add(user::Column::ExternalId.is_in(external_ids)),
                )
                .into_tuple()
                .all(conn)
                .await?;
            for (id, email, external_id) in users {
                refs.owners_by_email.insert(email, id);
                if let Some(external_id) = external_id {
                    refs.owners_by_external_id.insert(external_id, id);
                }
            }
        }
        let mut wanted: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        for (table, external_id) in pushed {
            wanted
                .entry(table)
                .or_default()
                .insert(external_id.trim().to_owned());
        }
        for (table, external_ids) in wanted {
            let found =
                pushed_column(conn, table, "id", organization_id, source_id, &external_ids).await?;
            for (external_id, id) in found {
                refs.pushed.insert((table, external_id), id);
            }
        }
        Ok(refs)
    }

    /// Every user the items name as owner.
    fn owners(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.owners_by_email
            .values()
            .chain(self.owners_by_external_id.values())
            .copied()
    }

    /// Forgets the owners not in `allowed`: items naming them read as naming no one.
    fn keep_owners(&mut self, allowed: &HashSet<Uuid>) {
        self.owners_by_email.retain(|_, id| allowed.contains(id));
        self.owners_by_external_id
            .retain(|_, id| allowed.contains(id));
    }

    /// The id of a record this partner pushed, by its external id.
    fn pushed(&self, table: &'static str, external_id: &str) -> Option<Uuid> {
        self.pushed
            .get(&(table, external_id.trim().to_owned()))
            .copied()
    }
}

/// external id → `column` (an id) of the rows of `table` a source pushed, among
/// `external_ids`.
pub(crate) async fn pushed_column<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    column: &str,
    organization_id: Uuid,
    source_id: Uuid,
    external_ids: &BTreeSet<String>,
) -> CoreResult<HashMap<String, Uuid>> {
    let mut found = HashMap::new();
    let ids: Vec<&String> = external_ids.iter().collect();
    for chunk in ids.chunks(5000) {
        let mut sql = Sql::default();
        let org = sql.param(organization_id);
        let source = sql.param(source_id);
        let list: Vec<String> = chunk.iter().map(|id| sql.param((*id).clone())).collect();
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                format!(
                    "SELECT {column} AS value, external_id FROM {table} \
                     WHERE organization_id = {org} AND source_id = {source} \
                     AND external_id IN ({})",
                    list.join(", ")
                ),
                sql.values,
            ))
            .await?;
        for row in rows {
            found.insert(
                row.try_get::<String>("", "external_id")?,
                row.try_get::<Uuid>("", "value")?,
            );
        }
    }
    Ok(found)
}
