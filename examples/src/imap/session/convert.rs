//! Conversions between IMAP values and the store's: flags, dates, mailbox names, and
//! number lists as sets.

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use imap_proto::server::Status;
use imap_proto::types::{Date, DateTime, Flag, Mailbox, SeqNumber, SeqRange, SequenceSet, UidSet};
use maildir::Flags;

use super::Mode;
use crate::imap::mailbox::MessageMeta;

/// The five system flags IMAP and Maildir share.
const SYSTEM_FLAGS: [(Flag<'static>, maildir::Flag); 5] = [
    (Flag::Seen, maildir::Flag::Seen),
    (Flag::Answered, maildir::Flag::Replied),
    (Flag::Flagged, maildir::Flag::Flagged),
    (Flag::Deleted, maildir::Flag::Trashed),
    (Flag::Draft, maildir::Flag::Draft),
];

/// The system flags of `FLAGS` and `PERMANENTFLAGS`.
pub(super) fn system_flags() -> impl Iterator<Item = Flag<'static>> {
    SYSTEM_FLAGS.iter().map(|(f, _)| f.clone())
}

/// Maildir flags and keywords for the IMAP flags of a STORE or APPEND. `\Recent` is
/// ignored (it cannot be set); other `\`-flags are refused.
pub(super) fn store_flags(flags: &[Flag<'_>]) -> Result<(Flags, Vec<String>), Status> {
    let mut out = Flags::empty();
    let mut keywords: Vec<String> = Vec::new();
    for flag in flags {
        match flag {
            Flag::Recent => {}
            Flag::Keyword(atom) => {
                let name = atom.as_str();
                if !keywords.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                    keywords.push(name.to_owned());
                }
            }
            Flag::Extension(name) => {
                return Err(Status::bad(format!(
                    "Unknown system flag \\{}",
                    name.as_str()
                )));
            }
            system => {
                if let Some((_, letter)) = SYSTEM_FLAGS.iter().find(|(f, _)| f == system) {
                    out.insert(*letter);
                }
            }
        }
    }
    Ok((out, keywords))
}

/// The IMAP flags of a message (`\Recent` only for IMAP4rev1 sessions).
pub(super) fn message_flags(meta: &MessageMeta, mode: Mode) -> Vec<Flag<'static>> {
    let mut out: Vec<Flag<'static>> = SYSTEM_FLAGS
        .iter()
        .filter(|(_, letter)| meta.flags.contains(*letter))
        .map(|(f, _)| f.clone())
        .collect();
    out.extend(
        meta.keywords
            .iter()
            .filter_map(|k| Flag::keyword(k.clone()).ok()),
    );
    if meta.recent && !mode.rev2 {
        out.push(Flag::Recent);
    }
    out
}

const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March is 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both fit: month is 1 to 12 and day 1 to 31 by construction.
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

/// Seconds since the epoch (negative before 1970).
pub(super) fn epoch_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// INTERNALDATE: the time in UTC (`+0000`).
pub(super) fn internal_date(time: SystemTime) -> Option<DateTime> {
    let seconds = epoch_seconds(time);
    let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    let in_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let date = Date::new(u16::try_from(year).ok()?, month, day).ok()?;
    let hms = (
        u8::try_from(in_day / 3600).ok()?,
        u8::try_from(in_day / 60 % 60).ok()?,
        u8::try_from(in_day % 60).ok()?,
    );
    DateTime::new(date, hms, 0).ok()
}

/// The instant an APPEND date-time names.
pub(super) fn from_date_time(dt: &DateTime) -> SystemTime {
    let date = dt.date();
    let (hour, minute, second) = dt.time();
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let seconds = days * SECONDS_PER_DAY
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - i64::from(dt.offset_minutes()) * 60;
    from_epoch_seconds(seconds)
}

/// The instant `seconds` after (or before) the epoch.
pub(super) fn from_epoch_seconds(seconds: i64) -> SystemTime {
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH.checked_sub(magnitude).unwrap_or(UNIX_EPOCH)
    }
}

/// Days since the epoch of a SEARCH date (for the date keys).
pub(super) fn day_number(date: &Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

/// The store's name of a mailbox sent by the client: UTF-8 as sent in a UTF-8
/// session, modified UTF-7 decoded otherwise.
pub(super) fn mailbox_name(mailbox: &Mailbox<'_>, mode: Mode) -> Result<String, Status> {
    if mailbox.is_inbox() {
        return Ok(maildir::INBOX.to_owned());
    }
    if mode.utf8 {
        return Ok(mailbox.as_str().to_owned());
    }
    mailbox
        .decode_name()
        .map(|name| name.into_owned())
        .map_err(|_| Status::bad("Mailbox name is not valid modified UTF-7"))
}

/// The wire form of a store name for this session.
pub(super) fn wire_name(name: &str, mode: Mode) -> Option<Mailbox<'static>> {
    Mailbox::from_name(name, mode.utf8).ok()
}

/// Compresses numbers into ranges of consecutive values, in the given order.
fn runs(ids: &[u32]) -> Vec<(NonZeroU32, NonZeroU32)> {
    let mut out: Vec<(NonZeroU32, NonZeroU32)> = Vec::new();
    for id in ids.iter().filter_map(|&n| NonZeroU32::new(n)) {
        match out.last_mut() {
            Some((_, last)) if last.get().checked_add(1) == Some(id.get()) => *last = id,
            _ => out.push((id, id)),
        }
    }
    out
}

/// A UID set keeping the order of `uids` (COPYUID pairs source and target by
/// position); `None` when empty.
pub(super) fn uid_set(uids: &[u32]) -> Option<UidSet> {
    UidSet::from_ranges(&runs(uids)).ok()
}

/// A sequence set of `ids`, sorted; `None` when empty.
pub(super) fn sequence_set(ids: &[u32]) -> Option<SequenceSet> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let ranges = runs(&sorted)
        .into_iter()
        .map(|(from, to)| {
            if from == to {
                SeqRange::single(SeqNumber::Value(from))
            } else {
                SeqRange::range(SeqNumber::Value(from), SeqNumber::Value(to))
            }
        })
        .collect();
    SequenceSet::new(ranges).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_both_ways() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 12, 31), (1969, 7, 20)] {
            let days = days_from_civil(y, m, d);
            let (y2, m2, d2) = civil_from_days(days);
            assert_eq!((y2, i64::from(m2), i64::from(d2)), (y, m, d));
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let t = from_epoch_seconds(951_782_400 + 3661); // 2000-02-29 01:01:01 UTC
        assert_eq!(
            internal_date(t).unwrap().to_string(),
            "29-Feb-2000 01:01:01 +0000"
        );
        let dt = DateTime::new(Date::new(1996, 7, 17).unwrap(), (2, 44, 25), -420).unwrap();
        assert_eq!(
            internal_date(from_date_time(&dt)).unwrap().to_string(),
            "17-Jul-1996 09:44:25 +0000"
        );
    }

    #[test]
    fn flags_map_onto_maildir_letters() {
        let flags = [
            Flag::Seen,
            Flag::Deleted,
            Flag::Recent,
            Flag::keyword("$Junk").unwrap(),
            Flag::keyword("$junk").unwrap(),
        ];
        let (stored, keywords) = store_flags(&flags).unwrap();
        assert!(stored.contains(maildir::Flag::Seen) && stored.contains(maildir::Flag::Trashed));
        assert!(!stored.contains(maildir::Flag::Draft));
        assert_eq!(keywords, ["$Junk"]);
        assert!(store_flags(&[Flag::from_name("\\Bogus").unwrap()]).is_err());
    }

    #[test]
    fn sets_compress_runs() {
        assert_eq!(
            sequence_set(&[5, 1, 2, 3, 9]).unwrap().to_string(),
            "1:3,5,9"
        );
        assert_eq!(uid_set(&[7, 8, 3]).unwrap().as_set().to_string(), "7:8,3");
        assert!(uid_set(&[]).is_none());
    }
}
