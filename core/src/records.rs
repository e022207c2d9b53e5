//! Reading sales records (customers, leads, deals, invoices, payments) as the access
//! matrix allows: everything for admins and analysts (who get no names), a manager's
//! subtree, a rep's own, and what a partner client pushed. The scope is a condition of
//! the query, so a page and its total never hold what the caller may not see.

use attain_entity::{customer, deal, invoice, lead, payment, team_membership};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use crate::access::{Operation, Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::time::to_micros;

/// Which records a list holds, beside the caller's scope.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    /// The partner's id of the record (within the records the caller may see).
    pub external_id: Option<String>,
    pub owner_id: Option<Uuid>,
    /// Records changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// A page of records, the total, and whether personal data must be hidden.
pub struct Listed<M> {
    pub total: u64,
    pub rows: Vec<M>,
    pub redacted: bool,
}

/// Everyone who was ever a member of one of some teams: whose records a manager's
/// subtree holds.
pub(crate) fn subtree_members(organization_id: Uuid, teams: Vec<Uuid>) -> SelectStatement {
    team_membership::Entity::find()
        .select_only()
        .column(team_membership::Column::UserId)
        .filter(team_membership::Column::OrganizationId.eq(organization_id))
        .filter(team_membership::Column::TeamId.is_in(teams))
        .into_query()
}

/// The caller's scope as a condition on a record's owner and source columns, and whether
/// personal data must be hidden.
fn scope_condition<O: ColumnTrait, S: ColumnTrait>(
    principal: &Principal,
    owner: O,
    source: S,
) -> CoreResult<(Condition, bool)> {
    Ok(match principal.scope(Operation::ReadRecords) {
        Scope::All { redacted } => (Condition::all(), redacted),
        Scope::Subtree { user_id, teams } => (
            Condition::any()
                .add(owner.eq(user_id))
                .add(owner.in_subquery(subtree_members(principal.organization_id, teams))),
            false,
        ),
        Scope::Own { user_id } => (Condition::all().add(owner.eq(user_id)), false),
        Scope::Pushed { source_id } => (Condition::all().add(source.eq(source_id)), false),
        Scope::OwnTeam { .. } | Scope::Nothing => return Err(CoreError::Forbidden),
    })
}

/// A table of sourced records: the columns a list filters, orders and scopes by.
pub trait Sourced: EntityTrait<Model: Sync> {
    const ORGANIZATION_ID: Self::Column;
    const ID: Self::Column;
    const EXTERNAL_ID: Self::Column;
    const UPDATED_AT: Self::Column;
}

/// A table of sourced records that a rep owns.
pub trait Owned: Sourced {
    const OWNER_ID: Self::Column;
    const SOURCE_ID: Self::Column;
}

macro_rules! sourced {
    ($($module:ident),+) => {$(
        impl Sourced for $module::Entity {
            const ORGANIZATION_ID: Self::Column = $module::Column::OrganizationId;
            const ID: Self::Column = $module::Column::Id;
            const EXTERNAL_ID: Self::Column = $module::Column::ExternalId;
            const UPDATED_AT: Self::Column = $module::Column::UpdatedAt;
        }
    )+};
}

macro_rules! owned {
    ($($module:ident),+) => {$(
        impl Owned for $module::Entity {
            const OWNER_ID: Self::Column = $module::Column::OwnerId;
            const SOURCE_ID: Self::Column = $module::Column::SourceId;
        }
    )+};
}

sourced!(customer, lead, deal, invoice, payment);
owned!(customer, lead, deal, invoice);

/// Filters by external id and change time, counts and pages a query, newest change
/// first.
async fn page<R: Sourced>(
    db: &DatabaseConnection,
    mut query: Select<R>,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
    redacted: bool,
) -> CoreResult<Listed<R::Model>> {
    if let Some(wanted) = &filter.external_id {
        query = query.filter(R::EXTERNAL_ID.eq(wanted.as_str()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(R::UPDATED_AT.gte(to_micros(since)));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(R::UPDATED_AT)
        .order_by_desc(R::ID)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(Listed {
        total,
        rows,
        redacted,
    })
}

/// The customers, leads, deals or invoices the caller may read.
pub async fn list<R: Owned>(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<R::Model>> {
    let (scope, redacted) = scope_condition(principal, R::OWNER_ID, R::SOURCE_ID)?;
    let mut query = R::find()
        .filter(R::ORGANIZATION_ID.eq(principal.organization_id))
        .filter(scope);
    if let Some(owner) = filter.owner_id {
        query = query.filter(R::OWNER_ID.eq(owner));
    }
    page(db, query, filter, offset, limit, redacted).await
}

/// The payments the caller may read; a payment belongs to its invoice's owner.
pub async fn payments(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<payment::Model>> {
    use payment::Column as C;
    let org = principal.organization_id;
    let mut query = payment::Entity::find().filter(C::OrganizationId.eq(org));
    let invoices = || {
        invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Id)
            .filter(invoice::Column::OrganizationId.eq(org))
    };
    // A partner lists what it pushed; everyone else by the invoice's owner.
    let redacted = match principal.scope(Operation::ReadRecords) {
        Scope::Pushed { source_id } => {
            query = query.filter(C::SourceId.eq(source_id));
            false
        }
        _ => {
            let (scope, redacted) = scope_condition(
                principal,
                invoice::Column::OwnerId,
                invoice::Column::SourceId,
            )?;
            query = query.filter(C::InvoiceId.in_subquery(invoices().filter(scope).into_query()));
            redacted
        }
    };
    if let Some(owner) = filter.owner_id {
        let owned = invoices().filter(invoice::Column::OwnerId.eq(owner));
        query = query.filter(C::InvoiceId.in_subquery(owned.into_query()));
    }
    page(db, query, filter, offset, limit, redacted).await
}
