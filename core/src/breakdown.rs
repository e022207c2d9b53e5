//! A subject's KPI broken down by a grouping (lead source, customer segment, activity
//! kind, stage, team, rep, week or month): the same records and formulas as the
//! scorecard's value, in one grouped statement per family of the KPI.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use uuid::Uuid;

use crate::access::{Operation, Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::figures::authorize;
use crate::kpi::queries::{self, Attribute, Group, Grouping, Inputs, Range};
use crate::kpi::scope::Span;
use crate::kpi::{self, KpiKey, Subject};
use crate::organization::Settings;
use crate::peers::display_names;
use crate::period::{Period, Window, start_of_day};
use crate::time::to_micros;

/// What a breakdown groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    LeadSource,
    CustomerSegment,
    ActivityKind,
    Stage,
    /// The responsible rep's team at the record's event.
    Team,
    Rep,
    /// Weeks from Monday, the first and last cut by the period.
    Week,
    /// Calendar months, cut by the period.
    Month,
}

impl By {
    fn name(self) -> &'static str {
        match self {
            By::LeadSource => "LEAD_SOURCE",
            By::CustomerSegment => "CUSTOMER_SEGMENT",
            By::ActivityKind => "ACTIVITY_KIND",
            By::Stage => "STAGE",
            By::Team => "TEAM",
            By::Rep => "REP",
            By::Week => "WEEK",
            By::Month => "MONTH",
        }
    }
}

/// The key of the group of records that lack the grouping attribute.
pub const UNKNOWN: &str = "UNKNOWN";

/// One group's value.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupValue {
    /// The enum value, the team's or rep's id, the first date of a week or month, or
    /// [`UNKNOWN`].
    pub key: String,
    /// The team's or rep's name, `2026-W14`, `2026-03`; the key otherwise.
    pub label: String,
    /// Exact and unrounded; `None` on a zero denominator.
    pub value: Option<Decimal>,
}

/// A KPI of one subject for one period, per group.
#[derive(Clone, Debug)]
pub struct Breakdown {
    pub window: Window,
    /// Weeks and months in order, every one begun before the effective end; other
    /// groupings by label, the unknown group last.
    pub groups: Vec<GroupValue>,
}

/// The KPI of a subject the caller may read, grouped. A grouping that makes no sense for
/// the KPI is `BAD_USER_INPUT` on `by`; a rep may break down only their own figures by rep.
pub async fn breakdown(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
    kpi: KpiKey,
    period: &str,
    by: By,
    as_of: DateTime<Utc>,
) -> CoreResult<Breakdown> {
    authorize(db, principal, subject).await?;
    // Rep groups are rep figures: a caller who may read only their own sees only them.
    let own_only = matches!(
        principal.scope(Operation::ReadRepFigures),
        Scope::Own { .. }
    );
    if by == By::Rep && own_only && subject != Subject::Rep(principal.id) {
        return Err(CoreError::Forbidden);
    }
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = Period::parse(period, settings.fiscal_year_start_month)?;
    let windows = kpi::windows(&period, &settings, as_of);
    let window = windows.current;
    let ranges = match by {
        By::Week | By::Month => ranges(&window, by),
        _ => Vec::new(),
    };
    let grouping = match by {
        By::LeadSource => Grouping::Attribute(Attribute::LeadSource),
        By::CustomerSegment => Grouping::Attribute(Attribute::CustomerSegment),
        By::ActivityKind => Grouping::Attribute(Attribute::ActivityKind),
        By::Stage => Grouping::Attribute(Attribute::Stage),
        By::Rep => Grouping::Owner,
        By::Team => Grouping::Memberships(memberships(db, &settings).await?),
        By::Week | By::Month => Grouping::Ranges(ranges.iter().map(|(range, _)| *range).collect()),
    };
    let families = queries::families(&[kpi]);
    if !families
        .iter()
        .all(|family| queries::groupable(*family, &grouping))
    {
        return Err(CoreError::bad_input(
            "by",
            format!(
                "{} cannot be broken down by {}",
                kpi.kpi().name_en,
                by.name()
            ),
        ));
    }
    let scope = kpi::scope_of(db, &settings, subject).await?;
    let context = Inputs {
        organization_id: settings.id,
        windows: &windows,
        active_customer_window_days: settings.active_customer_window_days,
        satisfaction_pass_score: settings.satisfaction_pass_score,
    };
    let mut facts = queries::grouped_facts(db, &scope, &context, &families, &grouping).await?;
    let value = |facts: &kpi::Facts| facts.value(kpi, settings.currency);
    let mut groups: Vec<GroupValue> = Vec::new();
    if matches!(by, By::Week | By::Month) {
        for (range, label) in &ranges {
            let mut found = facts
                .remove(&Some(Group::Number(range.group)))
                .unwrap_or_default();
            found.days = (range.to_date.min(window.end_date) - range.from_date).num_days();
            groups.push(GroupValue {
                key: range.from_date.to_string(),
                label: label.clone(),
                value: value(&found),
            });
        }
        return Ok(Breakdown { window, groups });
    }
    let unknown = facts.remove(&None);
    let ids: Vec<Uuid> = facts
        .keys()
        .filter_map(|group| match group {
            Some(Group::Id(id)) => Some(*id),
            _ => None,
        })
        .collect();
    let names = match by {
        By::Team => team_names(db, settings.id).await?,
        By::Rep => display_names(db, settings.id, &ids).await?,
        _ => HashMap::new(),
    };
    for (group, found) in facts {
        let key = match group {
            Some(Group::Text(text)) => text,
            Some(Group::Id(id)) => id.to_string(),
            Some(Group::Number(number)) => number.to_string(),
            None => continue,
        };
        let label = Uuid::parse_str(&key)
            .ok()
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| key.clone());
        groups.push(GroupValue {
            key,
            label,
            value: value(&found),
        });
    }
    groups.sort_by(|a, b| (&a.label, &a.key).cmp(&(&b.label, &b.key)));
    if let Some(found) = unknown {
        groups.push(GroupValue {
            key: UNKNOWN.to_owned(),
            label: UNKNOWN.to_owned(),
            value: value(&found),
        });
    }
    Ok(Breakdown { window, groups })
}

/// The weeks (from Monday) or months of the window's period begun before its effective
/// end, numbered from 0, with their labels.
fn ranges(window: &Window, by: By) -> Vec<(Range, String)> {
    let tz = window.tz;
    let mut ranges = Vec::new();
    let mut from = window.period.start;
    while from < window.end_date {
        let next = match by {
            By::Week => from
                .checked_add_days(Days::new(
                    7 - u64::from(from.weekday().num_days_from_monday()),
                ))
                .unwrap_or(window.period.end),
            _ => NaiveDate::from_ymd_opt(from.year(), from.month(), 1)
                .and_then(|first| first.checked_add_months(Months::new(1)))
                .unwrap_or(window.period.end),
        };
        let to = next.min(window.period.end);
        let label = match by {
            By::Week => {
                let week = from.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            _ => format!("{}-{:02}", from.year(), from.month()),
        };
        ranges.push((
            Range {
                group: ranges.len() as i64,
                from: to_micros(start_of_day(from, tz)),
                to: to_micros(start_of_day(to, tz)),
                from_date: from,
                to_date: to,
            },
            label,
        ));
        from = to;
    }
    ranges
}

/// Every team membership of the organization, as spans naming the team.
async fn memberships(db: &DatabaseConnection, settings: &Settings) -> CoreResult<Vec<Span>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT team_id, user_id, valid_from, valid_to FROM team_memberships \
             WHERE organization_id = $1",
            [Value::from(settings.id)],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Span::new(
                row.try_get("", "team_id")?,
                row.try_get("", "user_id")?,
                row.try_get("", "valid_from")?,
                row.try_get("", "valid_to")?,
                settings.timezone,
            ))
        })
        .collect()
}

async fn team_names(
    db: &DatabaseConnection,
    organization_id: Uuid,
) -> CoreResult<HashMap<Uuid, String>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT id, name FROM teams WHERE organization_id = $1",
            [Value::from(organization_id)],
        ))
        .await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "name")?)))
        .collect()
}
