//! The rules every write keeps, whichever way it comes in (the API, a partner's batch, a
//! bulk import): each failure names the field it was given.

use attain_entity::enums::{DealStage, DealStatus};
use chrono::{DateTime, Duration, Utc};

use crate::error::{CoreError, CoreResult};
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
