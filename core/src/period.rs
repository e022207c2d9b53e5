//! Periods: ISO weeks, months, fiscal quarters and years, and custom ranges, cut in the
//! organization's time zone into half-open UTC bounds; their labels, `previous`,
//! `year_ago`, and the window a KPI query reads when it is evaluated as of an instant.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

pub use attain_entity::enums::PeriodKind;

use crate::error::{CoreError, CoreResult};
use crate::time::to_micros;

/// A period: local dates `[start, end)` of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    /// The month fiscal years start in (1–12), which names quarters and years.
    pub fiscal_start: u32,
}

impl Period {
    /// The period of `kind` that contains `date`. `Custom` has no such period and gives
    /// the single day.
    pub fn containing(kind: PeriodKind, date: NaiveDate, fiscal_start: u32) -> Period {
        let (start, end) = match kind {
            PeriodKind::Week => {
                let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (start, start + Duration::days(7))
            }
            PeriodKind::Month => {
                let start = first_of_month(date);
                (start, start + Months::new(1))
            }
            PeriodKind::Quarter => {
                let into_year = months_into_fiscal_year(date, fiscal_start);
                let start = first_of_month(date) - Months::new(into_year % 3);
                (start, start + Months::new(3))
            }
            PeriodKind::Year => {
                let start =
                    first_of_month(date) - Months::new(months_into_fiscal_year(date, fiscal_start));
                (start, start + Months::new(12))
            }
            PeriodKind::Custom => (date, date + Duration::days(1)),
        };
        Period {
            kind,
            start,
            end,
            fiscal_start,
        }
    }

    /// A custom period of the inclusive dates `from`..=`to`.
    pub fn custom(from: NaiveDate, to: NaiveDate, fiscal_start: u32) -> CoreResult<Period> {
        if to < from {
            return Err(CoreError::bad_input(
                "period",
                "the range ends before it starts",
            ));
        }
        Ok(Period {
            kind: PeriodKind::Custom,
            start: from,
            end: to + Duration::days(1),
            fiscal_start,
        })
    }

    /// Parses a label: `2026-W07`, `2026-03`, `FY2026-Q1`, `FY2026`, `2026-01-05..2026-02-14`.
    pub fn parse(label: &str, fiscal_start: u32) -> CoreResult<Period> {
        let bad = || CoreError::bad_input("period", format!("{label:?} is not a period label"));
        let label = label.trim();
        if let Some((from, to)) = label.split_once("..") {
            let from = NaiveDate::parse_from_str(from, "%Y-%m-%d").map_err(|_| bad())?;
            let to = NaiveDate::parse_from_str(to, "%Y-%m-%d").map_err(|_| bad())?;
            return Period::custom(from, to, fiscal_start);
        }
        if let Some(fiscal) = label.strip_prefix("FY") {
            let (year, quarter) = match fiscal.split_once("-Q") {
                Some((year, quarter)) => (year, Some(quarter)),
                None => (fiscal, None),
            };
            let year: i32 = parse_number(year, 4).ok_or_else(bad)?;
            let first_year = if fiscal_start == 1 { year } else { year - 1 };
            let year_start =
                NaiveDate::from_ymd_opt(first_year, fiscal_start, 1).ok_or_else(bad)?;
            return match quarter {
                None => Ok(Period::containing(
                    PeriodKind::Year,
                    year_start,
                    fiscal_start,
                )),
                Some(quarter) => {
                    let quarter: u32 = parse_number(quarter, 1)
                        .filter(|q| (1..=4).contains(q))
                        .ok_or_else(bad)?;
                    let start = year_start + Months::new(3 * (quarter - 1));
                    Ok(Period::containing(PeriodKind::Quarter, start, fiscal_start))
                }
            };
        }
        if let Some((year, week)) = label.split_once("-W") {
            let year: i32 = parse_number(year, 4).ok_or_else(bad)?;
            let week: u32 = parse_number(week, 2).ok_or_else(bad)?;
            let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
            return Ok(Period::containing(PeriodKind::Week, monday, fiscal_start));
        }
        if let Some((year, month)) = label.split_once('-') {
            let year: i32 = parse_number(year, 4).ok_or_else(bad)?;
            let month: u32 = parse_number(month, 2).ok_or_else(bad)?;
            let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
            return Ok(Period::containing(PeriodKind::Month, first, fiscal_start));
        }
        Err(bad())
    }

    /// The label clients and targets name this period by.
    pub fn label(&self) -> String {
        match self.kind {
            PeriodKind::Week => {
                let week = self.start.iso_week();
                format!("{:04}-W{:02}", week.year(), week.week())
            }
            PeriodKind::Month => format!("{:04}-{:02}", self.start.year(), self.start.month()),
            PeriodKind::Quarter => {
                let quarter = months_into_fiscal_year(self.start, self.fiscal_start) / 3 + 1;
                format!("FY{}-Q{}", self.fiscal_year(), quarter)
            }
            PeriodKind::Year => format!("FY{}", self.fiscal_year()),
            PeriodKind::Custom => format!("{}..{}", self.start, self.end - Duration::days(1)),
        }
    }

    /// A fiscal year is named by the calendar year in which it ends.
    fn fiscal_year(&self) -> i32 {
        (self.start + Months::new(11 - months_into_fiscal_year(self.start, self.fiscal_start)))
            .year()
    }

    /// The number of local calendar dates in the period.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The period of the same kind immediately before (a custom one: as many days).
    pub fn previous(&self) -> Period {
        match self.kind {
            PeriodKind::Custom => {
                let days = Duration::days(self.days());
                Period {
                    start: self.start - days,
                    end: self.start,
                    ..*self
                }
            }
            _ => Period::containing(self.kind, self.start - Duration::days(1), self.fiscal_start),
        }
    }

    /// The period one year earlier: the same ISO week number a year before (week 52 when
    /// that year has no 53rd); for custom ranges both dates a calendar year back, with
    /// 29 February becoming the 28th.
    pub fn year_ago(&self) -> Period {
        match self.kind {
            PeriodKind::Week => {
                let week = self.start.iso_week();
                let monday = NaiveDate::from_isoywd_opt(week.year() - 1, week.week(), Weekday::Mon)
                    .or_else(|| NaiveDate::from_isoywd_opt(week.year() - 1, 52, Weekday::Mon))
                    .unwrap_or(self.start - Duration::days(364));
                Period::containing(PeriodKind::Week, monday, self.fiscal_start)
            }
            PeriodKind::Custom => {
                let back = |date: NaiveDate| {
                    date.with_year(date.year() - 1).unwrap_or_else(|| {
                        NaiveDate::from_ymd_opt(date.year() - 1, 2, 28).unwrap_or(date)
                    })
                };
                let last = back(self.end - Duration::days(1));
                Period {
                    start: back(self.start),
                    end: last + Duration::days(1),
                    ..*self
                }
            }
            _ => Period {
                start: self.start - Months::new(12),
                end: self.end - Months::new(12),
                ..*self
            },
        }
    }

    /// The window this period covers when evaluated as of `as_of` in time zone `tz`.
    pub fn window(&self, tz: Tz, as_of: DateTime<Utc>) -> Window {
        let start = start_of_day(self.start, tz);
        let full_end = start_of_day(self.end, tz);
        let end = full_end.min(as_of).max(start);
        Window::new(*self, tz, start, end, full_end)
    }

    /// The window of `other` (this period's previous or year-ago one) when this period is
    /// evaluated as of `as_of`: while this period is in progress, `other` is cut at the
    /// same local date offset and time of day after its start, never past its end.
    pub fn comparison_window(&self, other: &Period, tz: Tz, as_of: DateTime<Utc>) -> Window {
        let own = self.window(tz, as_of);
        let start = start_of_day(other.start, tz);
        let full_end = start_of_day(other.end, tz);
        if !own.in_progress() {
            return Window::new(*other, tz, start, full_end, full_end);
        }
        let local = own.end.with_timezone(&tz).naive_local();
        let offset = (local.date() - self.start).num_days();
        let cut = local_instant(other.start + Duration::days(offset), local.time(), tz);
        Window::new(*other, tz, start, cut.clamp(start, full_end), full_end)
    }
}

/// A period as a KPI query reads it: `[start, end)` in UTC, where `end` is the effective
/// end `min(P.end, asOf)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub period: Period,
    pub start: DateTime<Utc>,
    /// The effective end E.
    pub end: DateTime<Utc>,
    /// The period's own end.
    pub full_end: DateTime<Utc>,
    /// The first local date whose start is at or after E: dates in the window are
    /// `[period.start, end_date)`.
    pub end_date: NaiveDate,
    pub tz: Tz,
}

impl Window {
    fn new(
        period: Period,
        tz: Tz,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        full_end: DateTime<Utc>,
    ) -> Window {
        let local = end.with_timezone(&tz).naive_local();
        let end_date = if start_of_day(local.date(), tz) >= end {
            local.date()
        } else {
            local.date() + Duration::days(1)
        };
        let end_date = end_date.clamp(period.start, period.end);
        Window {
            period,
            start,
            end,
            full_end,
            end_date,
            tz,
        }
    }

    /// Whether the period is still running at the effective end.
    pub fn in_progress(&self) -> bool {
        self.end < self.full_end
    }

    /// days(P): the local dates of the period that have begun before E.
    pub fn days(&self) -> i64 {
        (self.end_date - self.period.start).num_days()
    }

    /// `start` in stored microseconds.
    pub fn start_micros(&self) -> i64 {
        to_micros(self.start)
    }

    /// `end` (E) in stored microseconds.
    pub fn end_micros(&self) -> i64 {
        to_micros(self.end)
    }

    /// The instant `days` local days before `instant`, at the same local time.
    pub fn days_before(&self, instant: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let local = instant.with_timezone(&self.tz).naive_local();
        local_instant(
            local.date() - Duration::days(i64::from(days)),
            local.time(),
            self.tz,
        )
    }
}

/// The instant a local date starts: its midnight, or where a DST gap swallows midnight the
/// first instant that exists, and where midnight occurs twice the first.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_instant(date, NaiveTime::MIN, tz)
}

/// The instant of a local date and time; in a DST gap, the first existing instant after
/// it; when ambiguous, the earlier.
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut local = NaiveDateTime::new(date, time);
    for _ in 0..=24 * 60 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(instant) => return instant.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => return earlier.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&NaiveDateTime::new(date, time))
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn months_into_fiscal_year(date: NaiveDate, fiscal_start: u32) -> u32 {
    (date.month() + 12 - fiscal_start) % 12
}

fn parse_number<T: std::str::FromStr>(text: &str, digits: usize) -> Option<T> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn labels_name_the_catalogs_periods() {
        let cases = [
            ("2026-W07", "2026-02-09", "2026-02-16"),
            ("2026-W14", "2026-03-30", "2026-04-06"),
            ("2026-03", "2026-03-01", "2026-04-01"),
            ("FY2026-Q1", "2026-01-01", "2026-04-01"),
            ("FY2026", "2026-01-01", "2027-01-01"),
            ("2025-10-15..2025-11-20", "2025-10-15", "2025-11-21"),
        ];
        for (label, start, end) in cases {
            let period = Period::parse(label, 1).unwrap();
            assert_eq!(
                (period.start, period.end),
                (date(start), date(end)),
                "{label}"
            );
            assert_eq!(period.label(), label);
        }
    }

    #[test]
    fn a_fiscal_year_is_named_by_the_year_it_ends_in() {
        let year = Period::parse("FY2026", 4).unwrap();
        assert_eq!(
            (year.start, year.end),
            (date("2025-04-01"), date("2026-04-01"))
        );
        let q4 = Period::parse("FY2026-Q4", 4).unwrap();
        assert_eq!((q4.start, q4.end), (date("2026-01-01"), date("2026-04-01")));
        assert_eq!(
            Period::containing(PeriodKind::Quarter, date("2025-05-17"), 4).label(),
            "FY2026-Q1"
        );
        assert_eq!(
            Period::containing(PeriodKind::Year, date("2026-03-31"), 4).label(),
            "FY2026"
        );
        assert_eq!(
            Period::containing(PeriodKind::Year, date("2026-04-01"), 4).label(),
            "FY2027"
        );
    }

    #[test]
    fn previous_and_year_ago_follow_the_catalog() {
        let week = Period::parse("2026-W01", 1).unwrap();
        assert_eq!(week.previous().label(), "2025-W52");
        assert_eq!(
            Period::parse("2026-W53", 1).unwrap().year_ago().label(),
            "2025-W52"
        );
        assert_eq!(
            Period::parse("FY2026-Q1", 1).unwrap().previous().label(),
            "FY2025-Q4"
        );
        let custom = Period::parse("2025-10-15..2025-11-20", 1).unwrap();
        assert_eq!(custom.previous().label(), "2025-09-08..2025-10-14");
        let leap = Period::parse("2024-02-29..2024-03-10", 1).unwrap();
        assert_eq!(leap.year_ago().label(), "2023-02-28..2023-03-10");
    }

    #[test]
    fn a_year_in_progress_is_cut_at_as_of_and_so_are_its_comparisons() {
        let year = Period::parse("FY2026", 1).unwrap();
        let as_of = instant("2026-04-19T16:00:00Z");
        let window = year.window(SHANGHAI, as_of);
        assert_eq!(window.start, instant("2025-12-31T16:00:00Z"));
        assert_eq!(window.end, as_of);
        assert!(window.in_progress());
        assert_eq!(window.days(), 109);
        let previous = year.comparison_window(&year.previous(), SHANGHAI, as_of);
        assert_eq!(previous.end, instant("2025-04-19T16:00:00Z"));
        let month = Period::parse("2026-03", 1).unwrap().window(SHANGHAI, as_of);
        assert_eq!(
            (month.start, month.end),
            (
                instant("2026-02-28T16:00:00Z"),
                instant("2026-03-31T16:00:00Z")
            )
        );
        assert_eq!(month.days(), 31);
        assert!(!month.in_progress());
    }

    #[test]
    fn a_period_not_yet_begun_has_no_days() {
        let window = Period::parse("2027-01", 1)
            .unwrap()
            .window(SHANGHAI, instant("2026-04-19T16:00:00Z"));
        assert_eq!(window.days(), 0);
        assert_eq!(window.start, window.end);
    }

    #[test]
    fn a_day_swallowed_by_dst_starts_at_its_first_instant() {
        // Santiago skipped from 2022-09-11 00:00 to 01:00 local time.
        let santiago: Tz = chrono_tz::America::Santiago;
        let start = start_of_day(date("2022-09-11"), santiago);
        assert_eq!(
            start.with_timezone(&santiago).naive_local().time(),
            NaiveTime::from_hms_opt(1, 0, 0).unwrap()
        );
        // Days of a month across a DST change are each counted once.
        let march = Period::parse("2026-03", 1).unwrap();
        let berlin = march.window(chrono_tz::Europe::Berlin, instant("2030-01-01T00:00:00Z"));
        assert_eq!(berlin.days(), 31);
        assert_eq!((berlin.end - berlin.start).num_hours(), 31 * 24 - 1);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const ZONES: [Tz; 5] = [
        chrono_tz::UTC,
        chrono_tz::Asia::Shanghai,
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        // DST began at midnight here until 2019: some days had no 00:00.
        chrono_tz::America::Sao_Paulo,
    ];

    const KINDS: [PeriodKind; 4] = [
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
    ];

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..365 * 40)
            .prop_map(|days| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(days))
    }

    fn any_kind() -> impl Strategy<Value = PeriodKind> {
        (0..KINDS.len()).prop_map(|index| KINDS[index])
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        (0..ZONES.len()).prop_map(|index| ZONES[index])
    }

    proptest! {
        #[test]
        fn a_date_lies_in_exactly_one_period_of_each_kind(
            date in any_date(), kind in any_kind(), fiscal in 1u32..=12,
        ) {
            let period = Period::containing(kind, date, fiscal);
            prop_assert!(period.start <= date && date < period.end);
            prop_assert_eq!(Period::containing(kind, period.start, fiscal), period);
            prop_assert_eq!(Period::containing(kind, period.end - Duration::days(1), fiscal), period);
            prop_assert_eq!(period.previous().end, period.start);
            prop_assert_eq!(period.previous().kind, kind);
        }

        #[test]
        fn labels_parse_back_to_the_same_period(
            date in any_date(), kind in any_kind(), fiscal in 1u32..=12, length in 0i64..400,
        ) {
            let period = Period::containing(kind, date, fiscal);
            prop_assert_eq!(Period::parse(&period.label(), fiscal).unwrap(), period);
            let custom = Period::custom(date, date + Duration::days(length), fiscal).unwrap();
            prop_assert_eq!(Period::parse(&custom.label(), fiscal).unwrap(), custom);
            prop_assert_eq!(custom.days(), length + 1);
        }

        #[test]
        fn months_and_quarters_tile_the_fiscal_year(date in any_date(), fiscal in 1u32..=12) {
            let year = Period::containing(PeriodKind::Year, date, fiscal);
            for (kind, count) in [(PeriodKind::Month, 12), (PeriodKind::Quarter, 4)] {
                let mut start = year.start;
                let mut days = 0;
                for _ in 0..count {
                    let period = Period::containing(kind, start, fiscal);
                    prop_assert_eq!(period.start, start, "no gap, no overlap");
                    days += period.days();
                    start = period.end;
                }
                prop_assert_eq!(start, year.end);
                prop_assert_eq!(days, year.days());
            }
            prop_assert!(year.days() == 365 || year.days() == 366);
        }

        #[test]
        fn weeks_tile_their_iso_year(date in any_date()) {
            let iso_year = date.iso_week().year();
            let mut week = Period::containing(
                PeriodKind::Week,
                NaiveDate::from_isoywd_opt(iso_year, 1, Weekday::Mon).unwrap(),
                1,
            );
            let mut count = 0;
            while week.start.iso_week().year() == iso_year {
                count += 1;
                let next = Period::containing(PeriodKind::Week, week.end, 1);
                prop_assert_eq!(next.start, week.end);
                prop_assert_eq!(week.days(), 7);
                week = next;
            }
            prop_assert!(count == 52 || count == 53);
        }

        #[test]
        fn windows_of_consecutive_periods_meet_in_every_time_zone(
            date in any_date(), kind in any_kind(), fiscal in 1u32..=12, tz in any_zone(),
        ) {
            let period = Period::containing(kind, date, fiscal);
            let after = Utc::now() + Duration::days(365 * 100);
            let window = period.window(tz, after);
            let next = Period::containing(kind, period.end, fiscal).window(tz, after);
            prop_assert_eq!(window.full_end, next.start);
            prop_assert!(window.start < window.full_end);
            // Every local date is counted once, DST or not.
            prop_assert_eq!(window.days(), period.days());
            let mut day = period.start;
            while day < period.end {
                prop_assert!(start_of_day(day, tz) < start_of_day(day + Duration::days(1), tz));
                day += Duration::days(1);
            }
        }

        #[test]
        fn a_period_in_progress_counts_the_days_begun(
            date in any_date(), kind in any_kind(), tz in any_zone(), seconds in 0i64..(400 * 86_400),
        ) {
            let period = Period::containing(kind, date, 1);
            let window = period.window(tz, Utc::now());
            let as_of = window.start + Duration::seconds(seconds);
            let cut = period.window(tz, as_of);
            prop_assert!(cut.days() <= period.days());
            prop_assert_eq!(cut.in_progress(), as_of < window.full_end);
            let begun = (0..period.days())
                .filter(|offset| start_of_day(period.start + Duration::days(*offset), tz) < cut.end)
                .count() as i64;
            prop_assert_eq!(cut.days(), begun);
        }
    }
}
