//! Message flags as Maildir stores them: capital letters after `:2,`.

use std::fmt;

/// One of the six flags the Maildir specification defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `D`: draft (IMAP `\Draft`).
    Draft,
    /// `F`: flagged (IMAP `\Flagged`).
    Flagged,
    /// `P`: passed, i.e. forwarded (no IMAP system flag; Dovecot maps `$Forwarded` to a keyword).
    Passed,
    /// `R`: replied (IMAP `\Answered`).
    Replied,
    /// `S`: seen (IMAP `\Seen`).
    Seen,
    /// `T`: trashed (IMAP `\Deleted`).
    Trashed,
}

impl Flag {
    /// All six flags, in ASCII order of their letters.
    pub const ALL: [Self; 6] = [
        Self::Draft,
        Self::Flagged,
        Self::Passed,
        Self::Replied,
        Self::Seen,
        Self::Trashed,
    ];

    /// The letter stored in file names.
    pub fn letter(self) -> char {
        match self {
            Self::Draft => 'D',
            Self::Flagged => 'F',
            Self::Passed => 'P',
            Self::Replied => 'R',
            Self::Seen => 'S',
            Self::Trashed => 'T',
        }
    }

    /// The flag for a letter, if it is one of the six.
    pub fn from_letter(letter: char) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.letter() == letter)
    }
}

/// A set of capital-letter flags.
///
/// Besides the six [`Flag`]s it keeps any other capital letter found in a
/// file name, so that a rename never drops information another program put
/// there.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u32);

impl Flags {
    /// No flags.
    pub const fn empty() -> Self {
        Self(0)
    }

    fn bit(letter: char) -> u32 {
        1 << (letter as u32 - 'A' as u32)
    }

    /// Whether `flag` is set.
    pub fn contains(self, flag: Flag) -> bool {
        self.0 & Self::bit(flag.letter()) != 0
    }

    /// Sets `flag`.
    pub fn insert(&mut self, flag: Flag) {
        self.0 |= Self::bit(flag.letter());
    }

    /// Clears `flag`.
    pub fn remove(&mut self, flag: Flag) {
        self.0 &= !Self::bit(flag.letter());
    }

    /// This set with `flag` added.
    #[must_use]
    pub fn with(mut self, flag: Flag) -> Self {
        self.insert(flag);
        self
    }

    /// Whether no letter is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The six known flags that are set, in letter order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// Adds a capital letter; returns `false` (and changes nothing) for any
    /// other character.
    pub fn insert_letter(&mut self, letter: char) -> bool {
        if letter.is_ascii_uppercase() {
            self.0 |= Self::bit(letter);
            true
        } else {
            false
        }
    }

    /// All letters set, in ASCII order.
    pub fn letters(self) -> impl Iterator<Item = char> {
        ('A'..='Z').filter(move |&c| self.0 & Self::bit(c) != 0)
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        let mut flags = Self::empty();
        for flag in iter {
            flags.insert(flag);
        }
        flags
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.letters().try_for_each(|c| write!(f, "{c}"))
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

/// A set of keyword letters `a`-`z` (indexes 0-25 into `dovecot-keywords`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub(crate) struct KeywordBits(pub(crate) u32);

impl KeywordBits {
    pub(crate) fn insert_index(&mut self, index: usize) {
        if index < 26 {
            self.0 |= 1 << index;
        }
    }

    pub(crate) fn indexes(self) -> impl Iterator<Item = usize> {
        (0..26).filter(move |i| self.0 & (1 << i) != 0)
    }

    pub(crate) fn letters(self) -> impl Iterator<Item = char> {
        self.indexes().map(|i| char::from(b'a' + i as u8))
    }
}

/// Parses the info part after `:` (`2,FRSab`) into flags and keyword letters.
///
/// Info that is not version 2 (`1,...`, or none) carries no flags.
pub(crate) fn parse_info(info: &str) -> (Flags, KeywordBits) {
    let mut flags = Flags::empty();
    let mut keywords = KeywordBits::default();
    if let Some(letters) = info.strip_prefix("2,") {
        for c in letters.chars() {
            if c.is_ascii_lowercase() {
                keywords.insert_index(c as usize - 'a' as usize);
            } else {
                flags.insert_letter(c);
            }
        }
    }
    (flags, keywords)
}

/// Formats flags and keyword letters as info (`2,FRSab`): ASCII order, which
/// puts capitals before keyword letters.
pub(crate) fn format_info(flags: Flags, keywords: KeywordBits) -> String {
    let mut info = String::with_capacity(2 + 32);
    info.push_str("2,");
    info.extend(flags.letters());
    info.extend(keywords.letters());
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn letters_sorted() {
        let flags: Flags = [Flag::Seen, Flag::Draft, Flag::Replied]
            .into_iter()
            .collect();
        let mut kw = KeywordBits::default();
        kw.insert_index(2);
        kw.insert_index(0);
        assert_eq!(format_info(flags, kw), "2,DRSac");
        assert_eq!(flags.to_string(), "DRS");
        assert_eq!(
            flags.iter().collect::<Vec<_>>(),
            [Flag::Draft, Flag::Replied, Flag::Seen]
        );
    }

    #[test]
    fn parse_known_and_foreign_info() {
        let (flags, kw) = parse_info("2,RSabc");
        assert!(flags.contains(Flag::Replied) && flags.contains(Flag::Seen));
        assert!(!flags.contains(Flag::Flagged));
        assert_eq!(kw.indexes().collect::<Vec<_>>(), [0, 1, 2]);
        // Unknown capitals survive, other bytes are ignored.
        let (flags, _) = parse_info("2,XS!9");
        assert_eq!(flags.to_string(), "SX");
        // Version 1 info and garbage carry no flags.
        assert_eq!(parse_info("1,foo").0, Flags::empty());
        assert_eq!(parse_info("").0, Flags::empty());
        for flag in Flag::ALL {
            assert_eq!(Flag::from_letter(flag.letter()), Some(flag));
        }
        assert_eq!(Flag::from_letter('X'), None);
    }

    proptest! {
        #[test]
        fn info_round_trip(flag_bits in 0u32..(1 << 26), kw_bits in 0u32..(1 << 26)) {
            let flags = Flags(flag_bits);
            let kw = KeywordBits(kw_bits);
            let info = format_info(flags, kw);
            let (f2, k2) = parse_info(&info);
            prop_assert_eq!(f2, flags);
            prop_assert_eq!(k2, kw);
            let letters: Vec<char> = info[2..].chars().collect();
            let mut sorted = letters.clone();
            sorted.sort_unstable();
            prop_assert_eq!(letters, sorted);
        }
    }
}
