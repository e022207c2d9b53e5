//! One table of every KPI in `kpi-catalog.md`: its key, names, dimension, direction,
//! unit, definition and coaching topic. Everything else that lists KPIs (the GraphQL
//! enum, validation of schemes and targets) derives from it.

use serde::{Deserialize, Serialize};

/// Seed 003's five dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

/// Whether a higher or a lower value is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    Up,
    Down,
}

/// What a KPI's value measures, which decides its rounding at output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Unit {
    Money,
    Count,
    Ratio,
    Score,
    Days,
    Number,
}

macro_rules! kpi_keys {
    ($($variant:ident = $key:literal),+ $(,)?) => {
        /// A KPI's key, in catalog order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum KpiKey { $($variant),+ }

        impl KpiKey {
            /// Every key, in catalog order.
            pub const ALL: &'static [KpiKey] = &[$(KpiKey::$variant),+];

            /// The snake_case key of the catalog (`lead_conversion_rate`).
            pub fn as_str(self) -> &'static str {
                match self { $(KpiKey::$variant => $key),+ }
            }

            /// Parses a snake_case key.
            pub fn parse(key: &str) -> Option<KpiKey> {
                match key { $($key => Some(KpiKey::$variant),)+ _ => None }
            }
        }
    };
}

/// Calls `$callback! { Variant = "key", … }` with every KPI key of the catalog, so that
/// other crates (the GraphQL enum) generate their lists from this one.
#[macro_export]
macro_rules! for_each_kpi_key {
    ($callback:ident) => {
        $callback! {
            Revenue = "revenue",
            RevenueGrowth = "revenue_growth",
            RevenueYoy = "revenue_yoy",
            WonDeals = "won_deals",
            AvgDealSize = "avg_deal_size",
            RevenuePerCustomer = "revenue_per_customer",
            GrossProfit = "gross_profit",
            GrossMargin = "gross_margin",
            CollectionRate = "collection_rate",
            MarketShare = "market_share",
            NewCustomers = "new_customers",
            RetentionRate = "retention_rate",
            RepeatPurchaseRate = "repeat_purchase_rate",
            SatisfactionAvg = "satisfaction_avg",
            SatisfactionPassRate = "satisfaction_pass_rate",
            Cac = "cac",
            Clv = "clv",
            ClvCacRatio = "clv_cac_ratio",
            Activities = "activities",
            Visits = "visits",
            QualityVisits = "quality_visits",
            QualityVisitsPerWeek = "quality_visits_per_week",
            FollowUps = "follow_ups",
            NewLeads = "new_leads",
            LeadConversionRate = "lead_conversion_rate",
            Proposals = "proposals",
            CoCreatedProposals = "co_created_proposals",
            ProposalCloseRate = "proposal_close_rate",
            WinRate = "win_rate",
            AvgSalesCycleDays = "avg_sales_cycle_days",
            PipelineValue = "pipeline_value",
            CollaborationScore = "collaboration_score",
            CapabilityScore = "capability_score",
        }
    };
}

for_each_kpi_key!(kpi_keys);

/// Everything the catalog says about one KPI.
#[derive(Clone, Copy, Debug)]
pub struct Kpi {
    pub key: KpiKey,
    /// The Chinese name of seed 003.
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub dimension: Dimension,
    pub direction: Direction,
    pub unit: Unit,
    /// The exact formula, in words.
    pub definition: &'static str,
    /// Where the figures come from.
    pub data_source: &'static str,
    /// The training topic that coaching suggests when the KPI lags.
    pub coaching_topic: &'static str,
}

impl KpiKey {
    /// The catalog entry of this key.
    pub fn kpi(self) -> &'static Kpi {
        &CATALOG[self as usize]
    }
}

const VALUE_SELLING: &str = "value selling and pricing";
const COLLECTIONS: &str = "contracts and collections";
const PROSPECTING: &str = "prospecting and lead sources";
const ACCOUNTS: &str = "account management";
const CARE: &str = "customer care";
const PLANNING: &str = "activity planning";
const CLOSING: &str = "negotiation and closing";

const DEALS: &str = "deals";
const ACTIVITIES: &str = "activities";

macro_rules! kpi {
    ($key:ident, $zh:literal, $en:literal, $dim:ident, $dir:ident, $unit:ident, $def:literal, $src:expr, $topic:expr) => {
        Kpi {
            key: KpiKey::$key,
            name_zh: $zh,
            name_en: $en,
            dimension: Dimension::$dim,
            direction: Direction::$dir,
            unit: Unit::$unit,
            definition: $def,
            data_source: $src,
            coaching_topic: $topic,
        }
    };
}

/// The catalog, indexed by `KpiKey as usize`.
pub static CATALOG: [Kpi; 33] = [
    kpi!(
        Revenue,
        "销售额",
        "Revenue",
        Results,
        Up,
        Money,
        "Σ amount of won deals in the period",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        RevenueGrowth,
        "销售额增长率(环比)",
        "Revenue growth",
        Results,
        Up,
        Ratio,
        "(revenue − revenue of the previous period) ÷ revenue of the previous period",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        RevenueYoy,
        "同比增长率",
        "Revenue year over year",
        Results,
        Up,
        Ratio,
        "(revenue − revenue a year earlier) ÷ revenue a year earlier",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        WonDeals,
        "成交单数",
        "Won deals",
        Results,
        Up,
        Count,
        "count of won deals in the period",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        AvgDealSize,
        "平均成交额",
        "Average deal size",
        Results,
        Up,
        Money,
        "revenue ÷ won deals",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        RevenuePerCustomer,
        "客单价",
        "Revenue per customer",
        Results,
        Up,
        Money,
        "revenue ÷ distinct customers of the won deals",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        GrossProfit,
        "利润",
        "Gross profit",
        Results,
        Up,
        Money,
        "Σ (amount − cost) of won deals in the period; an absent cost is 0",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        GrossMargin,
        "毛利率",
        "Gross margin",
        Results,
        Up,
        Ratio,
        "gross profit ÷ revenue",
        DEALS,
        VALUE_SELLING
    ),
    kpi!(
        CollectionRate,
        "回款率",
        "Collection rate",
        Results,
        Up,
        Ratio,
        "over invoices due in the period: Σ their payments received before its end ÷ Σ their amounts",
        "invoices and payments",
        COLLECTIONS
    ),
    kpi!(
        MarketShare,
        "市场占有率",
        "Market share",
        Results,
        Up,
        Ratio,
        "revenue ÷ the market size recorded for exactly this scope and period; none for reps",
        "deals and market sizes",
        PROSPECTING
    ),
    kpi!(
        NewCustomers,
        "新客户数",
        "New customers",
        Customers,
        Up,
        Count,
        "customers whose first-ever won deal closed in the period",
        DEALS,
        PROSPECTING
    ),
    kpi!(
        RetentionRate,
        "客户留存率",
        "Retention rate",
        Customers,
        Up,
        Ratio,
        "of the customers active at the period's start, the share still active at its end (active: a won deal in the preceding window)",
        DEALS,
        ACCOUNTS
    ),
    kpi!(
        RepeatPurchaseRate,
        "返单率",
        "Repeat purchase rate",
        Customers,
        Up,
        Ratio,
        "of the customers of won deals in the period, the share first acquired before it",
        DEALS,
        ACCOUNTS
    ),
    kpi!(
        SatisfactionAvg,
        "客户满意度",
        "Satisfaction",
        Customers,
        Up,
        Score,
        "mean score (1–5) of survey responses in the period",
        "survey responses",
        CARE
    ),
    kpi!(
        SatisfactionPassRate,
        "满意度达标率",
        "Satisfaction pass rate",
        Customers,
        Up,
        Ratio,
        "share of survey responses in the period at or above the pass score",
        "survey responses",
        CARE
    ),
    kpi!(
        Cac,
        "客户获取成本",
        "Customer acquisition cost",
        Customers,
        Down,
        Money,
        "Σ acquisition expenses in the period ÷ new customers",
        "expenses and deals",
        PROSPECTING
    ),
    kpi!(
        Clv,
        "客户生命周期价值",
        "Customer lifetime value",
        Customers,
        Up,
        Money,
        "Σ gross profit of all won deals of the customers acquired so far ÷ their count",
        DEALS,
        ACCOUNTS
    ),
    kpi!(
        ClvCacRatio,
        "CLV/CAC",
        "CLV to CAC",
        Customers,
        Up,
        Ratio,
        "customer lifetime value ÷ customer acquisition cost",
        "deals and expenses",
        ACCOUNTS
    ),
    kpi!(
        Activities,
        "活动总数",
        "Activities",
        Process,
        Up,
        Count,
        "count of activities in the period",
        ACTIVITIES,
        PLANNING
    ),
    kpi!(
        Visits,
        "拜访次数",
        "Visits",
        Process,
        Up,
        Count,
        "count of visits in the period",
        ACTIVITIES,
        PLANNING
    ),
    kpi!(
        QualityVisits,
        "高质量拜访",
        "Quality visits",
        Process,
        Up,
        Count,
        "visits in the period that met the high-quality definition",
        ACTIVITIES,
        PLANNING
    ),
    kpi!(
        QualityVisitsPerWeek,
        "每周高质量拜访",
        "Quality visits per week",
        Process,
        Up,
        Number,
        "quality visits × 7 ÷ days in the period",
        ACTIVITIES,
        PLANNING
    ),
    kpi!(
        FollowUps,
        "跟进次数",
        "Follow-ups",
        Process,
        Up,
        Count,
        "count of calls, emails, messages and follow-ups in the period",
        ACTIVITIES,
        PLANNING
    ),
    kpi!(
        NewLeads,
        "新线索数",
        "New leads",
        Process,
        Up,
        Count,
        "leads created in the period",
        "leads",
        PROSPECTING
    ),
    kpi!(
        LeadConversionRate,
        "线索转化率",
        "Lead conversion rate",
        Process,
        Up,
        Ratio,
        "of the leads created in the period, the share converted before its end",
        "leads",
        CLOSING
    ),
    kpi!(
        Proposals,
        "提案数",
        "Proposals",
        Process,
        Up,
        Count,
        "deals whose proposal was sent in the period",
        DEALS,
        CLOSING
    ),
    kpi!(
        CoCreatedProposals,
        "\"不出所料\"的提案",
        "Co-created proposals",
        Process,
        Up,
        Count,
        "of those proposals, the ones written with the customer",
        DEALS,
        CLOSING
    ),
    kpi!(
        ProposalCloseRate,
        "成交率",
        "Proposal close rate",
        Process,
        Up,
        Ratio,
        "of the deals whose proposal was sent in the period, the share won before its end",
        DEALS,
        CLOSING
    ),
    kpi!(
        WinRate,
        "赢单率",
        "Win rate",
        Process,
        Up,
        Ratio,
        "won ÷ (won + lost) among deals closed in the period",
        DEALS,
        CLOSING
    ),
    kpi!(
        AvgSalesCycleDays,
        "销售周期",
        "Average sales cycle",
        Process,
        Down,
        Days,
        "mean days from first contact to close over the won deals of the period",
        DEALS,
        CLOSING
    ),
    kpi!(
        PipelineValue,
        "在途商机金额",
        "Pipeline value",
        Process,
        Up,
        Money,
        "Σ amount of the deals open at the period's end",
        DEALS,
        CLOSING
    ),
    kpi!(
        CollaborationScore,
        "跨部门协作评分",
        "Collaboration score",
        Teamwork,
        Up,
        Score,
        "mean collaboration rating (1–5) in the period",
        "ratings",
        "cross-team collaboration"
    ),
    kpi!(
        CapabilityScore,
        "能力成长评分",
        "Capability score",
        Growth,
        Up,
        Score,
        "mean capability rating (1–5) in the period",
        "ratings",
        "product knowledge and skills"
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_indexed_by_key() {
        assert_eq!(KpiKey::ALL.len(), CATALOG.len());
        for (index, key) in KpiKey::ALL.iter().enumerate() {
            assert_eq!(CATALOG[index].key, *key);
            assert_eq!(KpiKey::parse(key.as_str()), Some(*key));
        }
    }

    #[test]
    fn only_cac_and_the_sales_cycle_are_better_lower() {
        let down: Vec<_> = CATALOG
            .iter()
            .filter(|kpi| kpi.direction == Direction::Down)
            .map(|kpi| kpi.key)
            .collect();
        assert_eq!(down, [KpiKey::Cac, KpiKey::AvgSalesCycleDays]);
    }
}
