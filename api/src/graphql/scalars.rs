//! The scalars of the API's conventions: `DateTime` as RFC 3339 in UTC with `Z`, and
//! `Date` as `YYYY-MM-DD`. (`Decimal` is async-graphql's: an exact decimal string.)

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate, SecondsFormat, Utc};

/// An instant: RFC 3339, answered in UTC with `Z` (`2026-04-19T16:00:00Z`); any offset is
/// accepted on input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|instant| DateTime(instant.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 instant")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

/// A local date in the organization's time zone, `YYYY-MM-DD`, in the years 1 to 9999
/// (those both databases store as dates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|date| (1..=9999).contains(&date.year()))
                .map(Date)
                .ok_or_else(|| {
                    InputValueError::custom("expected a date YYYY-MM-DD in the years 1 to 9999")
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A stored id as a GraphQL `ID`.
pub fn id(uuid: uuid::Uuid) -> async_graphql::ID {
    async_graphql::ID(uuid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_years_one_to_9999_only() {
        let parse = |text: &str| Date::parse(Value::String(text.to_owned())).ok();
        assert_eq!(
            parse("2026-03-31"),
            NaiveDate::from_ymd_opt(2026, 3, 31).map(Date)
        );
        assert!(parse("0001-01-01").is_some() && parse("9999-12-31").is_some());
        for refused in [
            "+10000-01-01",
            "0000-01-01",
            "-0001-01-01",
            "2026-02-30",
            "31.03.2026",
        ] {
            assert_eq!(parse(refused), None, "{refused}");
        }
    }
}
