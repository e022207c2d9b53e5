//! A subject's KPI broken down by lead source, segment, activity kind, stage, team, rep,
//! week or month.

use async_graphql::{Context, Enum, Object, SimpleObject};
use attain_core::breakdown::{self, By};
use attain_core::kpi::KpiKey as CoreKey;
use rust_decimal::Decimal;

use super::error::{GqlResult, principal, to_graphql};
use super::figures::{PeriodWindow, SubjectInput, output};
use super::insights::as_of_or_now;
use super::kpi_types::{KpiInfo, KpiKey};
use super::reads;
use super::scalars::DateTime;

#[derive(Default)]
pub struct BreakdownQuery;

/// What a breakdown groups a KPI's records by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::breakdown::By")]
pub enum BreakdownBy {
    /// The lead's source (a deal's through its lead).
    LeadSource,
    /// The customer's segment.
    CustomerSegment,
    ActivityKind,
    /// A deal's stage.
    Stage,
    /// The responsible rep's team when the record's event happened.
    Team,
    /// The responsible rep.
    Rep,
    /// Weeks from Monday, the first and last cut by the period.
    Week,
    /// Calendar months, cut by the period.
    Month,
}

/// One group of a breakdown.
#[derive(SimpleObject)]
pub struct BreakdownGroup {
    /// The enum value, the team's or rep's id, the first date of a week or month, or
    /// `UNKNOWN` for records without the attribute.
    pub key: String,
    /// The team's or rep's name, `2026-W14` or `2026-03`; the key otherwise.
    pub label: String,
    /// Rounded as the KPI's unit is shown; null on a zero denominator.
    pub value: Option<Decimal>,
}

/// A KPI of one subject per group.
#[derive(SimpleObject)]
pub struct KpiBreakdown {
    pub period: PeriodWindow,
    pub kpi: KpiInfo,
    pub by: BreakdownBy,
    /// Weeks and months in order (each begun before the effective end); other groupings
    /// by label, `UNKNOWN` last.
    pub groups: Vec<BreakdownGroup>,
}

#[Object]
impl BreakdownQuery {
    /// A subject's KPI for a period grouped by `by`, from the same records and formulas
    /// as its scorecard value. A grouping that makes no sense for the KPI is
    /// `BAD_USER_INPUT`; reps may break down only their own figures by rep.
    async fn breakdown(
        &self,
        ctx: &Context<'_>,
        subject: SubjectInput,
        kpi: KpiKey,
        period: String,
        by: BreakdownBy,
        as_of: Option<DateTime>,
    ) -> async_graphql::Result<KpiBreakdown> {
        let principal = principal(ctx)?;
        let subject = subject.parse().map_err(to_graphql)?;
        let key: CoreKey = kpi.into();
        let found = breakdown::breakdown(
            reads(ctx),
            principal,
            subject,
            key,
            &period,
            By::from(by),
            as_of_or_now(as_of),
        )
        .await
        .gql()?;
        Ok(KpiBreakdown {
            period: found.window.into(),
            kpi: key.kpi().into(),
            by,
            groups: found
                .groups
                .into_iter()
                .map(|group| BreakdownGroup {
                    key: group.key,
                    label: group.label,
                    value: output(key, group.value),
                })
                .collect(),
        })
    }
}
