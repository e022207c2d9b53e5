//! The raw sums and counts the SQL aggregates produce for one subject and period, and the
//! pure formulas that turn them into KPI values (exact, unrounded; null on a zero
//! denominator).

use rust_decimal::{Decimal, RoundingStrategy};

use super::catalog::{KpiKey, Unit};
use crate::money::Currency;

/// What the database counted and summed for one subject. Money is in minor units,
/// durations in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub revenue: i64,
    pub won_deals: i64,
    pub lost_deals: i64,
    pub won_customers: i64,
    pub gross_profit: i64,
    pub cycle_micros: i64,
    pub previous_revenue: i64,
    pub year_ago_revenue: i64,
    pub invoiced: i64,
    pub collected: i64,
    /// The market size recorded for exactly this scope and period.
    pub market_size: Option<i64>,
    pub new_customers: i64,
    pub retention_base: i64,
    pub retention_kept: i64,
    pub repeat_customers: i64,
    pub repeat_returning: i64,
    pub surveys: i64,
    pub survey_score_sum: i64,
    pub surveys_passed: i64,
    pub expenses: i64,
    pub clv_customers: i64,
    pub clv_profit: i64,
    pub activities: i64,
    pub visits: i64,
    pub quality_visits: i64,
    pub follow_ups: i64,
    pub new_leads: i64,
    pub converted_leads: i64,
    pub proposals: i64,
    pub co_created_proposals: i64,
    pub proposals_won: i64,
    pub pipeline: i64,
    pub collaboration_ratings: i64,
    pub collaboration_sum: i64,
    pub capability_ratings: i64,
    pub capability_sum: i64,
    /// days(P) of the window.
    pub days: i64,
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    (!denominator.is_zero()).then(|| numerator / denominator)
}

fn count_ratio(numerator: i64, denominator: i64) -> Option<Decimal> {
    ratio(Decimal::from(numerator), Decimal::from(denominator))
}

impl Facts {
    /// The exact value of a KPI; `None` where the catalog says null.
    pub fn value(&self, key: KpiKey, currency: Currency) -> Option<Decimal> {
        let money = |minor: i64| currency.from_minor(minor);
        let growth = |base: i64| ratio(money(self.revenue - base), money(base));
        let cac = || {
            if self.new_customers == 0 {
                None
            } else {
                ratio(money(self.expenses), Decimal::from(self.new_customers))
            }
        };
        let clv = || ratio(money(self.clv_profit), Decimal::from(self.clv_customers));
        use KpiKey::*;
        match key {
            Revenue => Some(money(self.revenue)),
            RevenueGrowth => growth(self.previous_revenue),
            RevenueYoy => growth(self.year_ago_revenue),
            WonDeals => Some(Decimal::from(self.won_deals)),
            AvgDealSize => ratio(money(self.revenue), Decimal::from(self.won_deals)),
            RevenuePerCustomer => ratio(money(self.revenue), Decimal::from(self.won_customers)),
            GrossProfit => Some(money(self.gross_profit)),
            GrossMargin => ratio(money(self.gross_profit), money(self.revenue)),
            CollectionRate => ratio(money(self.collected), money(self.invoiced)),
            MarketShare => self
                .market_size
                .and_then(|size| ratio(money(self.revenue), money(size))),
            NewCustomers => Some(Decimal::from(self.new_customers)),
            RetentionRate => count_ratio(self.retention_kept, self.retention_base),
            RepeatPurchaseRate => count_ratio(self.repeat_returning, self.repeat_customers),
            SatisfactionAvg => count_ratio(self.survey_score_sum, self.surveys),
            SatisfactionPassRate => count_ratio(self.surveys_passed, self.surveys),
            Cac => cac(),
            Clv => clv(),
            ClvCacRatio => clv().zip(cac()).and_then(|(clv, cac)| ratio(clv, cac)),
            Activities => Some(Decimal::from(self.activities)),
            Visits => Some(Decimal::from(self.visits)),
            QualityVisits => Some(Decimal::from(self.quality_visits)),
            QualityVisitsPerWeek => count_ratio(self.quality_visits * 7, self.days),
            FollowUps => Some(Decimal::from(self.follow_ups)),
            NewLeads => Some(Decimal::from(self.new_leads)),
            LeadConversionRate => count_ratio(self.converted_leads, self.new_leads),
            Proposals => Some(Decimal::from(self.proposals)),
            CoCreatedProposals => Some(Decimal::from(self.co_created_proposals)),
            ProposalCloseRate => count_ratio(self.proposals_won, self.proposals),
            WinRate => count_ratio(self.won_deals, self.won_deals + self.lost_deals),
            AvgSalesCycleDays => count_ratio(self.cycle_micros, self.won_deals * MICROS_PER_DAY),
            PipelineValue => Some(money(self.pipeline)),
            CollaborationScore => count_ratio(self.collaboration_sum, self.collaboration_ratings),
            CapabilityScore => count_ratio(self.capability_sum, self.capability_ratings),
        }
    }
}

/// Rounds a value for output: money to 2 places, counts to whole numbers, everything else
/// to 6 places, half to even.
pub fn round_for_output(unit: Unit, value: Decimal) -> Decimal {
    let places = match unit {
        Unit::Money => 2,
        Unit::Count => 0,
        _ => 6,
    };
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny() -> Currency {
        Currency::parse("CNY").unwrap()
    }

    #[test]
    fn zero_denominators_give_null_not_zero() {
        let facts = Facts::default();
        for key in [
            KpiKey::RevenueGrowth,
            KpiKey::AvgDealSize,
            KpiKey::GrossMargin,
            KpiKey::WinRate,
            KpiKey::Cac,
            KpiKey::Clv,
            KpiKey::ClvCacRatio,
            KpiKey::SatisfactionAvg,
            KpiKey::QualityVisitsPerWeek,
        ] {
            assert_eq!(facts.value(key, cny()), None, "{key:?}");
        }
        assert_eq!(facts.value(KpiKey::Revenue, cny()), Some(Decimal::ZERO));
        assert_eq!(facts.value(KpiKey::Activities, cny()), Some(Decimal::ZERO));
    }

    #[test]
    fn acquisition_cost_with_new_customers_and_no_spend_is_zero() {
        let facts = Facts {
            new_customers: 3,
            clv_customers: 2,
            clv_profit: 500,
            ..Facts::default()
        };
        assert_eq!(facts.value(KpiKey::Cac, cny()), Some(Decimal::ZERO));
        assert_eq!(facts.value(KpiKey::ClvCacRatio, cny()), None);
    }

    #[test]
    fn the_sales_cycle_is_elapsed_seconds_over_a_day() {
        let facts = Facts {
            won_deals: 2,
            cycle_micros: 3 * MICROS_PER_DAY,
            ..Facts::default()
        };
        assert_eq!(
            facts.value(KpiKey::AvgSalesCycleDays, cny()),
            Some(Decimal::new(15, 1))
        );
    }

    #[test]
    fn growth_can_be_negative() {
        let facts = Facts {
            revenue: 50,
            previous_revenue: 200,
            ..Facts::default()
        };
        assert_eq!(
            facts.value(KpiKey::RevenueGrowth, cny()),
            Some(Decimal::new(-75, 2))
        );
    }

    #[test]
    fn output_rounding_is_half_even_by_unit() {
        assert_eq!(
            round_for_output(Unit::Money, Decimal::new(12345, 3)),
            Decimal::new(1234, 2)
        );
        assert_eq!(
            round_for_output(Unit::Ratio, Decimal::new(2_5000005, 7)),
            Decimal::new(2_500000, 6)
        );
        assert_eq!(
            round_for_output(Unit::Count, Decimal::from(7)),
            Decimal::from(7)
        );
    }
}
