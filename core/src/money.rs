//! Money: exact `Decimal` in code, integer minor units of the organization's currency in
//! the database, so that SQL sums are exact on every backend.

use rust_decimal::Decimal;

use crate::error::{CoreError, CoreResult};

/// The largest amount a single record may carry.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// An ISO 4217 currency and the number of decimals its minor unit has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Currency {
    code: [u8; 3],
    scale: u32,
}

/// Currencies whose minor unit is not the hundredth.
const UNUSUAL_SCALES: &[(&str, u32)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

impl Currency {
    /// Parses a three-letter ISO 4217 code (upper case).
    pub fn parse(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        let scale = UNUSUAL_SCALES
            .iter()
            .find(|(unusual, _)| *unusual == code)
            .map_or(2, |(_, scale)| *scale);
        Some(Currency { code: bytes, scale })
    }

    /// The ISO code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Decimals of the minor unit.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Minor units to an exact amount.
    pub fn from_minor(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.scale)
    }

    /// A summed column (any integer width) to an exact amount.
    pub fn from_minor_sum(&self, minor: i128) -> Decimal {
        Decimal::from_i128_with_scale(minor, self.scale)
    }

    /// An amount as minor units: non-negative, at most [`MAX_AMOUNT`], and with no more
    /// decimals than the currency has. `field` names the input for the error.
    pub fn to_minor(&self, amount: Decimal, field: &str) -> CoreResult<i64> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(CoreError::bad_input(field, "must not be negative"));
        }
        if amount > Decimal::from(MAX_AMOUNT) {
            return Err(CoreError::bad_input(field, "must not exceed 1000000000000"));
        }
        if amount.normalize().scale() > self.scale {
            return Err(CoreError::bad_input(
                field,
                format!(
                    "{} allows at most {} decimal places",
                    self.code(),
                    self.scale
                ),
            ));
        }
        let mut scaled = amount;
        scaled.rescale(self.scale);
        i64::try_from(scaled.mantissa())
            .map_err(|_| CoreError::bad_input(field, "amount out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn yuan_have_two_decimals_and_yen_none() {
        assert_eq!(Currency::parse("CNY").unwrap().scale(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().scale(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().scale(), 3);
        assert!(Currency::parse("cny").is_none());
        assert!(Currency::parse("EURO").is_none());
    }

    #[test]
    fn amounts_round_trip_through_minor_units() {
        let cny = Currency::parse("CNY").unwrap();
        assert_eq!(cny.to_minor(dec("1500.00"), "amount").unwrap(), 150_000);
        assert_eq!(cny.to_minor(dec("0.1"), "amount").unwrap(), 10);
        assert_eq!(cny.from_minor(150_001), dec("1500.01"));
        assert_eq!(cny.from_minor_sum(30), dec("0.30"));
    }

    #[test]
    fn bad_amounts_are_refused_with_their_field() {
        let cny = Currency::parse("CNY").unwrap();
        for bad in ["-0.01", "1000000000000.01", "1.005"] {
            match cny.to_minor(dec(bad), "deals[3].amount") {
                Err(CoreError::BadUserInput { field, .. }) => assert_eq!(field, "deals[3].amount"),
                other => panic!("{bad} gave {other:?}"),
            }
        }
        assert_eq!(cny.to_minor(dec("1.500"), "amount").unwrap(), 150);
    }
}
