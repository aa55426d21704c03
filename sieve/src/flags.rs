//! IMAP flag lists of RFC 5232: space-separated, duplicates (case-insensitive) ignored.

use crate::ast::FlagOp;

/// The distinct flags of some flag-list strings, first spelling kept.
pub(crate) fn distinct<'a>(lists: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for flag in lists.into_iter().flat_map(|l| l.split(' ')) {
        if !flag.is_empty() && !out.iter().any(|f| f.eq_ignore_ascii_case(flag)) {
            out.push(flag);
        }
    }
    out
}

/// The new value of a flag variable after `op` with `flags`.
pub(crate) fn apply(op: FlagOp, current: &str, flags: &[String]) -> String {
    let given = distinct(flags.iter().map(String::as_str));
    let result: Vec<&str> = match op {
        FlagOp::Set => given,
        FlagOp::Add => distinct(std::iter::once(current).chain(flags.iter().map(String::as_str))),
        FlagOp::Remove => distinct([current])
            .into_iter()
            .filter(|f| !given.iter().any(|g| g.eq_ignore_ascii_case(f)))
            .collect(),
    };
    result.join(" ")
}

const SYSTEM_FLAGS: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/// The flags of a list that can be stored: system flags (canonical spelling, not
/// `\Recent`) and keywords that are IMAP atoms. Others are ignored.
pub(crate) fn storable<'a>(lists: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    distinct(lists)
        .into_iter()
        .filter_map(|flag| {
            if flag.starts_with('\\') {
                SYSTEM_FLAGS
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(flag))
                    .map(|s| (*s).to_owned())
            } else {
                flag.bytes()
                    .all(|b| (0x21..0x7f).contains(&b) && !b"(){%*\"\\]".contains(&b))
                    .then(|| flag.to_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn operations() {
        assert_eq!(apply(FlagOp::Set, "x", &strings(&["A B", "a C"])), "A B C");
        assert_eq!(apply(FlagOp::Add, "A", &strings(&["b", "a"])), "A b");
        assert_eq!(
            apply(FlagOp::Remove, "  A $b  C ", &strings(&["$B"])),
            "A C"
        );
        assert_eq!(apply(FlagOp::Remove, "A", &strings(&["A"])), "");
        assert_eq!(distinct(["A B C D E F A B C D E F"]).len(), 6);
    }

    #[test]
    fn storable_flags() {
        assert_eq!(
            storable(["\\seen \\Recent \\Bogus $Junk bad(flag NonJunk é"]),
            strings(&["\\Seen", "$Junk", "NonJunk"])
        );
    }
}
