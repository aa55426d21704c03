//! Message flags, permanent-flag wildcards and mailbox attributes (LIST, SPECIAL-USE).

use std::borrow::Cow;
use std::fmt;

use super::core::{Atom, ValidationError};

/// A backslash name (`\` atom) that is none of the names known to the enum it is used in;
/// built through [`Flag::from_name`] / [`MailboxAttribute::from_name`], which pick the
/// known variant when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtensionName<'a>(Atom<'a>);

impl ExtensionName<'_> {
    /// The name without the backslash.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Detaches the name from the buffer it was decoded from.
    pub fn into_owned(self) -> ExtensionName<'static> {
        ExtensionName(self.0.into_owned())
    }
}

/// A message flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag<'a> {
    /// `\Seen`.
    Seen,
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Draft`.
    Draft,
    /// `\Recent` (IMAP4rev1 only; it may appear in FETCH, never in STORE or APPEND).
    Recent,
    /// A keyword (`$Forwarded`, `Junk`, ...), case as sent.
    Keyword(Atom<'a>),
    /// Another `\Name` flag (a future system flag).
    Extension(ExtensionName<'a>),
}

const SYSTEM_FLAGS: [(&str, Flag<'static>); 6] = [
    ("Seen", Flag::Seen),
    ("Answered", Flag::Answered),
    ("Flagged", Flag::Flagged),
    ("Deleted", Flag::Deleted),
    ("Draft", Flag::Draft),
    ("Recent", Flag::Recent),
];

impl<'a> Flag<'a> {
    /// Parses a flag as written: `\Seen` (any case), `\Other` or a keyword.
    pub fn from_name(name: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let name = name.into();
        if let Some(rest) = name.strip_prefix('\\') {
            if let Some((_, flag)) = SYSTEM_FLAGS
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(rest))
            {
                return Ok(flag.clone());
            }
            let atom = match name {
                Cow::Borrowed(s) => Atom::new(&s[1..])?,
                Cow::Owned(s) => Atom::new(s[1..].to_owned())?,
            };
            return Ok(Self::Extension(ExtensionName(atom)));
        }
        Ok(Self::Keyword(Atom::new(name)?))
    }

    /// A keyword flag.
    pub fn keyword(name: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        Ok(Self::Keyword(Atom::new(name)?))
    }

    /// Detaches the flag from the buffer it was decoded from.
    pub fn into_owned(self) -> Flag<'static> {
        match self {
            Self::Seen => Flag::Seen,
            Self::Answered => Flag::Answered,
            Self::Flagged => Flag::Flagged,
            Self::Deleted => Flag::Deleted,
            Self::Draft => Flag::Draft,
            Self::Recent => Flag::Recent,
            Self::Keyword(a) => Flag::Keyword(a.into_owned()),
            Self::Extension(e) => Flag::Extension(e.into_owned()),
        }
    }
}

impl fmt::Display for Flag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keyword(a) => f.write_str(a.as_str()),
            Self::Extension(e) => write!(f, "\\{}", e.as_str()),
            known => {
                let name = SYSTEM_FLAGS
                    .iter()
                    .find(|(_, flag)| flag == known)
                    .map_or("", |(n, _)| n);
                write!(f, "\\{name}")
            }
        }
    }
}

/// An entry of `PERMANENTFLAGS`: a flag or `\*` (new keywords may be created).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm<'a> {
    /// A flag that can be changed permanently.
    Flag(Flag<'a>),
    /// `\*`.
    Wildcard,
}

impl FlagPerm<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> FlagPerm<'static> {
        match self {
            Self::Flag(f) => FlagPerm::Flag(f.into_owned()),
            Self::Wildcard => FlagPerm::Wildcard,
        }
    }
}

impl fmt::Display for FlagPerm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => flag.fmt(f),
            Self::Wildcard => f.write_str("\\*"),
        }
    }
}

/// A mailbox attribute in LIST/LSUB responses, also the SPECIAL-USE names (RFC 6154)
/// used in `CREATE ... (USE (...))` and `LIST (SPECIAL-USE)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MailboxAttribute<'a> {
    /// `\Noinferiors`.
    NoInferiors,
    /// `\Noselect`.
    NoSelect,
    /// `\Marked`.
    Marked,
    /// `\Unmarked`.
    Unmarked,
    /// `\NonExistent` (RFC 5258, RFC 9051).
    NonExistent,
    /// `\Subscribed`.
    Subscribed,
    /// `\Remote`.
    Remote,
    /// `\HasChildren`.
    HasChildren,
    /// `\HasNoChildren`.
    HasNoChildren,
    /// `\All` (special use).
    All,
    /// `\Archive` (special use).
    Archive,
    /// `\Drafts` (special use).
    Drafts,
    /// `\Flagged` (special use).
    Flagged,
    /// `\Junk` (special use).
    Junk,
    /// `\Sent` (special use).
    Sent,
    /// `\Trash` (special use).
    Trash,
    /// `\Important` (RFC 8457).
    Important,
    /// Any other `\Name`.
    Extension(ExtensionName<'a>),
}

const ATTRIBUTES: [(&str, MailboxAttribute<'static>); 17] = [
    ("Noinferiors", MailboxAttribute::NoInferiors),
    ("Noselect", MailboxAttribute::NoSelect),
    ("Marked", MailboxAttribute::Marked),
    ("Unmarked", MailboxAttribute::Unmarked),
    ("NonExistent", MailboxAttribute::NonExistent),
    ("Subscribed", MailboxAttribute::Subscribed),
    ("Remote", MailboxAttribute::Remote),
    ("HasChildren", MailboxAttribute::HasChildren),
    ("HasNoChildren", MailboxAttribute::HasNoChildren),
    ("All", MailboxAttribute::All),
    ("Archive", MailboxAttribute::Archive),
    ("Drafts", MailboxAttribute::Drafts),
    ("Flagged", MailboxAttribute::Flagged),
    ("Junk", MailboxAttribute::Junk),
    ("Sent", MailboxAttribute::Sent),
    ("Trash", MailboxAttribute::Trash),
    ("Important", MailboxAttribute::Important),
];

impl<'a> MailboxAttribute<'a> {
    /// Parses `\Name` (case-insensitive for the known names).
    pub fn from_name(name: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let name = name.into();
        let Some(rest) = name.strip_prefix('\\') else {
            return Err(ValidationError::new(
                "mailbox attribute",
                "must start with \\",
            ));
        };
        if let Some((_, a)) = ATTRIBUTES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(rest))
        {
            return Ok(a.clone());
        }
        let atom = match name {
            Cow::Borrowed(s) => Atom::new(&s[1..])?,
            Cow::Owned(s) => Atom::new(s[1..].to_owned())?,
        };
        Ok(Self::Extension(ExtensionName(atom)))
    }

    /// Whether this is one of the SPECIAL-USE attributes of RFC 6154 (or `\Important`).
    pub fn is_special_use(&self) -> bool {
        matches!(
            self,
            Self::All
                | Self::Archive
                | Self::Drafts
                | Self::Flagged
                | Self::Junk
                | Self::Sent
                | Self::Trash
                | Self::Important
        )
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> MailboxAttribute<'static> {
        match self {
            Self::Extension(e) => MailboxAttribute::Extension(e.into_owned()),
            other => ATTRIBUTES
                .iter()
                .find(|(_, a)| *a == other)
                .map_or(MailboxAttribute::NoSelect, |(_, a)| a.clone()),
        }
    }
}

impl fmt::Display for MailboxAttribute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Extension(e) => write!(f, "\\{}", e.as_str()),
            known => {
                let name = ATTRIBUTES
                    .iter()
                    .find(|(_, a)| a == known)
                    .map_or("", |(n, _)| n);
                write!(f, "\\{name}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_normalise() {
        assert_eq!(Flag::from_name("\\SEEN").unwrap(), Flag::Seen);
        assert_eq!(Flag::from_name("\\Seen").unwrap().to_string(), "\\Seen");
        assert_eq!(Flag::from_name("$Junk").unwrap().to_string(), "$Junk");
        assert_eq!(Flag::from_name("\\Xyz").unwrap().to_string(), "\\Xyz");
        assert!(Flag::from_name("\\").is_err());
        assert!(Flag::from_name("a b").is_err());
        assert_eq!(
            MailboxAttribute::from_name("\\hasnochildren").unwrap(),
            MailboxAttribute::HasNoChildren
        );
        assert_eq!(MailboxAttribute::Junk.to_string(), "\\Junk");
        assert_eq!(
            MailboxAttribute::from_name("\\Foo")
                .unwrap()
                .into_owned()
                .to_string(),
            "\\Foo"
        );
        assert_eq!(
            MailboxAttribute::Trash.into_owned(),
            MailboxAttribute::Trash
        );
    }
}
