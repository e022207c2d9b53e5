//! The five kinds of records partners push: what an item carries, the rules it must
//! keep, and the row it becomes.

use std::collections::HashSet;

use attain_entity::enums::{DealStage, DealStatus, LeadSource, LeadStatus, Segment};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::store::{Derived, Row, Table, write};
use super::{
    Check, MAX_BATCH, Outcome, OwnerRef, Refs, Upserted, app_source, keep_to_scope, partner_source,
    singular,
};
use crate::audit::Writer;
use crate::error::{CoreError, CoreResult};
use crate::organization::Settings;
use crate::rules;
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
    /// The table the items are kept in.
    fn table(&self) -> &'static Table {
        match self {
            Items::Customers(_) => &CUSTOMERS,
            Items::Leads(_) => &LEADS,
            Items::Deals(_) => &DEALS,
            Items::Invoices(_) => &INVOICES,
            Items::Payments(_) => &PAYMENTS,
        }
    }

    /// The owners and the pushed records (table, external id) the items refer to.
    fn references(&self) -> (Vec<&OwnerRef>, Vec<(&'static str, &str)>) {
        let mut owners = Vec::new();
        let mut pushed = Vec::new();
        match self {
            Items::Customers(items) => owners.extend(items.iter().map(|i| &i.owner)),
            Items::Leads(items) => {
                for item in items {
                    owners.push(&item.owner);
                    pushed.extend(
                        item.customer_external_id
                            .as_deref()
                            .map(|id| ("customers", id)),
                    );
                }
            }
            Items::Deals(items) => {
                for item in items {
                    owners.push(&item.owner);
                    pushed.push(("customers", item.customer_external_id.as_str()));
                    pushed.extend(item.lead_external_id.as_deref().map(|id| ("leads", id)));
                }
            }
            Items::Invoices(items) => {
                for item in items {
                    owners.push(&item.owner);
                    pushed.push(("customers", item.customer_external_id.as_str()));
                    pushed.extend(item.deal_external_id.as_deref().map(|id| ("deals", id)));
                }
            }
            Items::Payments(items) => pushed.extend(
                items
                    .iter()
                    .map(|i| ("invoices", i.invoice_external_id.as_str())),
            ),
        }
        (owners, pushed)
    }

    /// Each item's external id, in order.
    pub fn external_ids(&self) -> Vec<&str> {
        match self {
            Items::Customers(items) => items.iter().map(|i| i.external_id.as_str()).collect(),
            Items::Leads(items) => items.iter().map(|i| i.external_id.as_str()).collect(),
            Items::Deals(items) => items.iter().map(|i| i.external_id.as_str()).collect(),
            Items::Invoices(items) => items.iter().map(|i| i.external_id.as_str()).collect(),
            Items::Payments(items) => items.iter().map(|i| i.external_id.as_str()).collect(),
        }
    }

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
    watched: None,
    derived: None,
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
    watched: None,
    derived: None,
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
    // A stored deal in its customer's chain of won deals: updating it relinks them.
    watched: Some("CASE WHEN status = 'WON' OR next_won_at IS NOT NULL THEN customer_id END"),
    // Inserted won deals come linked, so that the relink after the insert rewrites only
    // the stored deals before them (and those the batch updates).
    derived: Some(Derived {
        column: "next_won_at",
        window: won_chain::NEXT_IN_BATCH,
        value: won_chain::inserted_link,
    }),
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
    watched: None,
    derived: None,
};

const PAYMENTS: Table = Table {
    name: "payments",
    entity: "payment",
    columns: &["invoice_id", "amount_minor", "received_on"],
    fields: &["invoice", "amount", "receivedOn"],
    watched: None,
    derived: None,
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
    let partner = partner_source(principal, items)?;
    if items.len() == 0 || items.len() > MAX_BATCH {
        return Err(CoreError::bad_input(
            "items",
            format!("a batch holds 1 to {MAX_BATCH} items"),
        ));
    }
    let organization_id = principal.organization_id;
    let settings = Settings::load(db, organization_id).await?;
    let transaction = crate::db::begin_write(db).await?;
    let source_id = match partner {
        Some(source_id) => source_id,
        None => app_source(&transaction, organization_id).await?,
    };
    let (owners, pushed) = items.references();
    let mut refs = Refs::load(&transaction, organization_id, source_id, owners, pushed).await?;
    let table = items.table();
    // A person writes only for owners within their scope; others' records read as missing.
    let hidden = match partner {
        Some(_) => HashSet::new(),
        None => {
            let external_ids = items
                .external_ids()
                .iter()
                .map(|id| id.trim().to_owned())
                .collect();
            keep_to_scope(
                &transaction,
                principal,
                &mut refs,
                table.name,
                source_id,
                &external_ids,
            )
            .await?
        }
    };
    let now = Utc::now();
    let rows = |build: &dyn Fn(&Check, usize) -> CoreResult<Row>| -> Vec<CoreResult<Row>> {
        (0..items.len())
            .map(|index| {
                let check = Check {
                    prefix: format!("items[{index}]"),
                    now,
                    currency: settings.currency,
                    refs: &refs,
                };
                build(&check, index)
            })
            .collect()
    };
    let rows: Vec<CoreResult<Row>> = match items {
        Items::Customers(items) => rows(&|c, i| customer(c, &items[i])),
        Items::Leads(items) => rows(&|c, i| lead(c, &items[i])),
        Items::Deals(items) => rows(&|c, i| deal(c, &items[i])),
        Items::Invoices(items) => rows(&|c, i| invoice(c, &items[i])),
        Items::Payments(items) => rows(&|c, i| payment(c, &items[i])),
    }
    .into_iter()
    .map(|row| match row {
        Ok(row) if hidden.contains(&row.external_id) => {
            Err(CoreError::NotFound(singular(table.name)))
        }
        row => row,
    })
    .collect();
    let prefix = |index: usize| format!("items[{index}]");
    let written = write(&transaction, writer, source_id, table, rows, prefix).await?;
    if let Items::Deals(items) = items {
        // A customer's won deals change where a won deal was stored or a deal that was
        // among them updated; replays and open deals leave them as they are.
        let mut relink = written.watched;
        for (item, answer) in items.iter().zip(&written.answers) {
            let stored = matches!(
                answer,
                Ok(Upserted {
                    outcome: Outcome::Created | Outcome::Updated,
                    ..
                })
            );
            if stored && item.status == DealStatus::Won {
                relink.extend(refs.pushed("customers", &item.customer_external_id));
            }
        }
        if !relink.is_empty() {
            let customers: Vec<Uuid> = relink.into_iter().collect();
            won_chain::relink_customers(&transaction, organization_id, &customers).await?;
        }
    }
    transaction.commit().await?;
    Ok(written.answers)
}

fn source_time(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(crate::time::to_micros)
}

fn customer(c: &Check, item: &CustomerItem) -> CoreResult<Row> {
    Ok(Row {
        external_id: c.external_id(&item.external_id)?,
        source_updated_at: source_time(item.source_updated_at),
        values: vec![
            c.name("name", &item.name)?.into(),
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
    let created_at = c.instant("createdAt", item.created_at)?;
    let closed_at = item
        .closed_at
        .map(|at| c.instant("closedAt", at))
        .transpose()?;
    rules::deal_closing(item.stage, item.status, created_at, closed_at, |name| {
        c.field(if name == "closed_at" {
            "closedAt"
        } else {
            name
        })
    })?;
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
            c.name("name", &item.name)?.into(),
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
