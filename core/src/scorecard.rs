//! Scorecards: the scheme in force, targets, attainment (direction-aware), status, capped
//! item scores, the composite and its coverage, dimension subtotals, the bonus multiplier,
//! and a rep's standing among peers.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use anyhow::Context as _;
use attain_entity::enums::{AppliesTo, SubjectKind};
use attain_entity::{scheme_item, scorecard_scheme};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::CoreResult;
use crate::kpi::scope::{LISTED_REPS, Sql};
use crate::kpi::{Dimension, Direction, KpiKey};
use crate::period::Period;

/// A scheme version: which KPIs weigh how much, the cap and the bonus tiers.
#[derive(Clone, Debug)]
pub struct Scheme {
    pub id: Uuid,
    pub name: String,
    pub applies_to: AppliesTo,
    pub effective_from: NaiveDate,
    pub cap: Decimal,
    /// (minimum composite, multiplier), highest minimum first.
    pub tiers: Vec<(Decimal, Decimal)>,
    /// (KPI, weight) in the scheme's order.
    pub items: Vec<(KpiKey, i32)>,
}

#[derive(Deserialize)]
struct Tier {
    #[serde(with = "rust_decimal::serde::str")]
    min_score: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    multiplier: Decimal,
}

/// The latest scheme of `applies_to` with `effective_from ≤ start`.
pub async fn scheme_in_force<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    applies_to: AppliesTo,
    start: NaiveDate,
) -> CoreResult<Option<Scheme>> {
    let Some(row) = scorecard_scheme::Entity::find()
        .filter(scorecard_scheme::Column::OrganizationId.eq(organization_id))
        .filter(scorecard_scheme::Column::AppliesTo.eq(applies_to))
        .filter(scorecard_scheme::Column::EffectiveFrom.lte(start))
        .order_by_desc(scorecard_scheme::Column::EffectiveFrom)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let items = scheme_item::Entity::find()
        .filter(scheme_item::Column::OrganizationId.eq(organization_id))
        .filter(scheme_item::Column::SchemeId.eq(row.id))
        .order_by_asc(scheme_item::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|item| KpiKey::parse(&item.kpi).map(|kpi| (kpi, item.weight)))
        .collect();
    let mut tiers: Vec<(Decimal, Decimal)> = serde_json::from_str::<Vec<Tier>>(&row.bonus_tiers)
        .context("bonus tiers")?
        .into_iter()
        .map(|tier| (tier.min_score, tier.multiplier))
        .collect();
    tiers.sort_by_key(|tier| std::cmp::Reverse(tier.0));
    Ok(Some(Scheme {
        id: row.id,
        name: row.name,
        applies_to: row.applies_to,
        effective_from: row.effective_from,
        cap: Decimal::from_str(&row.cap).context("cap")?,
        tiers,
        items,
    }))
}

/// A target as set: the challenge value, and optionally the baseline and floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub target: Decimal,
    pub baseline: Option<Decimal>,
    pub floor: Option<Decimal>,
}

/// The targets of the subjects for `period` whose subject, KPI, kind, start and end
/// match exactly, by (subject, KPI).
pub async fn targets<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    subject_kind: SubjectKind,
    subjects: &[Uuid],
    period: &Period,
) -> CoreResult<HashMap<(Uuid, KpiKey), Target>> {
    let mut sql = Sql::default();
    let text = format!(
        "SELECT subject_id, kpi, target, baseline, floor FROM targets WHERE organization_id = {} \
         AND subject_kind = {} AND period_kind = {} AND period_start = {} AND period_end = {}",
        sql.param(organization_id),
        sql.param(subject_kind.as_str()),
        sql.param(period.kind.as_str()),
        sql.param(period.start),
        sql.param(period.end),
    );
    // Many subjects: every target of the period, then keep the asked subjects' ones.
    let listed = subjects.len() <= LISTED_REPS;
    let text = if listed {
        let list: Vec<String> = subjects.iter().map(|subject| sql.param(*subject)).collect();
        format!("{text} AND subject_id IN ({})", list.join(", "))
    } else {
        text
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            text,
            sql.values,
        ))
        .await?;
    let asked: HashSet<Uuid> = subjects.iter().copied().collect();
    let decimal = |text: &str| Decimal::from_str(text).context("a stored target");
    let mut targets = HashMap::new();
    for row in rows {
        let subject: Uuid = row.try_get("", "subject_id")?;
        let kpi: String = row.try_get("", "kpi")?;
        let Some(kpi) = KpiKey::parse(&kpi) else {
            continue;
        };
        if !listed && !asked.contains(&subject) {
            continue;
        }
        let baseline: Option<String> = row.try_get("", "baseline")?;
        let floor: Option<String> = row.try_get("", "floor")?;
        let target = Target {
            target: decimal(&row.try_get::<String>("", "target")?)?,
            baseline: baseline.as_deref().map(decimal).transpose()?,
            floor: floor.as_deref().map(decimal).transpose()?,
        };
        targets.insert((subject, kpi), target);
    }
    Ok(targets)
}

/// How an item stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    NoTarget,
    Met,
    OnTrack,
    AtRisk,
    Critical,
}

/// ↑: actual ÷ target (a target of 0 gives none); ↓: target ÷ actual (an actual of 0
/// gives the cap). None without a target or an actual. Unclamped.
pub fn attainment(
    direction: Direction,
    actual: Option<Decimal>,
    target: Option<&Target>,
    cap: Decimal,
) -> Option<Decimal> {
    let (actual, target) = (actual?, target?.target);
    match direction {
        Direction::Up => (!target.is_zero()).then(|| actual / target),
        Direction::Down if actual.is_zero() => Some(cap),
        Direction::Down => Some(target / actual),
    }
}

/// The first status that holds: no target, met, on track (at or past a baseline), at risk
/// (no floor, or at or past it), critical. "Past" respects the direction.
pub fn status(
    direction: Direction,
    actual: Option<Decimal>,
    attainment: Option<Decimal>,
    target: Option<&Target>,
) -> Status {
    let (Some(attainment), Some(actual), Some(target)) = (attainment, actual, target) else {
        return Status::NoTarget;
    };
    let reached = |mark: Decimal| match direction {
        Direction::Up => actual >= mark,
        Direction::Down => actual <= mark,
    };
    if attainment >= Decimal::ONE {
        Status::Met
    } else if target.baseline.is_some_and(reached) {
        Status::OnTrack
    } else if target.floor.is_none_or(reached) {
        Status::AtRisk
    } else {
        Status::Critical
    }
}

/// One scored item of a scorecard.
#[derive(Clone, Debug)]
pub struct Item {
    pub kpi: KpiKey,
    pub weight: i32,
    pub target: Option<Target>,
    /// Unrounded.
    pub actual: Option<Decimal>,
    pub attainment: Option<Decimal>,
    pub status: Status,
    /// weight × clamp(attainment, 0, cap); none without an attainment.
    pub score: Option<Decimal>,
}

/// The composite formula over some items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subtotal {
    pub weight: i32,
    pub covered_weight: i32,
    pub composite: Option<Decimal>,
    /// covered ÷ total weight.
    pub coverage: Decimal,
}

fn subtotal<'a>(items: impl Iterator<Item = &'a Item>) -> Subtotal {
    let (mut weight, mut covered, mut scores) = (0, 0, Decimal::ZERO);
    for item in items {
        weight += item.weight;
        if let Some(score) = item.score {
            covered += item.weight;
            scores += score;
        }
    }
    let composite = (covered > 0).then(|| scores / Decimal::from(covered) * Decimal::ONE_HUNDRED);
    let coverage = if weight > 0 {
        Decimal::from(covered) / Decimal::from(weight)
    } else {
        Decimal::ZERO
    };
    Subtotal {
        weight,
        covered_weight: covered,
        composite,
        coverage,
    }
}

/// A subject's scorecard for a period.
#[derive(Clone, Debug)]
pub struct Scorecard {
    pub scheme: Scheme,
    pub items: Vec<Item>,
    pub composite: Option<Decimal>,
    /// Σ covered weights ÷ 100.
    pub coverage: Decimal,
    pub bonus_multiplier: Option<Decimal>,
    /// Subtotals of the dimensions that have an item, in catalog order.
    pub dimensions: Vec<(Dimension, Subtotal)>,
}

/// Scores a scheme against actual values and targets.
pub fn score(
    scheme: &Scheme,
    actual: impl Fn(KpiKey) -> Option<Decimal>,
    target: impl Fn(KpiKey) -> Option<Target>,
) -> Scorecard {
    let items: Vec<Item> = scheme
        .items
        .iter()
        .map(|(kpi, weight)| {
            let direction = kpi.kpi().direction;
            let (actual, target) = (actual(*kpi), target(*kpi));
            let attainment = attainment(direction, actual, target.as_ref(), scheme.cap);
            Item {
                kpi: *kpi,
                weight: *weight,
                status: status(direction, actual, attainment, target.as_ref()),
                score: attainment
                    .map(|a| Decimal::from(*weight) * a.clamp(Decimal::ZERO, scheme.cap)),
                target,
                actual,
                attainment,
            }
        })
        .collect();
    let total = subtotal(items.iter());
    let dimensions = [
        Dimension::Results,
        Dimension::Customers,
        Dimension::Process,
        Dimension::Teamwork,
        Dimension::Growth,
    ]
    .into_iter()
    .filter(|dimension| {
        items
            .iter()
            .any(|item| item.kpi.kpi().dimension == *dimension)
    })
    .map(|dimension| {
        (
            dimension,
            subtotal(
                items
                    .iter()
                    .filter(|item| item.kpi.kpi().dimension == dimension),
            ),
        )
    })
    .collect();
    let bonus_multiplier = total.composite.and_then(|composite| {
        scheme
            .tiers
            .iter()
            .find(|(min, _)| composite >= *min)
            .map(|(_, multiplier)| *multiplier)
    });
    Scorecard {
        scheme: scheme.clone(),
        coverage: Decimal::from(total.covered_weight) / Decimal::ONE_HUNDRED,
        composite: total.composite,
        bonus_multiplier,
        dimensions,
        items,
    }
}

/// Where one value stands among peers' values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Peers with a value.
    pub n: i64,
    /// Competition rank (1, 2, 2, 4), best first by direction; none without a value.
    pub rank: Option<i64>,
    /// 100 × (n − rank) ÷ (n − 1); 100 when n = 1.
    pub percentile: Option<Decimal>,
    pub median: Option<Decimal>,
    pub delta_to_median: Option<Decimal>,
}

/// The standing of `mine` among `values` (which include it when it is a peer).
pub fn standing(values: &[Decimal], mine: Option<Decimal>, direction: Direction) -> Standing {
    let n = values.len() as i64;
    let better = |other: &Decimal, mine: &Decimal| match direction {
        Direction::Up => other > mine,
        Direction::Down => other < mine,
    };
    let rank =
        mine.map(|mine| values.iter().filter(|other| better(other, &mine)).count() as i64 + 1);
    let percentile = rank.map(|rank| {
        if n <= 1 {
            Decimal::ONE_HUNDRED
        } else {
            Decimal::ONE_HUNDRED * Decimal::from(n - rank) / Decimal::from(n - 1)
        }
    });
    let mut sorted = values.to_vec();
    sorted.sort();
    let median = match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[len / 2]),
        len => Some((sorted[len / 2 - 1] + sorted[len / 2]) / Decimal::TWO),
    };
    Standing {
        n,
        rank,
        percentile,
        median,
        delta_to_median: mine.zip(median).map(|(mine, median)| mine - median),
    }
}

/// A value's place in a ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placing {
    /// Competition rank; none without a value.
    pub rank: Option<i64>,
    pub percentile: Option<Decimal>,
}

/// Ranks every entry at once, as [`standing`] ranks one: best first by direction, exact
/// ties sharing a rank, null values unranked. Answers the entries in ranking order (null
/// values last, in their given order) with their placing.
pub fn rank_all<T>(
    entries: Vec<(T, Option<Decimal>)>,
    direction: Direction,
) -> Vec<(T, Option<Decimal>, Placing)> {
    let (mut valued, unvalued): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|(_, value)| value.is_some());
    valued.sort_by(|(_, a), (_, b)| match direction {
        Direction::Up => b.cmp(a),
        Direction::Down => a.cmp(b),
    });
    let n = valued.len() as i64;
    let mut ranked = Vec::with_capacity(valued.len() + unvalued.len());
    let mut previous: Option<(Decimal, i64)> = None;
    for (index, (entry, value)) in valued.into_iter().enumerate() {
        let value = value.unwrap_or_default();
        let rank = match previous {
            Some((last, rank)) if last == value => rank,
            _ => index as i64 + 1,
        };
        previous = Some((value, rank));
        let percentile = if n <= 1 {
            Decimal::ONE_HUNDRED
        } else {
            Decimal::ONE_HUNDRED * Decimal::from(n - rank) / Decimal::from(n - 1)
        };
        ranked.push((
            entry,
            Some(value),
            Placing {
                rank: Some(rank),
                percentile: Some(percentile),
            },
        ));
    }
    ranked.extend(unvalued.into_iter().map(|(entry, value)| {
        (
            entry,
            value,
            Placing {
                rank: None,
                percentile: None,
            },
        )
    }));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn target(target: &str, baseline: Option<&str>, floor: Option<&str>) -> Target {
        Target {
            target: dec(target),
            baseline: baseline.map(dec),
            floor: floor.map(dec),
        }
    }

    #[test]
    fn rank_all_agrees_with_standing() {
        let values = [Some("5"), None, Some("7"), Some("5"), Some("1")];
        let entries: Vec<(usize, Option<Decimal>)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i, v.map(dec)))
            .collect();
        let present: Vec<Decimal> = values.iter().flatten().map(|v| dec(v)).collect();
        for direction in [Direction::Up, Direction::Down] {
            let ranked = rank_all(entries.clone(), direction);
            assert_eq!(ranked.last().map(|(i, _, _)| *i), Some(1), "null last");
            for (index, value, placing) in ranked {
                let one = standing(&present, value, direction);
                assert_eq!(
                    (placing.rank, placing.percentile),
                    (one.rank, one.percentile),
                    "entry {index}"
                );
            }
        }
        let down = rank_all(entries, Direction::Down);
        let order: Vec<usize> = down.iter().map(|(i, _, _)| *i).collect();
        assert_eq!(order, vec![4, 0, 3, 2, 1]);
    }

    #[test]
    fn attainment_follows_the_direction() {
        let cap = dec("1.2");
        let t = target("200", None, None);
        assert_eq!(
            attainment(Direction::Up, Some(dec("150")), Some(&t), cap),
            Some(dec("0.75"))
        );
        assert_eq!(
            attainment(Direction::Down, Some(dec("400")), Some(&t), cap),
            Some(dec("0.5"))
        );
        assert_eq!(
            attainment(Direction::Down, Some(Decimal::ZERO), Some(&t), cap),
            Some(cap)
        );
        assert_eq!(
            attainment(
                Direction::Up,
                Some(dec("5")),
                Some(&target("0", None, None)),
                cap
            ),
            None
        );
        assert_eq!(attainment(Direction::Up, None, Some(&t), cap), None);
        assert_eq!(attainment(Direction::Up, Some(dec("5")), None, cap), None);
    }

    #[test]
    fn status_is_the_first_that_holds() {
        let up = |actual: &str, t: &Target| {
            let actual = Some(dec(actual));
            status(
                Direction::Up,
                actual,
                attainment(Direction::Up, actual, Some(t), Decimal::ONE),
                Some(t),
            )
        };
        let full = target("100", Some("80"), Some("50"));
        assert_eq!(up("100", &full), Status::Met);
        assert_eq!(up("80", &full), Status::OnTrack);
        assert_eq!(up("50", &full), Status::AtRisk);
        assert_eq!(up("49.99", &full), Status::Critical);
        assert_eq!(up("10", &target("100", None, None)), Status::AtRisk);
        let down = target("20", Some("40"), Some("50"));
        let actual = Some(dec("45"));
        let a = attainment(Direction::Down, actual, Some(&down), Decimal::ONE);
        assert_eq!(
            status(Direction::Down, actual, a, Some(&down)),
            Status::AtRisk
        );
        let actual = Some(dec("51"));
        let a = attainment(Direction::Down, actual, Some(&down), Decimal::ONE);
        assert_eq!(
            status(Direction::Down, actual, a, Some(&down)),
            Status::Critical
        );
    }

    fn scheme(items: Vec<(KpiKey, i32)>) -> Scheme {
        Scheme {
            id: Uuid::nil(),
            name: "s".into(),
            applies_to: AppliesTo::Rep,
            effective_from: NaiveDate::MIN,
            cap: dec("1.2"),
            tiers: vec![
                (dec("90"), dec("1.2")),
                (dec("70"), dec("1.0")),
                (dec("0"), dec("0.8")),
            ],
            items,
        }
    }

    #[test]
    fn the_composite_weighs_only_covered_items_and_caps_scores() {
        let s = scheme(vec![
            (KpiKey::Revenue, 60),
            (KpiKey::WinRate, 30),
            (KpiKey::Visits, 10),
        ]);
        let card = score(
            &s,
            |kpi| {
                Some(if kpi == KpiKey::Revenue {
                    dec("300")
                } else {
                    dec("0.2")
                })
            },
            |kpi| match kpi {
                KpiKey::Revenue => Some(target("100", None, None)),
                KpiKey::WinRate => Some(target("0.4", None, None)),
                _ => None,
            },
        );
        assert_eq!(card.items[0].score, Some(dec("72")));
        assert_eq!(card.items[1].score, Some(dec("15")));
        assert_eq!(card.items[2].score, None);
        assert_eq!(card.composite, Some(dec("96.66666666666666666666666667")));
        assert_eq!(card.coverage, dec("0.9"));
        assert_eq!(card.bonus_multiplier, Some(dec("1.2")));
        let (dimension, results) = card.dimensions[0];
        assert_eq!(dimension, Dimension::Results);
        assert_eq!(results.composite, Some(dec("120")));
    }

    #[test]
    fn no_covered_item_means_no_composite_and_no_bonus() {
        let card = score(
            &scheme(vec![(KpiKey::Revenue, 100)]),
            |_| Some(dec("1")),
            |_| None,
        );
        assert_eq!(
            (card.composite, card.coverage, card.bonus_multiplier),
            (None, Decimal::ZERO, None)
        );
    }

    #[test]
    fn ties_share_a_rank_and_the_median_of_an_even_count_is_the_middle_mean() {
        let values = [dec("10"), dec("20"), dec("20"), dec("40")];
        let me = standing(&values, Some(dec("20")), Direction::Up);
        assert_eq!((me.n, me.rank), (4, Some(2)));
        assert_eq!(me.percentile, Some(dec("200") / dec("3")));
        assert_eq!(me.median, Some(dec("20")));
        let last = standing(&values, Some(dec("10")), Direction::Up);
        assert_eq!((last.rank, last.percentile), (Some(4), Some(Decimal::ZERO)));
        let alone = standing(&[dec("5")], Some(dec("5")), Direction::Up);
        assert_eq!(alone.percentile, Some(Decimal::ONE_HUNDRED));
        let none = standing(&values, None, Direction::Up);
        assert_eq!((none.rank, none.delta_to_median), (None, None));
    }
}
