//! The SQL aggregates that fill [`Facts`]: one statement per family of KPIs for a whole
//! [`Scope`] of subjects, run only for the families the asked KPIs need.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use anyhow::Context as _;
use attain_migration::{DAY_MICROS, activity_counts};
use chrono::NaiveDate;
use futures_util::{StreamExt, stream};
use sea_orm::{ConnectionTrait, QueryResult, Statement};
use uuid::Uuid;

use super::catalog::KpiKey;
use super::facts::Facts;
use super::scope::{Event, Scope, Span, Sql};
use crate::error::CoreResult;
use crate::period::Window;
use crate::time::to_micros;

/// Groups of KPIs that one statement computes together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Closed,
    /// Distinct customers of won deals: a costlier aggregate, only for revenue per customer.
    WonCustomers,
    PreviousRevenue,
    YearAgoRevenue,
    Proposals,
    Leads,
    Activities,
    Surveys,
    Ratings,
    Invoices,
    Pipeline,
    Expenses,
    MarketSize,
    NewCustomers,
    Clv,
    Repeat,
    Retention,
}

/// The families a set of KPIs needs.
pub fn families(keys: &[KpiKey]) -> BTreeSet<Family> {
    use Family::{
        Closed, Expenses, Invoices, Leads, MarketSize, Pipeline, PreviousRevenue, Ratings, Repeat,
        Retention, Surveys, YearAgoRevenue,
    };
    use KpiKey::*;
    keys.iter()
        .flat_map(|key| -> &'static [Family] {
            match key {
                Revenue | WonDeals | AvgDealSize | GrossProfit | GrossMargin | WinRate
                | AvgSalesCycleDays => &[Closed],
                RevenuePerCustomer => &[Closed, Family::WonCustomers],
                RevenueGrowth => &[Closed, PreviousRevenue],
                RevenueYoy => &[Closed, YearAgoRevenue],
                MarketShare => &[Closed, MarketSize],
                CollectionRate => &[Invoices],
                NewCustomers => &[Family::NewCustomers],
                Cac => &[Family::NewCustomers, Expenses],
                Clv => &[Family::Clv],
                ClvCacRatio => &[Family::NewCustomers, Expenses, Family::Clv],
                RetentionRate => &[Retention],
                RepeatPurchaseRate => &[Repeat],
                SatisfactionAvg | SatisfactionPassRate => &[Surveys],
                Activities | Visits | QualityVisits | QualityVisitsPerWeek | FollowUps => {
                    &[Family::Activities]
                }
                NewLeads | LeadConversionRate => &[Leads],
                Proposals | CoCreatedProposals | ProposalCloseRate => &[Family::Proposals],
                PipelineValue => &[Pipeline],
                CollaborationScore | CapabilityScore => &[Ratings],
            }
        })
        .copied()
        .collect()
}

/// The windows one evaluation reads: the period, and its previous and year-ago periods
/// cut the same way.
#[derive(Clone, Copy, Debug)]
pub struct Windows {
    pub current: Window,
    pub previous: Window,
    pub year_ago: Window,
}

/// Everything a family query needs to know besides the scope.
pub struct Inputs<'a> {
    pub organization_id: Uuid,
    pub windows: &'a Windows,
    pub active_customer_window_days: u32,
    pub satisfaction_pass_score: i32,
}

/// How many of one evaluation's statements run at once.
const CONCURRENT_STATEMENTS: usize = 3;

/// Runs the families' statements and answers the facts of every subject in the scope.
pub async fn facts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    context: &Inputs<'_>,
    families: &BTreeSet<Family>,
) -> CoreResult<HashMap<Uuid, Facts>> {
    if scope.is_empty() {
        return Ok(HashMap::new());
    }
    let work: Vec<(Family, Sql)> = families
        .iter()
        .flat_map(|family| {
            statements(*family, scope, context)
                .into_iter()
                .map(|statement| (*family, statement))
        })
        .collect();
    collect(db, work, context, |row| {
        Ok(row.try_get::<Uuid>("", "subject").context("subject")?)
    })
    .await
}

/// Runs the statements, a few at a time on their own connections (they are
/// independent), and adds each row to the facts of the key `key_of` reads from it.
async fn collect<C: ConnectionTrait, K: Eq + Hash>(
    db: &C,
    work: Vec<(Family, Sql)>,
    context: &Inputs<'_>,
    key_of: impl Fn(&QueryResult) -> CoreResult<K>,
) -> CoreResult<HashMap<K, Facts>> {
    let mut facts: HashMap<K, Facts> = HashMap::new();
    let runs = work
        .into_iter()
        .map(|(family, statement)| run(db, family, statement));
    let mut answers = stream::iter(runs).buffer_unordered(CONCURRENT_STATEMENTS);
    while let Some(answer) = answers.next().await {
        let (family, rows) = answer?;
        for row in rows {
            apply(family, &row, facts.entry(key_of(&row)?).or_default())?;
        }
    }
    let days = context.windows.current.days();
    for entry in facts.values_mut() {
        entry.days = days;
    }
    Ok(facts)
}

/// Runs one family's statement.
async fn run<C: ConnectionTrait>(
    db: &C,
    family: Family,
    statement: Sql,
) -> CoreResult<(Family, Vec<QueryResult>)> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            statement.text,
            statement.values,
        ))
        .await
        .with_context(|| format!("computing {family:?}"))?;
    Ok((family, rows))
}

fn get(row: &QueryResult, column: &str) -> CoreResult<i64> {
    Ok(row
        .try_get::<Option<i64>>("", column)
        .with_context(|| column.to_owned())?
        .unwrap_or(0))
}

fn apply(family: Family, row: &QueryResult, facts: &mut Facts) -> CoreResult<()> {
    match family {
        Family::Closed => {
            facts.revenue = get(row, "revenue")?;
            facts.won_deals = get(row, "won")?;
            facts.lost_deals = get(row, "lost")?;
            facts.gross_profit = get(row, "profit")?;
            facts.cycle_micros = get(row, "cycle")?;
        }
        Family::WonCustomers => facts.won_customers = get(row, "customers")?,
        Family::PreviousRevenue => facts.previous_revenue = get(row, "revenue")?,
        Family::YearAgoRevenue => facts.year_ago_revenue = get(row, "revenue")?,
        Family::Proposals => {
            facts.proposals = get(row, "proposals")?;
            facts.co_created_proposals = get(row, "co_created")?;
            facts.proposals_won = get(row, "won")?;
        }
        Family::Leads => {
            facts.new_leads = get(row, "leads")?;
            facts.converted_leads = get(row, "converted")?;
        }
        Family::Activities => {
            facts.activities = get(row, "total")?;
            facts.visits = get(row, "visits")?;
            facts.quality_visits = get(row, "quality")?;
            facts.follow_ups = get(row, "follow_ups")?;
        }
        Family::Surveys => {
            facts.surveys = get(row, "responses")?;
            facts.survey_score_sum = get(row, "score_sum")?;
            facts.surveys_passed = get(row, "passed")?;
        }
        Family::Ratings => {
            facts.collaboration_ratings = get(row, "collaboration_n")?;
            facts.collaboration_sum = get(row, "collaboration_sum")?;
            facts.capability_ratings = get(row, "capability_n")?;
            facts.capability_sum = get(row, "capability_sum")?;
        }
        Family::Invoices => {
            facts.invoiced = get(row, "invoiced")?;
            facts.collected = get(row, "collected")?;
        }
        Family::Pipeline => facts.pipeline = get(row, "pipeline")?,
        Family::Expenses => facts.expenses += get(row, "expenses")?,
        Family::MarketSize => facts.market_size = Some(get(row, "market")?),
        Family::NewCustomers => facts.new_customers = get(row, "new_customers")?,
        Family::Clv => {
            facts.clv_customers = get(row, "customers")?;
            facts.clv_profit = get(row, "profit")?;
        }
        Family::Repeat => {
            facts.repeat_customers = get(row, "customers")?;
            facts.repeat_returning = get(row, "repeated")?;
        }
        Family::Retention => {
            facts.retention_base = get(row, "base")?;
            facts.retention_kept = get(row, "kept")?;
        }
    }
    Ok(())
}

/// `CAST(COALESCE(SUM(expr), 0) AS BIGINT)`: PostgreSQL sums integers as numeric.
fn sum(expr: &str, name: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT) AS {name}")
}

fn statements(family: Family, scope: &Scope, context: &Inputs<'_>) -> Vec<Sql> {
    if family == Family::Activities {
        return daily_activities(scope, context).into_iter().collect();
    }
    match build(family, scope, context) {
        Built::Parts(mut parts) => {
            parts.sql.text =
                scope.grouped(&mut parts.sql, &parts.inner, parts.event, &parts.aggregates);
            vec![parts.sql]
        }
        Built::Whole(statements) => statements,
    }
}

/// The columns of the activities family, in the order of [`activity_counts`].
const ACTIVITY_FACTS: [&str; 4] = ["total", "visits", "quality", "follow_ups"];

/// The activities family's aggregates over activity rows `alias`: the same counts the
/// daily counts keep.
fn activity_aggregates(alias: &str) -> String {
    activity_counts(alias, "1")
        .iter()
        .zip(ACTIVITY_FACTS)
        .map(|(count, name)| sum(count, name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stretch of time `[from, to)` cut into whole UTC days (day numbers `[first, end)`)
/// and the partial days at its two ends (instants; empty ones are `(0, 0)`).
struct Cut {
    days: (i64, i64),
    edges: [(i64, i64); 2],
}

impl Cut {
    fn new(from: i64, to: i64) -> Cut {
        let first = from.div_euclid(DAY_MICROS) + i64::from(from.rem_euclid(DAY_MICROS) > 0);
        let end = to.div_euclid(DAY_MICROS);
        if first < end {
            Cut {
                days: (first, end),
                edges: [(from, first * DAY_MICROS), (end * DAY_MICROS, to)],
            }
        } else {
            Cut {
                days: (0, 0),
                edges: [(from, to), (0, 0)],
            }
        }
    }
}

/// The activities family read from the daily counts (`activity_days`): whole UTC days
/// from them, partial days from the activities. For reps and the organization the
/// partial days are the window's first and last; for a team, those of each member's
/// span inside the window (a membership can start or end within a day). None when no
/// member's span reaches into the window.
fn daily_activities(scope: &Scope, context: &Inputs<'_>) -> Option<Sql> {
    let window = context.windows.current;
    let (start, end) = (window.start_micros(), window.end_micros());
    let mut sql = Sql::default();
    let org = sql.param(context.organization_id);
    let [total, visits, quality, follow_ups] =
        activity_counts("a", "1").map(|count| format!("CAST({count} AS BIGINT)"));
    let counted = format!(
        "{total} AS total, {visits} AS visits, {quality} AS quality, {follow_ups} AS follow_ups"
    );
    let live = "a.deleted_at IS NULL";
    let aggregates = ACTIVITY_FACTS
        .map(|name| sum(&format!("x.{name}"), name))
        .join(", ");
    if let Scope::Teams { spans, .. } = scope {
        let rows: Vec<String> = spans
            .iter()
            .filter(|span| span.from.max(start) < span.to.min(end))
            .map(|span| {
                let Cut {
                    days: (first, last),
                    edges: [(f1, t1), (f2, t2)],
                } = Cut::new(span.from.max(start), span.to.min(end));
                let (subject, user) = (sql.param(span.subject), sql.param(span.user_id));
                format!("({subject}, {user}, {first}, {last}, {f1}, {t1}, {f2}, {t2})")
            })
            .collect();
        if rows.is_empty() {
            return None;
        }
        let edge = |from: &str, to: &str| {
            format!(
                "SELECT s.subject, {counted} FROM s JOIN activities a ON a.organization_id = {org} \
                 AND a.rep_id = s.user_id AND a.occurred_at >= s.{from} AND a.occurred_at < s.{to} AND {live}"
            )
        };
        sql.text = format!(
            "WITH s(subject, user_id, d0, d1, f1, t1, f2, t2) AS (VALUES {}) \
             SELECT x.subject AS subject, {aggregates} FROM (\
             SELECT s.subject, c.total, c.visits, c.quality, c.follow_ups FROM s JOIN activity_days c \
             ON c.organization_id = {org} AND c.rep_id = s.user_id AND c.day >= s.d0 AND c.day < s.d1 \
             UNION ALL {} UNION ALL {}) x GROUP BY x.subject",
            rows.join(", "),
            edge("f1", "t1"),
            edge("f2", "t2"),
        );
        return Some(sql);
    }
    let Cut {
        days: (first, last),
        edges,
    } = Cut::new(start, end);
    let (first, last) = (sql.param(first), sql.param(last));
    let mut parts = vec![format!(
        "SELECT c.rep_id AS owner, c.total, c.visits, c.quality, c.follow_ups FROM activity_days c \
         WHERE c.organization_id = {org} AND c.day >= {first} AND c.day < {last}"
    )];
    for (from, to) in edges {
        let (from, to) = (sql.param(from), sql.param(to));
        parts.push(format!(
            "SELECT a.rep_id AS owner, {counted} FROM activities a WHERE a.organization_id = {org} \
             AND a.occurred_at >= {from} AND a.occurred_at < {to} AND {live}"
        ));
    }
    sql.text = scope.grouped(
        &mut sql,
        &parts.join(" UNION ALL "),
        Event::Instant,
        &aggregates,
    );
    Some(sql)
}

/// What a breakdown groups one subject's records by.
#[derive(Clone, Debug)]
pub enum Grouping {
    /// An attribute of the record or of the record it references.
    Attribute(Attribute),
    /// The responsible rep.
    Owner,
    /// Numbered ranges of the event.
    Ranges(Vec<Range>),
    /// Spans of the responsible rep's membership, each naming its group (its team) as
    /// its subject.
    Memberships(Vec<Span>),
}

/// A range of events, `[from, to)`, as instants and as local dates.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub group: i64,
    pub from: i64,
    pub to: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
}

/// Attributes of records a breakdown can group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    LeadSource,
    CustomerSegment,
    ActivityKind,
    Stage,
}

impl Attribute {
    /// The attribute of a record of `table` read as `alias`, as SQL; none where such
    /// records have no such attribute.
    fn column(self, table: Table, alias: &str) -> Option<String> {
        let via = |other: &str, column: &str, key: &str| {
            format!(
                "(SELECT g.{column} FROM {other} g WHERE g.organization_id = {alias}.organization_id \
                 AND g.id = {alias}.{key})"
            )
        };
        Some(match (self, table) {
            (Attribute::LeadSource, Table::Leads) => format!("{alias}.lead_source"),
            (Attribute::LeadSource, Table::Deals) => via("leads", "lead_source", "lead_id"),
            (
                Attribute::CustomerSegment,
                Table::Deals | Table::Leads | Table::Activities | Table::Surveys | Table::Invoices,
            ) => via("customers", "segment", "customer_id"),
            (Attribute::ActivityKind, Table::Activities) => format!("{alias}.kind"),
            (Attribute::Stage, Table::Deals) => format!("{alias}.stage"),
            _ => return None,
        })
    }
}

/// The group a breakdown's records came out in; `None` holds those without one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    Text(String),
    Id(Uuid),
    Number(i64),
}

/// Whether a family's records can be grouped so: ranges need events inside the period.
pub fn groupable(family: Family, grouping: &Grouping) -> bool {
    let Some((table, alias)) = source(family) else {
        return false;
    };
    match grouping {
        Grouping::Attribute(attribute) => attribute.column(table, alias).is_some(),
        Grouping::Owner | Grouping::Memberships(_) => true,
        Grouping::Ranges(_) => !matches!(
            family,
            Family::PreviousRevenue
                | Family::YearAgoRevenue
                | Family::Pipeline
                | Family::Retention
                | Family::Clv
        ),
    }
}

/// The facts of one subject's `scope` per group, for the families that can be grouped
/// so (see [`groupable`]), in one statement per family.
pub async fn grouped_facts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    context: &Inputs<'_>,
    families: &BTreeSet<Family>,
    grouping: &Grouping,
) -> CoreResult<HashMap<Option<Group>, Facts>> {
    let work: Vec<(Family, Sql)> = families
        .iter()
        .filter_map(|family| {
            grouped_statement(*family, scope, context, grouping).map(|sql| (*family, sql))
        })
        .collect();
    collect(db, work, context, |row| {
        Ok(match grouping {
            Grouping::Attribute(_) => row.try_get::<Option<String>>("", "grp")?.map(Group::Text),
            Grouping::Owner | Grouping::Memberships(_) => {
                row.try_get::<Option<Uuid>>("", "grp")?.map(Group::Id)
            }
            Grouping::Ranges(_) => row.try_get::<Option<i64>>("", "grp")?.map(Group::Number),
        })
    })
    .await
}

/// One family's aggregates over the scope's records, grouped by `grouping` in a `grp`
/// column; none when the family cannot be grouped so.
fn grouped_statement(
    family: Family,
    scope: &Scope,
    context: &Inputs<'_>,
    grouping: &Grouping,
) -> Option<Sql> {
    if !groupable(family, grouping) {
        return None;
    }
    let (table, alias) = source(family)?;
    let Built::Parts(Parts {
        mut sql,
        inner,
        event,
        aggregates,
    }) = build(family, scope, context)
    else {
        return None;
    };
    let bounds =
        |sql: &mut Sql, from: i64, to: i64, from_date: NaiveDate, to_date: NaiveDate| match event {
            Event::Instant => (sql.param(from), sql.param(to)),
            Event::Date => (sql.param(from_date), sql.param(to_date)),
        };
    let (inner, group, join) = match grouping {
        Grouping::Attribute(attribute) => {
            let column = attribute.column(table, alias)?;
            let rest = inner.strip_prefix("SELECT ")?;
            (
                format!("SELECT {column} AS grp, {rest}"),
                "x.grp",
                String::new(),
            )
        }
        Grouping::Owner => (inner, "x.owner", String::new()),
        Grouping::Ranges(ranges) => {
            let rows: Vec<String> = ranges
                .iter()
                .map(|range| {
                    let group = sql.param(range.group);
                    let (from, to) = bounds(
                        &mut sql,
                        range.from,
                        range.to,
                        range.from_date,
                        range.to_date,
                    );
                    format!("({group}, {from}, {to})")
                })
                .collect();
            let join = format!(
                " JOIN (VALUES {}) g ON x.event >= g.column2 AND x.event < g.column3",
                rows.join(", ")
            );
            (inner, "g.column1", join)
        }
        Grouping::Memberships(spans) if spans.is_empty() => (inner, "NULL", String::new()),
        Grouping::Memberships(spans) => {
            let rows: Vec<String> = spans
                .iter()
                .map(|span| {
                    let group = sql.param(span.subject);
                    let user = sql.param(span.user_id);
                    let (from, to) =
                        bounds(&mut sql, span.from, span.to, span.from_date, span.to_date);
                    format!("({group}, {user}, {from}, {to})")
                })
                .collect();
            let join = format!(
                " LEFT JOIN (VALUES {}) g ON x.owner = g.column2 AND x.event >= g.column3 \
                 AND x.event < g.column4",
                rows.join(", ")
            );
            (inner, "g.column1", join)
        }
    };
    let records = scope.rows(&mut sql, &inner, event, "x.*");
    let grouped = match group {
        "NULL" => "HAVING COUNT(*) > 0".to_owned(),
        group => format!("GROUP BY {group}"),
    };
    sql.text = format!("SELECT {group} AS grp, {aggregates} FROM ({records}) x{join} {grouped}");
    Some(sql)
}

/// A family's records table, named for what a breakdown can group it by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Deals,
    Leads,
    Activities,
    Surveys,
    Ratings,
    Invoices,
}

/// The table a family's records query reads and its alias there; none for the families
/// grouped their own way.
fn source(family: Family) -> Option<(Table, &'static str)> {
    Some(match family {
        Family::Closed
        | Family::WonCustomers
        | Family::PreviousRevenue
        | Family::YearAgoRevenue
        | Family::Proposals
        | Family::Pipeline
        | Family::NewCustomers
        | Family::Clv
        | Family::Repeat => (Table::Deals, "d"),
        Family::Retention => (Table::Deals, "b"),
        Family::Leads => (Table::Leads, "l"),
        Family::Activities => (Table::Activities, "a"),
        Family::Surveys => (Table::Surveys, "r"),
        Family::Ratings => (Table::Ratings, "r"),
        Family::Invoices => (Table::Invoices, "i"),
        Family::Expenses | Family::MarketSize => return None,
    })
}

/// One family's query of records (`owner`, `event` and what its aggregates read) and its
/// aggregates over them as `x`, before grouping.
struct Parts {
    sql: Sql,
    inner: String,
    event: Event,
    aggregates: String,
}

/// A family's statement parts, or whole statements for the families grouped their own way.
enum Built {
    Parts(Parts),
    Whole(Vec<Sql>),
}

fn deals(sql: Sql, inner: String, aggregates: String) -> Built {
    Built::Parts(Parts {
        sql,
        inner,
        event: Event::Instant,
        aggregates,
    })
}

fn build(family: Family, scope: &Scope, context: &Inputs<'_>) -> Built {
    let windows = context.windows;
    let mut sql = Sql::default();
    let org = sql.param(context.organization_id);
    let w = windows.current;
    // Parameters are added where a statement uses them: every one bound must appear.
    let instants = |sql: &mut Sql| (sql.param(w.start_micros()), sql.param(w.end_micros()));
    let dates = |sql: &mut Sql| (sql.param(w.period.start), sql.param(w.end_date));
    let won = "d.status = 'WON'";
    let (inner, event, aggregates) = match family {
        Family::Closed
        | Family::WonCustomers
        | Family::PreviousRevenue
        | Family::YearAgoRevenue => {
            let window = match family {
                Family::PreviousRevenue => windows.previous,
                Family::YearAgoRevenue => windows.year_ago,
                _ => w,
            };
            let (from, to) = (
                sql.param(window.start_micros()),
                sql.param(window.end_micros()),
            );
            let inner = format!(
                "SELECT d.owner_id AS owner, d.closed_at AS event, d.status, d.customer_id, d.amount_minor, \
                 d.cost_minor, d.created_at FROM deals d \
                 WHERE d.organization_id = {org} AND d.closed_at >= {from} AND d.closed_at < {to}"
            );
            let revenue = sum(
                "CASE WHEN x.status = 'WON' THEN x.amount_minor ELSE 0 END",
                "revenue",
            );
            match family {
                Family::Closed => {}
                Family::WonCustomers => {
                    let customers = "COUNT(DISTINCT CASE WHEN x.status = 'WON' THEN x.customer_id END) AS customers";
                    return deals(sql, inner, customers.to_owned());
                }
                _ => return deals(sql, inner, revenue),
            }
            let aggregates = [
                revenue,
                "COUNT(CASE WHEN x.status = 'WON' THEN 1 END) AS won".to_owned(),
                "COUNT(CASE WHEN x.status = 'LOST' THEN 1 END) AS lost".to_owned(),
                sum("CASE WHEN x.status = 'WON' THEN x.amount_minor - COALESCE(x.cost_minor, 0) ELSE 0 END", "profit"),
                sum("CASE WHEN x.status = 'WON' THEN x.event - x.created_at ELSE 0 END", "cycle"),
            ]
            .join(", ");
            (inner, Event::Instant, aggregates)
        }
        Family::Proposals => {
            let (start, end) = instants(&mut sql);
            (
                format!(
                    "SELECT d.owner_id AS owner, d.proposal_sent_at AS event, d.proposal_co_created AS co, d.status, \
                 d.closed_at FROM deals d WHERE d.organization_id = {org} \
                 AND d.proposal_sent_at >= {start} AND d.proposal_sent_at < {end}"
                ),
                Event::Instant,
                format!(
                    "COUNT(*) AS proposals, COUNT(CASE WHEN x.co THEN 1 END) AS co_created, \
                 COUNT(CASE WHEN x.status = 'WON' AND x.closed_at < {end} THEN 1 END) AS won"
                ),
            )
        }
        Family::Leads => {
            let (start, end) = instants(&mut sql);
            (
                format!(
                    "SELECT l.owner_id AS owner, l.created_at AS event, l.converted_at FROM leads l \
                 WHERE l.organization_id = {org} AND l.created_at >= {start} AND l.created_at < {end}"
                ),
                Event::Instant,
                format!(
                    "COUNT(*) AS leads, COUNT(CASE WHEN x.converted_at < {end} THEN 1 END) AS converted"
                ),
            )
        }
        Family::Activities => {
            let (start, end) = instants(&mut sql);
            (
                format!(
                    "SELECT a.rep_id AS owner, a.occurred_at AS event, a.kind, a.quality FROM activities a \
                 WHERE a.organization_id = {org} AND a.occurred_at >= {start} AND a.occurred_at < {end} \
                 AND a.deleted_at IS NULL"
                ),
                Event::Instant,
                activity_aggregates("x"),
            )
        }
        Family::Surveys => {
            let (start, end) = instants(&mut sql);
            let pass = sql.param(context.satisfaction_pass_score);
            (
                format!(
                    "SELECT r.rep_id AS owner, r.responded_at AS event, r.score FROM survey_responses r \
                     WHERE r.organization_id = {org} AND r.responded_at >= {start} AND r.responded_at < {end}"
                ),
                Event::Instant,
                format!(
                    "COUNT(*) AS responses, {}, COUNT(CASE WHEN x.score >= {pass} THEN 1 END) AS passed",
                    sum("x.score", "score_sum")
                ),
            )
        }
        Family::Ratings => {
            let (start_date, end_date) = dates(&mut sql);
            (
                format!(
                    "SELECT r.rep_id AS owner, r.rated_on AS event, r.category, r.score FROM ratings r \
                 WHERE r.organization_id = {org} AND r.rated_on >= {start_date} AND r.rated_on < {end_date}"
                ),
                Event::Date,
                [
                    "COUNT(CASE WHEN x.category = 'COLLABORATION' THEN 1 END) AS collaboration_n"
                        .to_owned(),
                    sum(
                        "CASE WHEN x.category = 'COLLABORATION' THEN x.score ELSE 0 END",
                        "collaboration_sum",
                    ),
                    "COUNT(CASE WHEN x.category = 'CAPABILITY' THEN 1 END) AS capability_n"
                        .to_owned(),
                    sum(
                        "CASE WHEN x.category = 'CAPABILITY' THEN x.score ELSE 0 END",
                        "capability_sum",
                    ),
                ]
                .join(", "),
            )
        }
        Family::Invoices => {
            let (start_date, end_date) = dates(&mut sql);
            (
                format!(
                    "SELECT i.owner_id AS owner, i.due_on AS event, i.amount_minor, \
                 (SELECT COALESCE(SUM(p.amount_minor), 0) FROM payments p WHERE p.organization_id = i.organization_id \
                 AND p.invoice_id = i.id AND p.received_on < {end_date}) AS paid FROM invoices i \
                 WHERE i.organization_id = {org} AND i.due_on >= {start_date} AND i.due_on < {end_date}"
                ),
                Event::Date,
                format!(
                    "{}, {}",
                    sum("x.amount_minor", "invoiced"),
                    sum("x.paid", "collected")
                ),
            )
        }
        Family::Pipeline => {
            let end = sql.param(w.end_micros());
            // The member "at the end of P" is the one just before E.
            let just_before_end = sql.param(w.end_micros() - 1);
            (
                format!(
                    "SELECT d.owner_id AS owner, CAST({just_before_end} AS BIGINT) AS event, d.amount_minor \
                     FROM deals d WHERE d.organization_id = {org} AND d.created_at < {end} \
                     AND (d.closed_at IS NULL OR d.closed_at >= {end})"
                ),
                Event::Instant,
                sum("x.amount_minor", "pipeline"),
            )
        }
        Family::Expenses => {
            let (start_date, end_date) = dates(&mut sql);
            return Built::Whole(expenses(sql, scope, &org, &start_date, &end_date));
        }
        Family::MarketSize => return Built::Whole(market_size(sql, scope, &org, w)),
        Family::NewCustomers => {
            let (start, end) = instants(&mut sql);
            (
                format!(
                    "SELECT d.owner_id AS owner, d.closed_at AS event FROM deals d \
                 WHERE d.organization_id = {org} AND {won} AND d.closed_at >= {start} AND d.closed_at < {end} \
                 AND {}",
                    first_won("d")
                ),
                Event::Instant,
                "COUNT(*) AS new_customers".to_owned(),
            )
        }
        Family::Clv => {
            let end = sql.param(w.end_micros());
            (
                format!(
                    "SELECT d.owner_id AS owner, d.closed_at AS event, \
                 (SELECT COALESCE(SUM(w.amount_minor - COALESCE(w.cost_minor, 0)), 0) FROM deals w \
                 WHERE w.organization_id = d.organization_id AND w.customer_id = d.customer_id \
                 AND w.status = 'WON' AND w.closed_at < {end}) AS profit FROM deals d \
                 WHERE d.organization_id = {org} AND {won} AND d.closed_at < {end} AND {}",
                    first_won("d")
                ),
                Event::Instant,
                format!("COUNT(*) AS customers, {}", sum("x.profit", "profit")),
            )
        }
        Family::Repeat => {
            let (start, end) = instants(&mut sql);
            (
                format!(
                    "SELECT d.owner_id AS owner, d.closed_at AS event, d.customer_id, \
                 (SELECT MIN(w.closed_at) FROM deals w WHERE w.organization_id = d.organization_id \
                 AND w.customer_id = d.customer_id AND w.status = 'WON') AS first_won FROM deals d \
                 WHERE d.organization_id = {org} AND {won} AND d.closed_at >= {start} AND d.closed_at < {end}"
                ),
                Event::Instant,
                format!(
                    "COUNT(DISTINCT x.customer_id) AS customers, \
                 COUNT(DISTINCT CASE WHEN x.first_won < {start} THEN x.customer_id END) AS repeated"
                ),
            )
        }
        Family::Retention => {
            let (start, end) = instants(&mut sql);
            let days = context.active_customer_window_days;
            let start_back = sql.param(to_micros(w.days_before(w.start, days)));
            let end_back = sql.param(to_micros(w.days_before(w.end, days)));
            // A customer's responsible rep owns its latest won deal in the window, so with
            // few reps the scan can start from theirs.
            let candidates = scope
                .owner_condition(&mut sql, "b.owner_id")
                .map(|owners| format!(" AND {owners}"))
                .unwrap_or_default();
            // The latest won deal before t is the won deal before t whose customer's next
            // won deal is not (`next_won_at`): one row per customer active at P.start,
            // owned by its responsible rep then, joined to the one of the same customer
            // active at E, if any.
            (
                format!(
                    "SELECT b.owner_id AS owner, CAST({start} AS BIGINT) AS event, \
                     CASE WHEN k.customer_id IS NULL THEN 0 ELSE 1 END AS kept FROM deals b \
                     LEFT JOIN deals k ON k.organization_id = b.organization_id AND k.customer_id = b.customer_id \
                     AND k.status = 'WON' AND k.closed_at >= {end_back} AND k.closed_at < {end} \
                     AND (k.next_won_at IS NULL OR k.next_won_at >= {end}) \
                     WHERE b.organization_id = {org} AND b.status = 'WON' AND b.closed_at >= {start_back} \
                     AND b.closed_at < {start} AND (b.next_won_at IS NULL OR b.next_won_at >= {start}){candidates}"
                ),
                Event::Instant,
                format!("COUNT(*) AS base, {}", sum("x.kept", "kept")),
            )
        }
    };
    Built::Parts(Parts {
        sql,
        inner,
        event,
        aggregates,
    })
}

/// The deal `alias` is its customer's first-ever won deal (ties: the smallest id).
pub(crate) fn first_won(alias: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM deals e WHERE e.organization_id = {alias}.organization_id \
         AND e.customer_id = {alias}.customer_id AND e.status = 'WON' \
         AND (e.closed_at < {alias}.closed_at OR (e.closed_at = {alias}.closed_at AND e.id < {alias}.id)))"
    )
}

/// Expenses: a rep's follow the rep (and the rep's team on the day); a team's count for it
/// and every team above it, never for a rep; the organization's only for the organization.
fn expenses(mut sql: Sql, scope: &Scope, org: &str, start_date: &str, end_date: &str) -> Vec<Sql> {
    let in_window = format!(
        "e.organization_id = {org} AND e.incurred_on >= {start_date} AND e.incurred_on < {end_date}"
    );
    let aggregates = sum("x.amount_minor", "expenses");
    let by_rep = format!(
        "SELECT e.rep_id AS owner, e.incurred_on AS event, e.amount_minor FROM expenses e \
         WHERE {in_window} AND e.rep_id IS NOT NULL"
    );
    match scope {
        Scope::Org(_) => {
            let all = format!(
                "SELECT e.rep_id AS owner, e.incurred_on AS event, e.amount_minor FROM expenses e WHERE {in_window}"
            );
            sql.text = scope.grouped(&mut sql, &all, Event::Date, &aggregates);
            vec![sql]
        }
        Scope::Reps(_) => {
            sql.text = scope.grouped(&mut sql, &by_rep, Event::Date, &aggregates);
            vec![sql]
        }
        Scope::Teams { subtrees, .. } => {
            let values = sql.values.clone();
            let mut by_team = Sql {
                text: String::new(),
                values,
            };
            let pairs: Vec<String> = subtrees
                .iter()
                .map(|(subject, team)| {
                    format!("({}, {})", by_team.param(*subject), by_team.param(*team))
                })
                .collect();
            by_team.text = format!(
                "WITH st(subject, team_id) AS (VALUES {}) SELECT st.subject AS subject, {} \
                 FROM expenses e JOIN st ON e.team_id = st.team_id WHERE {in_window} GROUP BY st.subject",
                pairs.join(", "),
                sum("e.amount_minor", "expenses")
            );
            sql.text = scope.grouped(&mut sql, &by_rep, Event::Date, &aggregates);
            if subtrees.is_empty() {
                vec![sql]
            } else {
                vec![sql, by_team]
            }
        }
    }
}

/// The market size recorded for exactly the scope and the period's full date range.
fn market_size(mut sql: Sql, scope: &Scope, org: &str, window: Window) -> Vec<Sql> {
    let first = sql.param(window.period.start);
    let last = sql.param(window.period.end.pred_opt().unwrap_or(window.period.end));
    let exact =
        format!("m.organization_id = {org} AND m.starts_on = {first} AND m.ends_on = {last}");
    sql.text = match scope {
        Scope::Reps(_) => return Vec::new(),
        Scope::Teams { subtrees, .. } => {
            let teams: BTreeSet<Uuid> = subtrees.iter().map(|(subject, _)| *subject).collect();
            let list: Vec<String> = teams.iter().map(|team| sql.param(*team)).collect();
            format!(
                "SELECT m.team_id AS subject, {} FROM market_sizes m WHERE {exact} AND m.team_id IN ({}) \
                 GROUP BY m.team_id",
                sum("m.amount_minor", "market"),
                list.join(", ")
            )
        }
        Scope::Org(organization) => format!(
            "SELECT {} AS subject, {} FROM market_sizes m WHERE {exact} AND m.team_id IS NULL HAVING COUNT(*) > 0",
            sql.param(*organization),
            sum("m.amount_minor", "market")
        ),
    };
    vec![sql]
}
