//! Maildir file names: `<base>[:<info>]`, where the base name is unique and
//! never changes, and the info after `:` holds the flags.
//!
//! New base names look like Dovecot's:
//! `<seconds>.M<microseconds>P<pid>Q<n>.<host>,S=<size>,W=<vsize>`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Separator between the base name and the info.
pub const INFO_SEPARATOR: char = ':';

/// Splits a file name into the base name and the info (without `:`).
///
/// ```
/// let (base, info) = maildir::filename::split("1.M2P3.host,S=5:2,S");
/// assert_eq!((base, info), ("1.M2P3.host,S=5", Some("2,S")));
/// ```
pub fn split(file_name: &str) -> (&str, Option<&str>) {
    match file_name.split_once(INFO_SEPARATOR) {
        Some((base, info)) => (base, Some(info)),
        None => (file_name, None),
    }
}

/// The `S=` (file size) and `W=` (size with CRLF line endings) fields of a
/// base name, where present.
///
/// ```
/// let sizes = maildir::filename::sizes("1.M2P3.host,S=18,W=21");
/// assert_eq!(sizes, (Some(18), Some(21)));
/// ```
pub fn sizes(base: &str) -> (Option<u64>, Option<u64>) {
    let mut size = None;
    let mut vsize = None;
    // The fields follow the host name, which may not contain ','.
    for field in base.split(',').skip(1) {
        if let Some(v) = field.strip_prefix("S=") {
            size = v.parse().ok();
        } else if let Some(v) = field.strip_prefix("W=") {
            vsize = v.parse().ok();
        }
    }
    (size, vsize)
}

/// Makes a host name safe for a file name as the Maildir specification asks:
/// `/` becomes `\057` and `:` becomes `\072`. Dovecot also replaces `,`
/// (which would start a size field) with `\054`.
///
/// ```
/// assert_eq!(maildir::filename::sanitize_host("a/b:c,d"), "a\\057b\\072c\\054d");
/// ```
pub fn sanitize_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for c in host.chars() {
        match c {
            '/' => out.push_str("\\057"),
            ':' => out.push_str("\\072"),
            ',' => out.push_str("\\054"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if out.is_empty() {
        out.push_str("localhost");
    }
    out
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh unique base name without size fields:
/// `<seconds>.M<microseconds>P<pid>Q<n>.<host>`.
///
/// `n` counts names made by this process, so names are unique across threads
/// even within one microsecond; the caller still creates files with
/// `O_EXCL` and retries on a clash.
pub(crate) fn unique_base(host: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    format!(
        "{}.M{}P{}Q{}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        n,
        host
    )
}

/// Appends the size fields to a base name.
pub(crate) fn with_sizes(base: &str, size: u64, vsize: u64) -> String {
    format!("{base},S={size},W={vsize}")
}

/// Orders new files by delivery time (seconds, then microseconds) and then by
/// name, as Dovecot does before handing out UIDs.
pub(crate) fn delivery_order_key(base: &str) -> (u64, u64, &str) {
    let (secs, rest) = base.split_once('.').unwrap_or((base, ""));
    let secs = secs.parse().unwrap_or(u64::MAX);
    let micros = rest
        .strip_prefix('M')
        .map(|r| {
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            r[..digits].parse().unwrap_or(0)
        })
        .unwrap_or(0);
    (secs, micros, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_sizes() {
        assert_eq!(split("abc"), ("abc", None));
        assert_eq!(split("abc:2,"), ("abc", Some("2,")));
        assert_eq!(sizes("1.M2P3.h"), (None, None));
        assert_eq!(sizes("1.M2P3.h,S=x,W=4"), (None, Some(4)));
        assert_eq!(sizes("1.M2P3.h,W=4,S=3"), (Some(3), Some(4)));
    }

    #[test]
    fn unique_bases_differ() {
        let a = unique_base("h");
        let b = unique_base("h");
        assert_ne!(a, b);
        assert!(a.ends_with(".h"));
        assert!(a.contains(&format!("P{}Q", std::process::id())));
    }

    #[test]
    fn order_key() {
        let mut names = vec!["10.M5P1.h", "9.M900P1.h", "10.M40P1.h", "junk"];
        names.sort_by_key(|n| delivery_order_key(n));
        assert_eq!(names, ["9.M900P1.h", "10.M5P1.h", "10.M40P1.h", "junk"]);
    }
}
