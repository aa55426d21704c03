//! Sequence sets (`1,3:5,7:*`) and the SEARCHRES marker `$` (RFC 5182).

use std::fmt;
use std::num::NonZeroU32;

use super::core::ValidationError;

/// One end of a range: a message number / UID or `*` (the largest in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// A number (never 0).
    Value(NonZeroU32),
    /// `*`: the highest number or UID in the mailbox.
    Largest,
}

impl SeqNumber {
    /// A number; fails for 0.
    pub fn new(n: u32) -> Result<Self, ValidationError> {
        NonZeroU32::new(n)
            .map(Self::Value)
            .ok_or(ValidationError::new("sequence number", "zero"))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(n) => write!(f, "{n}"),
            Self::Largest => f.write_str("*"),
        }
    }
}

/// `n` or `n:m`; stored as written (RFC 9051 allows `5:2`, meaning `2:5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqRange {
    /// First end as written.
    pub from: SeqNumber,
    /// Second end as written; `None` for a single number.
    pub to: Option<SeqNumber>,
}

impl SeqRange {
    /// A single number.
    pub fn single(n: SeqNumber) -> Self {
        Self { from: n, to: None }
    }

    /// A range `from:to`.
    pub fn range(from: SeqNumber, to: SeqNumber) -> Self {
        Self { from, to: Some(to) }
    }

    /// Whether `n` lies in this range when the largest number in use is `largest`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        let value = |s: SeqNumber| match s {
            SeqNumber::Value(v) => v.get(),
            SeqNumber::Largest => largest,
        };
        let a = value(self.from);
        let b = self.to.map_or(a, value);
        (a.min(b)..=a.max(b)).contains(&n)
    }
}

impl fmt::Display for SeqRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "{}:{to}", self.from),
            None => write!(f, "{}", self.from),
        }
    }
}

/// A non-empty sequence set, or `$` (the result saved by `SEARCH RETURN (SAVE)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceSet(Inner);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Inner {
    Ranges(Vec<SeqRange>),
    Saved,
}

impl SequenceSet {
    /// A set of ranges; fails when empty.
    pub fn new(ranges: Vec<SeqRange>) -> Result<Self, ValidationError> {
        if ranges.is_empty() {
            return Err(ValidationError::new("sequence set", "empty"));
        }
        Ok(Self(Inner::Ranges(ranges)))
    }

    /// A single number (fails for 0).
    pub fn single(n: u32) -> Result<Self, ValidationError> {
        Ok(Self(Inner::Ranges(vec![SeqRange::single(SeqNumber::new(
            n,
        )?)])))
    }

    /// `1:*`, every message.
    pub fn all() -> Self {
        Self(Inner::Ranges(vec![SeqRange::range(
            SeqNumber::Value(NonZeroU32::MIN),
            SeqNumber::Largest,
        )]))
    }

    /// `$` (RFC 5182).
    pub fn saved() -> Self {
        Self(Inner::Saved)
    }

    /// Whether this is `$`.
    pub fn is_saved(&self) -> bool {
        matches!(self.0, Inner::Saved)
    }

    /// The ranges; empty for `$`.
    pub fn ranges(&self) -> &[SeqRange] {
        match &self.0 {
            Inner::Ranges(r) => r,
            Inner::Saved => &[],
        }
    }

    /// Whether `n` is in the set given the largest number in use (always false for `$`).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.ranges().iter().any(|r| r.contains(n, largest))
    }
}

impl fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Saved => f.write_str("$"),
            Inner::Ranges(ranges) => {
                for (i, r) in ranges.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_and_display() {
        let set = SequenceSet::new(vec![
            SeqRange::single(SeqNumber::new(2).unwrap()),
            SeqRange::range(SeqNumber::new(9).unwrap(), SeqNumber::new(4).unwrap()),
            SeqRange::range(SeqNumber::new(20).unwrap(), SeqNumber::Largest),
        ])
        .unwrap();
        assert_eq!(set.to_string(), "2,9:4,20:*");
        assert!(set.contains(2, 10) && set.contains(5, 10) && set.contains(15, 10));
        assert!(!set.contains(3, 10) && set.contains(10, 10));
        // `20:*` with 10 messages means `10:20` (RFC 9051 section 6.4.8).
        assert!(!set.contains(3, 30) && !set.contains(19, 30) && set.contains(25, 30));
        assert!(SequenceSet::new(vec![]).is_err());
        assert!(SequenceSet::single(0).is_err());
        assert_eq!(SequenceSet::saved().to_string(), "$");
    }
}
