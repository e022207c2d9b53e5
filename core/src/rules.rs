//! The rules every write keeps, whichever way it comes in (the API, a partner's batch, a
//! bulk import): each failure names the field it was given.

use std::collections::HashSet;

use attain_entity::enums::{DealStage, DealStatus};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::error::{CoreError, CoreResult};
use crate::kpi::{Direction, KpiKey};
use crate::time::to_micros;

/// The longest name, email or external id, in characters.
pub const NAME_LIMIT: usize = 200;
/// The longest free text (notes), in characters.
pub const NOTES_LIMIT: usize = 5000;

/// Non-empty text of at most `limit` characters, trimmed.
pub fn text(value: &str, limit: usize, field: &str) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::bad_input(field, "must not be empty"));
    }
    long_text(value, limit, field)?;
    Ok(value.to_owned())
}

/// Text (possibly empty) of at most `limit` characters.
pub fn long_text(value: &str, limit: usize, field: &str) -> CoreResult<()> {
    if value.chars().count() > limit {
        return Err(CoreError::bad_input(
            field,
            format!("must be at most {limit} characters"),
        ));
    }
    Ok(())
}

/// A score from 1 to 5.
pub fn score(value: i32, field: &str) -> CoreResult<()> {
    if !(1..=5).contains(&value) {
        return Err(CoreError::bad_input(field, "must be 1 to 5"));
    }
    Ok(())
}

/// An event instant, at most a day after `now`, in stored microseconds.
pub fn event_instant(at: DateTime<Utc>, now: DateTime<Utc>, field: &str) -> CoreResult<i64> {
    if at > now + Duration::days(1) {
        return Err(CoreError::bad_input(
            field,
            "must not be more than a day in the future",
        ));
    }
    Ok(to_micros(at))
}

/// A deal's stage and status agree (`WON` ⇔ `WON`, `LOST` ⇔ `LOST`, an open stage ⇔
/// `OPEN`), and it has a close time exactly when won or lost, not before it was created.
/// `field` names the input's `status` and `closed_at` fields.
pub fn deal_closing(
    stage: DealStage,
    status: DealStatus,
    created_at: i64,
    closed_at: Option<i64>,
    field: impl Fn(&str) -> String,
) -> CoreResult<()> {
    let expected = match stage {
        DealStage::Won => DealStatus::Won,
        DealStage::Lost => DealStatus::Lost,
        _ => DealStatus::Open,
    };
    if status != expected {
        return Err(CoreError::bad_input(
            field("status"),
            format!(
                "stage {} requires status {}",
                stage.as_str(),
                expected.as_str()
            ),
        ));
    }
    match (status, closed_at) {
        (DealStatus::Open, Some(_)) => Err(CoreError::bad_input(
            field("closed_at"),
            "must be empty while the status is OPEN",
        )),
        (DealStatus::Open, None) => Ok(()),
        (status, None) => Err(CoreError::bad_input(
            field("closed_at"),
            format!("required when the status is {}", status.as_str()),
        )),
        (_, Some(at)) if at < created_at => Err(CoreError::bad_input(
            field("closed_at"),
            "must not be before the creation",
        )),
        _ => Ok(()),
    }
}

/// A scheme's shape: a positive cap, weights of 1 to 100 summing to exactly 100, each KPI
/// once, no negative bonus multiplier. A failure names its field relative to the scheme
/// (`items[2].weight`, `items`, `cap`, `{tiers}[0].multiplier`) and says why.
pub fn scheme(
    cap: Decimal,
    items: &[(KpiKey, i32)],
    multipliers: &[Decimal],
    tiers: &str,
) -> Result<(), (String, String)> {
    if cap <= Decimal::ZERO {
        return Err(("cap".into(), "must be positive".into()));
    }
    let mut seen = HashSet::new();
    for (index, (kpi, weight)) in items.iter().enumerate() {
        if !(1..=100).contains(weight) {
            return Err((format!("items[{index}].weight"), "must be 1 to 100".into()));
        }
        if !seen.insert(*kpi) {
            return Err((
                format!("items[{index}].kpi"),
                "appears twice in the scheme".into(),
            ));
        }
    }
    let total: i32 = items.iter().map(|(_, weight)| weight).sum();
    if total != 100 {
        return Err(("items".into(), format!("weights sum to {total}, not 100")));
    }
    if let Some(index) = multipliers.iter().position(|m| *m < Decimal::ZERO) {
        return Err((
            format!("{tiers}[{index}].multiplier"),
            "must not be negative".into(),
        ));
    }
    Ok(())
}

/// A target's order: floor ≤ baseline ≤ target for a KPI where up is better, the reverse
/// where down is. A failure names the field (`baseline` or `floor`) and says why.
pub fn target_order(
    kpi: KpiKey,
    target: Decimal,
    baseline: Option<Decimal>,
    floor: Option<Decimal>,
) -> Result<(), (&'static str, &'static str)> {
    let up = kpi.kpi().direction == Direction::Up;
    let in_order =
        |lower: Decimal, higher: Decimal| if up { lower <= higher } else { lower >= higher };
    if baseline.is_some_and(|baseline| !in_order(baseline, target)) {
        return Err(("baseline", "must not be past the target"));
    }
    if floor.is_some_and(|floor| !in_order(floor, baseline.unwrap_or(target))) {
        return Err(("floor", "must not be past the baseline or target"));
    }
    Ok(())
}
