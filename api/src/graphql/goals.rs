//! Setting targets (admins; managers in their subtree) and adding scorecard schemes
//! (admins).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use attain_core::goals::{self, SchemeInput as CoreScheme, TargetInput as CoreTarget};
use attain_core::kpi::{KpiKey as CoreKey, Subject};
use attain_entity::{scorecard_scheme, target};
use rust_decimal::Decimal;
use std::str::FromStr;

use super::Services;
use super::activities::{instant, writer};
use super::error::{GqlResult, to_graphql};
use super::figures::{SchemeInfo, SubjectInput};
use super::kpi_types::KpiKey;
use super::scalars::{Date, DateTime, id};

/// Whom a scheme scores.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::AppliesTo")]
pub enum SchemeSubject {
    Rep,
    Team,
}

/// A target to set: it replaces the subject's target for the same KPI and period.
#[derive(InputObject)]
pub struct TargetInput {
    pub subject: SubjectInput,
    pub kpi: KpiKey,
    /// A period label: `2026-W27`, `2026-07`, `FY2026-Q3`, `FY2026`, or `2026-07-01..2026-09-30`.
    pub period: String,
    pub target: Decimal,
    /// The value below which (above, for a KPI where down is better) the item is at risk.
    pub baseline: Option<Decimal>,
    /// The value past which the item is critical.
    pub floor: Option<Decimal>,
}

/// A stored target.
#[derive(SimpleObject)]
pub struct Target {
    pub id: ID,
    pub subject_id: ID,
    pub kpi: KpiKey,
    /// First local date.
    pub period_start: Date,
    /// Local date after the last one.
    pub period_end: Date,
    pub target: Decimal,
    pub baseline: Option<Decimal>,
    pub floor: Option<Decimal>,
    pub updated_at: DateTime,
    /// False when the same values were stored already (a replay).
    pub changed: bool,
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_default()
}

fn target_of(row: target::Model, changed: bool) -> Target {
    Target {
        id: id(row.id),
        subject_id: id(row.subject_id),
        kpi: CoreKey::parse(&row.kpi).map_or(KpiKey::Revenue, Into::into),
        period_start: Date(row.period_start),
        period_end: Date(row.period_end),
        target: decimal(&row.target),
        baseline: row.baseline.as_deref().map(decimal),
        floor: row.floor.as_deref().map(decimal),
        updated_at: instant(row.updated_at),
        changed,
    }
}

/// A bonus tier: from this composite on, the bonus is multiplied so.
#[derive(InputObject)]
pub struct BonusTierInput {
    pub min_score: Decimal,
    pub multiplier: Decimal,
}

/// A KPI of a scheme and its weight.
#[derive(InputObject)]
pub struct SchemeItemInput {
    pub kpi: KpiKey,
    /// 1 to 100; a scheme's weights sum to exactly 100.
    pub weight: i32,
}

/// A scorecard scheme to add, in force from `effectiveFrom` until the next one.
#[derive(InputObject)]
pub struct SchemeInput {
    pub name: String,
    pub applies_to: SchemeSubject,
    pub effective_from: Date,
    /// The most an item's attainment counts for (`1.2` = 120%).
    #[graphql(default_with = "Decimal::new(12, 1)")]
    pub cap: Decimal,
    #[graphql(default)]
    pub bonus_tiers: Vec<BonusTierInput>,
    pub items: Vec<SchemeItemInput>,
}

fn scheme_of(row: scorecard_scheme::Model) -> SchemeInfo {
    SchemeInfo {
        id: id(row.id),
        name: row.name,
        effective_from: Date(row.effective_from),
        cap: decimal(&row.cap),
    }
}

#[derive(Default)]
pub struct GoalsMutation;

#[Object]
impl GoalsMutation {
    /// Sets a rep's, team's or the organization's target for a KPI and period (admins;
    /// managers for their subtree). The order floor ≤ baseline ≤ target (reversed for
    /// KPIs where down is better) is checked field by field.
    async fn set_target(
        &self,
        ctx: &Context<'_>,
        input: TargetInput,
    ) -> async_graphql::Result<Target> {
        let services = ctx.data_unchecked::<Services>();
        let subject: Subject = input.subject.parse().map_err(to_graphql)?;
        let (row, changed) = goals::set_target(
            &services.db,
            &writer(ctx)?,
            CoreTarget {
                subject,
                kpi: input.kpi.into(),
                period: input.period,
                target: input.target,
                baseline: input.baseline,
                floor: input.floor,
            },
        )
        .await
        .gql()?;
        Ok(target_of(row, changed))
    }

    /// Adds a scorecard scheme (admins). Weights must sum to exactly 100, else
    /// `BAD_USER_INPUT` on `items`.
    async fn create_scorecard_scheme(
        &self,
        ctx: &Context<'_>,
        input: SchemeInput,
    ) -> async_graphql::Result<SchemeInfo> {
        let services = ctx.data_unchecked::<Services>();
        let scheme = goals::create_scheme(
            &services.db,
            &writer(ctx)?,
            CoreScheme {
                name: input.name,
                applies_to: input.applies_to.into(),
                effective_from: input.effective_from.0,
                cap: input.cap,
                bonus_tiers: input
                    .bonus_tiers
                    .into_iter()
                    .map(|tier| (tier.min_score, tier.multiplier))
                    .collect(),
                items: input
                    .items
                    .into_iter()
                    .map(|item| (item.kpi.into(), item.weight))
                    .collect(),
            },
        )
        .await
        .gql()?;
        Ok(scheme_of(scheme))
    }
}
