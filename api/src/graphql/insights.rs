//! Leaderboards, trends, the revenue forecast, coaching, top performers and the records
//! behind a KPI value.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::contributors::{self, Contributor as CoreContributor, Slice};
use attain_core::insights::{self, CoachingItem as CoreCoachingItem};
use attain_core::kpi::{KpiKey as CoreKey, Subject, Unit as CoreUnit, round_for_output};
use attain_core::leaderboard::{self, Board, Ranking};
use attain_entity::enums::PeriodKind as StoredPeriodKind;
use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::error::{GqlResult, principal, to_graphql};
use super::figures::{PeerRank, PeriodWindow, SubjectInput, output, rank, six};
use super::kpi_types::{KpiInfo, KpiKey};
use super::paging::{Page, TotalCount};
use super::reads;
use super::scalars::{Date, DateTime, id};

#[derive(Default)]
pub struct InsightsQuery;

/// A kind of period that repeats (custom periods do not).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    /// ISO week, Monday first.
    Week,
    Month,
    /// Fiscal quarter.
    Quarter,
    /// Fiscal year.
    Year,
}

impl From<PeriodKind> for StoredPeriodKind {
    fn from(kind: PeriodKind) -> Self {
        match kind {
            PeriodKind::Week => StoredPeriodKind::Week,
            PeriodKind::Month => StoredPeriodKind::Month,
            PeriodKind::Quarter => StoredPeriodKind::Quarter,
            PeriodKind::Year => StoredPeriodKind::Year,
        }
    }
}

pub(super) fn as_of_or_now(as_of: Option<DateTime>) -> chrono::DateTime<Utc> {
    as_of.map_or_else(Utc::now, |as_of| as_of.0)
}

/// One rep on a leaderboard.
#[derive(SimpleObject)]
pub struct LeaderboardEntry {
    /// Competition rank (1, 2, 2, 4); null without a value.
    pub rank: Option<i64>,
    /// Null without a value, or where the caller may see only ranks.
    pub percentile: Option<Decimal>,
    /// Null when the KPI is null, or where the caller may see only ranks.
    pub value: Option<Decimal>,
    pub rep_id: ID,
    pub display_name: String,
    /// The rep's team at the end of the period.
    pub team_id: ID,
}

/// Reps ranked by the composite or a KPI, best first, null values last.
#[derive(SimpleObject)]
pub struct Leaderboard {
    pub period: PeriodWindow,
    /// The KPI ranked by; null for the composite.
    pub kpi: Option<KpiInfo>,
    /// Reps with a value.
    pub n: i64,
    /// Whether peers' values and percentiles are hidden from the caller.
    pub values_hidden: bool,
    pub entries: Connection<String, LeaderboardEntry, TotalCount>,
}

/// One point of a trend.
#[derive(SimpleObject)]
pub struct TrendPoint {
    /// `inProgress` marks the period containing `asOf`.
    pub period: PeriodWindow,
    pub value: Option<Decimal>,
}

/// A KPI over consecutive periods, oldest first.
#[derive(SimpleObject)]
pub struct KpiTrend {
    pub kpi: KpiInfo,
    pub points: Vec<TrendPoint>,
}

/// A complete period's revenue.
#[derive(SimpleObject)]
pub struct RevenuePoint {
    pub period: PeriodWindow,
    pub revenue: Decimal,
}

/// The revenue of the period containing `asOf`, three ways.
#[derive(SimpleObject)]
pub struct RevenueForecast {
    pub period: PeriodWindow,
    /// Revenue to date.
    pub closed: Decimal,
    /// Closed plus Σ amount × stage probability of open deals expected to close in the
    /// rest of the period.
    pub pipeline: Decimal,
    /// The least-squares line through `history`, at the current period; null with fewer
    /// than two periods.
    pub trend: Option<Decimal>,
    pub history: Vec<RevenuePoint>,
}

/// Why coaching picked a KPI.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::insights::Reason")]
pub enum CoachingReason {
    /// Team percentile 25 or less.
    BottomQuartile,
    /// The scorecard item is CRITICAL.
    Critical,
}

/// A KPI a rep should work on, with its training topic.
#[derive(SimpleObject)]
pub struct CoachingItem {
    pub kpi: KpiInfo,
    pub value: Option<Decimal>,
    /// Standing among team peers; null without a team or where peers are hidden.
    pub team: Option<PeerRank>,
    pub status: Option<super::figures::ItemStatus>,
    pub reasons: Vec<CoachingReason>,
    pub topic: String,
}

impl From<CoreCoachingItem> for CoachingItem {
    fn from(item: CoreCoachingItem) -> Self {
        let unit = item.kpi.kpi().unit;
        CoachingItem {
            kpi: item.kpi.kpi().into(),
            value: output(item.kpi, item.value),
            team: item.team.map(|standing| rank(standing, unit)),
            status: item.status.map(Into::into),
            reasons: item.reasons.into_iter().map(Into::into).collect(),
            topic: item.topic.to_owned(),
        }
    }
}

/// A rep's value and placing in one period of a streak.
#[derive(SimpleObject)]
pub struct TopPerformerPeriod {
    pub period: PeriodWindow,
    pub value: Decimal,
    pub rank: Option<i64>,
    pub percentile: Option<Decimal>,
}

/// A rep in the organization's top in every period asked.
#[derive(SimpleObject)]
pub struct TopPerformer {
    pub rep_id: ID,
    pub display_name: String,
    pub periods: Vec<TopPerformerPeriod>,
}

/// What kind of record contributed to a KPI.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::contributors::RecordKind")]
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

/// Which side of the formula a record counts in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::contributors::Part")]
pub enum ContributorPart {
    Numerator,
    Denominator,
    /// Every record of a sum or a count.
    Both,
}

/// A record behind a KPI value.
#[derive(SimpleObject)]
pub struct Contributor {
    pub kind: RecordKind,
    /// The record's id (the customer's for customers).
    pub id: ID,
    pub part: ContributorPart,
    /// The event's instant (a dated event's local date starts near it; see `on`).
    pub at: DateTime,
    /// The event's date, for invoices, payments, expenses and ratings.
    pub on: Option<Date>,
    pub amount: Option<Decimal>,
    /// A survey response's or rating's score.
    pub score: Option<i32>,
    pub customer_id: Option<ID>,
    /// The deal that decided a customer, or an activity's, invoice's or payment's deal.
    pub deal_id: Option<ID>,
}

impl From<CoreContributor> for Contributor {
    fn from(record: CoreContributor) -> Self {
        Contributor {
            kind: record.kind.into(),
            id: id(record.id),
            part: record.part.into(),
            at: DateTime(record.at),
            on: record.on.map(Date),
            amount: record.amount,
            score: record.score,
            customer_id: record.customer_id.map(id),
            deal_id: record.deal_id.map(id),
        }
    }
}

/// The complexity of a list of `count` items (the default page when absent).
pub(super) fn page_cost(count: Option<i32>, child_complexity: usize) -> usize {
    let count = count.map_or(super::paging::DEFAULT_PAGE, |count| {
        usize::try_from(count).unwrap_or(0)
    });
    count.max(1).saturating_mul(child_complexity)
}

/// Whose rows a KPI table has.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::table::TableKind")]
pub enum TableSubject {
    Rep,
    Team,
}

/// One KPI's value in a table row.
#[derive(SimpleObject)]
pub struct TableValue {
    pub key: KpiKey,
    pub value: Option<Decimal>,
}

/// One rep's or team's row.
#[derive(SimpleObject)]
pub struct KpiTableRow {
    pub subject_id: ID,
    pub name: String,
    /// A rep's team at the end of the period, or a team's parent.
    pub team_id: Option<ID>,
    /// In the order of `keys`.
    pub values: Vec<TableValue>,
    /// Under the scheme in force; null without one or without covered items.
    pub composite: Option<Decimal>,
}

/// A table of KPIs for BI.
#[derive(SimpleObject)]
pub struct KpiTable {
    pub period: PeriodWindow,
    pub kpis: Vec<KpiInfo>,
    pub rows: Connection<String, KpiTableRow, TotalCount>,
}

fn rep_id(rep: &ID) -> Result<Uuid, CoreError> {
    Uuid::parse_str(rep).map_err(|_| CoreError::NotFound("rep"))
}

#[Object]
impl InsightsQuery {
    /// The reps of a team (its subtree) or of the organization at the end of a period,
    /// ranked by a KPI, or by the composite when `kpi` is left out.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn leaderboard(
        &self,
        ctx: &Context<'_>,
        scope: SubjectInput,
        period: String,
        kpi: Option<KpiKey>,
        first: Option<i32>,
        after: Option<String>,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<Leaderboard> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let board = match scope.parse().map_err(to_graphql)? {
            Subject::Team(team) => Board::Team(team),
            Subject::Org => Board::Org,
            Subject::Rep(_) => {
                return Err(to_graphql(CoreError::bad_input(
                    "scope.kind",
                    "a leaderboard is of a TEAM or the ORG",
                )));
            }
        };
        let ranking = kpi.map_or(Ranking::Composite, |kpi| Ranking::Kpi(kpi.into()));
        let board = leaderboard::leaderboard(
            reads(ctx),
            principal,
            board,
            &period,
            ranking,
            as_of_or_now(as_of),
        )
        .await
        .gql()?;
        let round = |value: Decimal| match ranking {
            Ranking::Composite => six(value),
            Ranking::Kpi(key) => round_for_output(key.kpi().unit, value),
        };
        let total = board.entries.len();
        let entries = board
            .entries
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|entry| LeaderboardEntry {
                rank: entry.placing.rank,
                percentile: entry.placing.percentile.map(six),
                value: entry.value.map(round),
                rep_id: id(entry.rep_id),
                display_name: entry.display_name,
                team_id: id(entry.team_id),
            });
        Ok(Leaderboard {
            period: board.window.into(),
            kpi: match ranking {
                Ranking::Composite => None,
                Ranking::Kpi(key) => Some(key.kpi().into()),
            },
            n: board.n,
            values_hidden: board.values_hidden,
            entries: page.connection(entries, total),
        })
    }

    /// A KPI of a subject over the last `count` periods of a kind (at most 60), oldest
    /// first; the last is the period containing `asOf`, to date.
    #[graphql(complexity = "page_cost(Some(count), child_complexity)")]
    async fn kpi_trend(
        &self,
        ctx: &Context<'_>,
        subject: SubjectInput,
        kpi: KpiKey,
        period_kind: PeriodKind,
        #[graphql(default = 6)] count: i32,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<KpiTrend> {
        let principal = principal(ctx)?;
        let subject = subject.parse().map_err(to_graphql)?;
        let key: CoreKey = kpi.into();
        let points = insights::trend(
            reads(ctx),
            principal,
            subject,
            key,
            period_kind.into(),
            u32::try_from(count).unwrap_or(0),
            as_of_or_now(as_of),
        )
        .await
        .gql()?;
        Ok(KpiTrend {
            kpi: key.kpi().into(),
            points: points
                .into_iter()
                .map(|point| TrendPoint {
                    period: point.window.into(),
                    value: output(key, point.value),
                })
                .collect(),
        })
    }

    /// The revenue forecast of the period of a kind containing `asOf`: closed to date,
    /// pipeline-weighted, and the trend of the `history` complete periods before it.
    async fn revenue_forecast(
        &self,
        ctx: &Context<'_>,
        subject: SubjectInput,
        #[graphql(default_with = "PeriodKind::Quarter")] period_kind: PeriodKind,
        #[graphql(default = 8)] history: i32,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<RevenueForecast> {
        let principal = principal(ctx)?;
        let subject = subject.parse().map_err(to_graphql)?;
        let forecast = insights::revenue_forecast(
            reads(ctx),
            principal,
            subject,
            period_kind.into(),
            u32::try_from(history).unwrap_or(0),
            as_of_or_now(as_of),
        )
        .await
        .gql()?;
        let money = |value: Decimal| round_for_output(CoreUnit::Money, value);
        Ok(RevenueForecast {
            period: forecast.window.into(),
            closed: money(forecast.closed),
            pipeline: money(forecast.pipeline),
            trend: forecast.trend.map(money),
            history: forecast
                .history
                .into_iter()
                .map(|(window, revenue)| RevenuePoint {
                    period: window.into(),
                    revenue: money(revenue),
                })
                .collect(),
        })
    }

    /// The KPIs where a rep is in the team's bottom quartile or CRITICAL on the
    /// scorecard, each with its training topic, in catalog order.
    async fn coaching(
        &self,
        ctx: &Context<'_>,
        rep: ID,
        period: String,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<Vec<CoachingItem>> {
        let principal = principal(ctx)?;
        let rep = rep_id(&rep).gql()?;
        let items = insights::coaching(reads(ctx), principal, rep, &period, as_of_or_now(as_of))
            .await
            .gql()?;
        Ok(items.into_iter().map(Into::into).collect())
    }

    /// Reps whose organization percentile of a KPI is at least 100 − `percentTop` in each
    /// of the last `consecutivePeriods` complete periods (晋升参考), best last rank first.
    async fn top_performers(
        &self,
        ctx: &Context<'_>,
        kpi: KpiKey,
        percent_top: Decimal,
        #[graphql(default = 3)] consecutive_periods: i32,
        #[graphql(default_with = "PeriodKind::Quarter")] period_kind: PeriodKind,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<Vec<TopPerformer>> {
        let principal = principal(ctx)?;
        let key: CoreKey = kpi.into();
        let performers = insights::top_performers(
            reads(ctx),
            principal,
            key,
            percent_top,
            u32::try_from(consecutive_periods).unwrap_or(0),
            period_kind.into(),
            as_of_or_now(as_of),
        )
        .await
        .gql()?;
        Ok(performers
            .into_iter()
            .map(|performer| TopPerformer {
                rep_id: id(performer.rep_id),
                display_name: performer.display_name,
                periods: performer
                    .periods
                    .into_iter()
                    .map(|(window, value, placing)| TopPerformerPeriod {
                        period: window.into(),
                        value: round_for_output(key.kpi().unit, value),
                        rank: placing.rank,
                        percentile: placing.percentile.map(six),
                    })
                    .collect(),
            })
            .collect())
    }

    /// One row per rep or team the caller may see (admins and analysts: all; managers:
    /// their subtree; reps: themselves or their team), with the asked KPIs (all when left
    /// out) and the composite, by name.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn kpi_table(
        &self,
        ctx: &Context<'_>,
        subject_kind: TableSubject,
        period: String,
        keys: Option<Vec<KpiKey>>,
        first: Option<i32>,
        after: Option<String>,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<KpiTable> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let keys: Vec<CoreKey> = match keys {
            Some(keys) => keys.into_iter().map(Into::into).collect(),
            None => CoreKey::ALL.to_vec(),
        };
        let (window, rows) = attain_core::table::kpi_table(
            reads(ctx),
            principal,
            subject_kind.into(),
            &period,
            &keys,
            as_of_or_now(as_of),
        )
        .await
        .gql()?;
        let total = rows.len();
        let rows = rows
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|row| KpiTableRow {
                subject_id: id(row.subject_id),
                name: row.name,
                team_id: row.team_id.map(id),
                values: row
                    .values
                    .into_iter()
                    .map(|(key, value)| TableValue {
                        key: key.into(),
                        value: output(key, value),
                    })
                    .collect(),
                composite: row.scorecard.and_then(|card| card.composite).map(six),
            });
        Ok(KpiTable {
            period: window.into(),
            kpis: keys.iter().map(|key| key.kpi().into()).collect(),
            rows: page.connection(rows, total),
        })
    }

    /// The records behind a subject's KPI value for a period, newest event first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn contributors(
        &self,
        ctx: &Context<'_>,
        subject: SubjectInput,
        kpi: KpiKey,
        period: String,
        first: Option<i32>,
        after: Option<String>,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<Connection<String, Contributor, TotalCount>> {
        let principal = principal(ctx)?;
        let subject = subject.parse().map_err(to_graphql)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let found = contributors::contributors(
            reads(ctx),
            principal,
            subject,
            kpi.into(),
            &period,
            as_of_or_now(as_of),
            Slice {
                offset: page.offset as u64,
                limit: page.limit as u64,
            },
        )
        .await
        .gql()?;
        let total = usize::try_from(found.total).unwrap_or(0);
        Ok(page.connection(found.items.into_iter().map(Contributor::from), total))
    }
}
