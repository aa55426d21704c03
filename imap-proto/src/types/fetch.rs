//! FETCH items, body sections and modifiers (RFC 9051 6.4.5, RFC 3516, RFC 7162).

use std::num::{NonZeroU32, NonZeroU64};

use super::core::{AString, NonEmptyVec, ValidationError};

/// What to fetch: a macro or a list of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems<'a> {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`.
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`.
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`.
    Full,
    /// One attribute or a parenthesised list of them.
    Attributes(NonEmptyVec<FetchAttribute<'a>>),
}

impl FetchItems<'_> {
    /// The attributes a macro stands for, or the list itself.
    pub fn expand(&self) -> Vec<FetchAttribute<'static>> {
        use FetchAttribute as A;
        match self {
            Self::All => vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope],
            Self::Fast => vec![A::Flags, A::InternalDate, A::Rfc822Size],
            Self::Full => vec![
                A::Flags,
                A::InternalDate,
                A::Rfc822Size,
                A::Envelope,
                A::Body,
            ],
            Self::Attributes(list) => list
                .iter()
                .cloned()
                .map(FetchAttribute::into_owned)
                .collect(),
        }
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> FetchItems<'static> {
        match self {
            Self::All => FetchItems::All,
            Self::Fast => FetchItems::Fast,
            Self::Full => FetchItems::Full,
            Self::Attributes(list) => FetchItems::Attributes(list.map(FetchAttribute::into_owned)),
        }
    }
}

/// One FETCH attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchAttribute<'a> {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822` (IMAP4rev1; like `BODY[]`).
    Rfc822,
    /// `RFC822.HEADER` (like `BODY.PEEK[HEADER]`).
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT` (like `BODY[TEXT]`).
    Rfc822Text,
    /// `BODY` (BODYSTRUCTURE without extension data).
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `MODSEQ` (RFC 7162).
    ModSeq,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    BodySection {
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
        /// The section.
        section: Section<'a>,
        /// `<offset.length>`.
        partial: Option<Partial>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[...]` (RFC 3516).
    Binary {
        /// `.PEEK`.
        peek: bool,
        /// Part numbers (`1.2` is `[1, 2]`); empty for the whole message.
        part: Vec<NonZeroU32>,
        /// `<offset.length>`.
        partial: Option<Partial>,
    },
    /// `BINARY.SIZE[part]` (RFC 3516).
    BinarySize {
        /// Part numbers.
        part: Vec<NonZeroU32>,
    },
}

impl FetchAttribute<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> FetchAttribute<'static> {
        use FetchAttribute as A;
        match self {
            A::Envelope => A::Envelope,
            A::Flags => A::Flags,
            A::InternalDate => A::InternalDate,
            A::Rfc822 => A::Rfc822,
            A::Rfc822Header => A::Rfc822Header,
            A::Rfc822Size => A::Rfc822Size,
            A::Rfc822Text => A::Rfc822Text,
            A::Body => A::Body,
            A::BodyStructure => A::BodyStructure,
            A::Uid => A::Uid,
            A::ModSeq => A::ModSeq,
            A::BodySection {
                peek,
                section,
                partial,
            } => A::BodySection {
                peek,
                section: section.into_owned(),
                partial,
            },
            A::Binary {
                peek,
                part,
                partial,
            } => A::Binary {
                peek,
                part,
                partial,
            },
            A::BinarySize { part } => A::BinarySize { part },
        }
    }
}

/// `<offset.length>`: a byte range of a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// First octet (0-based).
    pub offset: u64,
    /// Number of octets.
    pub length: NonZeroU64,
}

/// A body section: part numbers and what of that part.
///
/// `BODY[]` is the empty section; `MIME` needs a part number (RFC 9051 6.4.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section<'a> {
    part: Vec<NonZeroU32>,
    text: Option<SectionText<'a>>,
}

impl<'a> Section<'a> {
    /// A section; fails for `MIME` without a part number.
    pub fn new(
        part: Vec<NonZeroU32>,
        text: Option<SectionText<'a>>,
    ) -> Result<Self, ValidationError> {
        if part.is_empty() && text == Some(SectionText::Mime) {
            return Err(ValidationError::new("section", "MIME needs a part number"));
        }
        Ok(Self { part, text })
    }

    /// Part numbers (`1.2` is `[1, 2]`); empty for the whole message.
    pub fn part(&self) -> &[NonZeroU32] {
        &self.part
    }

    /// What of the part: `None` is the whole part.
    pub fn text(&self) -> Option<&SectionText<'a>> {
        self.text.as_ref()
    }

    /// Detaches the section from the buffer it was decoded from.
    pub fn into_owned(self) -> Section<'static> {
        Section {
            part: self.part,
            text: self.text.map(SectionText::into_owned),
        }
    }
}

/// The text specifier of a section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText<'a> {
    /// `HEADER`.
    Header,
    /// `HEADER.FIELDS (names)`.
    HeaderFields(NonEmptyVec<AString<'a>>),
    /// `HEADER.FIELDS.NOT (names)`.
    HeaderFieldsNot(NonEmptyVec<AString<'a>>),
    /// `TEXT`.
    Text,
    /// `MIME` (only with a part number).
    Mime,
}

impl SectionText<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> SectionText<'static> {
        match self {
            Self::Header => SectionText::Header,
            Self::HeaderFields(f) => SectionText::HeaderFields(f.map(AString::into_owned)),
            Self::HeaderFieldsNot(f) => SectionText::HeaderFieldsNot(f.map(AString::into_owned)),
            Self::Text => SectionText::Text,
            Self::Mime => SectionText::Mime,
        }
    }
}

/// FETCH modifiers (RFC 7162): `(CHANGEDSINCE n [VANISHED])`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FetchModifiers {
    /// `CHANGEDSINCE n`, with `VANISHED` (UID FETCH only, QRESYNC).
    pub changed_since: Option<ChangedSince>,
}

/// `CHANGEDSINCE n [VANISHED]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangedSince {
    /// The mod-sequence, 1 to 2^63 - 1 (RFC 7162 `mod-sequence-value`: the decoder
    /// rejects 0, so do not send it).
    pub modseq: u64,
    /// `VANISHED` (RFC 7162 3.2.6; UID FETCH only).
    pub vanished: bool,
}
