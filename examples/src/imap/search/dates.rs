//! Calendar arithmetic for the date search keys: days since 1970-01-01 (proleptic
//! Gregorian), without a time zone database.

use std::time::{SystemTime, UNIX_EPOCH};

use imap_proto::types::Date;

const SECONDS_PER_DAY: i64 = 86_400;

/// Seconds since the epoch, rounded down (negative before 1970, saturating far out).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let partial = i64::from(before.subsec_nanos() > 0);
            whole.saturating_add(partial).saturating_neg()
        }
    }
}

/// The day number (days since 1970-01-01) that `seconds` falls on.
pub(crate) fn day_of(seconds: i64) -> i64 {
    seconds.div_euclid(SECONDS_PER_DAY)
}

/// The day number of a calendar date.
pub(crate) fn day_number(date: Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

/// Days from 1970-01-01 to `year-month-day`, counting in 400-year eras (each has
/// exactly 146,097 days) with years starting in March so that the leap day is last.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn date(y: u16, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn known_day_numbers() {
        assert_eq!(day_number(date(1970, 1, 1)), 0);
        assert_eq!(day_number(date(1970, 1, 2)), 1);
        assert_eq!(day_number(date(1969, 12, 31)), -1);
        assert_eq!(day_number(date(2000, 3, 1)), 11_017);
        assert_eq!(day_number(date(2000, 2, 29)), 11_016);
        // 2024-02-29 00:00:00 UTC is 1709164800.
        assert_eq!(day_number(date(2024, 2, 29)), 1_709_164_800 / 86_400);
        assert_eq!(day_number(date(0, 1, 1)), -719_528);
        assert_eq!(day_number(date(9999, 12, 31)), 2_932_896);
    }

    #[test]
    fn seconds_and_days() {
        assert_eq!(
            unix_seconds(UNIX_EPOCH + Duration::from_millis(86_399_999)),
            86_399
        );
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(1)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(2)), -2);
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        assert_eq!(day_of(-1), -1);
    }
}
