//! Why a KPI has its value: the records of its sets (the deals, activities, leads,
//! invoices … it counted), each marked as counting in the numerator, the denominator or
//! both; for customer-based KPIs the customers, each with the deal that decided it.
//! Newest event first, a page at a time, filtered in SQL by the same scope as the KPI.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use uuid::Uuid;

use crate::access::{Principal, Role};
use crate::error::{CoreError, CoreResult};
use crate::figures::authorize;
use crate::kpi::queries::first_won;
use crate::kpi::scope::{Event, Scope, Sql};
use crate::kpi::{self, KpiKey, Subject};
use crate::organization::Settings;
use crate::period::{Period, Window};
use crate::time::{from_micros, to_micros};

/// What kind of record contributed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Deal,
    Activity,
    Lead,
    Invoice,
    Payment,
    SurveyResponse,
    Rating,
    Expense,
    Customer,
}

impl RecordKind {
    fn parse(text: &str) -> CoreResult<RecordKind> {
        Ok(match text {
            "DEAL" => RecordKind::Deal,
            "ACTIVITY" => RecordKind::Activity,
            "LEAD" => RecordKind::Lead,
            "INVOICE" => RecordKind::Invoice,
            "PAYMENT" => RecordKind::Payment,
            "SURVEY_RESPONSE" => RecordKind::SurveyResponse,
            "RATING" => RecordKind::Rating,
            "EXPENSE" => RecordKind::Expense,
            "CUSTOMER" => RecordKind::Customer,
            other => return Err(anyhow::anyhow!("record kind {other:?}").into()),
        })
    }
}

/// Which side of the formula a record counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Numerator,
    Denominator,
    /// Both, as every record of a sum or a count.
    Both,
}

impl Part {
    fn parse(text: &str) -> CoreResult<Part> {
        Ok(match text {
            "NUMERATOR" => Part::Numerator,
            "DENOMINATOR" => Part::Denominator,
            "BOTH" => Part::Both,
            other => return Err(anyhow::anyhow!("part {other:?}").into()),
        })
    }
}

/// One record behind a KPI value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contributor {
    pub kind: RecordKind,
    /// The record's id (the customer's for customers).
    pub id: Uuid,
    pub part: Part,
    /// When its event happened (for records whose event is a date, that date's start in
    /// UTC).
    pub at: DateTime<Utc>,
    /// The event's date, for records whose event is a date.
    pub on: Option<NaiveDate>,
    /// The amount it adds: a deal's amount, an invoice's, a payment's, an expense's, a
    /// customer's lifetime gross profit for CLV.
    pub amount: Option<Decimal>,
    /// A survey response's or rating's score.
    pub score: Option<i32>,
    pub customer_id: Option<Uuid>,
    /// The deal that decided a customer's membership, or an activity's or invoice's deal.
    pub deal_id: Option<Uuid>,
}

/// A page of contributors and how many there are in all.
#[derive(Clone, Debug)]
pub struct ContributorPage {
    pub window: Window,
    pub total: i64,
    pub items: Vec<Contributor>,
}

/// Which part of the list to answer.
#[derive(Clone, Copy, Debug)]
pub struct Slice {
    pub offset: u64,
    pub limit: u64,
}

/// Lists, newest first, the records behind a subject's KPI value for a period.
pub async fn contributors(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
    key: KpiKey,
    period: &str,
    as_of: DateTime<Utc>,
    slice: Slice,
) -> CoreResult<ContributorPage> {
    authorize(db, principal, subject).await?;
    // A rep sees their own team's figures as aggregates only, never its records.
    if principal.role == Role::Rep && subject != Subject::Rep(principal.id) {
        return Err(CoreError::NotFound("team"));
    }
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = &Period::parse(period, settings.fiscal_year_start_month)?;
    let windows = kpi::windows(period, &settings, as_of);
    let scope = kpi::scope_of(db, &settings, subject).await?;
    let mut builder = Builder {
        sql: Sql::default(),
        backend: db.get_database_backend(),
        scope: &scope,
        organization: settings.id,
        branches: Vec::new(),
    };
    builder.branches_of(key, &settings, &windows);
    let Builder {
        mut sql, branches, ..
    } = builder;
    let union = if branches.is_empty() {
        format!("SELECT {EMPTY} WHERE 1 = 0")
    } else {
        branches.join(" UNION ALL ")
    };
    let count = Statement::from_sql_and_values(
        db.get_database_backend(),
        format!("SELECT COUNT(*) AS n FROM ({union}) u"),
        sql.values.clone(),
    );
    let total: i64 = db
        .query_one_raw(count)
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let limit_param = sql.param(i64::try_from(slice.limit).unwrap_or(i64::MAX));
    let offset_param = sql.param(i64::try_from(slice.offset).unwrap_or(i64::MAX));
    let page = Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "SELECT u.* FROM ({union}) u ORDER BY u.sort DESC, u.kind, u.id \
             LIMIT {limit_param} OFFSET {offset_param}"
        ),
        sql.values,
    );
    let rows = db.query_all_raw(page).await?;
    let money = |minor: Option<i64>| minor.map(|minor| settings.currency.from_minor(minor));
    let items = rows
        .iter()
        .map(|row| {
            Ok(Contributor {
                kind: RecordKind::parse(&row.try_get::<String>("", "kind")?)?,
                id: row.try_get("", "id")?,
                part: Part::parse(&row.try_get::<String>("", "part")?)?,
                at: from_micros(row.try_get("", "sort")?),
                on: row.try_get("", "on_date")?,
                amount: money(row.try_get("", "amount")?),
                score: row.try_get("", "score")?,
                customer_id: row.try_get("", "customer_id")?,
                deal_id: row.try_get("", "deal_id")?,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    Ok(ContributorPage {
        window: windows.current,
        total,
        items,
    })
}

/// The columns every branch selects, in order.
const COLUMNS: &str =
    "x.kind, x.id, x.part, x.sort, x.on_date, x.amount, x.score, x.customer_id, x.deal_id";

/// A row of nothing with the branches' column types.
const EMPTY: &str = "'DEAL' AS kind, CAST(NULL AS UUID) AS id, 'BOTH' AS part, \
    CAST(0 AS BIGINT) AS sort, CAST(NULL AS DATE) AS on_date, CAST(NULL AS BIGINT) AS amount, \
    CAST(NULL AS INTEGER) AS score, CAST(NULL AS UUID) AS customer_id, CAST(NULL AS UUID) AS deal_id";

const NO_DATE: &str = "CAST(NULL AS DATE) AS on_date";
const NO_AMOUNT: &str = "CAST(NULL AS BIGINT) AS amount";
const NO_SCORE: &str = "CAST(NULL AS INTEGER) AS score";
const NO_ID: &str = "CAST(NULL AS UUID)";

/// Builds the branches of one KPI's contributor query.
struct Builder<'a> {
    sql: Sql,
    backend: DatabaseBackend,
    scope: &'a Scope,
    organization: Uuid,
    branches: Vec<String>,
}

impl Builder<'_> {
    /// The start of a date column's day in microseconds (UTC), to order dates among
    /// instants.
    fn date_micros(&self, column: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => {
                format!("CAST(({column} - DATE '1970-01-01') AS BIGINT) * 86400000000")
            }
            _ => format!(
                "CAST(ROUND((julianday({column}) - 2440587.5) * 86400) AS INTEGER) * 1000000"
            ),
        }
    }

    fn push(&mut self, inner: String, event: Event) {
        let branch = self.scope.rows(&mut self.sql, &inner, event, COLUMNS);
        self.branches.push(branch);
    }

    fn branches_of(&mut self, key: KpiKey, settings: &Settings, windows: &kpi::queries::Windows) {
        use KpiKey::*;
        let w = windows.current;
        match key {
            Revenue | WonDeals | AvgDealSize | RevenuePerCustomer | GrossProfit | GrossMargin
            | AvgSalesCycleDays => self.won_deals(&w, "'BOTH'"),
            MarketShare => self.won_deals(&w, "'NUMERATOR'"),
            RevenueGrowth | RevenueYoy => {
                self.won_deals(&w, "'NUMERATOR'");
                let base = if key == RevenueGrowth {
                    windows.previous
                } else {
                    windows.year_ago
                };
                self.won_deals(&base, "'BOTH'");
            }
            WinRate => self.closed_deals(&w),
            CollectionRate => self.invoices(&w),
            NewCustomers => self.new_customers(&w, "'BOTH'"),
            Cac => {
                self.expenses(&w);
                self.new_customers(&w, "'DENOMINATOR'");
            }
            Clv => self.clv_customers(&w, "'BOTH'"),
            ClvCacRatio => {
                self.clv_customers(&w, "'NUMERATOR'");
                self.expenses(&w);
                self.new_customers(&w, "'DENOMINATOR'");
            }
            RetentionRate => self.retention(&w, settings.active_customer_window_days),
            RepeatPurchaseRate => self.repeat(&w),
            SatisfactionAvg => self.surveys(&w, None),
            SatisfactionPassRate => self.surveys(&w, Some(settings.satisfaction_pass_score)),
            Activities => self.activities(&w, "1 = 1", "'BOTH'"),
            Visits => self.activities(&w, "a.kind = 'VISIT'", "'BOTH'"),
            QualityVisits => self.activities(&w, "a.kind = 'VISIT' AND a.quality", "'BOTH'"),
            QualityVisitsPerWeek => {
                self.activities(&w, "a.kind = 'VISIT' AND a.quality", "'NUMERATOR'")
            }
            FollowUps => self.activities(
                &w,
                "a.kind IN ('CALL', 'EMAIL', 'MESSAGE', 'FOLLOW_UP')",
                "'BOTH'",
            ),
            NewLeads => self.leads(&w, false),
            LeadConversionRate => self.leads(&w, true),
            Proposals => self.proposals(&w, "1 = 1", None),
            CoCreatedProposals => self.proposals(&w, "d.proposal_co_created", None),
            ProposalCloseRate => self.proposals(&w, "1 = 1", Some(())),
            PipelineValue => self.pipeline(&w),
            CollaborationScore => self.ratings(&w, "COLLABORATION"),
            CapabilityScore => self.ratings(&w, "CAPABILITY"),
        }
    }

    fn org(&mut self) -> String {
        self.sql.param(self.organization)
    }

    fn instants(&mut self, w: &Window) -> (String, String) {
        (
            self.sql.param(w.start_micros()),
            self.sql.param(w.end_micros()),
        )
    }

    fn dates(&mut self, w: &Window) -> (String, String) {
        (self.sql.param(w.period.start), self.sql.param(w.end_date))
    }

    fn deal_branch(&mut self, condition: &str, event: &str, part: &str) {
        let org = self.org();
        let inner = format!(
            "SELECT d.owner_id AS owner, {event} AS event, 'DEAL' AS kind, d.id, {part} AS part, \
             {event} AS sort, {NO_DATE}, d.amount_minor AS amount, {NO_SCORE}, d.customer_id, \
             d.id AS deal_id FROM deals d WHERE d.organization_id = {org} AND {condition}"
        );
        self.push(inner, Event::Instant);
    }

    /// Won deals closed in the window.
    fn won_deals(&mut self, w: &Window, part: &str) {
        let (start, end) = self.instants(w);
        let condition =
            format!("d.status = 'WON' AND d.closed_at >= {start} AND d.closed_at < {end}");
        self.deal_branch(&condition, "d.closed_at", part);
    }

    /// Deals closed in the window: won in both, lost in the denominator.
    fn closed_deals(&mut self, w: &Window) {
        let (start, end) = self.instants(w);
        let condition = format!("d.closed_at >= {start} AND d.closed_at < {end}");
        self.deal_branch(
            &condition,
            "d.closed_at",
            "CASE WHEN d.status = 'WON' THEN 'BOTH' ELSE 'DENOMINATOR' END",
        );
    }

    /// Deals with a proposal sent in the window; for the close rate, those won before the
    /// end count in both.
    fn proposals(&mut self, w: &Window, condition: &str, close_rate: Option<()>) {
        let (start, end) = self.instants(w);
        let part = match close_rate {
            Some(()) => format!(
                "CASE WHEN d.status = 'WON' AND d.closed_at < {end} THEN 'BOTH' ELSE 'DENOMINATOR' END"
            ),
            None => "'BOTH'".to_owned(),
        };
        let condition =
            format!("{condition} AND d.proposal_sent_at >= {start} AND d.proposal_sent_at < {end}");
        self.deal_branch(&condition, "d.proposal_sent_at", &part);
    }

    /// Deals open at the window's end, counted for the rep who owns them just before it.
    fn pipeline(&mut self, w: &Window) {
        let end = self.sql.param(w.end_micros());
        let just_before_end = self.sql.param(w.end_micros() - 1);
        let condition =
            format!("d.created_at < {end} AND (d.closed_at IS NULL OR d.closed_at >= {end})");
        let org = self.org();
        let inner = format!(
            "SELECT d.owner_id AS owner, CAST({just_before_end} AS BIGINT) AS event, 'DEAL' AS kind, d.id, \
             'BOTH' AS part, d.created_at AS sort, {NO_DATE}, d.amount_minor AS amount, {NO_SCORE}, \
             d.customer_id, d.id AS deal_id FROM deals d WHERE d.organization_id = {org} AND {condition}"
        );
        self.push(inner, Event::Instant);
    }

    fn activities(&mut self, w: &Window, condition: &str, part: &str) {
        let (start, end) = self.instants(w);
        let org = self.org();
        let inner = format!(
            "SELECT a.rep_id AS owner, a.occurred_at AS event, 'ACTIVITY' AS kind, a.id, {part} AS part, \
             a.occurred_at AS sort, {NO_DATE}, {NO_AMOUNT}, {NO_SCORE}, a.customer_id, a.deal_id \
             FROM activities a WHERE a.organization_id = {org} AND a.deleted_at IS NULL \
             AND a.occurred_at >= {start} AND a.occurred_at < {end} AND {condition}"
        );
        self.push(inner, Event::Instant);
    }

    /// Leads created in the window; for the conversion rate, those converted before the
    /// end count in both.
    fn leads(&mut self, w: &Window, conversion: bool) {
        let (start, end) = self.instants(w);
        let part = if conversion {
            format!("CASE WHEN l.converted_at < {end} THEN 'BOTH' ELSE 'DENOMINATOR' END")
        } else {
            "'BOTH'".to_owned()
        };
        let org = self.org();
        let inner = format!(
            "SELECT l.owner_id AS owner, l.created_at AS event, 'LEAD' AS kind, l.id, {part} AS part, \
             l.created_at AS sort, {NO_DATE}, {NO_AMOUNT}, {NO_SCORE}, l.customer_id, {NO_ID} AS deal_id \
             FROM leads l WHERE l.organization_id = {org} AND l.created_at >= {start} AND l.created_at < {end}"
        );
        self.push(inner, Event::Instant);
    }

    fn surveys(&mut self, w: &Window, pass_score: Option<i32>) {
        let (start, end) = self.instants(w);
        let part = match pass_score {
            Some(pass) => format!(
                "CASE WHEN r.score >= {} THEN 'BOTH' ELSE 'DENOMINATOR' END",
                self.sql.param(pass)
            ),
            None => "'BOTH'".to_owned(),
        };
        let org = self.org();
        let inner = format!(
            "SELECT r.rep_id AS owner, r.responded_at AS event, 'SURVEY_RESPONSE' AS kind, r.id, {part} AS part, \
             r.responded_at AS sort, {NO_DATE}, {NO_AMOUNT}, r.score, r.customer_id, {NO_ID} AS deal_id \
             FROM survey_responses r WHERE r.organization_id = {org} \
             AND r.responded_at >= {start} AND r.responded_at < {end}"
        );
        self.push(inner, Event::Instant);
    }

    fn ratings(&mut self, w: &Window, category: &str) {
        let (start, end) = self.dates(w);
        let category = self.sql.param(category);
        let org = self.org();
        let sort = self.date_micros("r.rated_on");
        let inner = format!(
            "SELECT r.rep_id AS owner, r.rated_on AS event, 'RATING' AS kind, r.id, 'BOTH' AS part, \
             {sort} AS sort, r.rated_on AS on_date, {NO_AMOUNT}, r.score, {NO_ID} AS customer_id, \
             {NO_ID} AS deal_id FROM ratings r WHERE r.organization_id = {org} AND r.category = {category} \
             AND r.rated_on >= {start} AND r.rated_on < {end}"
        );
        self.push(inner, Event::Date);
    }

    /// Invoices due in the window (the denominator) and their payments received before
    /// its end (the numerator), both attributed by the invoice.
    fn invoices(&mut self, w: &Window) {
        let (start, end) = self.dates(w);
        let org = self.org();
        let sort = self.date_micros("i.due_on");
        let inner = format!(
            "SELECT i.owner_id AS owner, i.due_on AS event, 'INVOICE' AS kind, i.id, 'DENOMINATOR' AS part, \
             {sort} AS sort, i.due_on AS on_date, i.amount_minor AS amount, {NO_SCORE}, i.customer_id, \
             i.deal_id FROM invoices i WHERE i.organization_id = {org} AND i.due_on >= {start} AND i.due_on < {end}"
        );
        self.push(inner, Event::Date);
        let (start, end) = self.dates(w);
        let org = self.org();
        let sort = self.date_micros("p.received_on");
        let inner = format!(
            "SELECT i.owner_id AS owner, i.due_on AS event, 'PAYMENT' AS kind, p.id, 'NUMERATOR' AS part, \
             {sort} AS sort, p.received_on AS on_date, p.amount_minor AS amount, {NO_SCORE}, i.customer_id, \
             i.deal_id FROM payments p JOIN invoices i ON i.organization_id = p.organization_id \
             AND i.id = p.invoice_id WHERE p.organization_id = {org} AND i.due_on >= {start} \
             AND i.due_on < {end} AND p.received_on < {end}"
        );
        self.push(inner, Event::Date);
    }

    /// Expenses incurred in the window: a rep's follow the rep, a team's count for its
    /// team and every team above it, the organization's only for the organization.
    fn expenses(&mut self, w: &Window) {
        let (start, end) = self.dates(w);
        let org = self.org();
        let sort = self.date_micros("e.incurred_on");
        let select = format!(
            "SELECT e.rep_id AS owner, e.incurred_on AS event, 'EXPENSE' AS kind, e.id, 'NUMERATOR' AS part, \
             {sort} AS sort, e.incurred_on AS on_date, e.amount_minor AS amount, {NO_SCORE}, \
             {NO_ID} AS customer_id, {NO_ID} AS deal_id FROM expenses e WHERE e.organization_id = {org} \
             AND e.incurred_on >= {start} AND e.incurred_on < {end}"
        );
        let scope = self.scope;
        match scope {
            Scope::Org(_) => self.push(select, Event::Date),
            Scope::Reps(_) => self.push(format!("{select} AND e.rep_id IS NOT NULL"), Event::Date),
            Scope::Teams { subtrees, .. } => {
                self.push(format!("{select} AND e.rep_id IS NOT NULL"), Event::Date);
                let (start, end) = self.dates(w);
                let org = self.org();
                let teams: Vec<String> = subtrees
                    .iter()
                    .map(|(_, team)| self.sql.param(*team))
                    .collect();
                if !teams.is_empty() {
                    self.branches.push(format!(
                        "SELECT 'EXPENSE' AS kind, e.id, 'NUMERATOR' AS part, {sort} AS sort, \
                         e.incurred_on AS on_date, e.amount_minor AS amount, {NO_SCORE}, \
                         {NO_ID} AS customer_id, {NO_ID} AS deal_id FROM expenses e \
                         WHERE e.organization_id = {org} AND e.incurred_on >= {start} \
                         AND e.incurred_on < {end} AND e.team_id IN ({})",
                        teams.join(", ")
                    ));
                }
            }
        }
    }

    /// Customers acquired in the window: each with its first-ever won deal.
    fn new_customers(&mut self, w: &Window, part: &str) {
        let (start, end) = self.instants(w);
        let org = self.org();
        let inner = format!(
            "SELECT d.owner_id AS owner, d.closed_at AS event, 'CUSTOMER' AS kind, d.customer_id AS id, \
             {part} AS part, d.closed_at AS sort, {NO_DATE}, d.amount_minor AS amount, {NO_SCORE}, \
             d.customer_id, d.id AS deal_id FROM deals d WHERE d.organization_id = {org} \
             AND d.status = 'WON' AND d.closed_at >= {start} AND d.closed_at < {end} AND {}",
            first_won("d")
        );
        self.push(inner, Event::Instant);
    }

    /// Customers acquired before the end, with the gross profit of all their won deals
    /// before it.
    fn clv_customers(&mut self, w: &Window, part: &str) {
        let end = self.sql.param(w.end_micros());
        let org = self.org();
        let inner = format!(
            "SELECT d.owner_id AS owner, d.closed_at AS event, 'CUSTOMER' AS kind, d.customer_id AS id, \
             {part} AS part, d.closed_at AS sort, {NO_DATE}, \
             CAST((SELECT COALESCE(SUM(v.amount_minor - COALESCE(v.cost_minor, 0)), 0) FROM deals v \
             WHERE v.organization_id = d.organization_id AND v.customer_id = d.customer_id \
             AND v.status = 'WON' AND v.closed_at < {end}) AS BIGINT) AS amount, {NO_SCORE}, d.customer_id, \
             d.id AS deal_id FROM deals d WHERE d.organization_id = {org} AND d.status = 'WON' \
             AND d.closed_at < {end} AND {}",
            first_won("d")
        );
        self.push(inner, Event::Instant);
    }

    /// Customers active at the start whose responsible rep then belongs to the subject,
    /// each with its latest won deal before the start; those active at the end count in
    /// both.
    fn retention(&mut self, w: &Window, days: u32) {
        let (start, end) = self.instants(w);
        let start_back = self.sql.param(to_micros(w.days_before(w.start, days)));
        let end_back = self.sql.param(to_micros(w.days_before(w.end, days)));
        let org = self.org();
        let inner = format!(
            "SELECT r.owner, CAST({start} AS BIGINT) AS event, 'CUSTOMER' AS kind, r.customer_id AS id, \
             CASE WHEN EXISTS (SELECT 1 FROM deals k WHERE k.organization_id = r.organization_id \
             AND k.customer_id = r.customer_id AND k.status = 'WON' AND k.closed_at >= {end_back} \
             AND k.closed_at < {end}) THEN 'BOTH' ELSE 'DENOMINATOR' END AS part, r.closed_at AS sort, \
             {NO_DATE}, r.amount_minor AS amount, {NO_SCORE}, r.customer_id, r.id AS deal_id FROM \
             (SELECT d.organization_id, d.owner_id AS owner, d.customer_id, d.id, d.closed_at, d.amount_minor, \
             ROW_NUMBER() OVER (PARTITION BY d.customer_id ORDER BY d.closed_at DESC, d.id DESC) AS latest \
             FROM deals d WHERE d.organization_id = {org} AND d.status = 'WON' \
             AND d.closed_at >= {start_back} AND d.closed_at < {start}) r WHERE r.latest = 1"
        );
        self.push(inner, Event::Instant);
    }

    /// Distinct customers of the subject's won deals in the window, each with its first-ever
    /// won deal; those whose first won deal closed before the start count in both.
    fn repeat(&mut self, w: &Window) {
        let (start, end) = self.instants(w);
        let org = self.org();
        let inner = format!(
            "SELECT d.owner_id AS owner, d.closed_at AS event, 'CUSTOMER' AS kind, d.customer_id AS id, \
             'BOTH' AS part, d.closed_at AS sort, {NO_DATE}, d.amount_minor AS amount, {NO_SCORE}, \
             d.customer_id, (SELECT f.id FROM deals f WHERE f.organization_id = d.organization_id \
             AND f.customer_id = d.customer_id AND f.status = 'WON' ORDER BY f.closed_at, f.id LIMIT 1) AS deal_id, \
             (SELECT MIN(f.closed_at) FROM deals f WHERE f.organization_id = d.organization_id \
             AND f.customer_id = d.customer_id AND f.status = 'WON') AS first_won \
             FROM deals d WHERE d.organization_id = {org} AND d.status = 'WON' \
             AND d.closed_at >= {start} AND d.closed_at < {end}"
        );
        let rows = self.scope.rows(
            &mut self.sql,
            &inner,
            Event::Instant,
            &format!("{COLUMNS}, x.first_won"),
        );
        let start_again = self.sql.param(w.start_micros());
        self.branches.push(format!(
            "SELECT 'CUSTOMER' AS kind, y.id, CASE WHEN MIN(y.first_won) < {start_again} THEN 'BOTH' \
             ELSE 'DENOMINATOR' END AS part, MAX(y.sort) AS sort, {NO_DATE}, \
             CAST(SUM(y.amount) AS BIGINT) AS amount, {NO_SCORE}, y.id AS customer_id, y.deal_id \
             FROM ({rows}) y GROUP BY y.id, y.deal_id"
        ));
    }
}
