//! SEARCH, SORT and THREAD criteria (RFC 9051 6.4.4, RFC 4731, RFC 5032, RFC 5182,
//! RFC 5256, RFC 7162).

use std::num::NonZeroU32;

use super::core::{AString, Atom, NonEmptyVec};
use super::datetime::Date;
use super::flag::Flag;
use super::sequence::SequenceSet;

/// One search key. Several keys side by side mean AND.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchKey<'a> {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `NEW` (IMAP4rev1).
    New,
    /// `OLD` (IMAP4rev1).
    Old,
    /// `RECENT` (IMAP4rev1).
    Recent,
    /// `SEEN`.
    Seen,
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNSEEN`.
    Unseen,
    /// `BCC string`.
    Bcc(AString<'a>),
    /// `BODY string`.
    Body(AString<'a>),
    /// `CC string`.
    Cc(AString<'a>),
    /// `FROM string`.
    From(AString<'a>),
    /// `SUBJECT string`.
    Subject(AString<'a>),
    /// `TEXT string`.
    Text(AString<'a>),
    /// `TO string`.
    To(AString<'a>),
    /// `BEFORE date` (internal date).
    Before(Date),
    /// `ON date`.
    On(Date),
    /// `SINCE date`.
    Since(Date),
    /// `SENTBEFORE date` (Date: header).
    SentBefore(Date),
    /// `SENTON date`.
    SentOn(Date),
    /// `SENTSINCE date`.
    SentSince(Date),
    /// `KEYWORD flag`.
    Keyword(Atom<'a>),
    /// `UNKEYWORD flag`.
    Unkeyword(Atom<'a>),
    /// `HEADER field-name string`.
    Header(AString<'a>, AString<'a>),
    /// `LARGER n` (at most 2^63 - 1).
    Larger(u64),
    /// `SMALLER n` (at most 2^63 - 1).
    Smaller(u64),
    /// `NOT key`.
    Not(Box<Self>),
    /// `OR key key`.
    Or(Box<Self>, Box<Self>),
    /// `UID set`.
    Uid(SequenceSet),
    /// A message sequence set.
    SequenceSet(SequenceSet),
    /// `(key key ...)`.
    And(NonEmptyVec<Self>),
    /// `MODSEQ [entry] n` (RFC 7162).
    ModSeq {
        /// The metadata entry (`"/flags/\\draft" priv`).
        entry: Option<ModSeqEntry<'a>>,
        /// The mod-sequence (0 allowed; at most 2^63 - 1).
        modseq: u64,
    },
    /// `OLDER seconds` (RFC 5032).
    Older(NonZeroU32),
    /// `YOUNGER seconds` (RFC 5032).
    Younger(NonZeroU32),
}

impl SearchKey<'_> {
    /// Detaches the key from the buffer it was decoded from.
    pub fn into_owned(self) -> SearchKey<'static> {
        use SearchKey as K;
        match self {
            K::All => K::All,
            K::Answered => K::Answered,
            K::Deleted => K::Deleted,
            K::Draft => K::Draft,
            K::Flagged => K::Flagged,
            K::New => K::New,
            K::Old => K::Old,
            K::Recent => K::Recent,
            K::Seen => K::Seen,
            K::Unanswered => K::Unanswered,
            K::Undeleted => K::Undeleted,
            K::Undraft => K::Undraft,
            K::Unflagged => K::Unflagged,
            K::Unseen => K::Unseen,
            K::Bcc(s) => K::Bcc(s.into_owned()),
            K::Body(s) => K::Body(s.into_owned()),
            K::Cc(s) => K::Cc(s.into_owned()),
            K::From(s) => K::From(s.into_owned()),
            K::Subject(s) => K::Subject(s.into_owned()),
            K::Text(s) => K::Text(s.into_owned()),
            K::To(s) => K::To(s.into_owned()),
            K::Before(d) => K::Before(d),
            K::On(d) => K::On(d),
            K::Since(d) => K::Since(d),
            K::SentBefore(d) => K::SentBefore(d),
            K::SentOn(d) => K::SentOn(d),
            K::SentSince(d) => K::SentSince(d),
            K::Keyword(a) => K::Keyword(a.into_owned()),
            K::Unkeyword(a) => K::Unkeyword(a.into_owned()),
            K::Header(f, v) => K::Header(f.into_owned(), v.into_owned()),
            K::Larger(n) => K::Larger(n),
            K::Smaller(n) => K::Smaller(n),
            K::Not(k) => K::Not(Box::new(k.into_owned())),
            K::Or(a, b) => K::Or(Box::new(a.into_owned()), Box::new(b.into_owned())),
            K::Uid(s) => K::Uid(s),
            K::SequenceSet(s) => K::SequenceSet(s),
            K::And(keys) => K::And(keys.map(SearchKey::into_owned)),
            K::ModSeq { entry, modseq } => K::ModSeq {
                entry: entry.map(ModSeqEntry::into_owned),
                modseq,
            },
            K::Older(n) => K::Older(n),
            K::Younger(n) => K::Younger(n),
        }
    }
}

/// The metadata entry of a `MODSEQ` search key: a flag and which of its values count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModSeqEntry<'a> {
    /// The flag (`"/flags/<flag>"`); never `\Recent`.
    pub flag: Flag<'a>,
    /// `priv`, `shared` or `all`.
    pub kind: EntryKind,
}

impl ModSeqEntry<'_> {
    /// Detaches the entry from the buffer it was decoded from.
    pub fn into_owned(self) -> ModSeqEntry<'static> {
        ModSeqEntry {
            flag: self.flag.into_owned(),
            kind: self.kind,
        }
    }
}

/// `entry-type-req` of RFC 7162.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// `priv`.
    Private,
    /// `shared`.
    Shared,
    /// `all`.
    All,
}

/// `SEARCH RETURN (...)` options (RFC 4731, RFC 5182).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchReturnOption {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (RFC 5182).
    Save,
}

/// `[UID] SEARCH [RETURN (...)] [CHARSET x] keys`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Search<'a> {
    /// `UID SEARCH`.
    pub uid: bool,
    /// `None` without RETURN; `Some(vec![])` for `RETURN ()` (which means ALL).
    pub return_options: Option<Vec<SearchReturnOption>>,
    /// `CHARSET name`.
    pub charset: Option<AString<'a>>,
    /// The keys (AND).
    pub criteria: NonEmptyVec<SearchKey<'a>>,
}

impl Search<'_> {
    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> Search<'static> {
        Search {
            uid: self.uid,
            return_options: self.return_options,
            charset: self.charset.map(AString::into_owned),
            criteria: self.criteria.map(SearchKey::into_owned),
        }
    }
}

/// A SORT key (RFC 5256, with DISPLAYFROM/DISPLAYTO of RFC 5957).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// `ARRIVAL`.
    Arrival,
    /// `CC`.
    Cc,
    /// `DATE`.
    Date,
    /// `FROM`.
    From,
    /// `SIZE`.
    Size,
    /// `SUBJECT`.
    Subject,
    /// `TO`.
    To,
    /// `DISPLAYFROM` (RFC 5957).
    DisplayFrom,
    /// `DISPLAYTO` (RFC 5957).
    DisplayTo,
}

/// `[REVERSE] key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`.
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// `[UID] SORT (criteria) charset keys` (RFC 5256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sort<'a> {
    /// `UID SORT`.
    pub uid: bool,
    /// Sort criteria in order.
    pub criteria: NonEmptyVec<SortCriterion>,
    /// The charset of the search strings (required).
    pub charset: AString<'a>,
    /// Search keys (AND).
    pub search: NonEmptyVec<SearchKey<'a>>,
}

impl Sort<'_> {
    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> Sort<'static> {
        Sort {
            uid: self.uid,
            criteria: self.criteria,
            charset: self.charset.into_owned(),
            search: self.search.map(SearchKey::into_owned),
        }
    }
}

/// A THREAD algorithm (RFC 5256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThreadAlgorithm<'a> {
    /// `ORDEREDSUBJECT`.
    OrderedSubject,
    /// `REFERENCES`.
    References,
    /// Another algorithm (never one of the names above; the decoder recognises those).
    Other(Atom<'a>),
}

impl<'a> ThreadAlgorithm<'a> {
    /// Recognises an algorithm name (case-insensitive).
    pub fn from_atom(atom: Atom<'a>) -> Self {
        if atom.as_str().eq_ignore_ascii_case("ORDEREDSUBJECT") {
            Self::OrderedSubject
        } else if atom.as_str().eq_ignore_ascii_case("REFERENCES") {
            Self::References
        } else {
            Self::Other(atom)
        }
    }

    /// The name as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::OrderedSubject => "ORDEREDSUBJECT",
            Self::References => "REFERENCES",
            Self::Other(a) => a.as_str(),
        }
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ThreadAlgorithm<'static> {
        match self {
            Self::OrderedSubject => ThreadAlgorithm::OrderedSubject,
            Self::References => ThreadAlgorithm::References,
            Self::Other(a) => ThreadAlgorithm::Other(a.into_owned()),
        }
    }
}

/// `[UID] THREAD algorithm charset keys` (RFC 5256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Thread<'a> {
    /// `UID THREAD`.
    pub uid: bool,
    /// The threading algorithm.
    pub algorithm: ThreadAlgorithm<'a>,
    /// The charset of the search strings.
    pub charset: AString<'a>,
    /// Search keys (AND).
    pub search: NonEmptyVec<SearchKey<'a>>,
}

impl Thread<'_> {
    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> Thread<'static> {
        Thread {
            uid: self.uid,
            algorithm: self.algorithm.into_owned(),
            charset: self.charset.into_owned(),
            search: self.search.map(SearchKey::into_owned),
        }
    }
}
