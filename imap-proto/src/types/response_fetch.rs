//! The data of a `FETCH` response (`msg-att`, RFC 9051 section 7.5.2).

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::body::{BodyStructure, Envelope};
use super::core::{NString, NonEmptyVec, owned};
use super::{DateTime, Flag, Section};

/// `* n FETCH (...)`: a message number and one or more data items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch<'a> {
    /// Message sequence number.
    pub seq: NonZeroU32,
    /// The data items.
    pub items: NonEmptyVec<FetchItem<'a>>,
}

impl Fetch<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Fetch<'static> {
        Fetch {
            seq: self.seq,
            items: self.items.map(FetchItem::into_owned),
        }
    }

    /// The UID, when the response carries one.
    pub fn uid(&self) -> Option<NonZeroU32> {
        self.items.iter().find_map(|item| match item {
            FetchItem::Uid(uid) => Some(*uid),
            _ => None,
        })
    }
}

/// One data item of a FETCH response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchItem<'a> {
    /// `FLAGS (...)` (may include `\Recent` from IMAP4rev1 servers).
    Flags(Vec<Flag<'a>>),
    /// `INTERNALDATE "..."`.
    InternalDate(DateTime),
    /// `RFC822.SIZE n`.
    Rfc822Size(u64),
    /// `ENVELOPE (...)`.
    Envelope(Box<Envelope<'a>>),
    /// `BODY (...)`: the structure without extension data (the encoder leaves out any
    /// extension data the value holds).
    Body(Box<BodyStructure<'a>>),
    /// `BODYSTRUCTURE (...)`: the structure with extension data.
    BodyStructure(Box<BodyStructure<'a>>),
    /// `BODY[section]<origin> nstring`.
    BodySection {
        /// The section.
        section: Section<'a>,
        /// `<origin>`: the first octet, when the client asked for a partial fetch.
        origin: Option<u32>,
        /// The data; `NIL` when the section does not exist.
        data: NString<'a>,
    },
    /// `BINARY[part]<origin> (nstring / literal8)` (RFC 3516).
    Binary {
        /// Part numbers; empty for the whole message.
        part: Vec<NonZeroU32>,
        /// `<origin>` of a partial fetch.
        origin: Option<u32>,
        /// The decoded content (any octets, NUL included); `None` is `NIL`. Sent as
        /// `~{n}` when it contains NUL.
        data: Option<Cow<'a, [u8]>>,
    },
    /// `BINARY.SIZE[part] n` (RFC 3516).
    BinarySize {
        /// Part numbers.
        part: Vec<NonZeroU32>,
        /// Size of the decoded content.
        size: u32,
    },
    /// `UID n`.
    Uid(NonZeroU32),
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(u64),
    /// `RFC822 nstring` (IMAP4rev1).
    Rfc822(NString<'a>),
    /// `RFC822.HEADER nstring` (IMAP4rev1).
    Rfc822Header(NString<'a>),
    /// `RFC822.TEXT nstring` (IMAP4rev1).
    Rfc822Text(NString<'a>),
}

impl FetchItem<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> FetchItem<'static> {
        match self {
            Self::Flags(f) => FetchItem::Flags(f.into_iter().map(Flag::into_owned).collect()),
            Self::InternalDate(d) => FetchItem::InternalDate(d),
            Self::Rfc822Size(n) => FetchItem::Rfc822Size(n),
            Self::Envelope(e) => FetchItem::Envelope(Box::new(e.into_owned())),
            Self::Body(b) => FetchItem::Body(Box::new(b.into_owned())),
            Self::BodyStructure(b) => FetchItem::BodyStructure(Box::new(b.into_owned())),
            Self::BodySection {
                section,
                origin,
                data,
            } => FetchItem::BodySection {
                section: section.into_owned(),
                origin,
                data: data.into_owned(),
            },
            Self::Binary { part, origin, data } => FetchItem::Binary {
                part,
                origin,
                data: data.map(owned),
            },
            Self::BinarySize { part, size } => FetchItem::BinarySize { part, size },
            Self::Uid(n) => FetchItem::Uid(n),
            Self::ModSeq(n) => FetchItem::ModSeq(n),
            Self::Rfc822(s) => FetchItem::Rfc822(s.into_owned()),
            Self::Rfc822Header(s) => FetchItem::Rfc822Header(s.into_owned()),
            Self::Rfc822Text(s) => FetchItem::Rfc822Text(s.into_owned()),
        }
    }
}

/// The FETCH items whose data may be a large literal that a client streams instead of
/// buffering (see `codec::ResponseStream`): the item without its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamedItem<'a> {
    /// `BODY[section]<origin>`.
    BodySection {
        /// The section.
        section: Section<'a>,
        /// `<origin>`.
        origin: Option<u32>,
    },
    /// `BINARY[part]<origin>`.
    Binary {
        /// Part numbers.
        part: Vec<NonZeroU32>,
        /// `<origin>`.
        origin: Option<u32>,
    },
    /// `RFC822`.
    Rfc822,
    /// `RFC822.HEADER`.
    Rfc822Header,
    /// `RFC822.TEXT`.
    Rfc822Text,
}

impl StreamedItem<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> StreamedItem<'static> {
        match self {
            Self::BodySection { section, origin } => StreamedItem::BodySection {
                section: section.into_owned(),
                origin,
            },
            Self::Binary { part, origin } => StreamedItem::Binary { part, origin },
            Self::Rfc822 => StreamedItem::Rfc822,
            Self::Rfc822Header => StreamedItem::Rfc822Header,
            Self::Rfc822Text => StreamedItem::Rfc822Text,
        }
    }
}
