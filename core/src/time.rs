//! Instants as stored: microseconds since the Unix epoch, in UTC.

use chrono::{DateTime, Utc};

/// Microseconds since the Unix epoch of an instant.
pub fn to_micros(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_micros()
}

/// The instant a stored microsecond count stands for.
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Now, as stored.
pub fn now_micros() -> i64 {
    to_micros(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_survives_the_round_trip_to_micros() {
        let instant = DateTime::parse_from_rfc3339("2026-03-31T15:59:59.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(from_micros(to_micros(instant)), instant);
    }
}
