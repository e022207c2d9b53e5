//! KPI values, scorecards and the catalog.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::figures::{self, Extras, KpiReport, PeerStanding, Peers, ScorecardReport};
use attain_core::kpi::{
    self, CATALOG, KpiKey as CoreKey, Subject, Unit as CoreUnit, round_for_output,
};
use attain_core::period::Window;
use attain_core::scorecard::{Item, Standing};
use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::error::{GqlResult, principal, to_graphql};
use super::kpi_types::{Dimension, KpiInfo, KpiKey};
use super::reads;
use super::scalars::{Date, DateTime};

#[derive(Default)]
pub struct FiguresQuery;

/// Whose figures.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Rep,
    Team,
    Org,
}

/// A rep (by user id), a team (by team id, its whole subtree) or the organization.
#[derive(InputObject)]
pub struct SubjectInput {
    pub kind: SubjectKind,
    /// The rep's or team's id; left out for the organization.
    pub id: Option<ID>,
}

impl SubjectInput {
    pub(super) fn parse(&self) -> Result<Subject, CoreError> {
        let id = || {
            self.id
                .as_ref()
                .ok_or_else(|| CoreError::bad_input("subject.id", "required for REP and TEAM"))
                .and_then(|id| Uuid::parse_str(id).map_err(|_| CoreError::NotFound("subject")))
        };
        Ok(match self.kind {
            SubjectKind::Rep => Subject::Rep(id()?),
            SubjectKind::Team => Subject::Team(id()?),
            SubjectKind::Org => Subject::Org,
        })
    }
}

/// The period a figure covers, as evaluated.
#[derive(SimpleObject)]
pub struct PeriodWindow {
    /// `2026-W07`, `2026-03`, `FY2026-Q1`, `FY2026` or `2026-01-05..2026-02-14`.
    pub label: String,
    /// First local date.
    pub start: Date,
    /// Local date after the last one.
    pub end: Date,
    pub start_utc: DateTime,
    pub end_utc: DateTime,
    /// min(end, asOf): what the figures cover.
    pub effective_end_utc: DateTime,
    pub in_progress: bool,
    /// Local dates begun before the effective end.
    pub days: i64,
}

impl From<Window> for PeriodWindow {
    fn from(window: Window) -> Self {
        PeriodWindow {
            label: window.period.label(),
            start: Date(window.period.start),
            end: Date(window.period.end),
            start_utc: DateTime(window.start),
            end_utc: DateTime(window.full_end),
            effective_end_utc: DateTime(window.end),
            in_progress: window.in_progress(),
            days: window.days(),
        }
    }
}

/// One KPI's value: null where its denominator is zero.
#[derive(SimpleObject)]
pub struct KpiValue {
    pub kpi: KpiInfo,
    /// Money to 2 places, counts whole, everything else to 6 (half to even).
    pub value: Option<Decimal>,
}

/// A KPI value rounded as its unit is shown.
pub(super) fn output(key: CoreKey, value: Option<Decimal>) -> Option<Decimal> {
    value.map(|value| round_for_output(key.kpi().unit, value))
}

/// KPI values of a subject for a period.
#[derive(SimpleObject)]
pub struct KpiSet {
    pub period: PeriodWindow,
    pub values: Vec<KpiValue>,
}

impl From<KpiReport> for KpiSet {
    fn from(report: KpiReport) -> Self {
        KpiSet {
            period: report.window.into(),
            values: report
                .values
                .into_iter()
                .map(|(key, value)| KpiValue {
                    kpi: key.kpi().into(),
                    value: output(key, value),
                })
                .collect(),
        }
    }
}

/// How an item stands against its target.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::scorecard::Status")]
pub enum ItemStatus {
    NoTarget,
    Met,
    OnTrack,
    AtRisk,
    Critical,
}

/// One row of a scorecard (seed 003's table).
#[derive(SimpleObject)]
pub struct ScorecardItem {
    pub kpi: KpiInfo,
    pub weight: i32,
    /// 挑战值
    pub target: Option<Decimal>,
    /// 基准值
    pub baseline: Option<Decimal>,
    /// 底线值
    pub floor: Option<Decimal>,
    pub actual: Option<Decimal>,
    /// Unclamped.
    pub attainment: Option<Decimal>,
    pub status: ItemStatus,
    /// weight × attainment clamped to [0, cap].
    pub score: Option<Decimal>,
}

/// A ratio, attainment or score to 6 places.
pub(super) fn six(value: Decimal) -> Decimal {
    round_for_output(CoreUnit::Ratio, value)
}

impl From<Item> for ScorecardItem {
    fn from(item: Item) -> Self {
        ScorecardItem {
            kpi: item.kpi.kpi().into(),
            weight: item.weight,
            target: item.target.as_ref().map(|t| t.target),
            baseline: item.target.as_ref().and_then(|t| t.baseline),
            floor: item.target.as_ref().and_then(|t| t.floor),
            actual: output(item.kpi, item.actual),
            attainment: item.attainment.map(six),
            status: item.status.into(),
            score: item.score.map(six),
        }
    }
}

/// The composite within one dimension.
#[derive(SimpleObject)]
pub struct DimensionScore {
    pub dimension: Dimension,
    pub weight: i32,
    pub covered_weight: i32,
    pub composite: Option<Decimal>,
    pub coverage: Decimal,
}

/// Where a value stands among peers. Without a value, rank and percentile are null.
#[derive(SimpleObject)]
pub struct PeerRank {
    /// Peers with a value.
    pub n: i64,
    pub rank: Option<i64>,
    pub percentile: Option<Decimal>,
    /// Null where the caller may not see peers' values.
    pub median: Option<Decimal>,
    pub delta_to_median: Option<Decimal>,
}

pub(super) fn rank(standing: Standing, unit: CoreUnit) -> PeerRank {
    let value = |v: Decimal| round_for_output(unit, v);
    PeerRank {
        n: standing.n,
        rank: standing.rank,
        percentile: standing.percentile.map(six),
        median: standing.median.map(value),
        delta_to_median: standing.delta_to_median.map(value),
    }
}

/// Standing among the rep's team and the whole organization.
#[derive(SimpleObject)]
pub struct PeerComparison {
    /// Null when the rep is in no team at the end of the period.
    pub team: Option<PeerRank>,
    pub org: PeerRank,
}

fn comparison(standing: PeerStanding, unit: CoreUnit) -> PeerComparison {
    PeerComparison {
        team: standing.team.map(|team| rank(team, unit)),
        org: rank(standing.org, unit),
    }
}

/// A rep's standing by composite and by revenue.
#[derive(SimpleObject)]
pub struct PeerStandings {
    /// The rep's team at the end of the period.
    pub team_id: Option<ID>,
    pub composite: PeerComparison,
    pub revenue: PeerComparison,
}

impl From<Peers> for PeerStandings {
    fn from(peers: Peers) -> Self {
        PeerStandings {
            team_id: peers.team_id.map(|id| ID(id.to_string())),
            composite: comparison(peers.composite, CoreUnit::Ratio),
            revenue: comparison(peers.revenue, CoreUnit::Money),
        }
    }
}

/// The scheme a scorecard is scored by.
#[derive(SimpleObject)]
pub struct SchemeInfo {
    pub id: ID,
    pub name: String,
    pub effective_from: Date,
    /// The attainment cap of item scores.
    pub cap: Decimal,
}

/// A subject's scorecard (考核表) for a period.
#[derive(SimpleObject)]
pub struct Scorecard {
    pub period: PeriodWindow,
    pub scheme: SchemeInfo,
    pub items: Vec<ScorecardItem>,
    /// 综合得分: Σ item scores ÷ Σ covered weights × 100; null when nothing is covered.
    pub composite: Option<Decimal>,
    /// Σ covered weights ÷ 100.
    pub coverage: Decimal,
    pub bonus_multiplier: Option<Decimal>,
    pub dimensions: Vec<DimensionScore>,
    /// For reps only.
    pub peers: Option<PeerStandings>,
    /// For a team (its subtree) or the organization: each rep's scorecard under the rep
    /// scheme, by the rep's team at the end of the period; a rep sees only their own row.
    pub breakdown: Option<Vec<RepScorecard>>,
}

/// One rep's row in a team's breakdown.
#[derive(SimpleObject)]
pub struct RepScorecard {
    pub rep_id: ID,
    pub display_name: String,
    pub team_id: ID,
    /// Null when no rep scheme is in force.
    pub scorecard: Option<Scorecard>,
}

impl From<ScorecardReport> for Scorecard {
    fn from(report: ScorecardReport) -> Self {
        let window = report.window;
        let mut scorecard = Scorecard::of(report.scorecard, window);
        scorecard.peers = report.peers.map(Into::into);
        scorecard.breakdown = report.breakdown.map(|rows| {
            rows.into_iter()
                .map(|row| RepScorecard {
                    rep_id: ID(row.rep_id.to_string()),
                    display_name: row.display_name,
                    team_id: ID(row.team_id.to_string()),
                    scorecard: row.scorecard.map(|card| Scorecard::of(card, window)),
                })
                .collect()
        });
        scorecard
    }
}

impl Scorecard {
    fn of(card: attain_core::scorecard::Scorecard, window: Window) -> Scorecard {
        Scorecard {
            period: window.into(),
            scheme: SchemeInfo {
                id: ID(card.scheme.id.to_string()),
                name: card.scheme.name.clone(),
                effective_from: Date(card.scheme.effective_from),
                cap: card.scheme.cap,
            },
            items: card.items.into_iter().map(Into::into).collect(),
            composite: card.composite.map(six),
            coverage: six(card.coverage),
            bonus_multiplier: card.bonus_multiplier,
            dimensions: card
                .dimensions
                .into_iter()
                .map(|(dimension, subtotal)| DimensionScore {
                    dimension: dimension.into(),
                    weight: subtotal.weight,
                    covered_weight: subtotal.covered_weight,
                    composite: subtotal.composite.map(six),
                    coverage: six(subtotal.coverage),
                })
                .collect(),
            peers: None,
            breakdown: None,
        }
    }
}

#[Object]
impl FiguresQuery {
    /// Every KPI of the catalog, in catalog order.
    async fn kpi_catalog(&self) -> Vec<KpiInfo> {
        CATALOG.iter().map(KpiInfo::from).collect()
    }

    /// KPI values of a subject for a period (a label such as `FY2026-Q1`), as of an instant
    /// (default now): a period in progress gives to-date figures. All KPIs when `keys` is
    /// left out.
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        subject: SubjectInput,
        period: String,
        keys: Option<Vec<KpiKey>>,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<KpiSet> {
        let principal = principal(ctx)?;
        let subject = subject.parse().map_err(to_graphql)?;
        let keys: Vec<kpi::KpiKey> = match keys {
            Some(keys) => keys.into_iter().map(Into::into).collect(),
            None => kpi::KpiKey::ALL.to_vec(),
        };
        let as_of = as_of.map_or_else(Utc::now, |as_of| as_of.0);
        let report = figures::kpis(reads(ctx), principal, subject, &period, as_of, &keys)
            .await
            .gql()?;
        Ok(report.into())
    }

    /// A subject's scorecard for a period, as of an instant (default now); null when no
    /// scheme is in force. A rep's `peers` are computed only when asked for.
    async fn scorecard(
        &self,
        ctx: &Context<'_>,
        subject: SubjectInput,
        period: String,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<Option<Scorecard>> {
        let principal = principal(ctx)?;
        let subject = subject.parse().map_err(to_graphql)?;
        let extras = Extras {
            peers: ctx.look_ahead().field("peers").exists(),
            breakdown: ctx.look_ahead().field("breakdown").exists(),
        };
        let as_of = as_of.map_or_else(Utc::now, |as_of| as_of.0);
        let report = figures::scorecard(reads(ctx), principal, subject, &period, as_of, extras)
            .await
            .gql()?;
        Ok(report.map(Into::into))
    }
}
