//! GraphQL types of the KPI catalog: the `KpiKey` enum (generated from the catalog's
//! list), dimensions, units, directions, and a KPI's description.

use async_graphql::{Enum, SimpleObject};
use attain_core::kpi::{self, Kpi};

macro_rules! graphql_kpi_key {
    ($($variant:ident = $key:literal),+ $(,)?) => {
        /// A KPI of the catalog (`kpiCatalog` describes each).
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum KpiKey { $($variant),+ }

        impl From<KpiKey> for kpi::KpiKey {
            fn from(key: KpiKey) -> Self {
                match key { $(KpiKey::$variant => kpi::KpiKey::$variant),+ }
            }
        }

        impl From<kpi::KpiKey> for KpiKey {
            fn from(key: kpi::KpiKey) -> Self {
                match key { $(kpi::KpiKey::$variant => KpiKey::$variant),+ }
            }
        }
    };
}

attain_core::for_each_kpi_key!(graphql_kpi_key);

/// Seed 003's dimensions.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::kpi::Dimension")]
pub enum Dimension {
    /// 业绩结果
    Results,
    /// 客户管理
    Customers,
    /// 过程效率
    Process,
    /// 团队协作
    Teamwork,
    /// 能力成长
    Growth,
}

/// Whether higher or lower is better.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::kpi::Direction")]
pub enum Direction {
    Up,
    Down,
}

/// What a value measures: money (2 decimals), a count, a ratio (a plain fraction), a
/// 1–5 score, days, or another number (6 decimals).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_core::kpi::Unit")]
pub enum Unit {
    Money,
    Count,
    Ratio,
    Score,
    Days,
    Number,
}

/// A KPI as the catalog defines it: enough to render seed 003's table.
#[derive(SimpleObject, Clone)]
pub struct KpiInfo {
    pub key: KpiKey,
    /// English name.
    pub name: String,
    /// Chinese name (指标).
    pub name_zh: String,
    pub dimension: Dimension,
    pub direction: Direction,
    pub unit: Unit,
    /// The exact formula in words (计算公式).
    pub definition: String,
    /// Where the figures come from (数据来源).
    pub data_source: String,
    /// The training topic coaching suggests when the KPI lags.
    pub coaching_topic: String,
}

impl From<&Kpi> for KpiInfo {
    fn from(kpi: &Kpi) -> Self {
        KpiInfo {
            key: kpi.key.into(),
            name: kpi.name_en.to_owned(),
            name_zh: kpi.name_zh.to_owned(),
            dimension: kpi.dimension.into(),
            direction: kpi.direction.into(),
            unit: kpi.unit.into(),
            definition: kpi.definition.to_owned(),
            data_source: kpi.data_source.to_owned(),
            coaching_topic: kpi.coaching_topic.to_owned(),
        }
    }
}
