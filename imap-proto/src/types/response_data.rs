//! The data of untagged responses other than FETCH: LIST/LSUB (with LIST-EXTENDED data),
//! STATUS, SEARCH/SORT, ESEARCH, THREAD, NAMESPACE, ID, QUOTA and QUOTAROOT, and the
//! generic extension values (`tagged-ext-val`) some of them carry.

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::core::{AString, Atom, IString, NString, NonEmptyVec, ValidationError, owned};
use super::{Mailbox, MailboxAttribute, SeqNumber, SeqRange, SequenceSet};

/// A set of UIDs without `*` or `$` (`uid-set`, `known-uids`), e.g. `304,319:320`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UidSet(SequenceSet);

impl UidSet {
    /// Checks that the set has only numbers (no `*`, not `$`).
    pub fn new(set: SequenceSet) -> Result<Self, ValidationError> {
        let numeric = |n: SeqNumber| matches!(n, SeqNumber::Value(_));
        if set.is_saved()
            || !set
                .ranges()
                .iter()
                .all(|r| numeric(r.from) && r.to.is_none_or(numeric))
        {
            return Err(ValidationError::new("uid set", "contains * or $"));
        }
        Ok(Self(set))
    }

    /// A set of single UIDs and ranges `(from, to)`; fails when empty.
    pub fn from_ranges(ranges: &[(NonZeroU32, NonZeroU32)]) -> Result<Self, ValidationError> {
        let ranges = ranges
            .iter()
            .map(|&(from, to)| {
                if from == to {
                    SeqRange::single(SeqNumber::Value(from))
                } else {
                    SeqRange::range(SeqNumber::Value(from), SeqNumber::Value(to))
                }
            })
            .collect();
        Ok(Self(SequenceSet::new(ranges)?))
    }

    /// The set.
    pub fn as_set(&self) -> &SequenceSet {
        &self.0
    }

    /// Every UID in order of appearance (ranges expanded low to high); `None` if there
    /// would be more than `limit`.
    pub fn expand(&self, limit: usize) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for r in self.0.ranges() {
            let value = |n: SeqNumber| match n {
                SeqNumber::Value(v) => v.get(),
                SeqNumber::Largest => 0,
            };
            let a = value(r.from);
            let b = r.to.map_or(a, value);
            let count = usize::try_from(a.abs_diff(b)).ok()?.checked_add(1)?;
            if out.len().checked_add(count)? > limit {
                return None;
            }
            out.extend(a.min(b)..=a.max(b));
        }
        Some(out)
    }
}

/// A hierarchy delimiter (`QUOTED-CHAR`): one character other than CR, LF or NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiter(char);

impl Delimiter {
    /// A delimiter; fails for CR, LF and NUL.
    pub fn new(c: char) -> Result<Self, ValidationError> {
        if matches!(c, '\r' | '\n' | '\0') {
            return Err(ValidationError::new("delimiter", "CR, LF or NUL"));
        }
        Ok(Self(c))
    }

    /// The character.
    pub fn as_char(self) -> char {
        self.0
    }
}

/// A `LIST` or `LSUB` response: attributes, delimiter, name and extended data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxList<'a> {
    /// Mailbox attributes (`\Noselect`, `\HasChildren`, `\Sent`...).
    pub attributes: Vec<MailboxAttribute<'a>>,
    /// Hierarchy delimiter; `None` is `NIL` (flat namespace).
    pub delimiter: Option<Delimiter>,
    /// The mailbox name (wire form).
    pub mailbox: Mailbox<'a>,
    /// LIST-EXTENDED data (`CHILDINFO`, `OLDNAME`, ...); empty when none was sent.
    pub extended: Vec<ListExtendedItem<'a>>,
}

impl MailboxList<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> MailboxList<'static> {
        MailboxList {
            attributes: self
                .attributes
                .into_iter()
                .map(MailboxAttribute::into_owned)
                .collect(),
            delimiter: self.delimiter,
            mailbox: self.mailbox.into_owned(),
            extended: self
                .extended
                .into_iter()
                .map(ListExtendedItem::into_owned)
                .collect(),
        }
    }
}

/// An item of LIST extended data (`mbox-list-extended-item`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListExtendedItem<'a> {
    /// `CHILDINFO ("SUBSCRIBED" ...)` (RFC 5258): why a non-matching parent is listed.
    ChildInfo(NonEmptyVec<IString<'a>>),
    /// `OLDNAME (name)` (RFC 9051): the mailbox was renamed from this name.
    OldName(Mailbox<'a>),
    /// Any other item.
    Other(ExtItem<'a>),
}

impl ListExtendedItem<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ListExtendedItem<'static> {
        match self {
            Self::ChildInfo(list) => ListExtendedItem::ChildInfo(list.map(IString::into_owned)),
            Self::OldName(m) => ListExtendedItem::OldName(m.into_owned()),
            Self::Other(x) => ListExtendedItem::Other(x.into_owned()),
        }
    }
}

/// An unrecognised extended item: a name and a `tagged-ext-val`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtItem<'a> {
    name: AString<'a>,
    value: TaggedExtVal<'a>,
}

impl<'a> ExtItem<'a> {
    /// An item; the name must not be `CHILDINFO` or `OLDNAME` (any case).
    pub fn new(name: AString<'a>, value: TaggedExtVal<'a>) -> Result<Self, ValidationError> {
        let known = ["CHILDINFO", "OLDNAME"];
        if known
            .iter()
            .any(|k| k.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
        {
            return Err(ValidationError::new(
                "extended item",
                "name of a known item",
            ));
        }
        Ok(Self { name, value })
    }

    /// The item's name.
    pub fn name(&self) -> &AString<'a> {
        &self.name
    }

    /// The item's value.
    pub fn value(&self) -> &TaggedExtVal<'a> {
        &self.value
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ExtItem<'static> {
        ExtItem {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
        }
    }
}

/// A generic extension value (`tagged-ext-val`, RFC 4466).
///
/// A lone number is always read as [`TaggedExtVal::Number`], so a
/// [`TaggedExtVal::SequenceSet`] holding a single number reads back as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaggedExtVal<'a> {
    /// A number.
    Number(u64),
    /// A sequence set.
    SequenceSet(SequenceSet),
    /// A parenthesised list of astrings and nested lists (possibly empty).
    List(Vec<TaggedExtComp<'a>>),
}

/// An element of a `tagged-ext-comp` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaggedExtComp<'a> {
    /// An astring.
    AString(AString<'a>),
    /// A parenthesised list.
    List(Vec<Self>),
}

impl TaggedExtVal<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> TaggedExtVal<'static> {
        match self {
            Self::Number(n) => TaggedExtVal::Number(n),
            Self::SequenceSet(s) => TaggedExtVal::SequenceSet(s),
            Self::List(l) => {
                TaggedExtVal::List(l.into_iter().map(TaggedExtComp::into_owned).collect())
            }
        }
    }
}

impl TaggedExtComp<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> TaggedExtComp<'static> {
        match self {
            Self::AString(a) => TaggedExtComp::AString(a.into_owned()),
            Self::List(l) => TaggedExtComp::List(l.into_iter().map(Self::into_owned).collect()),
        }
    }
}

/// A `STATUS` response: a mailbox and the requested values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxStatus<'a> {
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// Its status values (may be empty).
    pub items: Vec<StatusItem>,
}

impl MailboxStatus<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> MailboxStatus<'static> {
        MailboxStatus {
            mailbox: self.mailbox.into_owned(),
            items: self.items,
        }
    }
}

/// One value of a `STATUS` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusItem {
    /// `MESSAGES n`.
    Messages(u32),
    /// `RECENT n` (IMAP4rev1).
    Recent(u32),
    /// `UIDNEXT n`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`.
    UidValidity(NonZeroU32),
    /// `UNSEEN n`.
    Unseen(u32),
    /// `DELETED n` (IMAP4rev2).
    Deleted(u32),
    /// `SIZE n` (RFC 8438, IMAP4rev2).
    Size(u64),
    /// `HIGHESTMODSEQ n` (RFC 7162).
    HighestModSeq(u64),
    /// `APPENDLIMIT n|NIL` (RFC 7889); `None` is `NIL` (no limit).
    AppendLimit(Option<u64>),
    /// `DELETED-STORAGE n` (RFC 9208).
    DeletedStorage(u64),
}

/// The numbers of a `SEARCH` or `SORT` response, with the CONDSTORE `(MODSEQ n)` that may
/// follow a non-empty result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SearchData {
    ids: Vec<NonZeroU32>,
    modseq: Option<u64>,
}

impl SearchData {
    /// A result; a mod-sequence can only accompany a non-empty result.
    pub fn new(ids: Vec<NonZeroU32>, modseq: Option<u64>) -> Result<Self, ValidationError> {
        if ids.is_empty() && modseq.is_some() {
            return Err(ValidationError::new(
                "search result",
                "MODSEQ without numbers",
            ));
        }
        Ok(Self { ids, modseq })
    }

    /// The message numbers or UIDs, in the order sent.
    pub fn ids(&self) -> &[NonZeroU32] {
        &self.ids
    }

    /// The highest mod-sequence of the matching messages (CONDSTORE).
    pub fn modseq(&self) -> Option<u64> {
        self.modseq
    }
}

/// An `ESEARCH` response (RFC 4731, IMAP4rev2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ESearch<'a> {
    /// The tag of the command this answers (`(TAG "A282")`).
    pub tag: Option<AString<'a>>,
    /// Whether the numbers are UIDs.
    pub uid: bool,
    /// The requested results.
    pub data: Vec<SearchReturn<'a>>,
}

impl ESearch<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ESearch<'static> {
        ESearch {
            tag: self.tag.map(AString::into_owned),
            uid: self.uid,
            data: self
                .data
                .into_iter()
                .map(SearchReturn::into_owned)
                .collect(),
        }
    }
}

/// One result item of `ESEARCH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchReturn<'a> {
    /// `MIN n`.
    Min(NonZeroU32),
    /// `MAX n`.
    Max(NonZeroU32),
    /// `ALL set`.
    All(SequenceSet),
    /// `COUNT n`.
    Count(u32),
    /// `MODSEQ n` (RFC 7162).
    ModSeq(u64),
    /// Any other item (`search-ret-data-ext`).
    Other(SearchReturnExt<'a>),
}

impl SearchReturn<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> SearchReturn<'static> {
        match self {
            Self::Min(n) => SearchReturn::Min(n),
            Self::Max(n) => SearchReturn::Max(n),
            Self::All(s) => SearchReturn::All(s),
            Self::Count(n) => SearchReturn::Count(n),
            Self::ModSeq(n) => SearchReturn::ModSeq(n),
            Self::Other(x) => SearchReturn::Other(x.into_owned()),
        }
    }
}

/// An unrecognised ESEARCH result item: a label (`tagged-ext-label`) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchReturnExt<'a> {
    name: Cow<'a, str>,
    value: TaggedExtVal<'a>,
}

/// `tagged-label-fchar`.
pub(crate) fn is_label_first(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'-' | b'_' | b'.')
}

/// `tagged-label-char`.
pub(crate) fn is_label_char(b: u8) -> bool {
    is_label_first(b) || b.is_ascii_digit() || b == b':'
}

impl<'a> SearchReturnExt<'a> {
    /// An item; the name must be a `tagged-ext-label` other than the known items.
    pub fn new(
        name: impl Into<Cow<'a, str>>,
        value: TaggedExtVal<'a>,
    ) -> Result<Self, ValidationError> {
        let name = name.into();
        let bytes = name.as_bytes();
        let valid = bytes.first().is_some_and(|&b| is_label_first(b))
            && bytes.iter().all(|&b| is_label_char(b));
        if !valid {
            return Err(ValidationError::new("search return item", "not a label"));
        }
        let known = ["MIN", "MAX", "ALL", "COUNT", "MODSEQ", "UID"];
        if known.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
            return Err(ValidationError::new(
                "search return item",
                "name of a known item",
            ));
        }
        Ok(Self { name, value })
    }

    /// The label.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value.
    pub fn value(&self) -> &TaggedExtVal<'a> {
        &self.value
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> SearchReturnExt<'static> {
        SearchReturnExt {
            name: owned(self.name),
            value: self.value.into_owned(),
        }
    }
}

/// A thread (RFC 5256 `thread-list`): a chain of messages, then the branches that follow
/// its last message.
///
/// `(1 2 (3)(4 5))` is the chain `[1, 2]` with two branches. The grammar needs at least
/// two branches where there are any, and a thread with no messages of its own (a missing
/// parent) has at least two branches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThreadNode {
    ids: Vec<NonZeroU32>,
    children: Vec<Self>,
}

impl ThreadNode {
    /// A thread; fails when `children` has exactly one element, or when `ids` is empty
    /// and there are fewer than two children.
    pub fn new(ids: Vec<NonZeroU32>, children: Vec<Self>) -> Result<Self, ValidationError> {
        if children.len() == 1 {
            return Err(ValidationError::new("thread", "exactly one branch"));
        }
        if ids.is_empty() && children.len() < 2 {
            return Err(ValidationError::new(
                "thread",
                "no messages and fewer than two branches",
            ));
        }
        Ok(Self { ids, children })
    }

    /// The messages of the chain, parent first.
    pub fn ids(&self) -> &[NonZeroU32] {
        &self.ids
    }

    /// The branches after the chain (none, or at least two).
    pub fn children(&self) -> &[Self] {
        &self.children
    }

    /// Nesting depth: 1 plus the deepest branch.
    pub fn depth(&self) -> usize {
        1 + self.children.iter().map(Self::depth).max().unwrap_or(0)
    }
}

/// A `NAMESPACE` response: personal, other users' and shared namespaces; an empty list is
/// sent as `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespace<'a> {
    /// The user's own namespaces.
    pub personal: Vec<NamespaceDescr<'a>>,
    /// Other users' namespaces.
    pub other: Vec<NamespaceDescr<'a>>,
    /// Shared namespaces.
    pub shared: Vec<NamespaceDescr<'a>>,
}

fn owned_descrs(list: Vec<NamespaceDescr<'_>>) -> Vec<NamespaceDescr<'static>> {
    list.into_iter().map(NamespaceDescr::into_owned).collect()
}

impl Namespace<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Namespace<'static> {
        Namespace {
            personal: owned_descrs(self.personal),
            other: owned_descrs(self.other),
            shared: owned_descrs(self.shared),
        }
    }
}

/// One namespace: prefix, delimiter and extension data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescr<'a> {
    /// Prefix, e.g. `""`, `"#shared/"`, `"~"`.
    pub prefix: IString<'a>,
    /// Hierarchy delimiter; `None` is `NIL`.
    pub delimiter: Option<Delimiter>,
    /// Extensions (`"X-PARAM" ("FLAG1" "FLAG2")`).
    pub extensions: Vec<NamespaceExtension<'a>>,
}

impl NamespaceDescr<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> NamespaceDescr<'static> {
        NamespaceDescr {
            prefix: self.prefix.into_owned(),
            delimiter: self.delimiter,
            extensions: self
                .extensions
                .into_iter()
                .map(NamespaceExtension::into_owned)
                .collect(),
        }
    }
}

/// A namespace extension: a name and one or more values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceExtension<'a> {
    /// Extension name.
    pub name: IString<'a>,
    /// Its values.
    pub values: NonEmptyVec<IString<'a>>,
}

impl NamespaceExtension<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> NamespaceExtension<'static> {
        NamespaceExtension {
            name: self.name.into_owned(),
            values: self.values.map(IString::into_owned),
        }
    }
}

/// The field list of an `ID` response (RFC 2971): field names and values (`NIL` allowed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdParams<'a>(pub Vec<(IString<'a>, NString<'a>)>);

impl IdParams<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> IdParams<'static> {
        IdParams(
            self.0
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value of a field, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&NString<'_>> {
        self.0
            .iter()
            .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
}

/// A `QUOTA` response (RFC 9208): a quota root and its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota<'a> {
    /// The quota root name (may be empty).
    pub root: AString<'a>,
    /// Usage and limit per resource.
    pub resources: NonEmptyVec<QuotaResource<'a>>,
}

impl Quota<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Quota<'static> {
        Quota {
            root: self.root.into_owned(),
            resources: self.resources.map(QuotaResource::into_owned),
        }
    }
}

/// One resource of a quota root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaResource<'a> {
    /// Which resource.
    pub name: Resource<'a>,
    /// Current usage (STORAGE in units of 1024 octets).
    pub usage: u64,
    /// Limit.
    pub limit: u64,
}

impl QuotaResource<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> QuotaResource<'static> {
        QuotaResource {
            name: self.name.into_owned(),
            usage: self.usage,
            limit: self.limit,
        }
    }
}

/// A quota resource name (RFC 9208 section 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// `STORAGE`: the physical space, in units of 1024 octets.
    Storage,
    /// `MESSAGE`: the number of messages.
    Message,
    /// `MAILBOX`: the number of mailboxes.
    Mailbox,
    /// `ANNOTATION-STORAGE`: the size of annotations, in units of 1024 octets.
    AnnotationStorage,
    /// Another resource; [`Resource::from_atom`] never builds this for a known name.
    Other(Atom<'a>),
}

const RESOURCES: [(&str, Resource<'static>); 4] = [
    ("STORAGE", Resource::Storage),
    ("MESSAGE", Resource::Message),
    ("MAILBOX", Resource::Mailbox),
    ("ANNOTATION-STORAGE", Resource::AnnotationStorage),
];

impl<'a> Resource<'a> {
    /// Recognises a resource name (case-insensitive).
    pub fn from_atom(atom: Atom<'a>) -> Self {
        RESOURCES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(atom.as_str()))
            .map_or(Self::Other(atom), |(_, r)| r.clone())
    }

    /// The name as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(a) => a.as_str(),
            known => RESOURCES
                .iter()
                .find(|(_, r)| r == known)
                .map_or("", |(n, _)| n),
        }
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Resource<'static> {
        match self {
            Self::Storage => Resource::Storage,
            Self::Message => Resource::Message,
            Self::Mailbox => Resource::Mailbox,
            Self::AnnotationStorage => Resource::AnnotationStorage,
            Self::Other(a) => Resource::Other(a.into_owned()),
        }
    }
}

/// A `QUOTAROOT` response (RFC 9208): a mailbox and its quota roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaRoot<'a> {
    /// The mailbox asked about.
    pub mailbox: Mailbox<'a>,
    /// Its quota roots (possibly none).
    pub roots: Vec<AString<'a>>,
}

impl QuotaRoot<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> QuotaRoot<'static> {
        QuotaRoot {
            mailbox: self.mailbox.into_owned(),
            roots: self.roots.into_iter().map(AString::into_owned).collect(),
        }
    }
}
