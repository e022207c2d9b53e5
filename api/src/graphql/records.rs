//! Sales records: partner upserts by external id, and the lists each caller may read.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::money::Currency;
use attain_core::organization::Settings;
use attain_core::records::{self, Listed, Owned, RecordFilter};
use attain_core::upserts::{
    self, CustomerItem, DealItem, InvoiceItem, Items, LeadItem, Outcome, OwnerRef, PaymentItem,
    Upserted,
};
use attain_entity::{customer, deal, invoice, lead, payment};
use rust_decimal::Decimal;

use super::activities::{ItemError, instant, optional_uuid, writer};
use super::error::{GqlResult, principal};
use super::paging::{Page, TotalCount};
use super::people::{Person, person};
use super::scalars::{Date, DateTime, id};
use super::{Services, reads};

/// A customer's segment.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::Segment")]
pub enum Segment {
    /// 大客户
    KeyAccount,
    MidMarket,
    Smb,
    Other,
}

/// The channel a lead came through.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::LeadSource")]
pub enum LeadSource {
    Website,
    Referral,
    Event,
    Partner,
    Outbound,
    Other,
}

/// Where a lead stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::LeadStatus")]
pub enum LeadStatus {
    Open,
    Qualified,
    Converted,
    Disqualified,
}

/// A deal's pipeline stage.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::DealStage")]
pub enum DealStage {
    Prospecting,
    Qualification,
    Proposal,
    Negotiation,
    Won,
    Lost,
}

/// Whether a deal is open, won or lost; it agrees with the stage.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::DealStatus")]
pub enum DealStatus {
    Open,
    Won,
    Lost,
}

/// Where a record came from, and when its source last changed it.
#[derive(SimpleObject)]
pub struct Provenance {
    /// The partner client (or import) that created or last updated the record.
    pub source_id: Option<ID>,
    /// The record's id in that source.
    pub external_id: Option<String>,
    pub source_updated_at: Option<DateTime>,
}

fn provenance(
    source_id: Option<uuid::Uuid>,
    external_id: Option<String>,
    at: Option<i64>,
) -> Provenance {
    Provenance {
        source_id: source_id.map(id),
        external_id,
        source_updated_at: at.map(instant),
    }
}

/// A customer (account).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Customer {
    pub id: ID,
    /// Null for analysts (personal data).
    pub name: Option<String>,
    pub segment: Segment,
    pub owner_id: ID,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub provenance: Provenance,
}

/// A lead (线索).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Lead {
    pub id: ID,
    pub owner_id: ID,
    pub lead_source: LeadSource,
    pub status: LeadStatus,
    pub created_at: DateTime,
    pub converted_at: Option<DateTime>,
    pub customer_id: Option<ID>,
    pub updated_at: DateTime,
    pub provenance: Provenance,
}

/// A deal (商机).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Deal {
    pub id: ID,
    /// Null for analysts (personal data).
    pub name: Option<String>,
    pub owner_id: ID,
    pub customer_id: ID,
    pub lead_id: Option<ID>,
    pub amount: Decimal,
    pub cost: Option<Decimal>,
    pub stage: DealStage,
    pub status: DealStatus,
    pub created_at: DateTime,
    pub expected_close_on: Option<Date>,
    pub proposal_sent_at: Option<DateTime>,
    pub proposal_co_created: bool,
    pub closed_at: Option<DateTime>,
    pub updated_at: DateTime,
    pub provenance: Provenance,
}

/// An invoice (应收).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Invoice {
    pub id: ID,
    pub owner_id: ID,
    pub customer_id: ID,
    pub deal_id: Option<ID>,
    pub amount: Decimal,
    pub due_on: Date,
    pub updated_at: DateTime,
    pub provenance: Provenance,
}

/// A payment (回款) against an invoice.
#[derive(SimpleObject)]
pub struct Payment {
    pub id: ID,
    pub invoice_id: ID,
    pub amount: Decimal,
    pub received_on: Date,
    pub updated_at: DateTime,
    pub provenance: Provenance,
}

fn customer_of(row: customer::Model, redacted: bool, _: Currency) -> Customer {
    Customer {
        id: id(row.id),
        name: (!redacted).then_some(row.name),
        segment: row.segment.into(),
        owner_id: id(row.owner_id),
        created_at: instant(row.created_at),
        updated_at: instant(row.updated_at),
        provenance: provenance(row.source_id, row.external_id, row.source_updated_at),
    }
}

fn lead_of(row: lead::Model, _: bool, _: Currency) -> Lead {
    Lead {
        id: id(row.id),
        owner_id: id(row.owner_id),
        lead_source: row.lead_source.into(),
        status: row.status.into(),
        created_at: instant(row.created_at),
        converted_at: row.converted_at.map(instant),
        customer_id: row.customer_id.map(id),
        updated_at: instant(row.updated_at),
        provenance: provenance(row.source_id, row.external_id, row.source_updated_at),
    }
}

fn deal_of(row: deal::Model, redacted: bool, currency: Currency) -> Deal {
    Deal {
        id: id(row.id),
        name: (!redacted).then_some(row.name),
        owner_id: id(row.owner_id),
        customer_id: id(row.customer_id),
        lead_id: row.lead_id.map(id),
        amount: currency.from_minor(row.amount_minor),
        cost: row.cost_minor.map(|cost| currency.from_minor(cost)),
        stage: row.stage.into(),
        status: row.status.into(),
        created_at: instant(row.created_at),
        expected_close_on: row.expected_close_on.map(Date),
        proposal_sent_at: row.proposal_sent_at.map(instant),
        proposal_co_created: row.proposal_co_created,
        closed_at: row.closed_at.map(instant),
        updated_at: instant(row.updated_at),
        provenance: provenance(row.source_id, row.external_id, row.source_updated_at),
    }
}

fn invoice_of(row: invoice::Model, _: bool, currency: Currency) -> Invoice {
    Invoice {
        id: id(row.id),
        owner_id: id(row.owner_id),
        customer_id: id(row.customer_id),
        deal_id: row.deal_id.map(id),
        amount: currency.from_minor(row.amount_minor),
        due_on: Date(row.due_on),
        updated_at: instant(row.updated_at),
        provenance: provenance(row.source_id, row.external_id, row.source_updated_at),
    }
}

fn payment_of(row: payment::Model, _: bool, currency: Currency) -> Payment {
    Payment {
        id: id(row.id),
        invoice_id: id(row.invoice_id),
        amount: currency.from_minor(row.amount_minor),
        received_on: Date(row.received_on),
        updated_at: instant(row.updated_at),
        provenance: provenance(row.source_id, row.external_id, row.source_updated_at),
    }
}

/// Which records a list holds.
#[derive(InputObject, Default)]
#[graphql(name = "RecordFilter")]
pub struct RecordFilterGql {
    /// The partner's id of the record.
    pub external_id: Option<String>,
    pub owner_id: Option<ID>,
    /// Records changed at or after this instant (for incremental pulls).
    pub updated_since: Option<DateTime>,
}

impl RecordFilterGql {
    fn parse(self) -> Result<RecordFilter, CoreError> {
        Ok(RecordFilter {
            external_id: self.external_id,
            owner_id: optional_uuid("filter.ownerId", self.owner_id.as_ref())?,
            updated_since: self.updated_since.map(|at| at.0),
        })
    }
}

/// A page of records converted for the API, in the organization's currency.
fn connection<M, T: async_graphql::OutputType>(
    page: Page,
    listed: Listed<M>,
    currency: Currency,
    convert: fn(M, bool, Currency) -> T,
) -> Connection<String, T, TotalCount> {
    let redacted = listed.redacted;
    page.connection(
        listed
            .rows
            .into_iter()
            .map(|row| convert(row, redacted, currency)),
        usize::try_from(listed.total).unwrap_or(usize::MAX),
    )
}

/// Lists the customers, leads, deals or invoices the caller may read.
async fn owned<R: Owned, T: async_graphql::OutputType>(
    ctx: &Context<'_>,
    filter: Option<RecordFilterGql>,
    first: Option<i32>,
    after: Option<String>,
    convert: fn(R::Model, bool, Currency) -> T,
) -> async_graphql::Result<Connection<String, T, TotalCount>> {
    let principal = principal(ctx)?;
    let page = Page::parse(first, after.as_deref()).gql()?;
    let filter = filter.unwrap_or_default().parse().gql()?;
    let listed = records::list::<R>(
        reads(ctx),
        principal,
        &filter,
        page.offset as u64,
        page.limit as u64,
    )
    .await
    .gql()?;
    let settings = Settings::load(reads(ctx), principal.organization_id)
        .await
        .gql()?;
    Ok(connection(page, listed, settings.currency, convert))
}

#[derive(Default)]
pub struct RecordQuery;

#[Object]
impl RecordQuery {
    /// The customers the caller may read, most recently changed first: all (analysts
    /// without names), a manager's subtree, a rep's own, what a partner pushed.
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecordFilterGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Customer, TotalCount>> {
        owned::<customer::Entity, _>(ctx, filter, first, after, customer_of).await
    }

    /// The leads the caller may read, most recently changed first.
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecordFilterGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Lead, TotalCount>> {
        owned::<lead::Entity, _>(ctx, filter, first, after, lead_of).await
    }

    /// The deals the caller may read, most recently changed first (analysts without
    /// names).
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn deals(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecordFilterGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Deal, TotalCount>> {
        owned::<deal::Entity, _>(ctx, filter, first, after, deal_of).await
    }

    /// The invoices the caller may read, most recently changed first.
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecordFilterGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Invoice, TotalCount>> {
        owned::<invoice::Entity, _>(ctx, filter, first, after, invoice_of).await
    }

    /// The payments the caller may read (by their invoice's owner), most recently
    /// changed first.
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecordFilterGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Payment, TotalCount>> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let filter = filter.unwrap_or_default().parse().gql()?;
        let listed = records::payments(
            reads(ctx),
            principal,
            &filter,
            page.offset as u64,
            page.limit as u64,
        )
        .await
        .gql()?;
        let settings = Settings::load(reads(ctx), principal.organization_id)
            .await
            .gql()?;
        Ok(connection(page, listed, settings.currency, payment_of))
    }
}

/// How one upserted item came out.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpsertStatus {
    Created,
    Updated,
    /// Stored already with this content, or older than what is stored.
    Unchanged,
    Rejected,
}

/// The result of one item of an upsert batch.
#[derive(SimpleObject)]
pub struct UpsertResult {
    /// The item's position in the batch.
    pub index: i32,
    pub external_id: String,
    pub status: UpsertStatus,
    /// The stored record's id; null when rejected.
    pub id: Option<ID>,
    pub error: Option<ItemError>,
}

fn upsert_result(
    index: usize,
    external_id: String,
    result: Result<Upserted, CoreError>,
) -> UpsertResult {
    let index = i32::try_from(index).unwrap_or(i32::MAX);
    match result {
        Ok(upserted) => UpsertResult {
            index,
            external_id,
            status: match upserted.outcome {
                Outcome::Created => UpsertStatus::Created,
                Outcome::Updated => UpsertStatus::Updated,
                Outcome::Unchanged => UpsertStatus::Unchanged,
            },
            id: Some(id(upserted.id)),
            error: None,
        },
        Err(error) => UpsertResult {
            index,
            external_id,
            status: UpsertStatus::Rejected,
            id: None,
            error: Some(ItemError::from(error)),
        },
    }
}

fn owner(email: &Option<String>, external_id: &Option<String>) -> OwnerRef {
    OwnerRef {
        email: email.clone(),
        external_id: external_id.clone(),
    }
}

/// A customer as a partner pushes it.
#[derive(InputObject)]
pub struct CustomerUpsert {
    /// The partner's id of the customer (at most 200 characters).
    pub external_id: String,
    /// At most 200 characters.
    pub name: String,
    pub segment: Segment,
    /// The owning rep by email, or by `ownerExternalId` (exactly one; in the app, neither
    /// means the caller).
    pub owner_email: Option<String>,
    pub owner_external_id: Option<String>,
    pub created_at: DateTime,
    /// When the partner last changed the record: an older one than stored is ignored.
    pub source_updated_at: Option<DateTime>,
}

/// A lead as a partner pushes it.
#[derive(InputObject)]
pub struct LeadUpsert {
    pub external_id: String,
    pub owner_email: Option<String>,
    pub owner_external_id: Option<String>,
    pub lead_source: LeadSource,
    pub status: LeadStatus,
    pub created_at: DateTime,
    /// Required for a `CONVERTED` lead, refused otherwise.
    pub converted_at: Option<DateTime>,
    /// The customer it converted into, by the partner's id.
    pub customer_external_id: Option<String>,
    pub source_updated_at: Option<DateTime>,
}

/// A deal as a partner pushes it.
#[derive(InputObject)]
pub struct DealUpsert {
    pub external_id: String,
    pub owner_email: Option<String>,
    pub owner_external_id: Option<String>,
    /// The deal's customer, by the partner's id.
    pub customer_external_id: String,
    pub lead_external_id: Option<String>,
    pub name: String,
    /// In the organization's currency, with at most its decimals.
    pub amount: Decimal,
    pub cost: Option<Decimal>,
    pub stage: DealStage,
    /// Agrees with the stage: `WON` ⇔ `WON`, `LOST` ⇔ `LOST`, an open stage ⇔ `OPEN`.
    pub status: DealStatus,
    pub created_at: DateTime,
    pub expected_close_on: Option<Date>,
    pub proposal_sent_at: Option<DateTime>,
    #[graphql(default)]
    pub proposal_co_created: bool,
    /// Required when `WON` or `LOST`, refused while `OPEN`.
    pub closed_at: Option<DateTime>,
    pub source_updated_at: Option<DateTime>,
}

/// An invoice as a partner pushes it.
#[derive(InputObject)]
pub struct InvoiceUpsert {
    pub external_id: String,
    pub owner_email: Option<String>,
    pub owner_external_id: Option<String>,
    pub customer_external_id: String,
    pub deal_external_id: Option<String>,
    pub amount: Decimal,
    pub due_on: Date,
    pub source_updated_at: Option<DateTime>,
}

/// A payment as a partner pushes it.
#[derive(InputObject)]
pub struct PaymentUpsert {
    pub external_id: String,
    /// The invoice it pays, by the partner's id.
    pub invoice_external_id: String,
    pub amount: Decimal,
    pub received_on: Date,
    pub source_updated_at: Option<DateTime>,
}

impl From<CustomerUpsert> for CustomerItem {
    fn from(i: CustomerUpsert) -> Self {
        CustomerItem {
            owner: owner(&i.owner_email, &i.owner_external_id),
            external_id: i.external_id,
            name: i.name,
            segment: i.segment.into(),
            created_at: i.created_at.0,
            source_updated_at: i.source_updated_at.map(|at| at.0),
        }
    }
}

impl From<LeadUpsert> for LeadItem {
    fn from(i: LeadUpsert) -> Self {
        LeadItem {
            owner: owner(&i.owner_email, &i.owner_external_id),
            external_id: i.external_id,
            lead_source: i.lead_source.into(),
            status: i.status.into(),
            created_at: i.created_at.0,
            converted_at: i.converted_at.map(|at| at.0),
            customer_external_id: i.customer_external_id,
            source_updated_at: i.source_updated_at.map(|at| at.0),
        }
    }
}

impl From<DealUpsert> for DealItem {
    fn from(i: DealUpsert) -> Self {
        DealItem {
            owner: owner(&i.owner_email, &i.owner_external_id),
            external_id: i.external_id,
            customer_external_id: i.customer_external_id,
            lead_external_id: i.lead_external_id,
            name: i.name,
            amount: i.amount,
            cost: i.cost,
            stage: i.stage.into(),
            status: i.status.into(),
            created_at: i.created_at.0,
            expected_close_on: i.expected_close_on.map(|on| on.0),
            proposal_sent_at: i.proposal_sent_at.map(|at| at.0),
            proposal_co_created: i.proposal_co_created,
            closed_at: i.closed_at.map(|at| at.0),
            source_updated_at: i.source_updated_at.map(|at| at.0),
        }
    }
}

impl From<InvoiceUpsert> for InvoiceItem {
    fn from(i: InvoiceUpsert) -> Self {
        InvoiceItem {
            owner: owner(&i.owner_email, &i.owner_external_id),
            external_id: i.external_id,
            customer_external_id: i.customer_external_id,
            deal_external_id: i.deal_external_id,
            amount: i.amount,
            due_on: i.due_on.0,
            source_updated_at: i.source_updated_at.map(|at| at.0),
        }
    }
}

impl From<PaymentUpsert> for PaymentItem {
    fn from(i: PaymentUpsert) -> Self {
        PaymentItem {
            external_id: i.external_id,
            invoice_external_id: i.invoice_external_id,
            amount: i.amount,
            received_on: i.received_on.0,
            source_updated_at: i.source_updated_at.map(|at| at.0),
        }
    }
}

async fn run(ctx: &Context<'_>, items: Items) -> async_graphql::Result<Vec<UpsertResult>> {
    let services = ctx.data_unchecked::<Services>();
    let writer = writer(ctx)?;
    let answers = upserts::upsert(&services.db, &writer, &items).await.gql()?;
    Ok(items
        .external_ids()
        .into_iter()
        .map(str::to_owned)
        .zip(answers)
        .enumerate()
        .map(|(index, (external_id, answer))| upsert_result(index, external_id, answer))
        .collect())
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
    /// Creates or updates up to 1,000 customers by the calling partner's ids; each item
    /// answers `CREATED`, `UPDATED`, `UNCHANGED` or `REJECTED` with its error. Admins,
    /// managers and reps write the organization's app records under the app's own ids
    /// (a UUID it made, say), owned by themselves when no owner is named, by a rep now in
    /// a manager's subtree, or by anyone for an admin.
    async fn upsert_customers(
        &self,
        ctx: &Context<'_>,
        items: Vec<CustomerUpsert>,
    ) -> async_graphql::Result<Vec<UpsertResult>> {
        let items = items.into_iter().map(Into::into).collect();
        run(ctx, Items::Customers(items)).await
    }

    /// Creates or updates up to 1,000 leads by the calling partner's ids (or, for the
    /// organization's people, the app's, as for customers).
    async fn upsert_leads(
        &self,
        ctx: &Context<'_>,
        items: Vec<LeadUpsert>,
    ) -> async_graphql::Result<Vec<UpsertResult>> {
        let items = items.into_iter().map(Into::into).collect();
        run(ctx, Items::Leads(items)).await
    }

    /// Creates or updates up to 1,000 deals by the calling partner's ids (or, for the
    /// organization's people, the app's, as for customers).
    async fn upsert_deals(
        &self,
        ctx: &Context<'_>,
        items: Vec<DealUpsert>,
    ) -> async_graphql::Result<Vec<UpsertResult>> {
        let items = items.into_iter().map(Into::into).collect();
        run(ctx, Items::Deals(items)).await
    }

    /// Creates or updates up to 1,000 invoices by the calling partner's ids.
    async fn upsert_invoices(
        &self,
        ctx: &Context<'_>,
        items: Vec<InvoiceUpsert>,
    ) -> async_graphql::Result<Vec<UpsertResult>> {
        let items = items.into_iter().map(Into::into).collect();
        run(ctx, Items::Invoices(items)).await
    }

    /// Creates or updates up to 1,000 payments by the calling partner's ids.
    async fn upsert_payments(
        &self,
        ctx: &Context<'_>,
        items: Vec<PaymentUpsert>,
    ) -> async_graphql::Result<Vec<UpsertResult>> {
        let items = items.into_iter().map(Into::into).collect();
        run(ctx, Items::Payments(items)).await
    }
}

macro_rules! owned_by {
    ($($record:ident),+) => {$(
        #[ComplexObject]
        impl $record {
            /// The responsible rep as the caller may see them: no email for analysts,
            /// null for partner clients.
            async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Person>> {
                person(ctx, &self.owner_id).await
            }
        }
    )+};
}

owned_by!(Customer, Lead, Deal, Invoice);
