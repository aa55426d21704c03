//! Capabilities (the `CAPABILITY` response and `ENABLE` arguments).

use std::borrow::Cow;
use std::fmt;

use super::core::{Atom, ValidationError};

/// One capability name.
///
/// Known names are recognised case-insensitively by [`Capability::from_atom`]; anything
/// else is kept as [`Capability::Other`], which that constructor never builds for a
/// known name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability<'a> {
    /// `IMAP4rev1` (RFC 3501).
    Imap4Rev1,
    /// `IMAP4rev2` (RFC 9051).
    Imap4Rev2,
    /// `AUTH=<mechanism>`; the mechanism as written.
    Auth(Atom<'a>),
    /// `LOGINDISABLED`.
    LoginDisabled,
    /// `STARTTLS`.
    StartTls,
    /// `IDLE` (RFC 2177).
    Idle,
    /// `LITERAL+` (RFC 7888).
    LiteralPlus,
    /// `LITERAL-` (RFC 7888).
    LiteralMinus,
    /// `SASL-IR` (RFC 4959).
    SaslIr,
    /// `ENABLE` (RFC 5161).
    Enable,
    /// `UIDPLUS` (RFC 4315).
    UidPlus,
    /// `MOVE` (RFC 6851).
    Move,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `ID` (RFC 2971).
    Id,
    /// `CHILDREN` (RFC 3348).
    Children,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// `CREATE-SPECIAL-USE` (RFC 6154).
    CreateSpecialUse,
    /// `LIST-EXTENDED` (RFC 5258).
    ListExtended,
    /// `LIST-STATUS` (RFC 5819).
    ListStatus,
    /// `ESEARCH` (RFC 4731).
    ESearch,
    /// `SEARCHRES` (RFC 5182).
    SearchRes,
    /// `WITHIN` (RFC 5032).
    Within,
    /// `CONDSTORE` (RFC 7162).
    CondStore,
    /// `QRESYNC` (RFC 7162).
    QResync,
    /// `QUOTA` (RFC 9208).
    Quota,
    /// `QUOTA=RES-<resource>` (RFC 9208); the resource name as written.
    QuotaRes(Atom<'a>),
    /// `QUOTASET` (RFC 9208).
    QuotaSet,
    /// `SORT` (RFC 5256).
    Sort,
    /// `THREAD=<algorithm>` (RFC 5256); the algorithm as written.
    Thread(Atom<'a>),
    /// `BINARY` (RFC 3516).
    Binary,
    /// `MULTIAPPEND` (RFC 3502).
    MultiAppend,
    /// `UTF8=ACCEPT` (RFC 6855).
    Utf8Accept,
    /// `UTF8=ONLY` (RFC 6855).
    Utf8Only,
    /// `STATUS=SIZE` (RFC 8438).
    StatusSize,
    /// `COMPRESS=DEFLATE` (RFC 4978).
    CompressDeflate,
    /// `APPENDLIMIT` or `APPENDLIMIT=<n>` (RFC 7889).
    AppendLimit(Option<u64>),
    /// Any other capability.
    Other(Atom<'a>),
}

const SIMPLE: [(&str, Capability<'static>); 31] = [
    ("IMAP4REV1", Capability::Imap4Rev1),
    ("IMAP4REV2", Capability::Imap4Rev2),
    ("LOGINDISABLED", Capability::LoginDisabled),
    ("STARTTLS", Capability::StartTls),
    ("IDLE", Capability::Idle),
    ("LITERAL+", Capability::LiteralPlus),
    ("LITERAL-", Capability::LiteralMinus),
    ("SASL-IR", Capability::SaslIr),
    ("ENABLE", Capability::Enable),
    ("UIDPLUS", Capability::UidPlus),
    ("MOVE", Capability::Move),
    ("UNSELECT", Capability::Unselect),
    ("NAMESPACE", Capability::Namespace),
    ("ID", Capability::Id),
    ("CHILDREN", Capability::Children),
    ("SPECIAL-USE", Capability::SpecialUse),
    ("CREATE-SPECIAL-USE", Capability::CreateSpecialUse),
    ("LIST-EXTENDED", Capability::ListExtended),
    ("LIST-STATUS", Capability::ListStatus),
    ("ESEARCH", Capability::ESearch),
    ("SEARCHRES", Capability::SearchRes),
    ("WITHIN", Capability::Within),
    ("CONDSTORE", Capability::CondStore),
    ("QRESYNC", Capability::QResync),
    ("QUOTA", Capability::Quota),
    ("QUOTASET", Capability::QuotaSet),
    ("SORT", Capability::Sort),
    ("BINARY", Capability::Binary),
    ("MULTIAPPEND", Capability::MultiAppend),
    ("UTF8=ACCEPT", Capability::Utf8Accept),
    ("UTF8=ONLY", Capability::Utf8Only),
];

impl<'a> Capability<'a> {
    /// Recognises a capability atom (case-insensitive for known names).
    pub fn from_atom(atom: Atom<'a>) -> Self {
        let text = atom.as_str();
        if let Some((_, cap)) = SIMPLE.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)) {
            return cap.clone();
        }
        let upper = text.to_ascii_uppercase();
        if upper == "STATUS=SIZE" {
            return Self::StatusSize;
        }
        if upper == "COMPRESS=DEFLATE" {
            return Self::CompressDeflate;
        }
        if upper == "APPENDLIMIT" {
            return Self::AppendLimit(None);
        }
        if let Some(n) = upper.strip_prefix("APPENDLIMIT=")
            && let Some(n) = parse_number(n)
        {
            return Self::AppendLimit(Some(n));
        }
        for (prefix, make) in [
            ("AUTH=", Self::Auth as fn(Atom<'a>) -> Self),
            ("THREAD=", Self::Thread),
            ("QUOTA=RES-", Self::QuotaRes),
        ] {
            if upper.starts_with(prefix)
                && upper.len() > prefix.len()
                && let Some(rest) = split_atom(&atom, prefix.len())
            {
                return make(rest);
            }
        }
        Self::Other(atom)
    }

    /// Parses capability text such as `AUTH=PLAIN`.
    pub fn parse(text: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        Ok(Self::from_atom(Atom::new(text)?))
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Self::Auth(a) => Capability::Auth(a.into_owned()),
            Self::QuotaRes(a) => Capability::QuotaRes(a.into_owned()),
            Self::Thread(a) => Capability::Thread(a.into_owned()),
            Self::Other(a) => Capability::Other(a.into_owned()),
            Self::AppendLimit(n) => Capability::AppendLimit(n),
            Self::StatusSize => Capability::StatusSize,
            Self::CompressDeflate => Capability::CompressDeflate,
            simple => SIMPLE
                .iter()
                .find(|(_, c)| *c == simple)
                .map_or(Capability::Imap4Rev1, |(_, c)| c.clone()),
        }
    }
}

fn parse_number(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The part of an atom after `at` bytes, still borrowed when the atom is.
fn split_atom<'a>(atom: &Atom<'a>, at: usize) -> Option<Atom<'a>> {
    let rest = atom.as_str().get(at..)?.to_owned();
    Atom::new(rest).ok()
}

impl fmt::Display for Capability<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Imap4Rev1 => f.write_str("IMAP4rev1"),
            Self::Imap4Rev2 => f.write_str("IMAP4rev2"),
            Self::Auth(m) => write!(f, "AUTH={m}"),
            Self::QuotaRes(r) => write!(f, "QUOTA=RES-{r}"),
            Self::Thread(a) => write!(f, "THREAD={a}"),
            Self::StatusSize => f.write_str("STATUS=SIZE"),
            Self::CompressDeflate => f.write_str("COMPRESS=DEFLATE"),
            Self::AppendLimit(None) => f.write_str("APPENDLIMIT"),
            Self::AppendLimit(Some(n)) => write!(f, "APPENDLIMIT={n}"),
            Self::Other(a) => f.write_str(a.as_str()),
            simple => {
                let name = SIMPLE
                    .iter()
                    .find(|(_, c)| c == simple)
                    .map_or("", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let table = [
            ("imap4rev1", "IMAP4rev1"),
            ("AUTH=PLAIN", "AUTH=PLAIN"),
            ("auth=xoauth2", "AUTH=xoauth2"),
            ("literal+", "LITERAL+"),
            ("THREAD=REFERENCES", "THREAD=REFERENCES"),
            ("QUOTA=RES-STORAGE", "QUOTA=RES-STORAGE"),
            ("APPENDLIMIT=35651584", "APPENDLIMIT=35651584"),
            ("status=size", "STATUS=SIZE"),
            ("XLIST", "XLIST"),
            ("AUTH=", "AUTH="),
        ];
        for (input, shown) in table {
            assert_eq!(Capability::parse(input).unwrap().to_string(), shown);
        }
        assert_eq!(Capability::parse("Idle").unwrap(), Capability::Idle);
        assert_eq!(
            Capability::parse("AUTH=").unwrap(),
            Capability::Other(Atom::new("AUTH=").unwrap())
        );
        assert_eq!(Capability::Move.into_owned(), Capability::Move);
    }
}
