//! What the figures suggest: a KPI's trend over recent periods, the revenue forecast of
//! the current period, coaching topics for a rep, and the consistent top performers.

use std::collections::{BTreeMap, HashMap};

use attain_entity::enums::PeriodKind;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

use crate::access::{Operation, Principal, Scope as Access};
use crate::error::{CoreError, CoreResult};
use crate::figures::{authorize, visibility_allows_peers};
use crate::kpi::scope::{Event, Scope, Sql};
use crate::kpi::{self, CATALOG, KpiKey, Subject};
use crate::organization::Settings;
use crate::peers::{display_names, rep_figures, rep_scheme, teams_at_end};
use crate::period::{Period, Window};
use crate::scorecard::{self, Placing, Standing, Status, rank_all};

/// The most periods a trend, a forecast's history or a top-performer streak spans.
pub const MAX_PERIODS: u32 = 60;

fn period_kind(kind: PeriodKind, field: &str) -> CoreResult<PeriodKind> {
    match kind {
        PeriodKind::Custom => Err(CoreError::bad_input(
            field,
            "must be WEEK, MONTH, QUARTER or YEAR",
        )),
        kind => Ok(kind),
    }
}

fn period_count(count: u32, field: &str) -> CoreResult<u32> {
    if (1..=MAX_PERIODS).contains(&count) {
        Ok(count)
    } else {
        Err(CoreError::bad_input(
            field,
            format!("must be between 1 and {MAX_PERIODS}"),
        ))
    }
}

/// The period of `kind` that contains `as_of` in the organization's time zone.
pub fn current_period(settings: &Settings, kind: PeriodKind, as_of: DateTime<Utc>) -> Period {
    let date = as_of.with_timezone(&settings.timezone).date_naive();
    Period::containing(kind, date, settings.fiscal_year_start_month)
}

/// `count` consecutive periods ending with `last`, oldest first.
fn periods_ending(last: Period, count: u32) -> Vec<Period> {
    let mut periods = vec![last];
    while periods.len() < count as usize {
        let previous = periods[periods.len() - 1].previous();
        periods.push(previous);
    }
    periods.reverse();
    periods
}

/// One point of a trend.
#[derive(Clone, Debug)]
pub struct TrendPoint {
    pub window: Window,
    pub value: Option<Decimal>,
}

/// A KPI of a subject over the last `count` periods of a kind, oldest first; the last is
/// the period containing `as_of`, to date.
pub async fn trend(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
    key: KpiKey,
    kind: PeriodKind,
    count: u32,
    as_of: DateTime<Utc>,
) -> CoreResult<Vec<TrendPoint>> {
    let kind = period_kind(kind, "periodKind")?;
    let count = period_count(count, "count")?;
    authorize(db, principal, subject).await?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let scope = kpi::scope_of(db, &settings, subject).await?;
    let mut points = Vec::new();
    for period in periods_ending(current_period(&settings, kind, as_of), count) {
        let mut facts = kpi::evaluate(db, &settings, &scope, &period, as_of, &[key]).await?;
        let facts = facts.remove(&subject.key(settings.id)).unwrap_or_default();
        points.push(TrendPoint {
            window: kpi::windows(&period, &settings, as_of).current,
            value: facts.value(key, settings.currency),
        });
    }
    Ok(points)
}

/// The revenue forecast of the period containing `as_of`.
#[derive(Clone, Debug)]
pub struct Forecast {
    pub window: Window,
    /// Revenue to date.
    pub closed: Decimal,
    /// Closed plus the open deals expected to close in the rest of the period, each
    /// weighted by its stage's win probability.
    pub pipeline: Decimal,
    /// The least-squares line through the complete periods' revenue, at the current
    /// period; null with fewer than two periods of history.
    pub trend: Option<Decimal>,
    /// The complete periods the trend is fitted to, oldest first, with their revenue.
    pub history: Vec<(Window, Decimal)>,
}

/// Forecasts the revenue of a subject for the period of `kind` containing `as_of`, fitting
/// the trend to the `history` complete periods before it.
pub async fn revenue_forecast(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
    kind: PeriodKind,
    history: u32,
    as_of: DateTime<Utc>,
) -> CoreResult<Forecast> {
    let kind = period_kind(kind, "periodKind")?;
    let history = period_count(history, "history")?;
    authorize(db, principal, subject).await?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let scope = kpi::scope_of(db, &settings, subject).await?;
    let key = subject.key(settings.id);
    let revenue = async |period: &Period| -> CoreResult<Decimal> {
        let mut facts =
            kpi::evaluate(db, &settings, &scope, period, as_of, &[KpiKey::Revenue]).await?;
        Ok(facts
            .remove(&key)
            .and_then(|facts| facts.value(KpiKey::Revenue, settings.currency))
            .unwrap_or_default())
    };
    let current = current_period(&settings, kind, as_of);
    let window = kpi::windows(&current, &settings, as_of).current;
    let closed = revenue(&current).await?;
    let weighted = weighted_pipeline(db, &settings, &scope, key, &window).await?;
    let mut past = Vec::new();
    for period in periods_ending(current.previous(), history) {
        past.push((
            kpi::windows(&period, &settings, as_of).current,
            revenue(&period).await?,
        ));
    }
    let ys: Vec<Decimal> = past.iter().map(|(_, revenue)| *revenue).collect();
    Ok(Forecast {
        window,
        closed,
        pipeline: closed + weighted,
        trend: least_squares_next(&ys),
        history: past,
    })
}

/// Σ amount × stage probability over the subject's deals open at the window's end whose
/// expected close falls between the end's local date and the period's end.
async fn weighted_pipeline<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    scope: &Scope,
    key: Uuid,
    window: &Window,
) -> CoreResult<Decimal> {
    if !window.in_progress() {
        return Ok(Decimal::ZERO);
    }
    let mut sql = Sql::default();
    let org = sql.param(settings.id);
    let end = sql.param(window.end_micros());
    let just_before_end = sql.param(window.end_micros() - 1);
    let today = window.end.with_timezone(&settings.timezone).date_naive();
    let from = sql.param(today);
    let to = sql.param(window.period.end);
    let inner = format!(
        "SELECT d.owner_id AS owner, CAST({just_before_end} AS BIGINT) AS event, d.stage, d.amount_minor \
         FROM deals d WHERE d.organization_id = {org} AND d.created_at < {end} \
         AND (d.closed_at IS NULL OR d.closed_at >= {end}) \
         AND d.expected_close_on >= {from} AND d.expected_close_on < {to}"
    );
    let stages: Vec<&String> = settings.stage_probabilities.keys().collect();
    let aggregates: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(index, stage)| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN x.stage = {} THEN x.amount_minor ELSE 0 END), 0) AS BIGINT) AS s{index}",
                sql.param(stage.as_str())
            )
        })
        .collect();
    if aggregates.is_empty() {
        return Ok(Decimal::ZERO);
    }
    sql.text = scope.grouped(&mut sql, &inner, Event::Instant, &aggregates.join(", "));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql.text,
            sql.values,
        ))
        .await?;
    let mut total = Decimal::ZERO;
    for row in rows {
        if row.try_get::<Uuid>("", "subject")? != key {
            continue;
        }
        for (index, stage) in stages.iter().enumerate() {
            let minor: i64 = row.try_get("", &format!("s{index}"))?;
            total += settings.currency.from_minor(minor) * settings.stage_probabilities[*stage];
        }
    }
    Ok(total)
}

/// The least-squares line through `(x, ys[x])` for x = 0 … n−1, evaluated at x = n.
pub fn least_squares_next(ys: &[Decimal]) -> Option<Decimal> {
    if ys.len() < 2 {
        return None;
    }
    let n = Decimal::from(ys.len());
    let xs = (0..ys.len()).map(Decimal::from);
    let mean_x = (n - Decimal::ONE) / Decimal::TWO;
    let mean_y = ys.iter().sum::<Decimal>() / n;
    let (mut sxy, mut sxx) = (Decimal::ZERO, Decimal::ZERO);
    for (x, y) in xs.zip(ys) {
        sxy += (x - mean_x) * (*y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    let slope = sxy / sxx;
    Some(mean_y + slope * (n - mean_x))
}

/// Why coaching picked a KPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The rep's team percentile is 25 or less.
    BottomQuartile,
    /// The scorecard item is `CRITICAL`.
    Critical,
}

/// One KPI a rep should work on.
#[derive(Clone, Debug)]
pub struct CoachingItem {
    pub kpi: KpiKey,
    pub value: Option<Decimal>,
    /// Standing among team peers; none without a team, or when the caller may not see
    /// peer comparison.
    pub team: Option<Standing>,
    /// The scorecard status, for KPIs of the scheme in force.
    pub status: Option<Status>,
    pub reasons: Vec<Reason>,
    pub topic: &'static str,
}

/// The KPIs, in catalog order, where the rep is in the team's bottom quartile or
/// `CRITICAL` on the scorecard, each with its training topic.
pub async fn coaching(
    db: &DatabaseConnection,
    principal: &Principal,
    rep: Uuid,
    period: &str,
    as_of: DateTime<Utc>,
) -> CoreResult<Vec<CoachingItem>> {
    authorize(db, principal, Subject::Rep(rep)).await?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = &Period::parse(period, settings.fiscal_year_start_month)?;
    let window = kpi::windows(period, &settings, as_of).current;
    let team_of = teams_at_end(db, &settings, &window).await?;
    let team = team_of.get(&rep).copied();
    let mut reps: Vec<Uuid> = team_of
        .iter()
        .filter(|(_, peer_team)| Some(**peer_team) == team)
        .map(|(peer, _)| *peer)
        .collect();
    if team.is_none() {
        reps.push(rep);
    }
    let scheme = rep_scheme(db, &settings, period).await?;
    let figures = rep_figures(
        db,
        &settings,
        &reps,
        period,
        as_of,
        KpiKey::ALL,
        scheme.as_ref(),
    )
    .await?;
    let mine = &figures[&rep];
    let show_peers = visibility_allows_peers(principal, &settings);
    let mut items = Vec::new();
    for kpi in CATALOG {
        let key = kpi.key;
        let value = mine.facts.value(key, settings.currency);
        let standing = team.map(|_| {
            let values: Vec<Decimal> = figures
                .values()
                .filter_map(|peer| peer.facts.value(key, settings.currency))
                .collect();
            scorecard::standing(&values, value, kpi.direction)
        });
        let status = mine.scorecard.as_ref().and_then(|card| {
            card.items
                .iter()
                .find(|item| item.kpi == key)
                .map(|item| item.status)
        });
        let mut reasons = Vec::new();
        if standing
            .as_ref()
            .and_then(|standing| standing.percentile)
            .is_some_and(|percentile| percentile <= Decimal::from(25))
        {
            reasons.push(Reason::BottomQuartile);
        }
        if status == Some(Status::Critical) {
            reasons.push(Reason::Critical);
        }
        if !reasons.is_empty() {
            items.push(CoachingItem {
                kpi: key,
                value,
                team: standing.filter(|_| show_peers),
                status,
                reasons,
                topic: kpi.coaching_topic,
            });
        }
    }
    Ok(items)
}

/// A rep's value and placing in each period of a streak, oldest first.
pub type Streak = Vec<(Window, Decimal, Placing)>;

/// A rep in the top of the organization in every one of the periods.
#[derive(Clone, Debug)]
pub struct TopPerformer {
    pub rep_id: Uuid,
    pub display_name: String,
    /// Each period, oldest first, with the rep's value and placing.
    pub periods: Streak,
}

/// Reps whose organization percentile of a KPI is at least `100 − percent_top` in each of
/// the last `consecutive` complete periods of a kind (seed 003's 晋升参考). Managers see
/// the reps of their subtree among them.
pub async fn top_performers(
    db: &DatabaseConnection,
    principal: &Principal,
    key: KpiKey,
    percent_top: Decimal,
    consecutive: u32,
    kind: PeriodKind,
    as_of: DateTime<Utc>,
) -> CoreResult<Vec<TopPerformer>> {
    let kind = period_kind(kind, "periodKind")?;
    let consecutive = period_count(consecutive, "consecutivePeriods")?;
    if percent_top <= Decimal::ZERO || percent_top > Decimal::ONE_HUNDRED {
        return Err(CoreError::bad_input(
            "percentTop",
            "must be more than 0 and at most 100",
        ));
    }
    let visible_teams = match principal.scope(Operation::ReadLeaderboard) {
        Access::All { .. } => None,
        Access::Subtree { teams, .. } => Some(teams),
        _ => return Err(CoreError::Forbidden),
    };
    let settings = Settings::load(db, principal.organization_id).await?;
    let threshold = Decimal::ONE_HUNDRED - percent_top;
    let current = current_period(&settings, kind, as_of);
    let mut streaks: Option<BTreeMap<Uuid, Streak>> = None;
    let mut last_teams = HashMap::new();
    for period in periods_ending(current.previous(), consecutive) {
        let window = kpi::windows(&period, &settings, as_of).current;
        let team_of = teams_at_end(db, &settings, &window).await?;
        let reps: Vec<Uuid> = team_of.keys().copied().collect();
        let figures = rep_figures(db, &settings, &reps, &period, as_of, &[key], None).await?;
        let ranked = rank_all(
            reps.iter()
                .map(|rep| (*rep, figures[rep].facts.value(key, settings.currency)))
                .collect(),
            key.kpi().direction,
        );
        let mut next = BTreeMap::new();
        for (rep, value, placing) in ranked {
            let (Some(value), Some(percentile)) = (value, placing.percentile) else {
                continue;
            };
            if percentile < threshold {
                continue;
            }
            let mut streak = match &mut streaks {
                None => Vec::new(),
                Some(previous) => match previous.remove(&rep) {
                    Some(streak) => streak,
                    None => continue,
                },
            };
            streak.push((window, value, placing));
            next.insert(rep, streak);
        }
        streaks = Some(next);
        last_teams = team_of;
    }
    let streaks = streaks.unwrap_or_default();
    let reps: Vec<Uuid> = streaks
        .keys()
        .copied()
        .filter(|rep| {
            visible_teams
                .as_ref()
                .is_none_or(|teams| last_teams.get(rep).is_some_and(|team| teams.contains(team)))
        })
        .collect();
    let mut names = display_names(db, settings.id, &reps).await?;
    let mut performers: Vec<TopPerformer> = streaks
        .into_iter()
        .filter(|(rep, _)| reps.contains(rep))
        .map(|(rep_id, periods)| TopPerformer {
            display_name: names.remove(&rep_id).unwrap_or_default(),
            rep_id,
            periods,
        })
        .collect();
    performers.sort_by(|a, b| {
        let last_rank =
            |p: &TopPerformer| p.periods.last().and_then(|(_, _, placing)| placing.rank);
        (last_rank(a), &a.display_name).cmp(&(last_rank(b), &b.display_name))
    });
    Ok(performers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_extends_a_line_exactly() {
        let ys: Vec<Decimal> = [10, 20, 30, 40].into_iter().map(Decimal::from).collect();
        assert_eq!(least_squares_next(&ys), Some(Decimal::from(50)));
        let flat: Vec<Decimal> = [7, 7].into_iter().map(Decimal::from).collect();
        assert_eq!(least_squares_next(&flat), Some(Decimal::from(7)));
        assert_eq!(least_squares_next(&[Decimal::ONE]), None);
    }

    #[test]
    fn least_squares_fits_noisy_points() {
        // y = 1, 3, 2, 5: slope 1.1, intercept 1.1, at x = 4: 5.5.
        let ys: Vec<Decimal> = [1, 3, 2, 5].into_iter().map(Decimal::from).collect();
        assert_eq!(least_squares_next(&ys), Some(Decimal::new(55, 1)));
    }
}
