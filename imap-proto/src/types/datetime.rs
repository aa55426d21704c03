//! IMAP dates (`1-Feb-1994`, used by SEARCH) and date-times
//! (`"17-Jul-1996 02:44:25 -0700"`, used by APPEND and INTERNALDATE).

use std::fmt;

use super::core::ValidationError;

/// Month names as IMAP writes them.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date (year 0 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// A date; `month` is 1 to 12 and `day` must exist in that month.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValidationError> {
        if year > 9999 {
            return Err(ValidationError::new("date", "year has more than 4 digits"));
        }
        if !(1..=12).contains(&month) {
            return Err(ValidationError::new("date", "month out of range"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(ValidationError::new("date", "day out of range"));
        }
        Ok(Self { year, month, day })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(&self) -> u8 {
        self.day
    }

    fn month_name(&self) -> &'static str {
        MONTHS[usize::from(self.month - 1)]
    }
}

/// `1-Feb-1994` (no quotes; the day without leading zero).
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:04}", self.day, self.month_name(), self.year)
    }
}

/// A date and time with its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    offset_minutes: i16,
}

impl DateTime {
    /// A date-time; the offset from UTC is in minutes, at most 23:59 either way.
    pub fn new(
        date: Date,
        (hour, minute, second): (u8, u8, u8),
        offset_minutes: i16,
    ) -> Result<Self, ValidationError> {
        if hour > 23 || minute > 59 || second > 60 {
            return Err(ValidationError::new("date-time", "time out of range"));
        }
        if offset_minutes.unsigned_abs() >= 24 * 60 {
            return Err(ValidationError::new("date-time", "zone out of range"));
        }
        Ok(Self {
            date,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }

    /// The date part.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Hour, minute and second (a leap second is 60).
    pub fn time(&self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// Offset from UTC in minutes (`-0700` is -420).
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }
}

/// `17-Jul-1996 02:44:25 -0700` (without the quotes the wire form adds; day padded with a
/// space to two characters).
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        write!(
            f,
            "{:>2}-{}-{:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            self.date.day,
            self.date.month_name(),
            self.date.year,
            self.hour,
            self.minute,
            self.second,
            off / 60,
            off % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_and_display() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2000, 13, 1).is_err());
        assert_eq!(Date::new(1994, 2, 1).unwrap().to_string(), "1-Feb-1994");
        let dt = DateTime::new(Date::new(1996, 7, 17).unwrap(), (2, 44, 25), -420).unwrap();
        assert_eq!(dt.to_string(), "17-Jul-1996 02:44:25 -0700");
        let dt = DateTime::new(Date::new(2001, 1, 5).unwrap(), (0, 0, 0), 90).unwrap();
        assert_eq!(dt.to_string(), " 5-Jan-2001 00:00:00 +0130");
        assert!(DateTime::new(Date::new(2001, 1, 5).unwrap(), (24, 0, 0), 0).is_err());
        assert!(DateTime::new(Date::new(2001, 1, 5).unwrap(), (1, 0, 0), 1440).is_err());
    }
}
