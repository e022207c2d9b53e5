//! The five kinds of records partners push: what an item carries, the rules it must
//! keep, and the row it becomes.

use std::collections::BTreeSet;

use attain_entity::enums::{DealStage, DealStatus, LeadSource, LeadStatus, Segment};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

use super::store::{Row, Table, write};
use super::{Check, MAX_BATCH, OwnerRef, Refs, TEXT_LIMIT, Upserted, source_of};
use crate::audit::Writer;
use crate::error::{CoreError, CoreResult};
use crate::kpi::scope::Sql;
use crate::organization::Settings;
use crate::won_chain;

/// A customer (account) as a partner pushes it.
#[derive(Clone, Debug)]
pub struct CustomerItem {
    pub external_id: String,
    pub name: String,
    pub segment: Segment,
    pub owner: OwnerRef,
    pub created_at: DateTime<Utc>,
    pub source_updated_at: Option<DateTime<Utc>>,
}

/// A lead as a partner pushes it.
#[derive(Clone, Debug)]
pub struct LeadItem {
    pub external_id: String,
    pub owner: OwnerRef,
    pub lead_source: LeadSource,
    pub status: LeadStatus,
    pub created_at: DateTime<Utc>,
    /// Required when the status is `CONVERTED`, refused otherwise.
    pub converted_at: Option<DateTime<Utc>>,
    pub customer_external_id: Option<String>,
    pub source_updated_at: Option<DateTime<Utc>>,
}

/// A deal as a partner pushes it.
#[derive(Clone, Debug)]
pub struct DealItem {
    pub external_id: String,
    pub owner: OwnerRef,
    pub customer_external_id: String,
    pub lead_external_id: Option<String>,
    pub name: String,
    pub amount: Decimal,
    pub cost: Option<Decimal>,
    pub stage: DealStage,
    pub status: DealStatus,
    pub created_at: DateTime<Utc>,
    pub expected_close_on: Option<NaiveDate>,
    pub proposal_sent_at: Option<DateTime<Utc>>,
    pub proposal_co_created: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub source_updated_at: Option<DateTime<Utc>>,
}

/// An invoice as a partner pushes it.
#[derive(Clone, Debug)]
pub struct InvoiceItem {
    pub external_id: String,
    pub owner: OwnerRef,
    pub customer_external_id: String,
    pub deal_external_id: Option<String>,
    pub amount: Decimal,
    pub due_on: NaiveDate,
    pub source_updated_at: Option<DateTime<Utc>>,
}

/// A payment as a partner pushes it.
#[derive(Clone, Debug)]
pub struct PaymentItem {
    pub external_id: String,
    pub invoice_external_id: String,
    pub amount: Decimal,
    pub received_on: NaiveDate,
    pub source_updated_at: Option<DateTime<Utc>>,
}

/// A batch of one kind of record.
#[derive(Clone, Debug)]
pub enum Items {
    Customers(Vec<CustomerItem>),
    Leads(Vec<LeadItem>),
    Deals(Vec<DealItem>),
    Invoices(Vec<InvoiceItem>),
    Payments(Vec<PaymentItem>),
}

impl Items {
    fn len(&self) -> usize {
        match self {
            Items::Customers(items) => items.len(),
            Items::Leads(items) => items.len(),
            Items::Deals(items) => items.len(),
            Items::Invoices(items) => items.len(),
            Items::Payments(items) => items.len(),
        }
    }
}

const CUSTOMERS: Table = Table {
    name: "customers",
    entity: "customer",
    columns: &["name", "segment", "owner_id", "created_at"],
    fields: &["name", "segment", "owner", "createdAt"],
};

const LEADS: Table = Table {
    name: "leads",
    entity: "lead",
    columns: &[
        "owner_id",
        "lead_source",
        "status",
        "created_at",
        "converted_at",
        "customer_id",
    ],
    fields: &[
        "owner",
        "leadSource",
        "status",
        "createdAt",
        "convertedAt",
        "customer",
    ],
};

const DEALS: Table = Table {
    name: "deals",
    entity: "deal",
    columns: &[
        "owner_id",
        "customer_id",
        "lead_id",
        "name",
        "amount_minor",
        "cost_minor",
        "stage",
        "status",
        "created_at",
        "expected_close_on",
        "proposal_sent_at",
        "proposal_co_created",
        "closed_at",
    ],
    fields: &[
        "owner",
        "customer",
        "lead",
        "name",
        "amount",
        "cost",
        "stage",
        "status",
        "createdAt",
        "expectedCloseOn",
        "proposalSentAt",
        "proposalCoCreated",
        "closedAt",
    ],
};

const INVOICES: Table = Table {
    name: "invoices",
    entity: "invoice",
    columns: &[
        "owner_id",
        "customer_id",
        "deal_id",
        "amount_minor",
        "due_on",
    ],
    fields: &["owner", "customer", "deal", "amount", "dueOn"],
};

const PAYMENTS: Table = Table {
    name: "payments",
    entity: "payment",
    columns: &["invoice_id", "amount_minor", "received_on"],
    fields: &["invoice", "amount", "receivedOn"],
};

/// Upserts a batch of 1 to [`MAX_BATCH`] records for the calling partner client. Every
/// item answers on its own (its error names its field under `items[i]`); an empty or
/// oversized batch is refused whole.
pub async fn upsert(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    items: &Items,
) -> CoreResult<Vec<CoreResult<Upserted>>> {
    let principal = writer.principal;
    let source_id = source_of(principal)?;
    if items.len() == 0 || items.len() > MAX_BATCH {
        return Err(CoreError::bad_input(
            "items",
            format!("a batch holds 1 to {MAX_BATCH} items"),
        ));
    }
    let organization_id = principal.organization_id;
    let settings = Settings::load(db, organization_id).await?;
    let transaction = crate::db::begin_write(db).await?;
    let mut refs = Refs::default();
    match items {
        Items::Customers(items) => {
            refs.load_owners(
                &transaction,
                organization_id,
                items.iter().map(|i| &i.owner),
            )
            .await?;
        }
        Items::Leads(items) => {
            refs.load_owners(
                &transaction,
                organization_id,
                items.iter().map(|i| &i.owner),
            )
            .await?;
            let customers = items
                .iter()
                .filter_map(|i| i.customer_external_id.as_deref());
            refs.load_pushed(
                &transaction,
                organization_id,
                source_id,
                "customers",
                customers,
            )
            .await?;
        }
        Items::Deals(items) => {
            refs.load_owners(
                &transaction,
                organization_id,
                items.iter().map(|i| &i.owner),
            )
            .await?;
            let customers = items.iter().map(|i| i.customer_external_id.as_str());
            refs.load_pushed(
                &transaction,
                organization_id,
                source_id,
                "customers",
                customers,
            )
            .await?;
            let leads = items.iter().filter_map(|i| i.lead_external_id.as_deref());
            refs.load_pushed(&transaction, organization_id, source_id, "leads", leads)
                .await?;
        }
        Items::Invoices(items) => {
            refs.load_owners(
                &transaction,
                organization_id,
                items.iter().map(|i| &i.owner),
            )
            .await?;
            let customers = items.iter().map(|i| i.customer_external_id.as_str());
            refs.load_pushed(
                &transaction,
                organization_id,
                source_id,
                "customers",
                customers,
            )
            .await?;
            let deals = items.iter().filter_map(|i| i.deal_external_id.as_deref());
            refs.load_pushed(&transaction, organization_id, source_id, "deals", deals)
                .await?;
        }
        Items::Payments(items) => {
            let invoices = items.iter().map(|i| i.invoice_external_id.as_str());
            refs.load_pushed(
                &transaction,
                organization_id,
                source_id,
                "invoices",
                invoices,
            )
            .await?;
        }
    }
    let now = Utc::now();
    let check = |index: usize| Check {
        prefix: format!("items[{index}]"),
        now,
        currency: settings.currency,
        refs: &refs,
    };
    let prefix = |index: usize| format!("items[{index}]");
    let answers = match items {
        Items::Customers(items) => {
            let rows = items
                .iter()
                .enumerate()
                .map(|(i, item)| customer(&check(i), item));
            write(
                &transaction,
                writer,
                source_id,
                &CUSTOMERS,
                rows.collect(),
                prefix,
            )
            .await?
        }
        Items::Leads(items) => {
            let rows = items
                .iter()
                .enumerate()
                .map(|(i, item)| lead(&check(i), item));
            write(
                &transaction,
                writer,
                source_id,
                &LEADS,
                rows.collect(),
                prefix,
            )
            .await?
        }
        Items::Deals(items) => {
            let rows: Vec<CoreResult<Row>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| deal(&check(i), item))
                .collect();
            // The customers whose won deals may change: those the deals had and have.
            let mut customers: BTreeSet<Uuid> = items
                .iter()
                .filter_map(|item| {
                    let key = ("customers", item.customer_external_id.trim().to_owned());
                    refs.pushed.get(&key).copied()
                })
                .collect();
            let external_ids = rows.iter().flatten().map(|row| row.external_id.clone());
            customers.extend(
                stored_customers(&transaction, organization_id, source_id, external_ids).await?,
            );
            let answers = write(&transaction, writer, source_id, &DEALS, rows, prefix).await?;
            let customers: Vec<Uuid> = customers.into_iter().collect();
            won_chain::relink_customers(&transaction, organization_id, &customers).await?;
            answers
        }
        Items::Invoices(items) => {
            let rows = items
                .iter()
                .enumerate()
                .map(|(i, item)| invoice(&check(i), item));
            write(
                &transaction,
                writer,
                source_id,
                &INVOICES,
                rows.collect(),
                prefix,
            )
            .await?
        }
        Items::Payments(items) => {
            let rows = items
                .iter()
                .enumerate()
                .map(|(i, item)| payment(&check(i), item));
            write(
                &transaction,
                writer,
                source_id,
                &PAYMENTS,
                rows.collect(),
                prefix,
            )
            .await?
        }
    };
    transaction.commit().await?;
    Ok(answers)
}

fn source_time(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(crate::time::to_micros)
}

fn customer(c: &Check, item: &CustomerItem) -> CoreResult<Row> {
    Ok(Row {
        external_id: c.external_id(&item.external_id)?,
        source_updated_at: source_time(item.source_updated_at),
        values: vec![
            c.text("name", &item.name, TEXT_LIMIT)?.into(),
            item.segment.as_str().into(),
            c.owner(&item.owner)?.into(),
            c.instant("createdAt", item.created_at)?.into(),
        ],
    })
}

fn lead(c: &Check, item: &LeadItem) -> CoreResult<Row> {
    let external_id = c.external_id(&item.external_id)?;
    let created_at = c.instant("createdAt", item.created_at)?;
    let converted_at = match (item.status, item.converted_at) {
        (LeadStatus::Converted, None) => {
            return c.fail("convertedAt", "required when status is CONVERTED");
        }
        (LeadStatus::Converted, Some(at)) => Some(c.instant("convertedAt", at)?),
        (_, Some(_)) => return c.fail("convertedAt", "only a CONVERTED lead has one"),
        (_, None) => None,
    };
    if converted_at.is_some_and(|at| at < created_at) {
        return c.fail("convertedAt", "must not be before createdAt");
    }
    Ok(Row {
        external_id,
        source_updated_at: source_time(item.source_updated_at),
        values: vec![
            c.owner(&item.owner)?.into(),
            item.lead_source.as_str().into(),
            item.status.as_str().into(),
            created_at.into(),
            converted_at.into(),
            c.optional_pushed(
                "customerExternalId",
                "customers",
                item.customer_external_id.as_deref(),
            )?
            .into(),
        ],
    })
}

fn deal(c: &Check, item: &DealItem) -> CoreResult<Row> {
    let external_id = c.external_id(&item.external_id)?;
    let expected = match item.stage {
        DealStage::Won => DealStatus::Won,
        DealStage::Lost => DealStatus::Lost,
        _ => DealStatus::Open,
    };
    if item.status != expected {
        return c.fail(
            "status",
            format!(
                "stage {} requires status {}",
                item.stage.as_str(),
                expected.as_str()
            ),
        );
    }
    let created_at = c.instant("createdAt", item.created_at)?;
    let closed_at = match (item.status, item.closed_at) {
        (DealStatus::Open, Some(_)) => return c.fail("closedAt", "must be empty while OPEN"),
        (DealStatus::Open, None) => None,
        (status, None) => {
            return c.fail(
                "closedAt",
                format!("required when status is {}", status.as_str()),
            );
        }
        (_, Some(at)) => Some(c.instant("closedAt", at)?),
    };
    if closed_at.is_some_and(|at| at < created_at) {
        return c.fail("closedAt", "must not be before createdAt");
    }
    let proposal_sent_at = item
        .proposal_sent_at
        .map(|at| c.instant("proposalSentAt", at))
        .transpose()?;
    Ok(Row {
        external_id,
        source_updated_at: source_time(item.source_updated_at),
        values: vec![
            c.owner(&item.owner)?.into(),
            c.pushed(
                "customerExternalId",
                "customers",
                &item.customer_external_id,
            )?
            .into(),
            c.optional_pushed("leadExternalId", "leads", item.lead_external_id.as_deref())?
                .into(),
            c.text("name", &item.name, TEXT_LIMIT)?.into(),
            c.money("amount", item.amount)?.into(),
            item.cost
                .map(|cost| c.money("cost", cost))
                .transpose()?
                .into(),
            item.stage.as_str().into(),
            item.status.as_str().into(),
            created_at.into(),
            item.expected_close_on.into(),
            proposal_sent_at.into(),
            item.proposal_co_created.into(),
            closed_at.into(),
        ],
    })
}

fn invoice(c: &Check, item: &InvoiceItem) -> CoreResult<Row> {
    Ok(Row {
        external_id: c.external_id(&item.external_id)?,
        source_updated_at: source_time(item.source_updated_at),
        values: vec![
            c.owner(&item.owner)?.into(),
            c.pushed(
                "customerExternalId",
                "customers",
                &item.customer_external_id,
            )?
            .into(),
            c.optional_pushed("dealExternalId", "deals", item.deal_external_id.as_deref())?
                .into(),
            c.money("amount", item.amount)?.into(),
            item.due_on.into(),
        ],
    })
}

fn payment(c: &Check, item: &PaymentItem) -> CoreResult<Row> {
    Ok(Row {
        external_id: c.external_id(&item.external_id)?,
        source_updated_at: source_time(item.source_updated_at),
        values: vec![
            c.pushed("invoiceExternalId", "invoices", &item.invoice_external_id)?
                .into(),
            c.money("amount", item.amount)?.into(),
            c.event_date("receivedOn", item.received_on)?.into(),
        ],
    })
}

/// The customers of the stored deals among some external ids of a partner.
async fn stored_customers<C: ConnectionTrait>(
    conn: &C,
    organization_id: Uuid,
    source_id: Uuid,
    external_ids: impl Iterator<Item = String>,
) -> CoreResult<Vec<Uuid>> {
    let external_ids: Vec<String> = external_ids.collect();
    let mut customers = Vec::new();
    for chunk in external_ids.chunks(5000) {
        let mut sql = Sql::default();
        let org = sql.param(organization_id);
        let source = sql.param(source_id);
        let list: Vec<String> = chunk.iter().map(|id| sql.param(id.clone())).collect();
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                format!(
                    "SELECT DISTINCT customer_id FROM deals WHERE organization_id = {org} \
                     AND source_id = {source} AND external_id IN ({})",
                    list.join(", ")
                ),
                sql.values,
            ))
            .await?;
        for row in rows {
            customers.push(row.try_get::<Uuid>("", "customer_id")?);
        }
    }
    Ok(customers)
}
