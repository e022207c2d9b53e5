//! Reading sales records (customers, leads, deals, invoices, payments) as the access
//! matrix allows: everything for admins and analysts (who get no names), a manager's
//! subtree, a rep's own, and what a partner client pushed. The scope is a condition of
//! the query, so a page and its total never hold what the caller may not see.

use attain_entity::{customer, deal, invoice, lead, payment, team_membership};
use chrono::{DateTime, Utc};
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

/// The caller's scope as a condition on a record's owner and source columns (a manager's
/// subtree: anyone who was ever a member of one of its teams), and whether personal data
/// must be hidden.
fn scope_condition<O: ColumnTrait, S: ColumnTrait>(
    principal: &Principal,
    owner: O,
    source: S,
) -> CoreResult<(Condition, bool)> {
    Ok(match principal.scope(Operation::ReadRecords) {
        Scope::All { redacted } => (Condition::all(), redacted),
        Scope::Subtree { user_id, teams } => {
            let members = team_membership::Entity::find()
                .select_only()
                .column(team_membership::Column::UserId)
                .filter(team_membership::Column::OrganizationId.eq(principal.organization_id))
                .filter(team_membership::Column::TeamId.is_in(teams))
                .into_query();
            (
                Condition::any()
                    .add(owner.eq(user_id))
                    .add(owner.in_subquery(members)),
                false,
            )
        }
        Scope::Own { user_id } => (Condition::all().add(owner.eq(user_id)), false),
        Scope::Pushed { source_id } => (Condition::all().add(source.eq(source_id)), false),
        Scope::OwnTeam { .. } | Scope::Nothing => return Err(CoreError::Forbidden),
    })
}

/// Filters, counts and pages a query, newest change first.
async fn page<E, O, S, X, U, I>(
    db: &DatabaseConnection,
    query: Select<E>,
    columns: (O, S, X, U, I),
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    O: ColumnTrait,
    S: ColumnTrait,
    X: ColumnTrait,
    U: ColumnTrait,
    I: ColumnTrait,
{
    let (owner, source, external_id, updated_at, id) = columns;
    let (scope, redacted) = scope_condition(principal, owner, source)?;
    let mut query = query.filter(scope);
    if let Some(wanted) = &filter.external_id {
        query = query.filter(external_id.eq(wanted.as_str()));
    }
    if let Some(wanted) = filter.owner_id {
        query = query.filter(owner.eq(wanted));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(updated_at.gte(to_micros(since)));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(updated_at)
        .order_by_desc(id)
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

/// The customers the caller may read.
pub async fn customers(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<customer::Model>> {
    use customer::Column as C;
    let query = customer::Entity::find().filter(C::OrganizationId.eq(principal.organization_id));
    let columns = (C::OwnerId, C::SourceId, C::ExternalId, C::UpdatedAt, C::Id);
    page(db, query, columns, principal, filter, offset, limit).await
}

/// The leads the caller may read.
pub async fn leads(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<lead::Model>> {
    use lead::Column as C;
    let query = lead::Entity::find().filter(C::OrganizationId.eq(principal.organization_id));
    let columns = (C::OwnerId, C::SourceId, C::ExternalId, C::UpdatedAt, C::Id);
    page(db, query, columns, principal, filter, offset, limit).await
}

/// The deals the caller may read.
pub async fn deals(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<deal::Model>> {
    use deal::Column as C;
    let query = deal::Entity::find().filter(C::OrganizationId.eq(principal.organization_id));
    let columns = (C::OwnerId, C::SourceId, C::ExternalId, C::UpdatedAt, C::Id);
    page(db, query, columns, principal, filter, offset, limit).await
}

/// The invoices the caller may read.
pub async fn invoices(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &RecordFilter,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed<invoice::Model>> {
    use invoice::Column as C;
    let query = invoice::Entity::find().filter(C::OrganizationId.eq(principal.organization_id));
    let columns = (C::OwnerId, C::SourceId, C::ExternalId, C::UpdatedAt, C::Id);
    page(db, query, columns, principal, filter, offset, limit).await
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
    if let Some(wanted) = &filter.external_id {
        query = query.filter(C::ExternalId.eq(wanted.as_str()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(C::UpdatedAt.gte(to_micros(since)));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(C::UpdatedAt)
        .order_by_desc(C::Id)
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
