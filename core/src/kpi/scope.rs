//! Whose records a KPI query counts, as SQL: each rep by their own records, each team by
//! its members' records at event time, or the whole organization. One statement answers
//! a whole set of subjects (grouped), never one statement per subject.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::Value;
use uuid::Uuid;

use crate::period::start_of_day;
use crate::time::from_micros;

/// SQL text with its numbered parameters (`$1`, `$2`, … on both backends).
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    /// Adds a parameter and answers its placeholder.
    pub fn param(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }
}

/// A rep's membership of a subject team (directly or through a subteam): the records of
/// `user_id` with an event in `[from, to)` count for `subject`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub subject: Uuid,
    pub user_id: Uuid,
    pub from: i64,
    /// `i64::MAX` while the membership is open.
    pub to: i64,
    /// The same span in local dates, for records whose event is a date.
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
}

impl Span {
    /// A membership as a span of `subject`, in the organization's time zone.
    pub fn new(subject: Uuid, user_id: Uuid, from: i64, to: Option<i64>, tz: Tz) -> Span {
        Span {
            subject,
            user_id,
            from,
            to: to.unwrap_or(i64::MAX),
            from_date: first_date_from(from_micros(from), tz),
            to_date: to.map_or(OPEN_END_DATE, |to| first_date_from(from_micros(to), tz)),
        }
    }
}

/// The end date of an open span: late enough, and sortable as text on SQLite.
const OPEN_END_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// The first local date that starts at or after `instant`.
pub fn first_date_from(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let date = instant.with_timezone(&tz).date_naive();
    if start_of_day(date, tz) >= instant {
        date
    } else {
        date.succ_opt().unwrap_or(date)
    }
}

/// The subjects one statement computes.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Each listed rep by the records they are responsible for.
    Reps(Vec<Uuid>),
    /// Each team by its members' records at event time.
    Teams {
        spans: Vec<Span>,
        /// (subject team, a team in its subtree), for what is attributed to teams.
        subtrees: Vec<(Uuid, Uuid)>,
    },
    /// The whole organization: every record.
    Org(Uuid),
}

/// The most reps a statement lists by id; larger sets group every rep.
pub const LISTED_REPS: usize = 256;

/// What kind of value a record's event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Instant,
    Date,
}

impl Scope {
    /// Whether the scope has no subject (nothing to ask the database).
    pub fn is_empty(&self) -> bool {
        match self {
            Scope::Reps(reps) => reps.is_empty(),
            Scope::Teams { spans, .. } => spans.is_empty(),
            Scope::Org(_) => false,
        }
    }

    /// Wraps `inner` — a query of records with an `owner` (the responsible rep) and an
    /// `event` column — so that `aggregates` over its rows `x` come out per subject in a
    /// `subject` column.
    pub fn grouped(&self, sql: &mut Sql, inner: &str, event: Event, aggregates: &str) -> String {
        match self {
            // Past a few hundred reps, grouping the whole organization and dropping the
            // others afterwards beats probing an index once per listed rep.
            Scope::Reps(reps) if reps.len() > LISTED_REPS => {
                format!("SELECT x.owner AS subject, {aggregates} FROM ({inner}) x GROUP BY x.owner")
            }
            Scope::Reps(reps) => {
                let list: Vec<String> = reps.iter().map(|rep| sql.param(*rep)).collect();
                format!(
                    "SELECT x.owner AS subject, {aggregates} FROM ({inner}) x \
                     WHERE x.owner IN ({}) GROUP BY x.owner",
                    list.join(", ")
                )
            }
            Scope::Teams { spans, .. } => {
                let (rows, members) = self.spans_sql(spans, sql, event);
                format!(
                    "WITH s(subject, user_id, f, t) AS (VALUES {rows}) \
                     SELECT s.subject AS subject, {aggregates} FROM ({inner}) x \
                     JOIN s ON x.owner = s.user_id AND x.event >= s.f AND x.event < s.t{members} \
                     GROUP BY s.subject"
                )
            }
            Scope::Org(organization) => {
                format!(
                    "SELECT {} AS subject, {aggregates} FROM ({inner}) x",
                    sql.param(*organization)
                )
            }
        }
    }

    /// The spans as a `VALUES` list of (subject, user, from, to), bounds as instants or
    /// dates for `event`, and a `WHERE` naming their members when they are few enough,
    /// which lets the database read only those reps' records.
    fn spans_sql(&self, spans: &[Span], sql: &mut Sql, event: Event) -> (String, String) {
        let rows: Vec<String> = spans
            .iter()
            .map(|span| {
                let (from, to) = match event {
                    Event::Instant => (sql.param(span.from), sql.param(span.to)),
                    Event::Date => (sql.param(span.from_date), sql.param(span.to_date)),
                };
                format!(
                    "({}, {}, {from}, {to})",
                    sql.param(span.subject),
                    sql.param(span.user_id)
                )
            })
            .collect();
        let members = self
            .owner_condition(sql, "x.owner")
            .map(|condition| format!(" WHERE {condition}"))
            .unwrap_or_default();
        (rows.join(", "), members)
    }

    /// A condition on `column` (a rep id) that keeps at least every rep whose records
    /// the scope counts, when it names few enough reps to list; none otherwise.
    pub fn owner_condition(&self, sql: &mut Sql, column: &str) -> Option<String> {
        let reps: Vec<Uuid> = match self {
            Scope::Reps(reps) => reps.clone(),
            Scope::Teams { spans, .. } => {
                let mut reps: Vec<Uuid> = spans.iter().map(|span| span.user_id).collect();
                reps.sort();
                reps.dedup();
                reps
            }
            Scope::Org(_) => return None,
        };
        if reps.is_empty() || reps.len() > LISTED_REPS {
            return None;
        }
        let list: Vec<String> = reps.iter().map(|rep| sql.param(*rep)).collect();
        Some(format!("{column} IN ({})", list.join(", ")))
    }

    /// Filters `inner` (as for [`Scope::grouped`]) to the rows that count for the scope's
    /// subjects, selecting `columns` of `x`. Meant for one subject: a rep is in one team
    /// at any instant, so no row comes out twice.
    pub fn rows(&self, sql: &mut Sql, inner: &str, event: Event, columns: &str) -> String {
        match self {
            Scope::Reps(reps) => {
                let list: Vec<String> = reps.iter().map(|rep| sql.param(*rep)).collect();
                format!(
                    "SELECT {columns} FROM ({inner}) x WHERE x.owner IN ({})",
                    list.join(", ")
                )
            }
            Scope::Teams { spans, .. } if spans.is_empty() => {
                format!("SELECT {columns} FROM ({inner}) x WHERE 1 = 0")
            }
            Scope::Teams { spans, .. } => {
                let (rows, members) = self.spans_sql(spans, sql, event);
                format!(
                    "SELECT {columns} FROM ({inner}) x JOIN (VALUES {rows}) s \
                     ON x.owner = s.column2 AND x.event >= s.column3 AND x.event < s.column4{members}"
                )
            }
            Scope::Org(_) => format!("SELECT {columns} FROM ({inner}) x"),
        }
    }
}
